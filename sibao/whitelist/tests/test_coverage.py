"""Whitelist coverage: ratios by sector and region against each jurisdiction's target, closing the gap, snapshots."""

import datetime as dt
import itertools
import random
from decimal import Decimal

import pytest
from django.core.management import call_command

from sibao.accounts.roles import Role
from sibao.core.clock import now
from sibao.enterprises.models import Enterprise
from sibao.regions.models import Parameter
from sibao.testing import (
    ERQI,
    GUANCHENG,
    GUANCHENG_STREET,
    GUANCHENG_STREET_2,
    JIAOZUO,
    JIAOZUO_STREET,
    Cast,
    make_enterprise,
    make_user,
)
from sibao.whitelist import coverage
from sibao.whitelist.models import (
    Application,
    ApplicationStatus,
    CoverageSnapshot,
    CriteriaSet,
    CriteriaStatus,
    Entry,
    EntryStatus,
)
from sibao.whitelist.selectors import closing_the_gap, coverage_by_region, coverage_history, coverage_table
from sibao.whitelist.snapshots import coverage_snapshot_take

ZHENGZHOU = "410100"
PROVINCE = "410000"
ON = dt.date(2022, 5, 16)
D = Decimal


def enlist(enterprise, status: str = EntryStatus.ACTIVE) -> Entry:
    return Entry.objects.create(
        enterprise=enterprise, status=status, valid_from=dt.date(2022, 4, 1), valid_to=dt.date(2023, 3, 31)
    )


def apply_for(enterprise, user) -> Application:
    criteria, _ = CriteriaSet.objects.get_or_create(
        region_id=GUANCHENG,
        sector=enterprise.sector,
        version=1,
        defaults={"title": "标准", "effective_from": dt.date(2022, 4, 1), "status": CriteriaStatus.PUBLISHED},
    )
    return Application.objects.create(
        enterprise=enterprise, criteria_set=criteria, submitted_by=user, submitted_at=now()
    )


def target(region: str, value, effective_from: dt.date = dt.date(2022, 4, 1)) -> Parameter:
    return Parameter.objects.create(
        region_id=region, key="whitelist.coverage_target", value=value, effective_from=effective_from
    )


class World:
    """Guancheng's industry: 100,000 (万元) over six firms, 16,000 of it whitelisted (one firm through its park).

    | firm | output | standing |
    | --- | --- | --- |
    | cast.ent_a (street 1) | 12,000 | active entry |
    | big (street 2) | 50,000 | never applied |
    | suspended (street 1) | 20,000 | suspended: not counted, not admittable |
    | expired (county itself) | 8,000 | expired entry, has applied again |
    | small (street 2) | 6,000 | never applied |
    | member (street 1) | 4,000 | member of a park whose entry is active |

    Guancheng commerce: cast.ent_b 12,000 (no entry) and 28,000 active. A key project: 30,000 investment,
    active. The park itself (output 99,999) is not counted. Jiaozuo industry: cast.ent_jz 12,000 and
    8,000 active. Erqi industry: 10,000 active. Targets: Guancheng 70%, Jiaozuo 80%, Zhengzhou 75%.
    """

    def __init__(self, cast: Cast):
        self.cast = cast
        self.ent_a = cast.ent_a
        enlist(self.ent_a)
        self.big = make_enterprise(region=GUANCHENG_STREET_2, output_value=D("50000"), name="管城大")
        self.suspended = make_enterprise(output_value=D("20000"), name="管城暂停")
        enlist(self.suspended, EntryStatus.SUSPENDED)
        self.expired = make_enterprise(region=GUANCHENG, output_value=D("8000"), name="管城过期")
        enlist(self.expired, EntryStatus.EXPIRED)
        self.application = apply_for(self.expired, cast.liaison_a)
        self.small = make_enterprise(region=GUANCHENG_STREET_2, output_value=D("6000"), name="管城小")
        self.park = make_enterprise(kind="park", output_value=D("99999"), name="管城园区")
        enlist(self.park)
        self.member = make_enterprise(output_value=D("4000"), park=self.park, name="管城园区成员")
        self.commerce = make_enterprise(region=GUANCHENG_STREET_2, sector="commerce", output_value=D("28000"))
        enlist(self.commerce)
        self.project = make_enterprise(sector="key_project", kind="project", output_value=D("30000"))
        enlist(self.project)
        self.jz = make_enterprise(region=JIAOZUO_STREET, output_value=D("8000"))
        enlist(self.jz)
        self.erqi = make_enterprise(region=ERQI, output_value=D("10000"))
        enlist(self.erqi)
        self.gc_target = target(GUANCHENG, 0.7)
        self.jz_target = target(JIAOZUO, 0.8)
        self.zz_target = target(ZHENGZHOU, "0.75")
        self.province_admin = make_user("admin_ha", role=Role.ADMIN, region=PROVINCE)


