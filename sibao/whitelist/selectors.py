"""Non-trivial reads of the whitelist: criteria in force, standing, review queue, history, chain proposals."""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Substr

from sibao.accounts.roles import Action
from sibao.accounts.selectors import holders_of
from sibao.core.choices import Sector
from sibao.core.clock import today
from sibao.enterprises.models import Enterprise, EnterpriseKind, LinkDirection, SupplyLink
from sibao.regions.models import Region, ancestor_codes
from sibao.regions.parameters import parameter_values
from sibao.regions.scoping import user_grants
from sibao.whitelist import coverage, rules
from sibao.whitelist.models import (
    PENDING_APPLICATION,
    Application,
    ApplicationStatus,
    CoverageSnapshot,
    CriteriaSet,
    CriteriaStatus,
    CriterionKind,
    CriterionResult,
    Entry,
    EntryStatus,
    StatusChange,
)
from sibao.whitelist.transitions import ENTRY_MOVES

# An entry that keeps the firm on the list (a suspended firm is still listed, not producing under it).
LISTED = (EntryStatus.ACTIVE, EntryStatus.SUSPENDED)

# --- criteria --------------------------------------------------------------------------------------------


def criteria_in_force(region_code: str, sector: str, on: dt.date | None = None) -> CriteriaSet | None:
    """The criteria an enterprise at `region_code` in `sector` is judged by on day `on` (today by default).

    The deepest jurisdiction covering the region that has a published version in force wins; within it,
    the version with the latest `effective_from` on or before the day (a retired version still answers for
    the days before its successor took effect).
    """
    day = on or today()
    codes = ancestor_codes(region_code)
    candidates = (
        CriteriaSet.objects.filter(
            sector=sector,
            region_id__in=codes,
            status__in=(CriteriaStatus.PUBLISHED, CriteriaStatus.RETIRED),
            effective_from__lte=day,
        )
        .select_related("region")
        .order_by()
    )
    return max(candidates, key=lambda s: (-codes.index(s.region_id), s.effective_from, s.version), default=None)


def criteria_latest_published(region_code: str, sector: str) -> CriteriaSet | None:
    """The newest published (not retired) version of exactly this jurisdiction and sector."""
    return (
        CriteriaSet.objects.filter(region_id=region_code, sector=sector, status=CriteriaStatus.PUBLISHED)
        .order_by("-effective_from", "-version")
        .first()
    )


# --- standing ------------------------------------------------------------------------------------------


def entry_of(enterprise) -> Entry | None:
    return Entry.objects.filter(enterprise=enterprise).first()


def covered_by_park(enterprise) -> Entry | None:
    """The active entry of the park the enterprise is registered in, if the park is whitelisted."""
    if not enterprise.park_id:
        return None
    return Entry.objects.filter(enterprise_id=enterprise.park_id, status=EntryStatus.ACTIVE).first()


def is_whitelisted(enterprise) -> bool:
    """Listed in its own right (an active or suspended entry) or covered by its whitelisted park."""
    if Entry.objects.filter(enterprise=enterprise, status__in=LISTED).exists():
        return True
    return covered_by_park(enterprise) is not None


def pending_application(enterprise) -> Application | None:
    return Application.objects.filter(enterprise=enterprise, status__in=PENDING_APPLICATION).first()


# --- people -----------------------------------------------------------------------------------------------


def reviewers_for(region_code: str, sector: str) -> list:
    """Active users whose grant lets them review whitelist matters of this region and sector."""
    return holders_of(Action.REVIEW, region_code, sector)


def liaisons_of(enterprise) -> list:
    return list(enterprise.liaisons.filter(is_active=True).order_by("id"))


# --- review ---------------------------------------------------------------------------------------------


def review_queue(user):
    """Applications waiting for `user`'s review: city-operation support first, then the oldest."""
    return (
        Application.objects.visible_to(user, Action.REVIEW)
        .filter(status=ApplicationStatus.SUBMITTED)
        .select_related("enterprise", "enterprise__region", "criteria_set")
        .order_by("-priority", "submitted_at", "id")
    )


