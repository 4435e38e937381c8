"""Reads of the prevention app: where staff stand on test compliance, compliance roll-ups and history, the
overdue list, alerts, and closed-loop readiness.

A member of staff's standing (newcomer, within cycle, overdue, positive) is `rules.staff_standing`; here
the same rule is written once as SQL conditions (`standing_conditions`), so the compliance refresh counts
with a GROUP BY and the overdue list filters with the same words.
"""

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Case, Count, Exists, Max, Min, OuterRef, Q, Sum, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr
from django.utils import timezone

from sibao.accounts.roles import Action
from sibao.core.choices import Sector
from sibao.core.clock import now, today
from sibao.enterprises.models import Enterprise
from sibao.prevention.cycles import cycles_at
from sibao.prevention.models import (
    Alert,
    AlertCause,
    AlertStatus,
    ClosedLoopPlan,
    ComplianceDay,
    PostType,
    StaffMember,
    TestOutcome,
)
from sibao.prevention.rules import Cycles, Gap, Standing, readiness_gaps
from sibao.regions.models import Region
from sibao.regions.parameters import parameter_values

OBSERVATION_KEY = "prevention.observation_places_per_staff"
# A compliance row older than this is stale: roll-ups take each enterprise's latest row of these days.
LATEST_WITHIN_DAYS = 7
# Past this many ids a filter sends them as one parameter (SQLite refuses more than 32,766 parameters).
_INLINE_IDS = 1000


def id_set(ids: Iterable[int]):
    """The right-hand side of `field__in` for any number of ids: a list, or one array parameter when long."""
    values = sorted({int(i) for i in ids})
    if len(values) <= _INLINE_IDS:
        return values
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", [values])
    return RawSQL("SELECT value FROM json_each(%s)", [json.dumps(values)])


# --- standing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StandingConditions:
    """`rules.staff_standing` as filters on StaffMember, for given cycles and time."""

    newcomer: Q
    positive: Q
    within: Q
    overdue: Q


def standing_conditions(cycles: Cycles, at: dt.datetime) -> StandingConditions:
    """Exactly one condition holds for each member of staff: the one `rules.staff_standing` gives at `at`.

    The static period is counted in days of the local calendar (the day of `at` in the site's time zone).
    """
    since = cycles.newcomer_since(timezone.localtime(at).date())
    newcomer = Q(start_date__gt=since)
    positive = Q(last_result=TestOutcome.POSITIVE)
    mobile = Q(post_type=PostType.MOBILE)
    tested = (mobile & Q(last_sampled_at__gte=cycles.tested_since(PostType.MOBILE, at))) | (
        ~mobile & Q(last_sampled_at__gte=cycles.tested_since(PostType.GENERAL, at))
    )
    return StandingConditions(
        newcomer=newcomer,
        positive=~newcomer & positive,
        within=~newcomer & ~positive & tested,
        overdue=~newcomer & ~positive & ~tested,
    )


def active_staff():
    """Staff still on their roster (not left)."""
    return StaffMember.objects.filter(left_on__isnull=True)


def standing_counts(staff, cycles: Cycles, at: dt.datetime, **extra):
    """Per enterprise of `staff`: staff, newcomers, positive, within (one GROUP BY; overdue is the rest),
    then any `extra` aggregates, in their order."""
    conditions = standing_conditions(cycles, at)
    return (
        staff.order_by()
        .values("enterprise_id")
        .annotate(
            staff=Count("pk"),
            newcomers=Count("pk", filter=conditions.newcomer),
            positive=Count("pk", filter=conditions.positive),
            within=Count("pk", filter=conditions.within),
            **extra,
        )
        .values_list("enterprise_id", "staff", "newcomers", "positive", "within", *extra)
    )