@pytest.fixture
def world(cast) -> World:
    return World(cast)


def by_sector(table) -> dict:
    return {row.sector: row for row in table.rows}


def by_region(table) -> dict:
    return {(row.region_code, row.direct): row for row in table.rows}


# --- the table ---------------------------------------------------------------------------------------


def test_ratios_by_sector_match_the_hand_sums(world):
    table = coverage_table(world.cast.admin_gc, GUANCHENG, on=ON)
    rows = by_sector(table)
    assert list(rows) == ["industry", "commerce", "key_project"]  # in the order of Sector
    industry = rows["industry"]
    assert (industry.total_output, industry.whitelisted_output) == (D("100000.00"), D("16000.00"))
    assert (industry.firms_whitelisted, industry.firms_total) == (2, 6)
    assert industry.ratio == D("0.1600")
    assert industry.target == D("0.7")
    assert industry.gap == D("54000.00")
    assert not industry.met
    commerce = rows["commerce"]
    assert (commerce.total_output, commerce.whitelisted_output, commerce.ratio) == (D("40000"), D("28000"), D("0.7"))
    assert commerce.met and commerce.gap == 0
    assert rows["key_project"].ratio == 1  # investment of the project counts
    total = table.total
    assert total.sector is None
    assert (total.total_output, total.whitelisted_output) == (D("170000.00"), D("74000.00"))
    assert (total.firms_whitelisted, total.firms_total) == (4, 9)
    assert total.ratio == D("0.4353")
    assert total.gap == D("45000.00")


def test_a_park_s_active_entry_covers_its_members_and_its_own_row_is_not_counted(world):
    industry = by_sector(coverage_table(world.cast.admin_gc, GUANCHENG, on=ON))["industry"]
    assert industry.whitelisted_output == D("16000.00")  # ent_a 12,000 + the park member 4,000; no 99,999
    Entry.objects.filter(enterprise=world.park).update(status=EntryStatus.SUSPENDED)
    industry = by_sector(coverage_table(world.cast.admin_gc, GUANCHENG, on=ON))["industry"]
    assert industry.whitelisted_output == D("12000.00")
    assert industry.firms_whitelisted == 1


def test_a_suspended_entry_does_not_count_until_reinstated(world):
    before = by_sector(coverage_table(world.cast.admin_gc, GUANCHENG, on=ON))["industry"]
    Entry.objects.filter(enterprise=world.suspended).update(status=EntryStatus.ACTIVE)
    after = by_sector(coverage_table(world.cast.admin_gc, GUANCHENG, on=ON))["industry"]
    assert after.whitelisted_output - before.whitelisted_output == D("20000")


def test_target_comes_from_each_jurisdiction_s_parameter(world):
    gc = coverage_table(world.cast.admin_gc, GUANCHENG, on=ON).total
    jz = coverage_table(world.cast.dispatcher_jz, JIAOZUO, on=ON).total
    assert gc.target == D("0.7")
    assert gc.target_source == {
        "key": "whitelist.coverage_target",
        "value": 0.7,
        "parameter_id": world.gc_target.pk,
        "region": GUANCHENG,
        "effective_from": "2022-04-01",
    }
    assert jz.target == D("0.8")
    assert jz.target_source["parameter_id"] == world.jz_target.pk
    assert (jz.total_output, jz.whitelisted_output, jz.gap) == (D("20000"), D("8000"), D("8000.00"))
    assert gc.deadline == jz.deadline == dt.date(2022, 6, 30)  # the declared default: no parameter set


def test_a_later_parameter_applies_from_its_date_and_a_street_inherits_its_county_s(world):
    target(GUANCHENG, 0.8, effective_from=dt.date(2022, 6, 1))
    Parameter.objects.create(
        region_id=GUANCHENG, key="whitelist.coverage_deadline", value="2022-06-15", effective_from=dt.date(2022, 4, 1)
    )
    assert coverage_table(world.cast.admin_gc, GUANCHENG, on=ON).total.target == D("0.7")
    later = coverage_table(world.cast.admin_gc, GUANCHENG, on=dt.date(2022, 6, 2)).total
    assert (later.target, later.deadline) == (D("0.8"), dt.date(2022, 6, 15))
    street = coverage_table(world.cast.admin_gc, GUANCHENG_STREET, on=ON).total
    assert street.target_source["region"] == GUANCHENG


