"""Figure: the preview of a mode switch (平急转换) for a whole city, on a province-scale data set.

Data, the same on every run: the province-scale registry and whitelist of `whitelist_coverage.py`
(`seed_demo --scale province` and the whitelist built over it: 50,000 firms, about two thirds of the output
whitelisted, parks covering their members) and 2,000,000 staff spread over the firms in proportion to their
headcount (20% mobile posts, 3% left), inserted by `sibao.core.bulk.insert_copies`. When an earlier figure of
the same run left a registry, a whitelist or rosters behind (the coverage and compliance figures do), they
are used as they are. Jiaozuo's cycles differ (a parameter), so the preview meets two sets of cycles.

- **Preview**: `mode_switch_preview` of Zhengzhou (410100) to emergency mode, as a city-level prevention
  official calls it: the regions that change, the whitelisted firms, their active staff by post type, the
  tests a day their cycles need, and the firms not ready for closed loop with their gaps. **Target: 1 s**, the
  median of the attempts after a warm-up.
- **Baseline (plain SQL)**: one COUNT of the city's staff rows (staff joined to their firm, the firm's code
  under 4101), in the same run: no whitelist, no grouping, no cycles, no readiness.

The harness checks the preview's staff count against a plain SQL count of the whitelisted firms' active
staff, so the timing is of a right answer. One switch to emergency and back is timed once, for information.
"""

import datetime as dt
import gc
import random
import statistics
import time

from django.db import connection, transaction
from django.utils import timezone

from bench.whitelist_coverage import Measurement

CITY = "410100"  # Zhengzhou: the most firms of any city
JIAOZUO = "410800"
SEED = 20220501
STAFF = 2_000_000
TARGET = 1.0
_CHUNK = 100_000
_COLUMNS = ("enterprise_id", "name", "id_hash", "id_masked", "post_type", "start_date", "left_on")


# --- data --------------------------------------------------------------------------------------------------


def _registry_and_whitelist(count: int | None, log) -> None:
    """The coverage figure's registry and whitelist, unless this run has them already."""
    from bench import whitelist_coverage
    from sibao.demo.builders import PROVINCE_COUNT
    from sibao.enterprises.models import Enterprise
    from sibao.whitelist.models import Entry

    if Entry.objects.exists():
        log(f"{Enterprise.objects.count():,} enterprises and {Entry.objects.count():,} entries already here")
        return
    if Enterprise.objects.exists():
        whitelist_coverage.build_whitelist(log)
        return
    whitelist_coverage.prepare(count or PROVINCE_COUNT, log)


def _staff_rows(firms: list[tuple[int, int]], staff: int, today: dt.date):
    """Each firm's share of `staff` (by headcount), as rows of `_COLUMNS`."""
    rng = random.Random(SEED)
    total = sum(headcount for _pk, headcount in firms) or 1
    serial = 0
    for pk, headcount in firms:
        for _ in range(round(headcount * staff / total)):
            serial += 1
            mobile = rng.random() < 0.2
            left = today - dt.timedelta(days=rng.randint(1, 20)) if rng.random() < 0.03 else None
            yield (
                pk,
                f"员工{serial}",
                f"{serial:032x}",
                f"410***********{serial % 10000:04d}",
                "mobile" if mobile else "general",
                today - dt.timedelta(days=rng.randint(0, 700)),
                left,
            )


def _rosters(staff: int, log) -> int:
    """`staff` members on the rosters, unless an earlier figure left rosters behind; how many there are."""
    from sibao.core.bulk import insert_copies
    from sibao.enterprises.models import Enterprise
    from sibao.prevention.models import StaffMember

    present = StaffMember.objects.count()
    if present:
        log(f"{present:,} staff already on the rosters")
        return present
    firms = list(Enterprise.objects.order_by("id").values_list("id", "headcount"))
    template = StaffMember(id_cipher="bench", start_date=timezone.localdate())
    started, inserted, chunk = time.perf_counter(), 0, []
    with transaction.atomic():
        for row in _staff_rows(firms, staff, timezone.localdate()):
            chunk.append(row)
            if len(chunk) >= _CHUNK:
                inserted += insert_copies(template, _COLUMNS, chunk)
                chunk = []
        inserted += insert_copies(template, _COLUMNS, chunk)
    log(f"{inserted:,} staff inserted in {time.perf_counter() - started:.1f} s")
    return inserted