def enterprise_history(enterprise, user=None):
    """Every move of the enterprise's applications and whitelist entry, newest first (only what `user` sees)."""
    rows = StatusChange.objects.visible_to(user) if user is not None else StatusChange.objects.all()
    return rows.filter(enterprise=enterprise).select_related("actor", "application", "entry").order_by("-at", "-id")


# --- chain protection ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainProposal:
    """A key supplier of a whitelisted firm that is not on the whitelist yet (链式保障)."""

    link: SupplyLink
    partner: object  # Enterprise
    pending_application: Application | None

    @property
    def has_pending_application(self) -> bool:
        return self.pending_application is not None


def chain_proposals(entry: Entry) -> list[ChainProposal]:
    """The admitted firm's key suppliers in the registry that are not whitelisted, with any pending application."""
    links = (
        SupplyLink.objects.filter(
            enterprise_id=entry.enterprise_id, direction=LinkDirection.SUPPLIER, is_key=True, partner__isnull=False
        )
        .select_related("partner", "partner__region")
        .order_by("partner_name", "id")
    )
    proposals, seen = [], set()
    for link in links:
        partner = link.partner
        if partner.pk in seen or partner.pk == entry.enterprise_id or is_whitelisted(partner):
            continue
        seen.add(partner.pk)
        proposals.append(ChainProposal(link, partner, pending_application(partner)))
    return proposals


def chain_origin(enterprise) -> Application | None:
    """The approved application of a whitelisted firm this enterprise is a key supplier of, if any."""
    link = (
        SupplyLink.objects.filter(
            partner=enterprise,
            direction=LinkDirection.SUPPLIER,
            is_key=True,
            enterprise__whitelist_entry__status=EntryStatus.ACTIVE,
            enterprise__whitelist_entry__application__isnull=False,
        )
        .select_related("enterprise__whitelist_entry")
        .order_by("id")
        .first()
    )
    return link.enterprise.whitelist_entry.application if link else None


@dataclass(frozen=True)
class ExplainedResult:
    """A criterion result with its explanation in the reader's language."""

    result: CriterionResult
    explanation: str


def results_explained(application: Application) -> list[ExplainedResult]:
    """An application's results; automatic ones explained again, in the active language, from the facts on file.

    A stored explanation is in the language of whoever triggered the evaluation; a reader gets their own.
    """
    results = list(application.results.select_related("criterion").order_by("criterion__order", "criterion_id"))
    facts = application.facts or {}
    codes = {facts.get("region") or ""}
    for r in results:
        if r.criterion.fact == "region":
            value = r.criterion.value
            codes.update(str(v) for v in (value if isinstance(value, list) else [value]))
    names = dict(Region.objects.filter(code__in=codes - {""}).values_list("code", "name"))
    explained = []
    for r in results:
        text = r.explanation
        if r.criterion.kind == CriterionKind.AUTOMATIC and facts:
            evaluation = rules.evaluate(r.criterion, facts, region_names=names)
            if evaluation.outcome == r.outcome:
                text = evaluation.explanation
        explained.append(ExplainedResult(r, text))
    return explained


# --- coverage ----------------------------------------------------------------------------------------
# Whitelist coverage per sector and region subtree against the jurisdiction's target (the arithmetic is in
# coverage.py). Every table is one aggregate query over the registry, plus the parameters it is judged by.

TARGET_KEY = "whitelist.coverage_target"
DEADLINE_KEY = "whitelist.coverage_deadline"

# Whitelisted, for coverage: the firm's own entry is active, or the firm is registered in a park whose entry
# is active. A suspended entry does not count (the firm stays listed, see LISTED, but does not produce under
# it), nor does a removed or expired one. An active entry counts even while a joint decision has stopped
# the firm's production.
WHITELISTED = Q(whitelist_entry__status=EntryStatus.ACTIVE) | Q(park__whitelist_entry__status=EntryStatus.ACTIVE)

# Where a firm stands when it may be admitted: no entry yet, or an entry from which the transitions table
# allows "admit". A suspended firm may not: only the breaker's reinstatement brings it back.
ADMITTABLE = frozenset(source for source, action in ENTRY_MOVES if action == "admit")

