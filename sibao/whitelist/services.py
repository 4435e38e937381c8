"""Every write to the whitelist: criteria, applications and review, admission, adjustment.

Each service validates, locks what it changes, performs the move from transitions.py, writes the
status history and the audit event in one transaction; notifications leave on commit.
The circuit breaker's writes are in breaker.py.
"""

import datetime as dt

from django.utils.translation import gettext as _

from sibao.audit.services import event_record
from sibao.core.clock import now
from sibao.core.errors import ErrorCode, ServiceError
from sibao.whitelist.models import Application, Entry, StatusChange
from sibao.whitelist.transitions import MoveNotAllowed, application_target, entry_target


def _conflict(message: str) -> ServiceError:
    return ServiceError(ErrorCode.CONFLICT, message)


def entry_move(
    *, actor, entry: Entry | None, enterprise, action: str, reason: str = "", effective_date: dt.date, **fields
) -> Entry:
    """Move an enterprise's whitelist entry (creating it on first admission); history and audit included.

    Call inside the caller's transaction, with the entry locked (`select_for_update`) when it exists.
    `fields` are further values set on the entry (valid_from/valid_to, criteria_set, facts ...).
    """
    current = entry.status if entry is not None else None
    try:
        target = entry_target(current, action)
    except MoveNotAllowed:
        raise _conflict(_("This whitelist entry cannot be changed that way in its current state.")) from None
    if entry is None:
        entry = Entry(enterprise=enterprise, status=target, **fields)
    else:
        entry.status = target
        entry.version += 1
        for name, value in fields.items():
            setattr(entry, name, value)
    entry.save()
    StatusChange.objects.create(
        entry=entry,
        enterprise=enterprise,
        action=action,
        from_status=current or "",
        to_status=target,
        reason=reason,
        effective_date=effective_date,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    event_record(
        actor=actor,
        action=f"whitelist.{action}",
        obj=enterprise,
        changes={"whitelist": [current, target], **({"reason": [None, reason]} if reason else {})},
    )
    return entry


def application_move(*, actor, application: Application, action: str, reason: str = "") -> Application:
    """Move an application (locked by the caller); history and audit included."""
    current = application.status
    try:
        target = application_target(current, action)
    except MoveNotAllowed:
        raise _conflict(_("This application has already been decided or changed; reload it.")) from None
    application.status = target
    application.version += 1
    if target in ("approved", "rejected"):
        application.decided_at = now()
        application.decided_by = actor
    application.save()
    StatusChange.objects.create(
        application=application,
        enterprise=application.enterprise,
        action=action,
        from_status=current,
        to_status=target,
        reason=reason,
        effective_date=now().date(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    event_record(
        actor=actor,
        action=f"whitelist.application_{action}",
        obj=application.enterprise,
        changes={"application": [current, target]},
    )
    return application