def prepare(*, count: int | None, staff: int, log) -> None:
    from sibao.regions.models import Parameter

    _registry_and_whitelist(count, log)
    _rosters(staff, log)
    Parameter.objects.get_or_create(
        region_id=JIAOZUO,
        key="prevention.test_cycle_hours",
        effective_from=timezone.localdate() - dt.timedelta(days=30),
        defaults={"value": {"general": 24, "mobile": 24}},
    )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# --- baseline and check --------------------------------------------------------------------------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def baseline_count() -> tuple[float, int]:
    """One COUNT of the city's staff rows: the least any preview must read."""
    sql = (
        f"SELECT COUNT(*) FROM {_quote('prevention_staffmember')} s "
        f"JOIN {_quote('enterprises_enterprise')} e ON e.id = s.enterprise_id WHERE e.region_id LIKE %s"
    )
    gc.collect()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [CITY[:4] + "%"])
        (n,) = cursor.fetchone()
    return time.perf_counter() - started, n


def check(preview) -> None:
    """The preview's staff are the active staff of the city's whitelisted firms, counted plainly."""
    from django.db.models import Q

    from sibao.prevention.closed_loop import whitelisted_in
    from sibao.prevention.models import StaffMember

    active = Q(left_on__isnull=True) | Q(left_on__gt=timezone.localdate())
    firms = whitelisted_in(CITY[:4]).values("pk")
    plain = StaffMember.objects.filter(active, enterprise__in=firms).count()
    assert preview.staff == plain, (preview.staff, plain)
    assert preview.firms == whitelisted_in(CITY[:4]).count() and preview.tests_per_day > 0


# --- the figure ---------------------------------------------------------------------------------------------------


def official():
    """A prevention official of Zhengzhou: may switch the city."""
    from sibao.accounts.models import Grant, User
    from sibao.accounts.roles import Role

    user, _created = User.objects.get_or_create(username="bench_prevention_zz", defaults={"display_name": "bench"})
    Grant.objects.get_or_create(user=user, role=Role.PREVENTION_OFFICIAL, region_id=CITY, sector="")
    return User.objects.get(pk=user.pk)


def _timed(call) -> tuple[float, object]:
    gc.collect()
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def _switch_and_back(actor, city, log) -> None:
    """One switch of the city to emergency and back, timed once (notifications and audit included)."""
    from sibao.prevention.services.mode import mode_switch_apply
    from sibao.regions.models import Mode

    there, _switch = _timed(lambda: mode_switch_apply(actor=actor, region=city, to_mode=Mode.EMERGENCY, reason="bench"))
    back, _switch = _timed(lambda: mode_switch_apply(actor=actor, region=city, to_mode=Mode.NORMAL, reason="bench"))
    log(f"switch to emergency {there:.2f} s, back {back:.2f} s (for information)")


def run(*, repeat: int = 5, count: int | None = None, staff: int | None = None, log=print) -> list[Measurement]:
    from sibao.prevention.services.mode import mode_switch_preview
    from sibao.regions.models import Mode, Region

    prepare(count=count, staff=STAFF if staff is None else staff, log=log)
    actor, city = official(), Region.objects.get(code=CITY)

    def preview():
        return mode_switch_preview(actor=actor, region=city, to_mode=Mode.EMERGENCY)

    result = preview()  # warm-up: connection, grants, statement caches
    baseline_count()
    attempts, baselines = [], []
    for _ in range(repeat):
        seconds, city_staff = baseline_count()
        baselines.append(seconds)
        seconds, result = _timed(preview)
        attempts.append(seconds)
    check(result)
    log(f"preview: median {statistics.median(attempts) * 1000:.0f} ms, plain COUNT {min(baselines) * 1000:.0f} ms")
    _switch_and_back(actor, city, log)
    note = (
        f"Zhengzhou: {result.changing:,} regions, {result.firms:,} whitelisted firms, {result.staff:,} of "
        f"{city_staff:,} staff, {result.tests_per_day:,} tests/day, {len(result.not_ready):,} not ready; "
        "baseline: COUNT of the city's staff"
    )
    return [Measurement(connection.vendor, "mode preview", result.staff, attempts, baselines, TARGET, note=note)]


def print_table(measurements, repeat: int) -> None:
    from bench.run import print_timed_table

    print_timed_table(
        f"Mode switch (target: the preview for a whole city within 1 s, by the median of {repeat} after a warm-up; "
        "seconds is the best, ratio is best against the best plain COUNT)",
        measurements,
        baseline="plain SQL s",
    )