_GAP_PAGE = 100  # candidates read at first; each further page is four times larger


def coverage_firms(enterprises=None):
    """The rows coverage counts: enterprises and projects.

    A park's own row is left out: its output is its members' (counted as themselves), and a park's entry
    counts through them.
    """
    enterprises = Enterprise.objects.all() if enterprises is None else enterprises
    return enterprises.exclude(kind=EnterpriseKind.PARK)


def _sums(**extra) -> dict:
    return {
        "total": Sum("output_value"),
        "covered": Sum("output_value", filter=WHITELISTED),
        "firms": Count("pk"),
        "firms_covered": Count("pk", filter=WHITELISTED),
        **extra,
    }


def coverage_sums(enterprises, *group_by: str):
    """One aggregate query: total output, whitelisted output and firm counts of `enterprises` per `group_by`."""
    return enterprises.order_by().values(*group_by).annotate(**_sums())


def coverage_totals(enterprises, **extra) -> dict:
    """The same sums over all of `enterprises` (and any `extra` aggregates), in one query."""
    return enterprises.aggregate(**_sums(**extra))


def _region(region) -> Region:
    return region if isinstance(region, Region) else Region.objects.get(code=region)


def _visible_in(user, region: Region):
    """The firms coverage counts in the region's subtree, as far as the user may see them."""
    return coverage_firms(Enterprise.objects.visible_to(user)).filter(region__code__startswith=region.prefix)


def coverage_targets(codes, on: dt.date) -> dict[str, tuple]:
    """(target, deadline) parameter values of each region code on day `on`, from two queries."""
    targets = parameter_values(codes, TARGET_KEY, on)
    deadlines = parameter_values(codes, DEADLINE_KEY, on)
    return {code: (targets[code], deadlines[code]) for code in codes}


def _row(region: Region, sector, figures, target_and_deadline, *, direct: bool = False) -> coverage.CoverageRow:
    target, deadline = target_and_deadline
    return coverage.CoverageRow(
        region_code=region.code,
        region_name=region.name,
        sector=sector,
        figures=figures,
        target=coverage.target_share(target.value),
        target_source=target.as_record(),
        deadline=coverage.deadline_date(deadline.value),
        direct=direct,
    )


def _sector_order(sector: str) -> int:
    return Sector.values.index(sector) if sector in Sector.values else len(Sector.values)


def coverage_table(user, region, *, on: dt.date | None = None) -> coverage.CoverageTable:
    """Coverage of the region's subtree per sector, and in total, against the region's own target on `on`.

    Counts only the firms the user may see (a sector official's table has its sector only): a row per
    sector with visible firms, in the order of `Sector`. Statuses are today's (past days are in the
    snapshots). One aggregate query and two parameter lookups.
    """
    region = _region(region)
    day = on or today()
    sums = coverage_sums(_visible_in(user, region), "sector")
    by_sector = {row["sector"]: coverage.Figures.from_sums(row) for row in sums}
    targets = coverage_targets([region.code], day)[region.code]
    rows = [_row(region, s, by_sector[s], targets) for s in sorted(by_sector, key=_sector_order)]
    total = _row(region, None, coverage.sum_figures(by_sector.values()), targets)
    return coverage.CoverageTable(region.code, region.name, None, day, rows, total)


def coverage_by_region(user, region, *, sector: str | None = None, on: dt.date | None = None) -> coverage.CoverageTable:
    """The drill-down: one row per child region (in one sector, or all), each against the child's own target.

    Children with no visible firm are left out; firms registered at the region itself rather than in a
    child make a row of their own (`direct`). The total row is the region's, against the region's target.
    One aggregate query, one for the children and two parameter lookups.
    """
    region = _region(region)
    day = on or today()
    firms = _visible_in(user, region)
    if sector:
        firms = firms.filter(sector=sector)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    # Grouped by the code's first characters, as long as the longest child prefix: a firm registered below a
    # child falls in that child's group, one registered at the region itself in a group of no child. (Grouping
    # by an expression also keeps SQLite on a plain table scan instead of walking the region index.)
    length = max((len(child.prefix) for child in children), default=len(region.code))
    places = firms.annotate(place=Substr("region_id", 1, length))
    registered = {row["place"]: coverage.Figures.from_sums(row) for row in coverage_sums(places, "place")}
    per_child = coverage.roll_up(registered, {child.code: child.prefix for child in children})
    shown = [child for child in children if per_child[child.code].firms_total]
    direct = coverage.sum_figures(
        f for code, f in registered.items() if not any(code.startswith(child.prefix) for child in children)
    )
    targets = coverage_targets([region.code] + [child.code for child in shown], day)
    rows = [_row(child, sector, per_child[child.code], targets[child.code]) for child in shown]
    if direct.firms_total:
        rows.append(_row(region, sector, direct, targets[region.code], direct=True))
    total = _row(region, sector, coverage.sum_figures(registered.values()), targets[region.code])
    return coverage.CoverageTable(region.code, region.name, sector, day, rows, total)


