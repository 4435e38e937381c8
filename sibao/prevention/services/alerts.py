"""Electronic-sentinel alerts (电子哨): raised by rules, acknowledged and resolved by people.

A rule raises an alert per (enterprise, cause, subject); while that alert is unresolved the same cause
raises nothing more (a partial unique constraint backs this). Each new alert notifies the enterprise's
liaisons, the local unit and the epidemic-prevention HQ covering it. Alerts are never deleted.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sibao.accounts.roles import Action, Role
from sibao.accounts.selectors import holders_of
from sibao.audit.services import event_record
from sibao.core.clock import now
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.notifications import notify
from sibao.enterprises.models import Enterprise
from sibao.prevention.models import Alert, AlertStatus
from sibao.prevention.transitions import alert_target
from sibao.regions.scoping import may_act_at

# Who hears of an alert besides the enterprise's liaisons: the local unit and the prevention HQ.
ALERTED_ROLES = (Role.LOCAL_OFFICIAL, Role.PREVENTION_OFFICIAL)


@dataclass(frozen=True)
class Cause:
    """What a rule found: an alert is raised for it unless one is already unresolved."""

    enterprise_id: int
    cause: str
    subject: str = ""
    staff_id: int | None = None
    detail: str = ""


def _unresolved_keys(causes: list[Cause]) -> set[tuple[int, str, str]]:
    """(enterprise, cause, subject) of the unresolved alerts these causes could repeat, in one read.

    Unresolved alerts are few beside the causes a full refresh finds, so a large batch reads every unresolved
    alert of its kinds; a small one (an ingest's positives) only its enterprises'.
    """
    unresolved = Alert.objects.filter(cause__in={c.cause for c in causes}).exclude(status=AlertStatus.RESOLVED)
    enterprise_ids = {c.enterprise_id for c in causes}
    if len(enterprise_ids) <= 1000:
        unresolved = unresolved.filter(enterprise_id__in=enterprise_ids)
    return set(unresolved.values_list("enterprise_id", "cause", "subject"))


def alerts_raise(causes: Iterable[Cause]) -> list[Alert]:
    """Raise an alert for each cause that has none unresolved; notify about the new ones; return them.

    Called by the rules (test ingest, credential checks, compliance), never by a person, so it takes
    no actor; the alerts' history starts with `raised_at`.
    """
    wanted = {(c.enterprise_id, c.cause, c.subject): c for c in causes}
    if not wanted:
        return []
    unresolved = _unresolved_keys(list(wanted.values()))
    fresh = [c for key, c in wanted.items() if key not in unresolved]
    if not fresh:
        return []
    at = now()
    alerts = [
        Alert(
            enterprise_id=c.enterprise_id,
            staff_id=c.staff_id,
            cause=c.cause,
            subject=c.subject,
            detail=c.detail,
            raised_at=at,
        )
        for c in fresh
    ]
    with transaction.atomic():
        # A concurrent raise of the same cause loses quietly: the alert it wanted exists.
        Alert.objects.bulk_create(alerts, ignore_conflicts=True, batch_size=500)
        created = list(
            Alert.objects.filter(raised_at=at, cause__in={a.cause for a in alerts})
            .select_related("enterprise", "staff")
            .order_by("id")
        )
        _notify_raised(created)
    return created


def _notify_raised(alerts: list[Alert]) -> None:
    by_enterprise: dict[int, list[Alert]] = defaultdict(list)
    for alert in alerts:
        by_enterprise[alert.enterprise_id].append(alert)
    enterprises = Enterprise.objects.in_bulk(list(by_enterprise))
    places: dict[tuple[str, str], list] = {}
    for enterprise_id, items in by_enterprise.items():
        enterprise = enterprises[enterprise_id]
        place = (enterprise.region_id, enterprise.sector)
        if place not in places:
            places[place] = holders_of(Action.HEALTH, *place, roles=ALERTED_ROLES)
        recipients = [*enterprise.liaisons.filter(is_active=True), *places[place]]
        for alert in items:
            notify(
                recipients=recipients,
                subject=_("Alert: %(cause)s at %(enterprise)s")
                % {"cause": alert.get_cause_display(), "enterprise": enterprise.name},
                body=alert.detail,
                link=reverse("prevention:alert_detail", args=[alert.pk]),
                obj=alert,
            )


_REFUSED = {
    "acknowledge": gettext_lazy("This alert is %(status)s; it cannot be acknowledged."),
    "resolve": gettext_lazy("This alert is %(status)s; it cannot be resolved."),
}


def _move(*, actor, alert: Alert, action: str, note: str) -> Alert:
    if not may_act_at(actor, Action.HEALTH, alert.enterprise.region_id, alert.enterprise.sector) and not (
        actor.enterprise_id and actor.enterprise_id == alert.enterprise_id
    ):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not handle alerts of this enterprise."))
    note = (note or "").strip()
    if action == "resolve" and not note:
        raise ServiceError(ErrorCode.INVALID, _("Say how the alert was resolved."), fields={"note": [_("Required.")]})
    with transaction.atomic():
        locked = Alert.objects.select_for_update().select_related("enterprise").get(pk=alert.pk)
        target = alert_target(locked.status, action)
        if target is None:
            raise ServiceError(
                ErrorCode.CONFLICT,
                _REFUSED[action] % {"status": locked.get_status_display()},
            )
        before = locked.status
        at = now()
        locked.status = target
        if action == "acknowledge":
            locked.acknowledged_by, locked.acknowledged_at, locked.acknowledge_note = actor, at, note
        else:
            locked.resolved_by, locked.resolved_at, locked.resolve_note = actor, at, note
        locked.save()
        event_record(
            actor=actor,
            action=f"alert.{action}",
            obj=locked,
            changes={"status": [before, target], "note": [None, note]},
        )
    return locked


def alert_acknowledge(*, actor, alert: Alert, note: str = "") -> Alert:
    """Someone has seen the alert and is on it."""
    return _move(actor=actor, alert=alert, action="acknowledge", note=note)


def alert_resolve(*, actor, alert: Alert, note: str) -> Alert:
    """The cause is dealt with; the note says how. A cause that recurs later raises a new alert."""
    return _move(actor=actor, alert=alert, action="resolve", note=note)