def overdue_staff(user, enterprise, *, at: dt.datetime | None = None):
    """The enterprise's staff out of cycle or with a positive latest result, with `standing`, longest untested first.

    Health data: only for those with `Action.HEALTH` on the enterprise (others get nothing).
    """
    at = at or now()
    conditions = standing_conditions(cycles_at(enterprise.region_id, timezone.localdate(at)), at)
    return (
        StaffMember.objects.visible_to(user, Action.HEALTH)
        .filter(enterprise=enterprise, left_on__isnull=True)
        .filter(conditions.overdue | conditions.positive)
        .annotate(
            standing=Case(When(conditions.positive, then=Value(Standing.POSITIVE)), default=Value(Standing.OVERDUE))
        )
        .order_by("-standing", "last_sampled_at", "name", "id")
    )


# --- compliance roll-ups --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComplianceFigures:
    """Summed compliance of a set of enterprises (each by its latest computation)."""

    firms: int = 0  # with anyone on their roster
    staff: int = 0
    newcomers: int = 0
    within: int = 0
    overdue: int = 0
    positive: int = 0

    def __add__(self, other: "ComplianceFigures") -> "ComplianceFigures":
        return ComplianceFigures(*(a + b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple:
        return (self.firms, self.staff, self.newcomers, self.within, self.overdue, self.positive)

    @property
    def counted(self) -> int:
        """Staff the share is taken over: newcomers in their static period are counted apart."""
        return self.staff - self.newcomers

    @property
    def share(self) -> float | None:
        return self.within / self.counted if self.counted else None

    @classmethod
    def from_sums(cls, row: dict) -> "ComplianceFigures":
        return cls(*(row[name] or 0 for name in ("firms", "staff", "newcomers", "within", "overdue", "positive")))


def _sums() -> dict:
    return {
        "firms": Count("pk", filter=Q(staff__gt=0)),
        "staff": Sum("staff"),
        "newcomers": Sum("newcomers"),
        "within": Sum("within"),
        "overdue": Sum("overdue"),
        "positive": Sum("positive"),
        "as_of": Max("computed_at"),
        "oldest": Min("day"),
    }


@dataclass(frozen=True)
class RollupRow:
    key: str  # a region code or a sector
    label: str
    figures: ComplianceFigures
    direct: bool = False  # firms registered at the region itself, not in a child


@dataclass(frozen=True)
class Rollup:
    """Compliance of a region's subtree by child region or by sector, from each enterprise's latest row.

    `as_of` is the latest computation counted, `oldest` the oldest day whose row was still an enterprise's
    latest (rows older than LATEST_WITHIN_DAYS are left out as stale).
    """

    region: Region
    rows: list[RollupRow]
    total: ComplianceFigures
    as_of: dt.datetime | None
    oldest: dt.date | None


def latest_compliance(user, *, region: Region | None = None, sector: str | None = None, on: dt.date | None = None):
    """Each enterprise's latest compliance row of the last LATEST_WITHIN_DAYS days up to `on`, as `user` may see."""
    day = on or today()
    rows = ComplianceDay.objects.visible_to(user).filter(
        day__gt=day - dt.timedelta(days=LATEST_WITHIN_DAYS), day__lte=day
    )
    if region is not None:
        rows = rows.filter(region_code__startswith=region.prefix)
    if sector:
        rows = rows.filter(sector=sector)
    newer = ComplianceDay.objects.filter(enterprise_id=OuterRef("enterprise_id"), day__gt=OuterRef("day"), day__lte=day)
    return rows.filter(~Exists(newer))


def _stamps(sums: list[dict]) -> tuple:
    as_of = max((row["as_of"] for row in sums if row["as_of"]), default=None)
    oldest = min((row["oldest"] for row in sums if row["oldest"]), default=None)
    return as_of, oldest


def _total(parts: Iterable[ComplianceFigures]) -> ComplianceFigures:
    total = ComplianceFigures()
    for part in parts:
        total = total + part
    return total


def compliance_by_region(user, region: Region, *, sector: str | None = None, on: dt.date | None = None) -> Rollup:
    """One row per child region with firms the user may see (and one for firms registered at the region itself)."""
    children = list(Region.objects.filter(parent=region).order_by("code"))
    length = max((len(child.prefix) for child in children), default=len(region.code))
    rows = latest_compliance(user, region=region, sector=sector, on=on).annotate(place=Substr("region_code", 1, length))
    sums = list(rows.order_by().values("place").annotate(**_sums()))
    registered = {row["place"]: ComplianceFigures.from_sums(row) for row in sums}
    result = []
    for child in children:
        figures = _total(f for place, f in registered.items() if place.startswith(child.prefix))
        if figures.firms or figures.staff:
            result.append(RollupRow(child.code, child.name, figures))
    direct = _total(
        f for place, f in registered.items() if not any(place.startswith(child.prefix) for child in children)
    )
    if direct.firms or direct.staff:
        result.append(RollupRow(region.code, region.name, direct, direct=True))
    return Rollup(region, result, _total(registered.values()), *_stamps(sums))


def compliance_by_sector(user, region: Region, *, on: dt.date | None = None) -> Rollup:
    """One row per sector with firms the user may see in the region's subtree, in the order of `Sector`."""
    sums = list(latest_compliance(user, region=region, on=on).order_by().values("sector").annotate(**_sums()))
    labels = dict(Sector.choices)
    order = {value: n for n, value in enumerate(Sector.values)}
    sums.sort(key=lambda row: order.get(row["sector"], len(order)))
    rows = [
        RollupRow(row["sector"], labels.get(row["sector"], row["sector"]), ComplianceFigures.from_sums(row))
        for row in sums
    ]
    return Rollup(region, rows, _total(r.figures for r in rows), *_stamps(sums))


def compliance_history(user, enterprise, *, days: int = 30):
    """The enterprise's compliance by day, newest first, over the last `days` days (aggregates: Action.VIEW)."""
    first = today() - dt.timedelta(days=days - 1)
    return ComplianceDay.objects.visible_to(user).filter(enterprise=enterprise, day__gte=first).order_by("-day")


# --- alerts --------------------------------------------------------------------------------------------------


def alerts_for(user, *, status: str | None = None, cause: str | None = None, enterprise=None, region=None):
    """Alerts the user may see (health data: Action.HEALTH), newest first; unknown filter values are ignored.

    `region`: only those of enterprises registered in its subtree.
    """
    rows = Alert.objects.visible_to(user, Action.HEALTH).select_related("enterprise", "enterprise__region", "staff")
    if status in AlertStatus.values:
        rows = rows.filter(status=status)
    if cause in AlertCause.values:
        rows = rows.filter(cause=cause)
    if enterprise is not None:
        rows = rows.filter(enterprise=enterprise)
    if region is not None:
        rows = rows.filter(enterprise__region__code__startswith=region.prefix)
    return rows.order_by("-raised_at", "-id")


def unresolved_alert_count(user) -> int:
    return Alert.objects.visible_to(user, Action.HEALTH).exclude(status=AlertStatus.RESOLVED).count()


# --- readiness -----------------------------------------------------------------------------------------------


def readiness_by_enterprise(enterprise_ids) -> dict[int, list[Gap]]:
    """{enterprise id: [rules.Gap, ...]} for each of these enterprises, in four queries whatever their number.

    Counts active staff and those with no closed-loop unit type; the observation places needed come from
    each enterprise's region (`prevention.observation_places_per_staff`).
    """
    ids = id_set(enterprise_ids)
    regions = dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "region_id"))
    if not regions:
        return {}
    plans = {plan.enterprise_id: plan for plan in ClosedLoopPlan.objects.filter(enterprise_id__in=ids)}
    counts = {
        row[0]: row[1:]
        for row in active_staff()
        .filter(enterprise_id__in=ids)
        .order_by()
        .values("enterprise_id")
        .annotate(staff=Count("pk"), unassigned=Count("pk", filter=Q(loop_kind="")))
        .values_list("enterprise_id", "staff", "unassigned")
    }
    ratios = parameter_values(set(regions.values()), OBSERVATION_KEY)
    gaps = {}
    for pk, region_code in regions.items():
        staff, unassigned = counts.get(pk, (0, 0))
        gaps[pk] = readiness_gaps(
            plan=plans.get(pk), staff=staff, unassigned=unassigned, observation_ratio=float(ratios[region_code].value)
        )
    return gaps
