"""Test-result ingest through the service: validation, idempotence, held-apart results and their adoption,
status updates, positive alerts, and who may put results on whose staff."""

import datetime as dt

import pytest

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.personal import lookup_hash
from sibao.prevention.models import Alert, AlertCause, HeldResult, StaffMember
from sibao.prevention.models import TestOutcome as Outcome
from sibao.prevention.models import TestResult as Result
from sibao.prevention.services.tests import test_results_ingest as ingest
from sibao.prevention.tests.staff_builders import (
    RESULT_HEADER,
    SHANGHAI,
    clock,  # noqa: F401 (fixture)
    csv_upload,
    id_number,
    person,
    state,
    wrong_check,
    xlsx_upload,
)

pytestmark = pytest.mark.usefixtures("clock")


def results_file(rows, name="results.csv"):
    return csv_upload(RESULT_HEADER, rows, name=name)


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def staff(cast):
    """Two people on ent_a's roster."""
    return [person(cast.liaison_a, cast.ent_a, name=name) for name in ("甲", "乙")]


def number_of(member: StaffMember) -> str:
    from sibao.core.personal import decrypt

    return decrypt(member.id_cipher)


def test_a_file_is_stored_counted_and_the_same_file_again_changes_nothing(cast, staff):
    first, second = (number_of(s) for s in staff)
    rows = [
        [first, "2026-05-03 08:30", "郑州金域", "阴性"],
        [second.lower(), "2026/5/3 9:05", "郑州金域", "negative"],
        [first, "2026-05-02 08:30", "郑州金域", "Negative"],
    ]
    batch = ingest(actor=cast.liaison_a, upload=results_file(rows))
    assert (batch.kind, batch.rows, batch.created, batch.unchanged, batch.held, batch.rejected) == (
        "test_results",
        3,
        3,
        0,
        0,
        0,
    )
    member = StaffMember.objects.get(pk=staff[0].pk)
    assert member.last_sampled_at == at("2026-05-03T08:30") and member.last_result == Outcome.NEGATIVE
    assert member.last_institution == "郑州金域"
    event = Event.objects.get(action="test_results.ingest")
    assert event.changes["stored"] == [None, 3]

    before = state()
    again = ingest(actor=cast.liaison_a, upload=results_file(rows))
    assert (again.created, again.unchanged, again.held) == (0, 3, 0)
    after = state()
    assert after["staff"] == before["staff"] and after["results"] == before["results"] == 3


def test_bad_rows_are_reported_with_the_reason_and_never_lost(cast, staff):
    number = number_of(staff[0])
    bad_number = wrong_check(id_number())
    rows = [
        [number, "2026-05-03 08:30", "郑州金域", "阴性"],
        [bad_number, "2026-05-03 08:30", "郑州金域", "阴性"],
        ["12345", "2026-05-03 08:30", "郑州金域", "阴性"],
        [number, "2026-05-05 08:30", "郑州金域", "阴性"],  # tomorrow
        [number, "2026-05-03 09:30", "郑州金域", "weakly positive"],
        [number, "2026-05-03 10:30", "", "阴性"],
        [number, "2026-05-03", "郑州金域", "阴性"],  # no time of day
    ]
    batch = ingest(actor=cast.liaison_a, upload=results_file(rows))
    assert (batch.rows, batch.created, batch.rejected) == (7, 1, 6)
    reasons = {e["row"]: e["reason"] for e in batch.errors}
    assert "check character" in reasons[3] and "18 characters" in reasons[4]
    assert reasons[5] == "is in the future" and "is not one of" in reasons[6]
    assert reasons[7] == "is required" and "no time of day" in reasons[8]
    assert bad_number not in str(batch.errors)
    assert Result.objects.count() == 1


