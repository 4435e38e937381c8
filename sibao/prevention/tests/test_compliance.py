"""Test compliance: the refresh's numbers on a mixed roster, as time passes and as parameters change; the SQL
against the pure rule; roll-ups by region and sector, scoped; the management command."""

import datetime as dt
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from sibao.prevention import selectors
from sibao.prevention.models import ComplianceDay, PostType
from sibao.prevention.models import TestOutcome as Result
from sibao.prevention.rules import Cycles, Standing, staff_standing
from sibao.prevention.services.compliance import compliance_refresh
from sibao.prevention.tests.compliance_builders import (
    DAY,
    NOW,
    clock,  # noqa: F401 (fixture)
    mixed_roster,
    person,
)
from sibao.regions.models import Parameter, Region
from sibao.testing import ERQI, GUANCHENG, JIAOZUO, make_enterprise

pytestmark = pytest.mark.usefixtures("clock")


def figures(enterprise) -> dict:
    row = ComplianceDay.objects.get(enterprise=enterprise, day=DAY)
    return {f: getattr(row, f) for f in ("staff", "newcomers", "within", "overdue", "positive")}


def test_a_mixed_roster_is_counted_by_standing(cast):
    mixed_roster(cast.ent_a)
    assert compliance_refresh(enterprise_ids=[cast.ent_a.pk]) == 1
    assert figures(cast.ent_a) == {"staff": 9, "newcomers": 2, "within": 2, "overdue": 4, "positive": 1}
    row = ComplianceDay.objects.get(enterprise=cast.ent_a)
    assert (row.region_code, row.sector) == (cast.ent_a.region_id, "industry")
    assert (row.cycle_general_hours, row.cycle_mobile_hours, row.static_days) == (48, 24, 3)
    assert row.counted == 7 and row.share == pytest.approx(2 / 7)


def test_every_enterprise_is_computed_when_none_is_named(cast):
    mixed_roster(cast.ent_a)
    person(cast.ent_b, hours_ago=1)
    assert compliance_refresh() == 3
    assert figures(cast.ent_b) == {"staff": 1, "newcomers": 0, "within": 1, "overdue": 0, "positive": 0}
    assert figures(cast.ent_jz)["staff"] == 0  # an empty roster is a row of zeros


def test_time_moves_staff_out_of_their_cycle_and_newcomers_into_the_count(cast, clock):  # noqa: F811
    mixed_roster(cast.ent_a)
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    clock.shift(dt.timedelta(hours=1))  # 11:00: tests of 48 h (general) and 24 h (mobile) ago are just within
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    assert figures(cast.ent_a)["within"] == 2
    clock.shift(dt.timedelta(minutes=1))  # and now they are not
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    assert ComplianceDay.objects.filter(enterprise=cast.ent_a).count() == 1  # today's row replaced
    assert figures(cast.ent_a) == {"staff": 9, "newcomers": 2, "within": 0, "overdue": 6, "positive": 1}
    clock.shift(dt.timedelta(days=1))  # the next day: the newcomer of DAY - 2 is out of the static period
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    tomorrow = ComplianceDay.objects.get(enterprise=cast.ent_a, day=DAY + dt.timedelta(days=1))
    assert (tomorrow.newcomers, tomorrow.positive, tomorrow.within) == (1, 2, 0)
    assert ComplianceDay.objects.filter(enterprise=cast.ent_a).count() == 2  # history by day


def test_a_jurisdictions_cycle_changes_the_result_and_is_stored(cast):
    tested_30_hours_ago = [person(cast.ent_jz, hours_ago=30) for _ in range(3)]
    person(cast.ent_a, hours_ago=30)
    compliance_refresh()
    assert figures(cast.ent_jz)["within"] == 3
    Parameter.objects.create(
        region_id=JIAOZUO,
        key="prevention.test_cycle_hours",
        value={"general": 24, "mobile": 24},
        effective_from=DAY,
    )
    compliance_refresh()
    row = ComplianceDay.objects.get(enterprise=cast.ent_jz, day=DAY)
    assert (row.within, row.overdue) == (0, len(tested_30_hours_ago))
    assert (row.cycle_general_hours, row.cycle_mobile_hours) == (24, 24)
    guancheng = ComplianceDay.objects.get(enterprise=cast.ent_a, day=DAY)
    assert (guancheng.within, guancheng.cycle_general_hours) == (1, 48)  # Guancheng keeps 48 h


def test_a_longer_static_period_counts_more_newcomers(cast):
    mixed_roster(cast.ent_a)
    Parameter.objects.create(region_id=GUANCHENG, key="prevention.static_period_days", value=7, effective_from=DAY)
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    row = ComplianceDay.objects.get(enterprise=cast.ent_a)
    assert (row.newcomers, row.static_days) == (3, 7)


