"""The pure prevention rules: cycles, standing, static periods, credential colour and readiness gaps."""

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from sibao.prevention.rules import (
    Colour,
    Cycles,
    Standing,
    credential_colour,
    readiness_gaps,
    staff_standing,
    static_period_overdue,
)

AT = dt.datetime(2026, 5, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
CYCLES = Cycles(48, 24, 3)
OLD = dt.date(2026, 4, 1)


def standing(post="general", start=OLD, hours=None, result="negative"):
    sampled = None if hours is None else AT - dt.timedelta(hours=hours)
    return staff_standing(
        post_type=post,
        start_date=start,
        last_sampled_at=sampled,
        last_result=result if sampled else "",
        cycles=CYCLES,
        at=AT,
    )


@pytest.mark.parametrize(
    ("post", "hours", "expected"),
    [
        ("general", 48, Standing.WITHIN),  # the cycle's last instant still counts
        ("general", 48.01, Standing.OVERDUE),
        ("mobile", 24, Standing.WITHIN),
        ("mobile", 24.01, Standing.OVERDUE),
        ("general", None, Standing.OVERDUE),
    ],
)
def test_standing_by_post_type_and_age_of_the_test(post, hours, expected):
    assert standing(post, hours=hours) == expected


def test_a_positive_latest_result_is_not_within_cycle():
    assert standing(hours=1, result="positive") == Standing.POSITIVE


def test_newcomers_are_counted_apart_whatever_their_tests():
    assert standing(start=dt.date(2026, 5, 2), hours=1, result="positive") == Standing.NEWCOMER
    assert standing(start=dt.date(2026, 5, 1)) == Standing.OVERDUE  # 3 days on: the static period is over


def test_cycles_from_parameters_and_tests_per_day():
    cycles = Cycles.from_parameters({"general": "24", "mobile": 12}, "7")
    assert (cycles.hours("general"), cycles.hours("mobile"), cycles.static_days) == (24, 12, 7)
    assert CYCLES.tests_per_day(general=100, mobile=10) == 60


def test_static_period_overdue_needs_a_negative_test_since_starting():
    start = dt.date(2026, 5, 1)
    on = dt.date(2026, 5, 4)
    before = dt.datetime(2026, 4, 30, 9, tzinfo=dt.UTC)
    after = dt.datetime(2026, 5, 2, 9, tzinfo=dt.UTC)
    check = lambda sampled, result: static_period_overdue(  # noqa: E731
        start_date=start, last_sampled_at=sampled, last_result=result, cycles=CYCLES, on=on
    )
    assert check(None, "")
    assert check(before, "negative")
    assert check(after, "positive")
    assert not check(after, "negative")
    assert not static_period_overdue(start_date=on, last_sampled_at=None, last_result="", cycles=CYCLES, on=on)


def test_credential_colour():
    green = credential_colour(
        code_outcome="green", code_checked_at=AT, itinerary_risk=False, standing=Standing.WITHIN, at=AT, valid_hours=24
    )
    assert green == (Colour.GREEN, [])
    colour, reasons = credential_colour(
        code_outcome="green",
        code_checked_at=AT - dt.timedelta(hours=25),
        itinerary_risk=True,
        standing=Standing.OVERDUE,
        at=AT,
        valid_hours=24,
    )
    assert colour == Colour.YELLOW and len(reasons) == 3
    red, _reasons = credential_colour(
        code_outcome="red", code_checked_at=AT, itinerary_risk=False, standing=Standing.WITHIN, at=AT, valid_hours=24
    )
    assert red == Colour.RED


def test_readiness_gaps():
    plan = SimpleNamespace(
        plan_document="plan.pdf",
        lodging="宿舍",
        receiving_point="东门",
        observation_places=2,
        lead_name="王强",
        lead_phone="138",
    )
    assert readiness_gaps(plan=plan, staff=200, unassigned=0, observation_ratio=0.01) == []
    assert [g.code for g in readiness_gaps(plan=plan, staff=201, unassigned=1, observation_ratio=0.01)] == [
        "units",
        "observation",
    ]
    assert [g.code for g in readiness_gaps(plan=None, staff=0, unassigned=0, observation_ratio=0.01)] == [
        "plan_document",
        "staff",
        "lodging",
        "receiving_point",
        "lead",
    ]
