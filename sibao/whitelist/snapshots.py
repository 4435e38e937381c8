"""The one write of coverage: the day's snapshot of every jurisdiction's coverage, for the trend.

Like breaker.py for the circuit breaker, this keeps a self-contained write out of services.py. A snapshot
is derived data (recomputable from the registry and the whitelist as they stood), so taking it records no
audit event; the command `sibao snapshot_coverage` runs it, once a day from cron or a scheduled task.
"""

import datetime as dt
from collections import defaultdict

from django.db import transaction
from django.db.models import Q

from sibao.core.clock import now, today
from sibao.regions.models import Level, Parameter, Region
from sibao.whitelist import coverage
from sibao.whitelist.models import CoverageSnapshot
from sibao.whitelist.selectors import TARGET_KEY, coverage_firms, coverage_sums, coverage_targets

_SNAPSHOT_FIELDS = ["total_output", "whitelisted_output", "target", "firms_total", "firms_whitelisted", "parameter"]


def snapshot_regions(registered_codes) -> list[Region]:
    """The jurisdictions a snapshot covers: the province, every city and county with a registered firm in
    its subtree, and every region that has a coverage target of its own (with firms or not)."""
    with_target = set(Parameter.objects.filter(key=TARGET_KEY).values_list("region_id", flat=True))
    regions = Region.objects.filter(Q(level__in=(Level.PROVINCE, Level.CITY, Level.COUNTY)) | Q(code__in=with_target))
    return [
        region
        for region in regions.order_by("code")
        if region.code in with_target or any(code.startswith(region.prefix) for code in registered_codes)
    ]


@transaction.atomic
def coverage_snapshot_take(*, on: dt.date | None = None) -> int:
    """Write day `on`'s coverage (today by default) of every jurisdiction, per sector and in total.

    Idempotent per (date, region, sector): taking it again replaces that day's rows (and drops a row whose
    region or sector no longer has any firm). One aggregate query over the registry; the figures of each
    jurisdiction are rolled up from it. Returns the number of rows written.
    """
    day = on or today()
    registered: dict[str, dict[str, coverage.Figures]] = defaultdict(dict)  # sector -> region code -> figures
    for row in coverage_sums(coverage_firms(), "sector", "region_id"):
        registered[row["sector"]][row["region_id"]] = coverage.Figures.from_sums(row)
    codes = {code for by_code in registered.values() for code in by_code}
    regions = snapshot_regions(codes)
    prefixes = {region.code: region.prefix for region in regions}
    per_sector = {sector: coverage.roll_up(by_code, prefixes) for sector, by_code in registered.items()}
    targets = coverage_targets([region.code for region in regions], day)
    taken_at = now()
    snapshots = []
    for region in regions:
        target, _deadline = targets[region.code]
        share = coverage.target_share(target.value)
        parts = {sector: figures[region.code] for sector, figures in per_sector.items()}
        parts = {sector: f for sector, f in sorted(parts.items()) if f.firms_total}
        for sector, figures in [*parts.items(), ("", coverage.sum_figures(parts.values()))]:
            snapshots.append(
                CoverageSnapshot(
                    date=day,
                    region=region,
                    sector=sector,
                    total_output=figures.total_output,
                    whitelisted_output=figures.whitelisted_output,
                    target=share,
                    firms_total=figures.firms_total,
                    firms_whitelisted=figures.firms_whitelisted,
                    parameter=target.as_record(),
                    taken_at=taken_at,
                )
            )
    CoverageSnapshot.objects.bulk_create(
        snapshots,
        batch_size=500,
        update_conflicts=True,
        unique_fields=["region", "sector", "date"],
        update_fields=[*_SNAPSHOT_FIELDS, "taken_at"],
    )
    # Rows of the day that this take did not write (a sector that emptied since) are no longer true.
    CoverageSnapshot.objects.filter(date=day).exclude(taken_at=taken_at).delete()
    return len(snapshots)