def test_duplicates_within_a_file_and_across_files_are_counted_once(cast, staff):
    number = number_of(staff[0])
    row = [number, "2026-05-03 08:30", "郑州金域", "阴性"]
    batch = ingest(
        actor=cast.liaison_a, upload=results_file([row, row, [number.lower(), "2026/5/3 8:30", "郑州金域", "阴性"]])
    )
    assert (batch.created, batch.unchanged, batch.rejected) == (1, 2, 0)
    conflicting = ingest(actor=cast.liaison_a, upload=results_file([row, [*row[:3], "阳性"]]))
    assert (conflicting.created, conflicting.unchanged, conflicting.rejected) == (0, 1, 1)
    assert "different result" in conflicting.errors[0]["reason"]
    from_api = ingest(
        actor=cast.liaison_a,
        rows=[
            {
                "id_number": number,
                "sampled_at": "2026-05-03T08:30:00+08:00",
                "institution": "郑州金域",
                "result": "negative",
            }
        ],
    )
    assert (from_api.created, from_api.unchanged) == (0, 1)
    assert Result.objects.count() == 1


def test_a_workbook_with_excel_serial_and_text_dates(cast, staff):
    first, second = (number_of(s) for s in staff)

    def write(workbook, sheet):
        sheet.write_row(0, 0, RESULT_HEADER)
        when = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        sheet.write_row(1, 0, [first])
        sheet.write_datetime(1, 1, dt.datetime(2026, 5, 3, 8, 30), when)
        sheet.write_row(1, 2, ["郑州金域", "阴性"])
        sheet.write_row(2, 0, [second, "2026/5/3 9:05", "郑州金域", "阴性"])
        sheet.write_row(3, 0, [first, 46144.25, "郑州金域", "阴性"])  # 2026-05-02 06:00 as a bare number

    batch = ingest(actor=cast.liaison_a, upload=xlsx_upload(write))
    assert (batch.created, batch.rejected) == (3, 0), batch.errors
    times = set(Result.objects.values_list("sampled_at", flat=True))
    assert times == {at("2026-05-03T08:30"), at("2026-05-03T09:05"), at("2026-05-02T06:00")}


def test_an_older_result_does_not_replace_a_newer_status(cast, staff):
    number = number_of(staff[0])
    ingest(actor=cast.liaison_a, upload=results_file([[number, "2026-05-03 08:30", "甲机构", "阴性"]]))
    ingest(actor=cast.liaison_a, upload=results_file([[number, "2026-05-01 08:30", "乙机构", "阳性"]]))
    member = StaffMember.objects.get(pk=staff[0].pk)
    assert (member.last_sampled_at, member.last_institution) == (at("2026-05-03T08:30"), "甲机构")


def test_a_positive_result_raises_exactly_one_alert_even_when_ingested_twice(cast, staff):
    row = [number_of(staff[1]), "2026-05-03 08:30", "郑州金域", "阳性"]
    ingest(actor=cast.liaison_a, upload=results_file([row]))
    ingest(actor=cast.liaison_a, upload=results_file([row]))
    ingest(
        actor=cast.prevention_gc,
        rows=[dict(zip(["id_number", "sampled_at", "institution", "result"], row, strict=True))],
    )
    alert = Alert.objects.get(cause=AlertCause.POSITIVE)
    assert (alert.enterprise, alert.staff_id, alert.subject) == (cast.ent_a, staff[1].pk, str(staff[1].pk))
    assert number_of(staff[1]) not in alert.detail and "乙" in alert.detail
    assert StaffMember.objects.get(pk=staff[1].pk).last_result == Outcome.POSITIVE


def test_results_of_people_on_no_roster_are_held_apart_then_adopted(cast, staff):
    newcomer = id_number()
    batch = ingest(
        actor=cast.liaison_a,
        upload=results_file(
            [[newcomer, "2026-05-03 08:30", "郑州金域", "阳性"], [newcomer, "2026-05-03 08:30", "郑州金域", "阳性"]]
        ),
    )
    assert (batch.created, batch.held, batch.unchanged) == (0, 1, 1)
    held = HeldResult.objects.get()
    assert held.batch == batch and held.id_masked.startswith("410***") and held.row == 2
    again = ingest(actor=cast.liaison_a, upload=results_file([[newcomer, "2026-05-03 08:30", "郑州金域", "阳性"]]))
    assert (again.held, again.unchanged) == (0, 1)

    member = person(cast.liaison_a, cast.ent_a, number=newcomer, name="丙")
    assert not HeldResult.objects.exists()
    result = Result.objects.get(id_hash=lookup_hash(newcomer))
    assert result.batch == batch and result.result == Outcome.POSITIVE
    member.refresh_from_db()
    assert member.last_sampled_at == at("2026-05-03T08:30")
    assert Alert.objects.filter(cause=AlertCause.POSITIVE, staff=member).count() == 1


