"""Health credentials (两码一证): checks of someone's health code and itinerary, one at a time or in bulk.

A check is kept as a `CredentialCheck`; the member of staff's status fields follow the latest check
(a check older than the one they show changes nothing there). A red code raises an alert at once.
"""

import datetime as dt
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from sibao.accounts.roles import Action
from sibao.audit.services import event_record
from sibao.core.clock import now, today
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.identifiers import InvalidIdentifier, resident_id_validate
from sibao.core.masking import mask_id_number
from sibao.core.personal import lookup_hash
from sibao.core.tabular import CellError, normalise_cell, parse_bool, parse_choice
from sibao.prevention.models import AlertCause, CredentialCheck, StaffMember, Verification
from sibao.prevention.services.alerts import Cause, alerts_raise
from sibao.prevention.services.staff import may_keep, parse_local_datetime
from sibao.regions.scoping import holds_action_somewhere

API_MAX_ROWS = 10_000
_CODE_WORDS = {"绿码": Verification.GREEN, "黄码": Verification.YELLOW, "红码": Verification.RED}


def _outcome(value) -> str:
    text = normalise_cell(value)
    if not text:
        raise CellError(_("is required"))
    return _CODE_WORDS.get(text) or parse_choice(Verification)(text)


def _itinerary(value) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = normalise_cell(value)
    return None if text == "" else parse_bool(text)


def _checked_at(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        at = value
    else:
        text = normalise_cell(value)
        if not text:
            raise CellError(_("is required"))
        at = parse_local_datetime(text)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    if at > now():
        raise CellError(_("is in the future"))
    return at


def _source(value) -> str:
    text = normalise_cell(value)
    if not text:
        raise CellError(_("is required"))
    if len(text) > 64:
        raise CellError(_("is longer than %(n)d characters") % {"n": 64})
    return text


def _clean(data: Mapping) -> dict:
    """The check's values, parsed; ServiceError naming every bad field."""
    parsers = {"outcome": _outcome, "itinerary_risk": _itinerary, "source": _source, "checked_at": _checked_at}
    values, errors = {}, {}
    for name, parse in parsers.items():
        try:
            values[name] = parse(data.get(name))
        except CellError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), errors)
    return values


def _record(actor, staff: StaffMember, values: dict) -> CredentialCheck:
    """Keep one check, bring the status forward if it is newer, audit it; the caller checked permission."""
    check = CredentialCheck.objects.create(staff=staff, recorded_by=actor if actor.pk else None, **values)
    at, changed = values["checked_at"], []
    if staff.code_checked_at is None or at > staff.code_checked_at:
        staff.code_outcome, staff.code_checked_at, staff.code_source = values["outcome"], at, values["source"]
        changed += ["code_outcome", "code_checked_at", "code_source"]
    risk = values["itinerary_risk"]
    if risk is not None and (staff.itinerary_checked_at is None or at > staff.itinerary_checked_at):
        staff.itinerary_risk, staff.itinerary_checked_at = risk, at
        changed += ["itinerary_risk", "itinerary_checked_at"]
    if changed:
        StaffMember.objects.filter(pk=staff.pk).update(**{name: getattr(staff, name) for name in changed})
    event_record(
        actor=actor,
        action="staff.credential_check",
        obj=staff,
        changes={
            "outcome": [None, values["outcome"]],
            "itinerary_risk": [None, risk],
            "source": [None, values["source"]],
            "checked_at": [None, str(at)],
        },
    )
    if values["outcome"] == Verification.RED:
        detail = _("Red health code of %(name)s, checked at %(at)s (%(source)s).") % {
            "name": staff.name,
            "at": timezone.localtime(at).strftime("%Y-%m-%d %H:%M"),
            "source": values["source"],
        }
        alerts_raise([Cause(staff.enterprise_id, AlertCause.RED_CODE, str(staff.pk), staff.pk, detail)])
    return check


@transaction.atomic
def credential_record(
    *, actor, staff: StaffMember, outcome, itinerary_risk=None, source, checked_at
) -> CredentialCheck:
    """Record one check of a member of staff's health code (and itinerary), by whoever keeps the roster."""
    locked = StaffMember.objects.select_for_update().select_related("enterprise").get(pk=staff.pk)
    if not may_keep(actor, locked.enterprise):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not record health credentials of this enterprise's staff."))
    values = _clean({"outcome": outcome, "itinerary_risk": itinerary_risk, "source": source, "checked_at": checked_at})
    return _record(actor, locked, values)


@transaction.atomic
def credential_checks_ingest(*, actor, rows) -> dict:
    """Record many checks by ID number (the API): each is recorded for that person on every roster the
    actor keeps, or reported (unknown ID, bad values). Returns the counts and the errors."""
    if not (getattr(actor, "enterprise_id", None) or holds_action_somewhere(actor, Action.HEALTH)):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not record health credentials."))
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise ServiceError(ErrorCode.INVALID, _("Send a non-empty list of checks, each an object."))
    if len(rows) > API_MAX_ROWS:
        raise ServiceError(ErrorCode.INVALID, _("Send at most %(n)d checks in one request.") % {"n": API_MAX_ROWS})
    kept = (
        StaffMember.objects.visible_to(actor, Action.HEALTH)
        .select_related("enterprise")
        .select_for_update(of=("self",))
    )
    recorded, unknown, errors = 0, 0, []
    for number, row in enumerate(rows, start=1):
        text = normalise_cell(row.get("id_number"))
        try:
            id_number = resident_id_validate(text, today=today())
            values = _clean(row)
        except InvalidIdentifier as exc:
            errors.append({"row": number, "column": "id_number", "value": mask_id_number(text), "reason": str(exc)})
            continue
        except ServiceError as exc:
            errors += [
                {"row": number, "column": name, "value": normalise_cell(row.get(name)), "reason": reason}
                for name, reasons in exc.fields.items()
                for reason in reasons
            ]
            continue
        people = list(kept.filter(id_hash=lookup_hash(id_number)))
        if not people:
            unknown += 1
            errors.append(
                {
                    "row": number,
                    "column": "id_number",
                    "value": mask_id_number(id_number),
                    "reason": _("is on no roster you keep"),
                }
            )
            continue
        for person in people:
            _record(actor, person, values)
        recorded += 1
    return {
        "rows": len(rows),
        "recorded": recorded,
        "unknown": unknown,
        "rejected": len({e["row"] for e in errors}) - unknown,
        "errors": errors,
    }
