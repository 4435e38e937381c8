"""Staff rosters through the services: ID numbers, who keeps a roster, edits, leaving, imports, revealing.

Every refusal leaves the database as it was; no audit event ever holds a full ID number.
"""

import datetime as dt

import pytest

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.models import ImportBatch
from sibao.core.personal import decrypt, lookup_hash
from sibao.core.tabular import CellError
from sibao.prevention.models import LoopKind, PostType, StaffMember
from sibao.prevention.services.staff import (
    parse_date,
    parse_id_number,
    parse_local_datetime,
    staff_create,
    staff_import,
    staff_leave,
    staff_reveal_id,
    staff_update,
)
from sibao.prevention.tests.staff_builders import (
    STAFF_HEADER,
    clock,  # noqa: F401 (fixture)
    csv_upload,
    id_number,
    person,
    state,
    wrong_check,
    xlsx_upload,
)

pytestmark = pytest.mark.usefixtures("clock")


def number_ending_in_x() -> str:
    return next(n for n in (id_number(i) for i in range(1000)) if n.endswith("X"))


def no_event_holds(number: str) -> None:
    for event in Event.objects.all():
        assert number not in str(event.changes) and number not in event.object_repr, event.action


# --- ID numbers ----------------------------------------------------------------------------------------


def test_id_number_accepts_lower_case_x_and_residence_permits(db):
    number = number_ending_in_x()
    assert parse_id_number(number.lower()) == number
    for region in ("810000", "820000", "830000"):  # Hong Kong, Macao, Taiwan residents' permits
        permit = id_number(7, region=region)
        assert parse_id_number(permit) == permit


@pytest.mark.parametrize(
    "value, reason",
    [
        ("41010519900307", "must have 18 characters"),
        ("4101051990030712AB", "17 digits followed by a digit or X"),
        ("991051199003071230", "no province"),
    ],
)
def test_id_number_refuses_malformed(db, value, reason):
    with pytest.raises(CellError, match=reason):
        parse_id_number(value)
    with pytest.raises(CellError, match="not a date of birth"):
        parse_id_number(id_number(1, born="19901307"))


def test_id_number_refuses_wrong_check_and_future_birth(db):
    with pytest.raises(CellError, match="check character"):
        parse_id_number(wrong_check(id_number(1)))
    with pytest.raises(CellError, match="not possible"):
        parse_id_number(id_number(1, born="20270101"))


def test_dates_and_times_in_the_forms_people_write():
    assert parse_date("2022-05-01") == parse_date("2022/5/1") == parse_date("2022年5月1日") == dt.date(2022, 5, 1)
    assert parse_date("44682") == parse_date("2022.5.1") == parse_date("2022-05-01 00:00:00") == dt.date(2022, 5, 1)
    expected = dt.datetime(2022, 5, 1, 8, 30)
    assert parse_local_datetime("2022-05-01 08:30") == parse_local_datetime("2022/5/1 8:30") == expected
    assert parse_local_datetime("44682.3541666667") == expected
    assert parse_local_datetime("2022-05-01T08:30:00") == expected
    with pytest.raises(CellError, match="no time of day"):
        parse_local_datetime("2022-05-01")
    with pytest.raises(CellError):
        parse_local_datetime("yesterday")


# --- who keeps a roster --------------------------------------------------------------------------------


def test_liaison_adds_staff_to_its_own_roster_stored_encrypted_and_masked(cast):
    number = number_ending_in_x()
    staff = person(cast.liaison_a, cast.ent_a, number=number.lower(), post_type="流动岗位", loop_kind="气泡")
    assert staff.id_masked == number[:3] + "*" * 11 + number[-4:]
    assert decrypt(staff.id_cipher) == number and staff.id_hash == lookup_hash(number)
    assert (staff.post_type, staff.loop_kind) == (PostType.MOBILE, LoopKind.BUBBLE)
    event = Event.objects.get(action="staff.create")
    assert event.changes["id_masked"] == [None, staff.id_masked]
    no_event_holds(number)


@pytest.mark.parametrize("who", ["liaison_b", "industry_gc", "prevention_erqi", "dispatcher_gc"])
def test_others_may_not_add_to_a_roster(cast, who):
    before = state()
    with pytest.raises(ServiceError) as refused:
        person(getattr(cast, who), cast.ent_a)
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert state() == before


def test_prevention_and_local_officials_keep_rosters_of_their_area(cast):
    assert person(cast.prevention_gc, cast.ent_a).enterprise == cast.ent_a
    assert person(cast.street_gc, cast.ent_a).enterprise == cast.ent_a


