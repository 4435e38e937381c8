"""Test compliance per enterprise, recomputed from the rosters' current status, and the alerts it raises.

`compliance_refresh` counts each enterprise's active staff at `now()` by standing (`rules.staff_standing`,
as SQL in `selectors.standing_conditions`): one GROUP BY per distinct set of cycles, enterprises grouped by
their region's parameters. It replaces today's `ComplianceDay` of each enterprise counted (region, sector
and the parameters used copied onto it), then raises alerts: compliance below the jurisdiction's threshold,
and newcomers whose static period ended without a negative test since they started. It runs after every
test ingest for the enterprises touched and from `sibao refresh_compliance` (a cron job) for all.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sibao.core.bulk import insert_copies
from sibao.core.clock import now
from sibao.enterprises.models import Enterprise
from sibao.prevention import selectors
from sibao.prevention.cycles import cycles_by_region
from sibao.prevention.models import AlertCause, ComplianceDay
from sibao.prevention.rules import Cycles, static_period_overdue
from sibao.prevention.services.alerts import Cause, alerts_raise
from sibao.regions.parameters import parameter_values

THRESHOLD_KEY = "prevention.compliance_threshold"
# A newcomer's static period that ended without a negative test is alerted on during this many days after.
STATIC_ALERT_DAYS = 7

_COLUMNS = ("enterprise_id", "region_code", "sector", "staff", "newcomers", "within", "overdue", "positive")


@dataclass(frozen=True)
class Refreshed:
    """What a refresh computed and raised."""

    enterprises: int
    staff: int
    within: int
    overdue: int
    alerts: int


def compliance_refresh(*, enterprise_ids=None) -> int:
    """Recompute today's compliance of these enterprises (all when None); return how many were computed."""
    return compliance_refresh_report(enterprise_ids=enterprise_ids).enterprises


def compliance_refresh_report(*, enterprise_ids=None) -> Refreshed:
    """`compliance_refresh`, telling what it counted and how many alerts it raised."""
    at = now()
    day = timezone.localdate(at)
    firms = Enterprise.objects.order_by()
    if enterprise_ids is not None:
        firms = firms.filter(pk__in=selectors.id_set(enterprise_ids))
    places = {pk: (region, sector) for pk, region, sector in firms.values_list("pk", "region_id", "sector")}
    if not places:
        return Refreshed(0, 0, 0, 0, 0)
    groups = _by_cycles(places, day)
    whole = enterprise_ids is None
    rows, recent = [], {}
    for cycles, ids in groups.items():
        counted, recent[cycles] = _count(cycles, ids, places, at, roster=_staff_of(groups, cycles, whole=whole))
        rows += counted
    _store(rows, groups, places, day, at, whole=whole)
    causes = _low_compliance(rows, day) + _static_overdue(recent, at)
    raised = alerts_raise(causes)
    return Refreshed(
        enterprises=len(rows),
        staff=sum(r[3] for r in rows),
        within=sum(r[5] for r in rows),
        overdue=sum(r[6] for r in rows),
        alerts=len(raised),
    )


def _by_cycles(places: dict, day: dt.date) -> dict[Cycles, list[int]]:
    """Enterprise ids grouped by the cycles in force at their region."""
    cycles = cycles_by_region({region for region, _sector in places.values()}, day)
    groups: dict[Cycles, list[int]] = defaultdict(list)
    for pk, (region, _sector) in places.items():
        groups[cycles[region]].append(pk)
    return groups


def _staff_of(groups: dict[Cycles, list[int]], cycles: Cycles, *, whole: bool):
    """The active staff to count for the group's enterprises (`_count` keeps only theirs).

    Refreshing every enterprise, the largest group reads the whole roster in one scan, unfiltered (the rows of
    the other groups' enterprises are dropped: testing each row against their ids costs more than counting
    it); the smaller groups are found through the enterprise index.
    """
    staff = selectors.active_staff()
    if whole and cycles == max(groups, key=lambda c: len(groups[c])):
        return staff
    return staff.filter(enterprise_id__in=selectors.id_set(groups[cycles]))