def test_a_liaison_cannot_put_results_on_another_firms_staff(cast):
    other = person(cast.liaison_b, cast.ent_b, name="乙公司员工")
    number = number_of(other)
    batch = ingest(actor=cast.liaison_a, upload=results_file([[number, "2026-05-03 08:30", "假机构", "阴性"]]))
    assert (batch.created, batch.held) == (0, 1)
    assert not Result.objects.exists()
    other.refresh_from_db()
    assert other.last_sampled_at is None
    # When ent_a's roster gains the person too, the held result joins them there (liaison_a keeps ent_a), not at ent_b.
    person(cast.prevention_gc, cast.ent_a, number=number, name="甲公司也有")
    other.refresh_from_db()
    assert other.last_sampled_at is None
    assert StaffMember.objects.get(enterprise=cast.ent_a).last_institution == "假机构"


def test_held_results_join_only_a_roster_their_ingester_keeps(cast):
    number = id_number()
    ingest(actor=cast.liaison_a, upload=results_file([[number, "2026-05-03 08:30", "郑州金域", "阴性"]]))
    person(cast.liaison_b, cast.ent_b, number=number)
    assert HeldResult.objects.count() == 1 and not Result.objects.exists()


def test_an_official_stores_results_of_staff_in_its_area_and_holds_the_rest(cast):
    here = person(cast.liaison_a, cast.ent_a)
    there = person(cast.liaison_jz, cast.ent_jz)
    rows = [[number_of(m), "2026-05-03 08:30", "郑州金域", "阴性"] for m in (here, there)]
    batch = ingest(actor=cast.prevention_gc, upload=results_file(rows))
    assert (batch.created, batch.held) == (1, 1)
    assert StaffMember.objects.get(pk=here.pk).last_sampled_at is not None
    assert StaffMember.objects.get(pk=there.pk).last_sampled_at is None


@pytest.mark.parametrize("who", ["industry_gc", "dispatcher_gc", "checkpoint"])
def test_roles_without_health_data_may_not_ingest(cast, who):
    before = state()
    with pytest.raises(ServiceError) as refused:
        ingest(actor=getattr(cast, who), upload=results_file([[id_number(), "2026-05-03 08:30", "机构", "阴性"]]))
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert state() == before


def test_the_api_list_must_be_a_list_of_objects(cast):
    before = state()
    for rows in ([], {"id_number": "x"}, ["not an object"]):
        with pytest.raises(ServiceError) as refused:
            ingest(actor=cast.liaison_a, rows=rows)
        assert refused.value.code == ErrorCode.INVALID
    assert state() == before


def test_a_large_file_is_matched_in_one_pass_over_the_rosters_with_the_same_outcome(cast, monkeypatch):
    from sibao.prevention.services import tests

    monkeypatch.setattr(tests, "_SCAN_FROM", 1)
    here, there = person(cast.liaison_a, cast.ent_a), person(cast.liaison_jz, cast.ent_jz)
    rows = [[number_of(m), "2026-05-03 08:30", "郑州金域", "阴性"] for m in (here, there)]
    batch = ingest(actor=cast.prevention_gc, upload=results_file(rows))
    assert (batch.created, batch.held) == (1, 1)
    assert StaffMember.objects.get(pk=here.pk).last_sampled_at == at("2026-05-03T08:30")
    assert StaffMember.objects.get(pk=there.pk).last_sampled_at is None