def test_the_same_person_twice_on_a_roster_is_a_conflict(cast):
    number = id_number()
    person(cast.liaison_a, cast.ent_a, number=number)
    before = state()
    with pytest.raises(ServiceError) as refused:
        person(cast.liaison_a, cast.ent_a, number=number.lower())
    assert refused.value.code == ErrorCode.CONFLICT
    assert state() == before
    assert person(cast.liaison_b, cast.ent_b, number=number).enterprise == cast.ent_b  # another firm may


def test_invalid_values_are_refused_by_field(cast):
    before = state()
    with pytest.raises(ServiceError) as refused:
        staff_create(
            actor=cast.liaison_a,
            enterprise=cast.ent_a,
            data={"name": "", "id_number": wrong_check(id_number()), "start_date": "soon", "post_type": "boss"},
        )
    assert set(refused.value.fields) == {"name", "id_number", "start_date", "post_type"}
    assert state() == before


# --- edits and leaving ---------------------------------------------------------------------------------


def test_update_with_a_stale_version_is_a_conflict(cast):
    staff = person(cast.liaison_a, cast.ent_a)
    staff_update(actor=cast.liaison_a, staff=staff, data={"phone": "13800000000"}, expected_version=1)
    before = state()
    with pytest.raises(ServiceError) as refused:
        staff_update(actor=cast.prevention_gc, staff=staff, data={"phone": "13900000000"}, expected_version=1)
    assert refused.value.code == ErrorCode.CONFLICT
    assert state() == before
    staff.refresh_from_db()
    assert (staff.phone, staff.version) == ("13800000000", 2)


def test_correcting_an_id_number_keeps_it_masked_in_the_log(cast):
    staff = person(cast.liaison_a, cast.ent_a)
    corrected = id_number()
    staff = staff_update(actor=cast.liaison_a, staff=staff, data={"id_number": corrected})
    assert staff.id_hash == lookup_hash(corrected)
    assert Event.objects.get(action="staff.update").changes["id_masked"][1] == staff.id_masked
    no_event_holds(corrected)


def test_update_refused_for_another_firm(cast):
    staff = person(cast.liaison_a, cast.ent_a)
    before = state()
    with pytest.raises(ServiceError):
        staff_update(actor=cast.liaison_b, staff=staff, data={"name": "李四"})
    assert state() == before


def test_leaving_keeps_the_person_on_record(cast):
    staff = person(cast.liaison_a, cast.ent_a)
    staff_leave(actor=cast.liaison_a, staff=staff)
    staff.refresh_from_db()
    assert staff.left_on == dt.date(2026, 5, 4)
    before = state()
    with pytest.raises(ServiceError) as refused:
        staff_leave(actor=cast.liaison_a, staff=staff)
    assert refused.value.code == ErrorCode.CONFLICT
    assert state() == before
    assert StaffMember.objects.filter(pk=staff.pk).exists()


# --- import ----------------------------------------------------------------------------------------------


def roster_row(number: str, name: str = "王五", **overrides) -> list:
    values = {
        "name": name,
        "id": number,
        "phone": "13800138000",
        "post": "一般岗位",
        "kind": "两点一线",
        "unit": "一车间",
        "work": "一号厂房",
        "lodging": "二号宿舍",
        "start": "2026-04-01",
        **overrides,
    }
    return list(values.values())


def test_import_stores_or_reports_every_row_and_a_second_import_changes_nothing(cast):
    good = [id_number() for _ in range(3)]
    bad = wrong_check(id_number())
    rows = [
        roster_row(good[0]),
        roster_row(good[1].lower(), post="Mobile or contact post (logistics, sales)"),
        roster_row(good[2], post="mobile", start="2026/4/2"),
        roster_row(good[0], name="重复"),  # repeats the first row
        roster_row(bad),
        roster_row(id_number(), post="boss", start="someday"),
    ]
    batch = staff_import(actor=cast.liaison_a, enterprise=cast.ent_a, upload=csv_upload(STAFF_HEADER, rows))
    assert (batch.kind, batch.rows, batch.created, batch.rejected) == ("staff", 6, 3, 3)
    assert {e["row"] for e in batch.errors} == {5, 6, 7}
    assert any("repeats row 2" in e["reason"] for e in batch.errors)
    assert bad not in str(batch.errors)  # reported masked
    assert StaffMember.objects.filter(enterprise=cast.ent_a, post_type=PostType.MOBILE).count() == 2
    assert Event.objects.filter(action="staff.import_create").count() == 3
    for number in good:
        no_event_holds(number)

    staff_before, events_before = state()["staff"], Event.objects.count()
    again = staff_import(actor=cast.liaison_a, enterprise=cast.ent_a, upload=csv_upload(STAFF_HEADER, rows))
    assert (again.created, again.updated, again.unchanged, again.rejected) == (0, 0, 3, 3)
    assert state()["staff"] == staff_before and Event.objects.count() == events_before


