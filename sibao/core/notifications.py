"""Notifying people: an in-app notification each, and an e-mail when they have an address."""

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import models, transaction

from sibao.core.clock import now
from sibao.core.models import Notification


def notify(*, recipients: Iterable, subject: str, body: str = "", link: str = "", obj: models.Model | None = None):
    """Notify each active recipient once; e-mails leave only after the surrounding transaction commits."""
    people = {user.pk: user for user in recipients if user is not None and user.is_active}.values()
    notes = [
        Notification(
            recipient=user,
            subject=str(subject)[:200],
            body=str(body),
            link=link,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
        )
        for user in people
    ]
    Notification.objects.bulk_create(notes)
    mails = [
        (str(subject), _mail_body(body, link), settings.DEFAULT_FROM_EMAIL, [user.email])
        for user in people
        if user.email
    ]
    if mails:
        transaction.on_commit(lambda: send_mass_mail(mails, fail_silently=True))
    return notes


def _mail_body(body: str, link: str) -> str:
    site = getattr(settings, "SIBAO_SITE_URL", "").rstrip("/")
    return f"{body}\n\n{site}{link}" if link else str(body)


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all of them, or those ids); returns how many."""
    unread = Notification.objects.visible_to(user).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=now())
