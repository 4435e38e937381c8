"""Writing audit events. Call inside the service's transaction, after the change is saved."""

import datetime as dt
import decimal
import ipaddress
from collections.abc import Iterable

from django.db import models

from sibao.audit.models import Event
from sibao.core import request_context

SYSTEM = "system"


def _plain(value):
    """A JSON-safe form of a field value."""
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, dt.datetime | dt.date | decimal.Decimal):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> dict:
    """The current values of `fields` (attnames), for diffing later."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def diff(before: dict, after: dict) -> dict:
    """`{field: [old, new]}` for every field whose value changed."""
    return {k: [before.get(k), after[k]] for k in after if before.get(k) != after[k]}


def _sector(obj) -> str:
    """The sector an event belongs to (an enterprise's, a sector department's), or none."""
    sector = getattr(obj, "sector", "")
    return sector if isinstance(sector, str) else ""


def _region_code(obj) -> str:
    """The region an event belongs to, for auditors' scoping: `audit_region_code()` or `region_id`."""
    if hasattr(obj, "audit_region_code"):
        return obj.audit_region_code() or ""
    return getattr(obj, "region_id", None) or ""


def _valid_ip(value: str | None) -> str | None:
    """The address if it is one (the column is typed: PostgreSQL's inet refuses anything else)."""
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def event_build(*, actor, action: str, obj: models.Model, changes: dict | None = None) -> Event:
    info = request_context.current()
    return Event(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=(actor.get_username() if getattr(actor, "pk", None) else SYSTEM),
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        region_code=_region_code(obj),
        sector=_sector(obj),
        changes=changes or {},
        ip=_valid_ip(info.ip) if info else None,
        request_id=info.request_id if info else "",
    )


def event_record(*, actor, action: str, obj: models.Model, changes: dict | None = None) -> Event:
    """Record one event for `obj`. Must run in the transaction of the change it records."""
    event = event_build(actor=actor, action=action, obj=obj, changes=changes)
    event.save()
    return event
