"""Writes to accounts: users, grants, two-factor devices, each with its audit event."""

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from sibao.accounts.models import Grant, Organization, User
from sibao.accounts.roles import Action, Role
from sibao.audit.services import event_record
from sibao.core.choices import Sector
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.identifiers import credit_code_compact


def totp_device_pending(*, user) -> TOTPDevice:
    """The user's unconfirmed authenticator device, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def two_factor_required(user) -> bool:
    """Whether this user must show a second factor to sign in (officials, when SIBAO_REQUIRE_2FA is on)."""
    return bool(settings.SIBAO_REQUIRE_2FA and user.is_authenticated and user.is_official)


def totp_verify(*, user, token: str) -> bool:
    """Whether `token` is the current code of one of the user's confirmed authenticator devices."""
    token = (token or "").strip()
    if not token:
        return False
    return any(device.verify_token(token) for device in TOTPDevice.objects.filter(user=user, confirmed=True))


@transaction.atomic
def totp_device_confirm(*, actor, device: TOTPDevice) -> None:
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    event_record(actor=actor, action="account.two_factor_enabled", obj=actor)


def api_tokens_revoke(*, user) -> None:
    """A changed password or a lost role ends the user's API token: it must be asked for again."""
    Token.objects.filter(user=user).delete()


@transaction.atomic
def password_changed(*, actor) -> None:
    api_tokens_revoke(user=actor)
    event_record(actor=actor, action="account.password_change", obj=actor)


# --- user administration ---------------------------------------------------------------------------


def _manages(actor, region_code: str) -> bool:
    from sibao.regions.scoping import may_act_at

    return may_act_at(actor, Action.MANAGE_USERS, region_code)


def _require_manages(actor, region_code: str, field: str) -> None:
    if not _manages(actor, region_code):
        raise ServiceError(ErrorCode.FORBIDDEN, _("This is outside the area you administer."), {field: [_("outside")]})


def _require_manages_user(actor, user: User) -> None:
    """Only an administrator of every place the user is tied to may change the user (and only a
    superuser may change a user tied to no place, such as another superuser)."""
    places = user.places()
    if not places and not actor.is_superuser:
        raise ServiceError(ErrorCode.FORBIDDEN, _("Only a platform superuser may change this user."))
    if not all(_manages(actor, code) for code in places):
        raise ServiceError(ErrorCode.FORBIDDEN, _("This user also works outside the area you administer."))


def _enterprise_for_liaison(actor, code: str):
    from sibao.enterprises.models import Enterprise

    enterprise = Enterprise.objects.visible_to(actor).filter(credit_code=credit_code_compact(code)).first()
    if enterprise is None:
        raise ServiceError(
            ErrorCode.INVALID,
            _("No enterprise with this credit code in your area."),
            {"enterprise_code": [_("No enterprise with this credit code in your area.")]},
        )
    return enterprise


def _check_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(ErrorCode.INVALID, _("The password is too weak."), {"password": exc.messages}) from None


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    password: str,
    display_name: str = "",
    phone: str = "",
    organization: Organization | None = None,
    enterprise_code: str = "",
) -> User:
    """A new official (with an organisation) or liaison (of the enterprise with this credit code, in the
    administrator's area); grants are added after."""
    enterprise = _enterprise_for_liaison(actor, enterprise_code) if enterprise_code.strip() else None
    username = username.strip()
    if not username:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {"username": [_("is required")]})
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(ErrorCode.CONFLICT, _("This username is taken."), {"username": [_("is taken")]})
    if (organization is None) == (enterprise is None):
        raise ServiceError(
            ErrorCode.INVALID,
            _("A user belongs to an organisation or is the liaison of an enterprise, not both."),
            {"organization": [_("choose an organisation or an enterprise")]},
        )
    if organization is not None:
        _require_manages(actor, organization.region_id, "organization")
    if enterprise is not None:
        _require_manages(actor, enterprise.region_id, "enterprise")
    user = User(
        username=username,
        display_name=display_name.strip(),
        phone=phone.strip(),
        organization=organization,
        enterprise=enterprise,
    )
    _check_password(password, user)
    user.set_password(password)
    user.save()
    event_record(
        actor=actor,
        action="account.user_create",
        obj=user,
        changes={"organization": [None, str(organization or "")], "enterprise": [None, str(enterprise or "")]},
    )
    return user


@transaction.atomic
def user_set_active(*, actor, user: User, active: bool) -> User:
    _require_manages_user(actor, user)
    if user.pk == actor.pk:
        raise ServiceError(ErrorCode.INVALID, _("You cannot deactivate yourself."))
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
        event_record(
            actor=actor,
            action="account.user_activate" if active else "account.user_deactivate",
            obj=user,
            changes={"is_active": [not active, active]},
        )
    return user


@transaction.atomic
def user_set_password(*, actor, user: User, password: str) -> None:
    _require_manages_user(actor, user)
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    api_tokens_revoke(user=user)
    event_record(actor=actor, action="account.password_reset", obj=user)


@transaction.atomic
def grant_add(*, actor, user: User, role: str, region, sector: str = "") -> Grant:
    if role not in Role.values:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {"role": [_("unknown role")]})
    if sector and sector not in Sector.values:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {"sector": [_("unknown sector")]})
    if user.enterprise_id:
        raise ServiceError(
            ErrorCode.INVALID, _("An enterprise liaison cannot hold official roles."), {"role": [_("not for liaisons")]}
        )
    _require_manages(actor, region.code, "region")
    _require_manages_user(actor, user)
    grant, created = Grant.objects.get_or_create(user=user, role=role, region=region, sector=sector)
    if created:
        event_record(actor=actor, action="account.grant_add", obj=user, changes={"grant": [None, str(grant)]})
    return grant


@transaction.atomic
def grant_remove(*, actor, grant: Grant) -> None:
    _require_manages(actor, grant.region_id, "region")
    label, user = str(grant), grant.user
    grant.delete()
    api_tokens_revoke(user=user)
    event_record(actor=actor, action="account.grant_remove", obj=user, changes={"grant": [label, None]})