def test_without_any_parameter_the_declared_default_applies(cast):
    total = coverage_table(cast.admin_gc, GUANCHENG, on=ON).total
    assert total.target == D("0.7")
    assert total.target_source["parameter_id"] is None


def test_a_bad_target_parameter_fails_loudly(world):
    target(GUANCHENG, 70, effective_from=dt.date(2022, 5, 1))  # a percentage where a share belongs
    with pytest.raises(ValueError, match="share between 0 and 1"):
        coverage_table(world.cast.admin_gc, GUANCHENG, on=ON)


# --- scoping -------------------------------------------------------------------------------------------


def test_an_outsider_s_table_has_none_of_guancheng_s_output(world):
    outsider = world.cast.official_erqi
    guancheng = coverage_table(outsider, GUANCHENG, on=ON)
    assert guancheng.rows == []
    assert guancheng.total.total_output == 0 and guancheng.total.ratio is None
    zhengzhou = coverage_table(outsider, ZHENGZHOU, on=ON)
    assert zhengzhou.total.total_output == D("10000.00")  # Erqi's own firm only
    province = coverage_by_region(world.cast.dispatcher_jz, PROVINCE, on=ON)
    assert [row.region_code for row in province.rows] == [JIAOZUO]
    assert closing_the_gap(outsider, GUANCHENG, "industry", on=ON).picks == []


def test_a_sector_official_counts_its_sector_only_and_a_liaison_its_own_firm(world):
    table = coverage_table(world.cast.industry_gc, GUANCHENG, on=ON)
    assert [row.sector for row in table.rows] == ["industry"]
    assert table.total.total_output == D("100000.00")
    own = coverage_table(world.cast.liaison_a, GUANCHENG, on=ON)
    assert own.total.total_output == world.ent_a.output_value


def test_the_table_takes_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    user = make_user("dispatch_gc_2", role=Role.DISPATCHER, region=GUANCHENG)
    with django_assert_max_num_queries(5):  # grants, region, the sums, target and deadline
        coverage_table(user, GUANCHENG, on=ON)
    for n in range(30):
        enlist(make_enterprise(sector=["industry", "commerce", "transport"][n % 3], output_value=D(100 + n)))
    with django_assert_max_num_queries(4):  # grants are read once per user object
        table = coverage_table(user, GUANCHENG, on=ON)
    assert table.total.firms_total == 39
    with django_assert_max_num_queries(5):  # ... the children as well
        coverage_by_region(user, GUANCHENG, on=ON)


# --- the drill-down -------------------------------------------------------------------------------------


def test_by_region_gives_each_child_against_its_own_target(world):
    table = coverage_by_region(world.province_admin, ZHENGZHOU, on=ON)
    rows = by_region(table)
    assert list(rows) == [(ERQI, False), (GUANCHENG, False)]
    erqi, guancheng = rows[(ERQI, False)], rows[(GUANCHENG, False)]
    assert (guancheng.total_output, guancheng.whitelisted_output) == (D("170000.00"), D("74000.00"))
    assert guancheng.target == D("0.7") and guancheng.target_source["region"] == GUANCHENG
    assert erqi.target == D("0.75") and erqi.target_source["region"] == ZHENGZHOU  # inherited from the city
    assert (erqi.firms_whitelisted, erqi.firms_total, erqi.ratio) == (1, 1, 1)
    assert table.total.total_output == D("180000.00") and table.total.target == D("0.75")


def test_by_region_of_one_sector_with_firms_registered_at_the_county_itself(world):
    table = coverage_by_region(world.cast.admin_gc, GUANCHENG, sector="industry", on=ON)
    rows = by_region(table)
    assert list(rows) == [(GUANCHENG_STREET, False), (GUANCHENG_STREET_2, False), (GUANCHENG, True)]
    street_1 = rows[(GUANCHENG_STREET, False)]  # ent_a 12,000 active, suspended 20,000, park member 4,000
    assert (street_1.total_output, street_1.whitelisted_output, street_1.firms_total) == (D("36000"), D("16000"), 3)
    assert rows[(GUANCHENG_STREET_2, False)].total_output == D("56000")
    assert rows[(GUANCHENG, True)].total_output == D("8000")  # the expired firm, registered at the county
    assert all(row.sector == "industry" for row in table.rows)
    assert table.total.total_output == D("100000.00")


