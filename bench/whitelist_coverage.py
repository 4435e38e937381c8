"""Figure: whitelist coverage of the whole province, by sector and by city, and one city's "closing the gap" list.

The data is `sibao seed_demo --scale province` (the demo set and 50,000 firms over every county), plus a
whitelist made here, the same on every run: one park per park-type division with the firms registered
there as members, entries for about two thirds of the output (large firms more often, as in practice;
some suspended, expired or removed), pending applications from some of the rest, and the two work plans'
targets (Guancheng 70%, Jiaozuo 80%) as parameters.

Each figure runs the selector as a province-level dispatch office calls it (scoping included), once to
warm up and then `repeat` times; the best and the median attempt are reported beside one plain SQL
statement over the same rows in the same run (a GROUP BY for the tables, the ordered select of the
city's sector for the gap list). Targets are absolute: 300 ms for each table, 200 ms for the gap list,
met by the median attempt.
"""

import datetime as dt
import gc
import random
import statistics
import time
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import connection, transaction

PROVINCE = "410000"
GAP_CITY = "410100"  # Zhengzhou: the most firms of any city
GAP_SECTOR = "industry"
SEED = 20220609
START = dt.date(2022, 4, 1)


@dataclass
class Measurement:
    """A selector's attempts beside the plain SQL baseline's attempts over the same rows."""

    database: str
    figure: str
    rows: int
    attempts: list[float]
    baseline_attempts: list[float]
    target_seconds: float
    note: str = ""

    @property
    def seconds(self) -> float:
        return min(self.attempts)

    @property
    def median(self) -> float:
        return statistics.median(self.attempts)

    @property
    def baseline_seconds(self) -> float:
        return min(self.baseline_attempts)

    @property
    def ratio(self) -> float:
        """How many times the baseline's time the selector takes (best against best)."""
        return self.seconds / self.baseline_seconds

    @property
    def target_met(self) -> bool:
        return self.median <= self.target_seconds

    def as_json(self) -> dict:
        return {
            **asdict(self),
            "seconds": round(self.seconds, 4),
            "median_seconds": round(self.median, 4),
            "baseline_seconds": round(self.baseline_seconds, 4),
            "ratio": round(self.ratio, 2),
            "target_met": self.target_met,
        }


# --- setup -----------------------------------------------------------------------------------------


def make_viewer():
    """A dispatch office official for all of Henan: the province's tables pass through the scope filter."""
    from sibao.accounts.models import Grant, User
    from sibao.accounts.roles import Role

    user, _created = User.objects.get_or_create(username="bench_dispatch_ha", defaults={"display_name": "bench"})
    Grant.objects.get_or_create(user=user, role=Role.DISPATCHER, region_id=PROVINCE, sector="")
    return User.objects.get(pk=user.pk)


def _parks(rng: random.Random) -> int:
    """One park (e.g. a bonded zone) per park-type division; the firms registered there become its members."""
    from sibao.core.identifiers import credit_code_build
    from sibao.enterprises.models import Enterprise, EnterpriseKind
    from sibao.regions.models import Kind, Region

    members = 0
    for n, region in enumerate(Region.objects.filter(kind=Kind.PARK).order_by("code"), start=1):
        park = Enterprise.objects.create(
            credit_code=credit_code_build("9", "1", region.code, f"PK{n:07d}"),
            name=f"{region.name}运营管理有限公司",
            kind=EnterpriseKind.PARK,
            sector="industry",
            industry_section="L",
            industry_division="72",
            region=region,
            output_value=Decimal(rng.randint(50_000, 500_000)),
            headcount=rng.randint(50, 300),
        )
        members += (
            Enterprise.objects.filter(region__code__startswith=region.prefix)
            .exclude(kind=EnterpriseKind.PARK)
            .update(park=park)
        )
    return members


