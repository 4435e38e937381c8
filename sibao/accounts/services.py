"""Writes to accounts: users, grants, two-factor devices, each with its audit event."""

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from sibao.audit.services import event_record


def totp_device_pending(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


@transaction.atomic
def totp_device_confirm(*, actor, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    event_record(actor=actor, action="account.two_factor_enabled", obj=actor)


@transaction.atomic
def password_changed(*, actor) -> None:
    event_record(actor=actor, action="account.password_change", obj=actor)