def test_the_province_drill_down_lists_cities(world):
    table = coverage_by_region(world.province_admin, PROVINCE, on=ON)
    assert [row.region_code for row in table.rows] == [ZHENGZHOU, JIAOZUO]
    jz = by_region(table)[(JIAOZUO, False)]
    assert (jz.target, jz.ratio, jz.gap) == (D("0.8"), D("0.4"), D("8000.00"))


# --- closing the gap -----------------------------------------------------------------------------------


def test_the_gap_list_is_the_fewest_firms_largest_first(world):
    plan = closing_the_gap(world.cast.admin_gc, GUANCHENG, "industry", on=ON)
    assert plan.reached and not plan.already_met
    assert plan.row.gap == D("54000.00")
    names = [pick.candidate.name for pick in plan.picks]
    assert names == ["管城大", "管城过期"]  # 50,000 then 8,000: 16,000 + 58,000 >= 70,000; the suspended one is skipped
    first, second = plan.picks
    assert (first.cumulative_output, first.cumulative_ratio) == (D("66000.00"), D("0.66"))
    assert (second.cumulative_output, second.cumulative_ratio) == (D("74000.00"), D("0.74"))
    assert first.candidate.entry_status is None and second.candidate.entry_status == EntryStatus.EXPIRED
    assert plan.admitted_output == D("58000.00") and plan.ratio_after == D("0.74")
    assert plan.suspended_output == D("20000.00")


def test_the_gap_list_marks_firms_that_already_applied(world):
    plan = closing_the_gap(world.cast.admin_gc, GUANCHENG, "industry", on=ON)
    applied = {pick.candidate.name: pick.candidate.application_id for pick in plan.picks}
    assert applied == {"管城大": None, "管城过期": world.application.pk}
    assert [pick.applied for pick in plan.picks] == [False, True]
    assert plan.applied == 1
    Application.objects.filter(pk=world.application.pk).update(status=ApplicationStatus.REJECTED)
    plan = closing_the_gap(world.cast.admin_gc, GUANCHENG, "industry", on=ON)
    assert [pick.applied for pick in plan.picks] == [False, False]  # a decided application is not pending


def test_an_unreachable_target_is_said_so_and_every_candidate_listed(world):
    target(GUANCHENG, 0.9, effective_from=dt.date(2022, 5, 1))
    plan = closing_the_gap(world.cast.admin_gc, GUANCHENG, "industry", on=ON)
    assert not plan.reached
    assert [pick.candidate.name for pick in plan.picks] == ["管城大", "管城过期", "管城小"]
    assert plan.ratio_after == D("0.8")  # 90% needs the suspended firm's 20,000, which admission cannot bring
    assert plan.suspended_output == D("20000.00")


def test_a_met_target_needs_no_firm(world):
    plan = closing_the_gap(world.cast.admin_gc, GUANCHENG, "commerce", on=ON)
    assert plan.reached and plan.already_met and plan.picks == []
    assert plan.ratio_after == D("0.7")


def test_the_gap_list_reads_more_pages_when_many_small_firms_are_needed(world, monkeypatch):
    from sibao.whitelist import selectors

    monkeypatch.setattr(selectors, "_GAP_PAGE", 2)
    for n in range(12):
        make_enterprise(region=JIAOZUO_STREET, output_value=D(1000 + n))
    plan = closing_the_gap(world.cast.dispatcher_jz, JIAOZUO, "industry", on=ON)
    # 8,000 of 32,066 whitelisted; 80% is 25,652.80: ent_jz's 12,000 then six firms of 1,011 .. 1,006 (a second page)
    assert plan.reached
    outputs = [pick.candidate.output for pick in plan.picks]
    assert outputs == [D(12000), *(D(n) for n in range(1011, 1005, -1))]
    assert plan.picks[-1].cumulative_output >= plan.row.whitelisted_output + plan.row.gap


def test_greedy_picks_are_never_more_than_the_best_subset():
    rng = random.Random(7)
    for _ in range(200):
        outputs = sorted((D(rng.randint(1, 60)) for _ in range(rng.randint(1, 7))), reverse=True)
        total = sum(outputs) + D(rng.randint(0, 50))
        share = D(rng.randint(0, 100)) / 100
        candidates = [coverage.Candidate(i, "", "", "", o, None, None) for i, o in enumerate(outputs)]
        picks, reached = coverage.greedy_picks(candidates, whitelisted=D(0), total=total, target=share)
        needed = coverage.required_output(total, share)
        sizes = [
            k
            for k in range(len(outputs) + 1)
            if any(sum(c) >= needed for c in itertools.combinations(outputs, k)) or (k == 0 and needed <= 0)
        ]
        assert reached == bool(sizes)
        if reached:
            assert len(picks) == min(sizes)