def _fetch(queryset) -> list[tuple]:
    """The rows as the driver returns them (counts need none of Django's per-value converters)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _static_window(cycles: Cycles, on: dt.date) -> Q:
    """Staff whose static period ended in the last STATIC_ALERT_DAYS days (on `on`)."""
    ended_by = cycles.newcomer_since(on)
    return Q(start_date__lte=ended_by, start_date__gt=ended_by - dt.timedelta(days=STATIC_ALERT_DAYS))


def _count(cycles: Cycles, ids: list[int], places: dict, at: dt.datetime, *, roster) -> tuple[list, list]:
    """One row per enterprise of the group (zeros for an empty roster), in the order of `_COLUMNS`; and the
    group's enterprises with someone whose static period ended lately (to check for an overdue one)."""
    lately = Count("pk", filter=_static_window(cycles, timezone.localdate(at)))
    counted = {row[0]: row[1:] for row in _fetch(selectors.standing_counts(roster, cycles, at, lately=lately))}
    rows, recent = [], []
    for pk in ids:
        staff, newcomers, positive, within, ended = counted.get(pk, (0, 0, 0, 0, 0))
        region, sector = places[pk]
        rows.append((pk, region, sector, staff, newcomers, within, staff - newcomers - positive - within, positive))
        if ended:
            recent.append(pk)
    return rows, recent


def _store(rows: list[tuple], groups: dict, places: dict, day: dt.date, at: dt.datetime, *, whole: bool) -> None:
    """Today's rows replace any computed earlier today, in one transaction."""
    cycles_of = {pk: cycles for cycles, ids in groups.items() for pk in ids}
    stored = [
        (*row, cycles_of[row[0]].general_hours, cycles_of[row[0]].mobile_hours, cycles_of[row[0]].static_days)
        for row in rows
    ]
    template = ComplianceDay(day=day, computed_at=at)
    names = (*_COLUMNS, "cycle_general_hours", "cycle_mobile_hours", "static_days")
    with transaction.atomic():
        earlier = ComplianceDay.objects.filter(day=day)
        if not whole:
            earlier = earlier.filter(enterprise_id__in=selectors.id_set(places))
        earlier.delete()  # one DELETE: nothing refers to these rows and no signal listens
        insert_copies(template, names, stored)


def _low_compliance(rows: list[tuple], day: dt.date) -> list[Cause]:
    """An enterprise-level cause for each roster whose share within cycle is below its region's threshold."""
    thresholds = parameter_values({row[1] for row in rows}, THRESHOLD_KEY, day)
    words = _("%(within)d of %(counted)d staff tested within cycle (%(share).0f%%), below %(threshold).0f%%.")
    causes = []
    for pk, region, _sector, staff, newcomers, within, _overdue, _positive in rows:
        counted = staff - newcomers
        threshold = float(thresholds[region].value)
        if counted and within / counted < threshold:
            detail = words % {
                "within": within,
                "counted": counted,
                "share": 100 * within / counted,
                "threshold": 100 * threshold,
            }
            causes.append(Cause(pk, AlertCause.LOW_COMPLIANCE, "", None, detail))
    return causes


def _static_overdue(recent: dict[Cycles, list[int]], at: dt.datetime) -> list[Cause]:
    """A cause per member of staff whose static period ended lately without a negative test since starting.

    `recent`: per set of cycles, the enterprises with someone whose static period ended lately.
    """
    on = timezone.localdate(at)
    words = _("Started on %(date)s; the static period is over without a negative test since.")
    causes = []
    for cycles, ids in recent.items():
        if not ids:
            continue
        candidates = _staff_of(recent, cycles, whole=False).filter(_static_window(cycles, on))
        fields = ("pk", "enterprise_id", "start_date", "last_sampled_at", "last_result")
        for pk, enterprise_id, start_date, sampled_at, result in candidates.values_list(*fields):
            if static_period_overdue(
                start_date=start_date, last_sampled_at=sampled_at, last_result=result, cycles=cycles, on=on
            ):
                detail = words % {"date": start_date.isoformat()}
                causes.append(Cause(enterprise_id, AlertCause.STATIC_OVERDUE, str(pk), pk, detail))
    return causes