def _only_sector(user) -> str | None:
    """The one sector a sector official sees (all its grants limited to it), else None."""
    sectors = {grant.sector for grant in user_grants(user)}
    return next(iter(sectors)) if len(sectors) == 1 and "" not in sectors and not user.is_superuser else None


def coverage_history(user, region, sector: str | None = None, *, days: int = 30, on: dt.date | None = None):
    """The snapshots of the region (one sector, or all sectors) over the `days` days up to `on`, oldest first.

    Snapshots count the whole registry of the region; the user gets those of regions and sectors it may see.
    """
    region = _region(region)
    last = on or today()
    sector = sector or _only_sector(user) or ""
    return list(
        CoverageSnapshot.objects.visible_to(user)
        .filter(region=region, sector=sector, date__gt=last - dt.timedelta(days=days), date__lte=last)
        .order_by("date")
    )


def _gap_candidates(firms) -> Iterator[list[coverage.Candidate]]:
    """Pages of the firms that could be admitted, largest output first; a page is read only when needed."""
    pending = Application.objects.filter(enterprise=OuterRef("pk"), status__in=PENDING_APPLICATION).values("pk")[:1]
    admittable = [status for status in ADMITTABLE if status is not None]
    query = (
        firms.exclude(WHITELISTED)
        .filter(Q(whitelist_entry__isnull=True) | Q(whitelist_entry__status__in=admittable))
        .annotate(pending_application=Subquery(pending))
        .order_by("-output_value", "pk")
        .values_list(
            "pk", "name", "credit_code", "region_id", "output_value", "whitelist_entry__status", "pending_application"
        )
    )
    start, size = 0, _GAP_PAGE
    while True:
        page = [
            coverage.Candidate(pk, name, code, region_code, coverage.amount(output), status, application)
            for pk, name, code, region_code, output, status, application in query[start : start + size]
        ]
        if page:
            yield page
        if len(page) < size:
            return
        start, size = start + size, size * 4


def closing_the_gap(user, region, sector: str, *, on: dt.date | None = None) -> coverage.GapPlan:
    """The fewest firms not yet whitelisted whose admission would bring the sector to the region's target.

    Largest output first, each with the coverage reached once it and those above it are admitted, and its
    pending application if it applied. Candidates are the visible firms of the sector in the subtree that
    are not whitelisted and may be admitted (no entry, or an expired or removed one); suspended firms are
    not (their output is reported as `suspended_output`). When even all of them fall short, the plan says
    so (`reached` False) and lists them all.
    """
    region = _region(region)
    day = on or today()
    firms = _visible_in(user, region).filter(sector=sector)
    suspended = Q(whitelist_entry__status=EntryStatus.SUSPENDED) & ~WHITELISTED
    sums = coverage_totals(firms, suspended=Sum("output_value", filter=suspended))
    figures = coverage.Figures.from_sums(sums)
    row = _row(region, sector, figures, coverage_targets([region.code], day)[region.code])
    picks, reached = coverage.greedy_picks(
        coverage.largest_first(_gap_candidates(firms)),
        whitelisted=figures.whitelisted_output,
        total=figures.total_output,
        target=row.target,
    )
    return coverage.GapPlan(
        row=row, on=day, picks=picks, reached=reached, suspended_output=coverage.amount(sums["suspended"])
    )