def test_a_later_file_updates_the_people_it_repeats(cast):
    number = id_number()
    staff_import(actor=cast.liaison_a, enterprise=cast.ent_a, upload=csv_upload(STAFF_HEADER, [roster_row(number)]))
    later = csv_upload(STAFF_HEADER, [roster_row(number, phone="13911112222"), roster_row(id_number())])
    batch = staff_import(actor=cast.liaison_a, enterprise=cast.ent_a, upload=later)
    assert (batch.created, batch.updated, batch.unchanged) == (1, 1, 0)
    staff = StaffMember.objects.get(id_hash=lookup_hash(number))
    assert (staff.phone, staff.version) == ("13911112222", 2)


def test_import_of_a_workbook_with_merged_header_cells_and_mixed_dates(cast):
    numbers = [id_number() for _ in range(3)]

    def write(workbook, sheet):
        sheet.merge_range("A1:I1", "管城甲食品有限公司员工花名册")
        for column, title in enumerate(["姓名", "身份证号", "手机号", "岗位类型"]):
            sheet.merge_range(1, column, 2, column, title)
        sheet.merge_range("E2:F2", "闭环单元")
        sheet.write_row("E3", ["类型", "名称"])
        for column, title in enumerate(["工作地点", "住宿地点", "到岗日期"], start=6):
            sheet.merge_range(1, column, 2, column, title)
        date = workbook.add_format({"num_format": "yyyy-mm-dd"})
        sheet.write_row(3, 0, ["甲", numbers[0], "13800000001", "一般岗位", "气泡", "A组", "车间", "宿舍"])
        sheet.write_datetime(3, 8, dt.datetime(2026, 4, 1), date)
        sheet.write_row(4, 0, ["乙", numbers[1].lower(), "", "流动岗位", "两点一线", "B组", "", "", "2026/4/2"])
        sheet.write_row(5, 0, ["丙", numbers[2], "", "", "", "", "", "", 46115])  # a serial date typed as a number

    batch = staff_import(actor=cast.liaison_a, enterprise=cast.ent_a, upload=xlsx_upload(write))
    assert (batch.created, batch.rejected) == (3, 0), batch.errors
    people = {s.name: s for s in StaffMember.objects.filter(enterprise=cast.ent_a)}
    assert people["甲"].start_date == dt.date(2026, 4, 1) and people["甲"].loop_kind == LoopKind.BUBBLE
    assert people["甲"].loop_unit == "A组"
    assert people["乙"].start_date == dt.date(2026, 4, 2) and people["乙"].post_type == PostType.MOBILE
    assert people["丙"].start_date == dt.date(2026, 4, 3)


def test_import_errors_carry_spreadsheet_row_numbers_below_a_title(cast):
    def write(workbook, sheet):
        sheet.merge_range("A1:I1", "员工花名册")
        sheet.write_row(1, 0, STAFF_HEADER)
        sheet.write_row(2, 0, roster_row(id_number()))
        sheet.write_row(3, 0, roster_row("123"))

    batch = staff_import(actor=cast.liaison_a, enterprise=cast.ent_a, upload=xlsx_upload(write))
    assert batch.created == 1 and [e["row"] for e in batch.errors] == [4]


def test_import_refused_for_another_firm_changes_nothing(cast):
    before = state()
    with pytest.raises(ServiceError) as refused:
        staff_import(
            actor=cast.liaison_b, enterprise=cast.ent_a, upload=csv_upload(STAFF_HEADER, [roster_row(id_number())])
        )
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert state() == before and ImportBatch.objects.count() == 0


# --- revealing -----------------------------------------------------------------------------------------


def test_prevention_official_reveals_an_id_number_and_it_is_audited(cast):
    number = id_number()
    staff = person(cast.liaison_a, cast.ent_a, number=number)
    assert staff_reveal_id(actor=cast.prevention_gc, staff=staff) == number
    event = Event.objects.get(action="staff.reveal_id")
    assert event.actor == cast.prevention_gc and event.object_id == str(staff.pk)
    no_event_holds(number)


@pytest.mark.parametrize("who", ["liaison_a", "street_gc", "prevention_erqi", "admin_gc"])
def test_others_may_not_reveal(cast, who):
    staff = person(cast.liaison_a, cast.ent_a)
    before = state()
    with pytest.raises(ServiceError) as refused:
        staff_reveal_id(actor=getattr(cast, who), staff=staff)
    assert refused.value.code == ErrorCode.FORBIDDEN
    assert state() == before