# --- snapshots -----------------------------------------------------------------------------------------


def test_snapshots_are_written_once_per_day_region_and_sector(world):
    written = coverage_snapshot_take(on=ON)
    assert written == CoverageSnapshot.objects.count()
    gc = CoverageSnapshot.objects.get(date=ON, region_id=GUANCHENG, sector="industry")
    assert (gc.total_output, gc.whitelisted_output, gc.target) == (D("100000.00"), D("16000.00"), D("0.7"))
    assert (gc.firms_whitelisted, gc.firms_total, gc.ratio, gc.gap) == (2, 6, D("0.16"), D("54000.00"))
    assert gc.parameter["parameter_id"] == world.gc_target.pk
    regions = set(CoverageSnapshot.objects.values_list("region_id", flat=True))
    assert regions == {PROVINCE, ZHENGZHOU, GUANCHENG, ERQI, JIAOZUO, "410802"}
    totals = CoverageSnapshot.objects.get(date=ON, region_id=PROVINCE, sector="")
    assert (totals.total_output, totals.whitelisted_output) == (D("200000.00"), D("92000.00"))

    assert coverage_snapshot_take(on=ON) == written  # again: same rows, nothing added
    assert CoverageSnapshot.objects.count() == written
    Entry.objects.create(enterprise=world.big, status=EntryStatus.ACTIVE, valid_from=ON, valid_to=ON)
    coverage_snapshot_take(on=ON)  # a later take the same day replaces that day's figures
    assert CoverageSnapshot.objects.count() == written
    gc.refresh_from_db()
    assert gc.whitelisted_output == D("66000.00")


def test_a_sector_that_emptied_since_the_morning_take_is_dropped(world):
    coverage_snapshot_take(on=ON)
    Enterprise.objects.filter(pk=world.project.pk).update(sector="industry")  # the only key project
    coverage_snapshot_take(on=ON)
    assert not CoverageSnapshot.objects.filter(date=ON, region_id=GUANCHENG, sector="key_project").exists()


def test_history_is_oldest_first_within_the_days_and_scoped(world):
    for offset in range(5):
        coverage_snapshot_take(on=ON - dt.timedelta(days=offset))
    call_command("snapshot_coverage", "--date", (ON + dt.timedelta(days=1)).isoformat(), stdout=None)
    history = coverage_history(world.cast.admin_gc, GUANCHENG, "industry", days=3, on=ON)
    assert [point.date for point in history] == [ON - dt.timedelta(days=2), ON - dt.timedelta(days=1), ON]
    assert all(point.region_id == GUANCHENG and point.sector == "industry" for point in history)
    assert [p.date for p in coverage_history(world.cast.admin_gc, GUANCHENG, days=1, on=ON)] == [ON]
    assert coverage_history(world.cast.official_erqi, GUANCHENG, "industry", days=30, on=ON) == []
    assert coverage_history(world.cast.admin_gc, ZHENGZHOU, days=30, on=ON) == []  # above its grant
    assert coverage_history(world.cast.commerce_gc, GUANCHENG, "industry", days=30, on=ON) == []


def test_the_command_records_today_by_default(world, capsys):
    call_command("snapshot_coverage")
    assert "coverage rows recorded" in capsys.readouterr().out
    assert CoverageSnapshot.objects.filter(region_id=GUANCHENG, sector="").count() == 1


def test_a_sector_official_sees_the_history_of_its_sector(cast):
    from sibao.regions.models import Region
    from sibao.whitelist import selectors
    from sibao.whitelist.models import CoverageSnapshot

    guancheng = Region.objects.get(code="410104")
    day = dt.date(2026, 11, 20)
    for sector in ("", "industry", "commerce"):
        CoverageSnapshot.objects.create(
            date=day,
            region=guancheng,
            sector=sector,
            total_output=100,
            whitelisted_output=50,
            target="0.7",
            firms_total=2,
            firms_whitelisted=1,
            taken_at=dt.datetime(2026, 11, 20, 23, tzinfo=dt.UTC),
        )
    history = selectors.coverage_history(cast.industry_gc, guancheng, on=day)
    assert [row.sector for row in history] == ["industry"]