def test_the_sql_counts_what_the_pure_rule_says(cast):
    """A random roster with values on every boundary: the GROUP BY and the overdue list agree with the rule."""
    rng = random.Random(4)
    firms = [cast.ent_a, cast.ent_b]
    people = []
    for _ in range(300):
        people.append(
            person(
                rng.choice(firms),
                post=rng.choice([PostType.GENERAL, PostType.MOBILE]),
                started=DAY - dt.timedelta(days=rng.choice([0, 1, 2, 3, 4, 30])),
                hours_ago=rng.choice([None, 0, 23.99, 24, 24.01, 47.99, 48, 48.01, 100]),
                result=rng.choice([Result.NEGATIVE, Result.POSITIVE]),
            )
        )
    cycles, at = Cycles(48, 24, 3), timezone.now()
    local = timezone.localtime(at)
    expected = {
        firm.pk: {s: 0 for s in (Standing.NEWCOMER, Standing.WITHIN, Standing.OVERDUE, Standing.POSITIVE)}
        for firm in firms
    }
    for p in people:
        p.refresh_from_db()
        standing = staff_standing(
            post_type=p.post_type,
            start_date=p.start_date,
            last_sampled_at=p.last_sampled_at,
            last_result=p.last_result,
            cycles=cycles,
            at=local,
        )
        expected[p.enterprise_id][standing] += 1
    counted = {row[0]: row[1:] for row in selectors.standing_counts(selectors.active_staff(), cycles, at)}
    for firm in firms:
        want = expected[firm.pk]
        staff, newcomers, positive, within = counted[firm.pk]
        assert (staff, newcomers, positive, within) == (
            sum(want.values()),
            want[Standing.NEWCOMER],
            want[Standing.POSITIVE],
            want[Standing.WITHIN],
        )
        listed = selectors.overdue_staff(cast.prevention_gc, firm, at=at)
        assert listed.count() == want[Standing.OVERDUE] + want[Standing.POSITIVE]
        assert sum(p.standing == Standing.POSITIVE for p in listed) == want[Standing.POSITIVE]


def test_the_overdue_list_is_health_data(cast):
    mixed_roster(cast.ent_a)
    names = {p.name for p in selectors.overdue_staff(cast.prevention_gc, cast.ent_a)}
    assert len(names) == 5  # 4 overdue and 1 positive; newcomers and the one who left are not listed
    assert len(selectors.overdue_staff(cast.liaison_a, cast.ent_a)) == 5
    for outsider in (cast.dispatcher_gc, cast.industry_gc, cast.prevention_erqi, cast.liaison_b):
        assert not selectors.overdue_staff(outsider, cast.ent_a).exists()


# --- roll-ups ----------------------------------------------------------------------------------------------


@pytest.fixture
def computed(cast):
    """Compliance of Guancheng's two firms, the Jiaozuo firm and one of Erqi."""
    cast.ent_erqi = make_enterprise(region=ERQI, sector="industry")
    mixed_roster(cast.ent_a)  # 2 of 7 within
    for hours in (1, 2, 60):
        person(cast.ent_b, hours_ago=hours)  # 2 of 3 within
    person(cast.ent_jz, hours_ago=1)
    person(cast.ent_erqi, hours_ago=1)
    compliance_refresh()
    return cast


def test_rollup_by_child_region(computed):
    guancheng = Region.objects.get(code=GUANCHENG)
    rollup = selectors.compliance_by_region(computed.prevention_gc, guancheng)
    rows = {row.key: row.figures for row in rollup.rows}
    assert set(rows) == {computed.ent_a.region_id, computed.ent_b.region_id}
    assert (rows[computed.ent_a.region_id].within, rows[computed.ent_a.region_id].counted) == (2, 7)
    assert (rollup.total.staff, rollup.total.within, rollup.total.newcomers, rollup.total.firms) == (12, 4, 2, 2)
    assert rollup.as_of == NOW and rollup.oldest == DAY


def test_rollup_by_sector(computed):
    guancheng = Region.objects.get(code=GUANCHENG)
    rollup = selectors.compliance_by_sector(computed.prevention_gc, guancheng)
    assert [(row.key, row.figures.staff, row.figures.within) for row in rollup.rows] == [
        ("industry", 9, 2),
        ("commerce", 3, 2),
    ]


def test_rollups_are_scoped(computed):
    zhengzhou = Region.objects.get(code="410100")
    erqi_sees = selectors.compliance_by_region(computed.prevention_erqi, zhengzhou)
    assert [row.key for row in erqi_sees.rows] == [ERQI]
    assert erqi_sees.total.staff == 1
    guancheng = Region.objects.get(code=GUANCHENG)
    assert selectors.compliance_by_region(computed.prevention_erqi, guancheng).rows == []
    assert selectors.compliance_by_sector(computed.prevention_erqi, guancheng).total.staff == 0
    industry = selectors.compliance_by_sector(computed.industry_gc, guancheng)  # a sector official: its sector
    assert [row.key for row in industry.rows] == ["industry"]


def test_rollups_take_each_enterprises_latest_row(computed, clock):  # noqa: F811
    clock.shift(dt.timedelta(days=1))
    compliance_refresh(enterprise_ids=[computed.ent_b.pk])  # only ent_b computed on the next day
    guancheng = Region.objects.get(code=GUANCHENG)
    rollup = selectors.compliance_by_sector(computed.prevention_gc, guancheng)
    assert rollup.total.staff == 12  # ent_a's row of DAY, ent_b's of the next day, nothing twice
    assert rollup.oldest == DAY and rollup.as_of == NOW + dt.timedelta(days=1)


def test_the_command_refreshes_every_enterprise(cast, capsys):
    mixed_roster(cast.ent_a)
    call_command("refresh_compliance")
    out = capsys.readouterr().out
    assert "3 enterprise(s), 9 staff: 2 within cycle, 4 overdue" in out
    assert ComplianceDay.objects.filter(day=DAY).count() == 3