def _standing(rng: random.Random, rank: float) -> str | None:
    """An entry's status for a firm at `rank` (0: the largest of its sector and city, 1: the smallest), or None."""
    from sibao.whitelist.models import EntryStatus

    chance = 0.9 if rank < 0.05 else 0.7 if rank < 0.2 else 0.35
    if rng.random() >= chance:
        return None
    draw = rng.random()
    if draw < 0.03:
        return EntryStatus.SUSPENDED
    if draw < 0.06:
        return EntryStatus.EXPIRED
    if draw < 0.07:
        return EntryStatus.REMOVED
    return EntryStatus.ACTIVE


@transaction.atomic
def build_whitelist(log) -> dict:
    """Entries, parks, applications and targets over the seeded registry; the same on every run."""
    from sibao.accounts.models import User
    from sibao.enterprises.models import Enterprise, EnterpriseKind
    from sibao.regions.models import Parameter
    from sibao.whitelist.models import Application, CriteriaSet, CriteriaStatus, Entry, EntryStatus

    rng = random.Random(SEED)
    members = _parks(rng)
    firms = list(Enterprise.objects.order_by("id").values_list("id", "kind", "sector", "region_id", "output_value"))
    # Rank each firm within its city and sector: the large ones are whitelisted first, as departments did.
    groups: dict[tuple, list] = {}
    for firm in firms:
        groups.setdefault((firm[3][:4], firm[2]), []).append(firm)
    rank = {}
    for group in groups.values():
        group.sort(key=lambda f: (-f[4], f[0]))
        for position, firm in enumerate(group):
            rank[firm[0]] = position / len(group)
    entries, outsiders = [], []
    for pk, kind, _sector, _region, _output in firms:
        if kind == EnterpriseKind.PARK:
            status = EntryStatus.ACTIVE if rng.random() < 0.5 else None
        else:
            status = _standing(rng, rank[pk])
        if status is None:
            outsiders.append(pk)
            continue
        entries.append(Entry(enterprise_id=pk, status=status, valid_from=START, valid_to=dt.date(2023, 3, 31)))
    Entry.objects.bulk_create(entries, batch_size=2000)

    submitter = User.objects.get(username="admin")
    criteria = {
        sector: CriteriaSet.objects.create(
            sector=sector,
            region_id=PROVINCE,
            version=1,
            title="省级遴选标准",
            effective_from=START,
            status=CriteriaStatus.PUBLISHED,
        )
        for sector in ("industry", "commerce", "transport", "culture_tourism", "key_project")
    }
    sectors = {f[0]: f[2] for f in firms}
    applicants = [pk for pk in outsiders if rng.random() < 0.1]
    Application.objects.bulk_create(
        [
            Application(
                enterprise_id=pk,
                criteria_set=criteria[sectors[pk]],
                submitted_by=submitter,
                submitted_at=dt.datetime(2022, 5, 10, 9, tzinfo=dt.UTC),
            )
            for pk in applicants
        ],
        batch_size=2000,
    )
    for region, value in (("410104", 0.7), ("410800", 0.8)):
        Parameter.objects.create(region_id=region, key="whitelist.coverage_target", value=value, effective_from=START)
    counts = {
        "firms": len(firms),
        "park members": members,
        "entries": len(entries),
        "active": sum(e.status == EntryStatus.ACTIVE for e in entries),
        "applications": len(applicants),
    }
    log("whitelist: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    return counts


def prepare(count: int, log) -> None:
    from sibao.demo import builders

    started = time.perf_counter()
    result = builders.seed(scale="province", count=count)
    log(f"seeded {result.enterprises:,} enterprises in {time.perf_counter() - started:.1f} s")
    build_whitelist(log)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


# --- baselines: plain SQL over the same rows ------------------------------------------------------------


def _plain(sql: str, params: list) -> float:
    gc.collect()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        cursor.fetchall()
    return time.perf_counter() - started


def _table() -> str:
    from sibao.enterprises.models import Enterprise

    return connection.ops.quote_name(Enterprise._meta.db_table)


def baseline_by_sector() -> float:
    return _plain(
        f"SELECT sector, SUM(output_value), COUNT(*) FROM {_table()} "
        "WHERE region_id LIKE %s AND kind <> 'park' GROUP BY sector",
        ["41%"],
    )


def baseline_by_region() -> float:
    return _plain(
        f"SELECT SUBSTR(region_id, 1, 4), SUM(output_value), COUNT(*) FROM {_table()} "
        "WHERE region_id LIKE %s AND kind <> 'park' GROUP BY SUBSTR(region_id, 1, 4)",
        ["41%"],
    )


def baseline_gap() -> float:
    return _plain(
        f"SELECT id, name, credit_code, region_id, output_value FROM {_table()} "
        "WHERE region_id LIKE %s AND sector = %s AND kind <> 'park' ORDER BY output_value DESC, id",
        [GAP_CITY[:4] + "%", GAP_SECTOR],
    )


# --- the figures ---------------------------------------------------------------------------------------


def _timed(call) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def check_tables(by_sector, by_region) -> None:
    """The selectors' totals are the plain sums of the registry: otherwise the timing means nothing."""
    from django.db.models import Count, Sum

    from sibao.enterprises.models import Enterprise, EnterpriseKind

    plain = Enterprise.objects.exclude(kind=EnterpriseKind.PARK).aggregate(n=Count("pk"), output=Sum("output_value"))
    for table in (by_sector, by_region):
        assert table.total.firms_total == plain["n"], (table.total.firms_total, plain["n"])
        assert abs(table.total.total_output - plain["output"]) < 1, (table.total.total_output, plain["output"])
    assert len(by_sector.rows) == 5 and len(by_region.rows) >= 17


def run(*, repeat: int = 5, count: int | None = None, log=print) -> list[Measurement]:
    from sibao.demo.builders import PROVINCE_COUNT
    from sibao.whitelist.selectors import closing_the_gap, coverage_by_region, coverage_table

    prepare(count if count is not None else PROVINCE_COUNT, log)
    viewer = make_viewer()
    figures = [
        ("coverage by sector", 0.300, lambda: coverage_table(viewer, PROVINCE), baseline_by_sector),
        ("coverage by city", 0.300, lambda: coverage_by_region(viewer, PROVINCE), baseline_by_region),
        ("closing the gap", 0.200, lambda: closing_the_gap(viewer, GAP_CITY, GAP_SECTOR), baseline_gap),
    ]
    results, outcome = [], {}
    for name, target, call, baseline in figures:
        outcome[name] = call()  # warm-up: connection, grants, statement caches
        baseline()
        attempts, baselines = [], []
        for _ in range(repeat):
            baselines.append(baseline())
            seconds, outcome[name] = _timed(call)
            attempts.append(seconds)
        results.append(Measurement(connection.vendor, name, 0, attempts, baselines, target))
        log(f"{name}: best {min(attempts) * 1000:.1f} ms, plain SQL {min(baselines) * 1000:.1f} ms")
    by_sector, by_region, plan = outcome["coverage by sector"], outcome["coverage by city"], outcome["closing the gap"]
    check_tables(by_sector, by_region)
    assert plan.reached and plan.picks, "the measured gap list must be a real one"
    total = by_sector.total
    results[0].rows = results[1].rows = total.firms_total
    results[0].note = f"province coverage {total.ratio:.1%} of {total.total_output:,.0f} (10k yuan)"
    results[1].note = f"{len(by_region.rows)} cities"
    results[2].rows = plan.row.firms_total
    results[2].note = (
        f"Zhengzhou industry {plan.row.ratio:.1%} -> {plan.ratio_after:.1%} (target {plan.row.target:.0%}): "
        f"{len(plan.picks)} firms, {plan.applied} applied"
    )
    return results
