"""Importing the registry from xlsx/csv: every row stored or reported, the same file twice changes nothing."""

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from python_calamine import CalamineWorkbook

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.models import ImportBatch
from sibao.core.tabular import write_xlsx
from sibao.enterprises import services
from sibao.enterprises.models import Enterprise
from sibao.enterprises.rules import enterprise_columns
from sibao.enterprises.tests.files import HEADER, State, cells, csv_file, raw_file, row, xlsx_file
from sibao.testing import GUANCHENG_STREET, GUANCHENG_STREET_2, JIAOZUO_STREET

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    + bytes(200)
)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%%EOF\n"


def label(name: str) -> str:
    """The header label of a registry column in the active language (as error reports name it)."""
    return next(str(c.label) for c in enterprise_columns(()) if c.name == name)


def run(actor, upload) -> ImportBatch:
    return services.enterprise_import(actor=actor, upload=upload)


def refused_file(actor, upload) -> ServiceError:
    """An import refused as a whole: an error, no batch, nothing stored."""
    before = State.now()
    with pytest.raises(ServiceError) as caught:
        run(actor, upload)
    assert State.now() == before
    return caught.value


def errors_by_row(batch: ImportBatch) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for error in batch.errors:
        found.setdefault(error["row"], []).append((error["column"], error["reason"]))
    return found


def assert_counts_add_up(batch: ImportBatch) -> None:
    assert batch.created + batch.updated + batch.unchanged + batch.rejected == batch.rows


def read_xlsx(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


# --- storing and re-importing --------------------------------------------------------------------


@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_new_rows_are_stored_with_their_audit_events(cast, make_file):
    rows = [row(), row(sector="commerce", region=GUANCHENG_STREET_2), row(kind="project", key_project="是")]
    events_before = Event.objects.count()
    batch = run(cast.dispatcher_gc, make_file(rows))
    assert (batch.rows, batch.created, batch.updated, batch.unchanged, batch.rejected) == (3, 3, 0, 0, 0)
    assert batch.errors == []
    assert batch.actor == cast.dispatcher_gc
    assert len(batch.sha256) == 64
    stored = {e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=[r["credit_code"] for r in rows])}
    assert len(stored) == 3
    first = stored[rows[0]["credit_code"]]
    assert (first.name, first.region_id, first.output_value, first.headcount) == (
        rows[0]["name"],
        GUANCHENG_STREET,
        Decimal("12000.00"),
        320,
    )
    assert first.created_by == cast.dispatcher_gc
    assert stored[rows[2]["credit_code"]].key_project is True
    assert stored[rows[2]["credit_code"]].kind == "project"
    assert Event.objects.count() == events_before + 3
    for enterprise in stored.values():
        (event,) = Event.objects.for_object(enterprise)
        assert event.action == "enterprise.import_create"
        assert event.changes["import"] == [None, batch.pk]


@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_the_same_file_twice_changes_nothing(cast, make_file):
    rows = [row() for _ in range(4)]
    run(cast.dispatcher_gc, make_file(rows))
    before = State.now()
    again = run(cast.dispatcher_gc, make_file(rows))
    assert (again.rows, again.created, again.updated, again.unchanged, again.rejected) == (4, 0, 0, 4, 0)
    after = State.now()
    assert after.versions == before.versions
    assert (after.enterprises, after.events) == (before.enterprises, before.events)
    assert after.batches == before.batches + 1  # the attempt itself is on record


def test_changed_rows_are_updated_with_a_new_version_and_an_event(cast):
    rows = [row(), row()]
    run(cast.dispatcher_gc, xlsx_file(rows))
    rows[1]["output_value"] = "15000.5"
    batch = run(cast.dispatcher_gc, xlsx_file(rows))
    assert (batch.created, batch.updated, batch.unchanged) == (0, 1, 1)
    changed = Enterprise.objects.get(credit_code=rows[1]["credit_code"])
    assert (changed.output_value, changed.version) == (Decimal("15000.50"), 2)
    event = Event.objects.for_object(changed).get(action="enterprise.import_update")
    assert event.changes["output_value"] == ["12000.00", "15000.50"]
    assert Enterprise.objects.get(credit_code=rows[0]["credit_code"]).version == 1


def test_existing_enterprise_of_the_cast_is_updated_in_place(cast):
    data = row(credit_code=cast.ent_a.credit_code, name=cast.ent_a.name, output_value="13000")
    batch = run(cast.dispatcher_gc, xlsx_file([data]))
    assert (batch.created, batch.updated) == (0, 1)
    assert Enterprise.objects.get(pk=cast.ent_a.pk).output_value == Decimal("13000.00")


# --- row errors ----------------------------------------------------------------------------------


@pytest.fixture
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("credit_code", "91410104MA0000001Q", "check character"),
        ("credit_code", "91410104MA000000", "18 characters"),
        ("credit_code", "91410104MA0000O01Z", "not allowed"),
        ("credit_code", "B1410104MA0000001X", "registration authority"),
        ("region", "410199999", "not a known division code"),
        ("output_value", "-100", "must not be negative"),
        ("output_value", "about 5000", "is not a number"),
        ("output_value", "", "is required"),
        ("headcount", "-2", "must not be negative"),
        ("headcount", "3.5", "not a whole number"),
        ("sector", "mining", "is not one of"),
        ("industry_division", "99", "GB/T 4754"),
        ("contact_phone", "none", "phone"),
        ("key_project", "perhaps", "是"),
    ],
)
@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_bad_cell_is_reported_with_row_column_and_reason(cast, english, make_file, field, value, reason):
    good = [row(), row()]
    bad = row(**{field: value})
    before = State.now()
    batch = run(cast.dispatcher_gc, make_file([good[0], bad, good[1]]))
    assert (batch.rows, batch.created, batch.rejected) == (3, 2, 1)
    assert_counts_add_up(batch)
    ((column, why),) = errors_by_row(batch)[3]
    assert column == label(field)
    assert reason in why
    (error,) = batch.errors
    assert error["value"] == value.strip()
    assert not Enterprise.objects.filter(name=bad["name"]).exists()
    assert Enterprise.objects.count() == before.enterprises + 2
    assert Event.objects.count() == before.events + 2


def test_every_bad_cell_of_a_row_is_reported(cast, english):
    bad = row(credit_code="123", output_value="-1", region="999999999")
    batch = run(cast.dispatcher_gc, xlsx_file([bad]))
    assert batch.rejected == 1
    assert {c for c, _r in errors_by_row(batch)[2]} == {label("credit_code"), label("output_value"), label("region")}


def test_duplicate_credit_code_within_the_file(cast, english):
    first = row()
    again = row(credit_code=first["credit_code"].lower(), name="重复企业有限公司")
    batch = run(cast.dispatcher_gc, xlsx_file([first, row(), again]))
    assert (batch.created, batch.rejected) == (2, 1)
    ((column, why),) = errors_by_row(batch)[4]
    assert column == label("credit_code")
    assert "repeats row 2" in why
    assert Enterprise.objects.get(credit_code=first["credit_code"]).name == first["name"]


def test_a_repeat_is_reported_even_when_the_first_copy_is_bad(cast, english):
    first = row(output_value="-1")
    again = row(credit_code=first["credit_code"])
    before = State.now()
    batch = run(cast.dispatcher_gc, xlsx_file([first, again]))
    assert (batch.rows, batch.created, batch.rejected) == (2, 0, 2)
    found = errors_by_row(batch)
    assert [c for c, _r in found[2]] == [label("output_value")]
    assert "repeats row 2" in found[3][0][1]
    assert Enterprise.objects.count() == before.enterprises


def test_full_width_digits_and_stray_spaces_are_normalised(cast):
    code = row()["credit_code"]
    written = "".join(chr(ord(c) + 0xFEE0) for c in code.lower())
    data = row(
        credit_code=f" {written}\u3000",
        output_value="１２３４５",
        headcount=" ３２０ ",
        region=" 410104001 ",
        industry_division="１４",
        name="  全角测试有限公司 ",
    )
    batch = run(cast.dispatcher_gc, csv_file([data]))
    assert (batch.created, batch.rejected) == (1, 0), batch.errors
    stored = Enterprise.objects.get(credit_code=code)
    assert (stored.output_value, stored.headcount, stored.region_id, stored.industry_division, stored.name) == (
        Decimal("12345.00"),
        320,
        GUANCHENG_STREET,
        "14",
        "全角测试有限公司",
    )
    # and the normalised spelling counts as the same row when the file comes again
    assert run(cast.dispatcher_gc, csv_file([data])).unchanged == 1


def test_numeric_cells_from_a_spreadsheet(cast):
    """Excel stores codes and amounts as numbers: 410104001.0 and 12000.0 must read as the text people typed."""
    data = row()
    values = cells([data])[0]
    values[HEADER.index("region")] = 410104001
    values[HEADER.index("output_value")] = 12000.5
    values[HEADER.index("headcount")] = 320.0
    values[HEADER.index("industry_division")] = 14
    upload = raw_file(write_xlsx(HEADER, [values]))
    batch = run(cast.dispatcher_gc, upload)
    assert batch.created == 1, batch.errors
    stored = Enterprise.objects.get(credit_code=data["credit_code"])
    assert (stored.region_id, stored.output_value, stored.headcount) == (GUANCHENG_STREET, Decimal("12000.50"), 320)


def test_blank_lines_are_skipped_and_row_numbers_follow_the_sheet(cast, english):
    content = write_xlsx(HEADER, [cells([row()])[0], [""] * len(HEADER), cells([row(output_value="x")])[0]])
    batch = run(cast.dispatcher_gc, raw_file(content))
    assert batch.rows == 2
    assert list(errors_by_row(batch)) == [4]


def test_rows_outside_ones_jurisdiction_are_reported(cast, english):
    rows = [
        row(sector="industry"),
        row(sector="commerce"),
        row(region=JIAOZUO_STREET),
        row(credit_code=cast.ent_jz.credit_code, region=GUANCHENG_STREET),  # pulling another city's enterprise in
    ]
    before = State.now()
    batch = run(cast.industry_gc, xlsx_file(rows))
    assert (batch.created, batch.rejected) == (1, 3)
    found = errors_by_row(batch)
    assert [c for c, _r in found[3]] == [label("region")]
    assert [c for c, _r in found[4]] == [label("region")]
    assert [c for c, _r in found[5]] == [label("credit_code")]
    assert "jurisdiction" in found[5][0][1]
    assert Enterprise.objects.get(pk=cast.ent_jz.pk).region_id == JIAOZUO_STREET
    assert Enterprise.objects.count() == before.enterprises + 1


def test_someone_without_import_rights_is_refused(cast):
    for who in ("liaison_a", "auditor_gc", "checkpoint"):
        error = refused_file(getattr(cast, who), xlsx_file([row()]))
        assert error.code == ErrorCode.FORBIDDEN


# --- whole-file refusals -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "name"),
    [(PNG, "enterprises.xlsx"), (PNG, "picture.png"), (PDF, "enterprises.csv"), (PDF, "scan.pdf")],
)
def test_a_file_that_is_not_a_table_is_refused(cast, content, name):
    error = refused_file(cast.dispatcher_gc, raw_file(content, name))
    assert error.code == ErrorCode.UNSUPPORTED_FILE
    assert error.message


def test_a_truncated_workbook_is_refused(cast):
    content = xlsx_file([row() for _ in range(200)]).read()
    error = refused_file(cast.dispatcher_gc, raw_file(content[: len(content) // 2]))
    assert error.code == ErrorCode.UNSUPPORTED_FILE


@pytest.mark.parametrize("content", [b"", b"\n\n", b"\xef\xbb\xbf"])
def test_an_empty_file_is_refused(cast, content):
    error = refused_file(cast.dispatcher_gc, raw_file(content, "empty.csv"))
    assert error.http_status == 400


def test_an_empty_workbook_is_refused(cast):
    error = refused_file(cast.dispatcher_gc, raw_file(write_xlsx([], [])))
    assert error.http_status == 400


@pytest.mark.parametrize("make", [xlsx_file, csv_file])
def test_a_file_with_only_a_header_is_refused(cast, make):
    error = refused_file(cast.dispatcher_gc, make([]))
    assert error.code == ErrorCode.INVALID
    assert not ImportBatch.objects.exists()


def test_a_50_mb_file_is_refused_before_parsing(cast):
    content = b"credit_code,name\n" + b"x" * (50 * 1024 * 1024)
    error = refused_file(cast.dispatcher_gc, raw_file(content, "huge.csv"))
    assert error.code == ErrorCode.FILE_TOO_LARGE
    assert error.http_status == 413


def test_unknown_columns_are_named(cast, english):
    header = [*HEADER, "colour", "备注二"]
    data = [{**row(), "colour": "red", "备注二": "x"}]
    error = refused_file(cast.dispatcher_gc, xlsx_file(data, header=header))
    assert error.code == ErrorCode.INVALID
    assert "colour" in error.message and "备注二" in error.message
    assert error.fields["unknown_columns"] == ["colour, 备注二"]


def test_missing_columns_are_named(cast, english):
    header = [h for h in HEADER if h not in ("output_value", "region")]
    error = refused_file(cast.dispatcher_gc, csv_file([row()], header=header))
    assert error.code == ErrorCode.INVALID
    assert label("output_value") in error.message and label("region") in error.message
    assert "missing_columns" in error.fields


def test_optional_columns_may_be_left_out(cast):
    header = ["credit_code", "name", "sector", "industry_division", "region", "output_value", "headcount"]
    batch = run(cast.dispatcher_gc, csv_file([row()], header=header))
    assert batch.created == 1, batch.errors


# --- template, export, error file ----------------------------------------------------------------


def test_the_template_is_an_xlsx_whose_header_imports(cast, login, english):
    client = login(cast.dispatcher_gc)
    response = client.get(reverse("enterprises:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = read_xlsx(response.content)
    header = sheet[0]
    assert header == [label(c.name) for c in enterprise_columns(())]
    # the template's example row is a placeholder: the header is accepted and the row reported, not stored
    batch = run(cast.dispatcher_gc, raw_file(response.content, "template.xlsx"))
    assert (batch.rows, batch.created, batch.rejected) == (1, 0, 1)
    assert [c for c, _r in errors_by_row(batch)[2]] == [label("credit_code")]
    # filled in under the same header, it imports
    data = row()
    filled = [data.get(c.name, "") for c in enterprise_columns(())]
    batch = run(cast.dispatcher_gc, raw_file(write_xlsx(header, [filled])))
    assert batch.created == 1, batch.errors


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_an_export_re_imports_unchanged(cast, login, fmt):
    run(
        cast.dispatcher_gc,
        xlsx_file(
            [
                row(kind="project", key_project="是", city_operation_support="是", output_value="1234.56"),
                row(sector="commerce", contact_phone="", address="", legal_representative=""),
                row(output_value="0"),
            ]
        ),
    )
    client = login(cast.dispatcher_gc)
    response = client.get(reverse("enterprises:export"), {"format": fmt} if fmt == "csv" else {})
    assert response.status_code == 200
    visible = Enterprise.objects.visible_to(cast.dispatcher_gc).count()
    before = State.now()
    batch = run(cast.dispatcher_gc, raw_file(response.content, f"export.{fmt}"))
    assert batch.errors == []
    assert (batch.rows, batch.unchanged) == (visible, visible)
    after = State.now()
    assert (after.versions, after.events, after.enterprises) == (before.versions, before.events, before.enterprises)


def test_the_export_holds_only_what_the_user_may_see(cast, login):
    response = login(cast.industry_gc).get(reverse("enterprises:export"))
    sheet = read_xlsx(response.content)
    codes = {r[0] for r in sheet[1:]}
    assert codes == {cast.ent_a.credit_code}


def test_the_export_respects_the_filter(cast, login):
    response = login(cast.dispatcher_gc).get(reverse("enterprises:export"), {"sector": "commerce", "format": "csv"})
    text = response.content.decode("utf-8-sig")
    assert cast.ent_b.credit_code in text
    assert cast.ent_a.credit_code not in text


@pytest.fixture
def batch_with_errors(cast):
    with translation.override("en"):
        return run(cast.dispatcher_gc, xlsx_file([row(), row(output_value="-5"), row(region="123")]))


def test_error_file_xlsx_names_row_column_and_reason(cast, login, batch_with_errors):
    response = login(cast.dispatcher_gc).get(reverse("imports:errors", args=[batch_with_errors.pk, "xlsx"]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = read_xlsx(response.content)
    assert len(sheet) == 3
    body = [[int(r[0]), r[1], r[2], r[3]] for r in sheet[1:]]
    assert body[0][:3] == [3, batch_with_errors.errors[0]["column"], "-5"]
    assert "negative" in body[0][3]
    assert body[1][:3] == [4, batch_with_errors.errors[1]["column"], "123"]


def test_report_page_shows_the_counts_and_the_errors(cast, login, batch_with_errors):
    response = login(cast.dispatcher_gc).get(
        reverse("imports:report", args=[batch_with_errors.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert response.context["batch"] == batch_with_errors
    content = response.content.decode()
    assert "must not be negative" in content
    assert reverse("imports:errors", args=[batch_with_errors.pk, "xlsx"]) in content


def test_error_file_csv(cast, login, batch_with_errors):
    response = login(cast.dispatcher_gc).get(reverse("imports:errors", args=[batch_with_errors.pk, "csv"]))
    assert response.status_code == 200
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("3,")


@pytest.mark.parametrize("who", ["admin_gc", "industry_gc", "auditor_gc", "liaison_a", "official_erqi"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_error_file_is_only_for_the_importer(cast, login, batch_with_errors, who, fmt):
    client = login(getattr(cast, who))
    assert client.get(reverse("imports:errors", args=[batch_with_errors.pk, fmt])).status_code == 404
    assert client.get(reverse("imports:report", args=[batch_with_errors.pk])).status_code == 404


def test_error_file_of_an_unknown_format_is_404(cast, login, batch_with_errors):
    client = login(cast.dispatcher_gc)
    assert client.get(reverse("imports:errors", args=[batch_with_errors.pk, "pdf"])).status_code == 404


def test_error_file_needs_a_sign_in(client, batch_with_errors):
    response = client.get(reverse("imports:errors", args=[batch_with_errors.pk, "xlsx"]))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- the import page -----------------------------------------------------------------------------


def test_import_page_stores_and_redirects_to_the_report(cast, login):
    client = login(cast.dispatcher_gc)
    rows = [row(), row(output_value="-1")]
    response = client.post(reverse("enterprises:import"), {"file": xlsx_file(rows)})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:report", args=[batch.pk])
    assert (batch.created, batch.rejected) == (1, 1)
    assert batch.actor == cast.dispatcher_gc


@pytest.mark.parametrize(
    "upload",
    [
        lambda: raw_file(PNG, "photo.png"),
        lambda: raw_file(PDF, "scan.pdf"),
        lambda: raw_file(xlsx_file([row() for _ in range(50)]).read()[:3000]),
        lambda: xlsx_file([{**row(), "colour": "red"}], header=[*HEADER, "colour"]),
    ],
    ids=["png", "pdf", "truncated", "unknown-column"],
)
def test_import_page_refuses_a_bad_file_and_stores_nothing(cast, login, upload):
    client = login(cast.dispatcher_gc)
    before = State.now()
    response = client.post(reverse("enterprises:import"), {"file": upload()}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert State.now() == before


def test_import_page_refuses_an_empty_file(cast, login):
    client = login(cast.dispatcher_gc)
    before = State.now()
    response = client.post(reverse("enterprises:import"), {"file": raw_file(b"", "empty.csv")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert State.now() == before


def test_import_page_without_a_file_says_so(cast, login):
    client = login(cast.dispatcher_gc)
    response = client.post(reverse("enterprises:import"), {})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not ImportBatch.objects.exists()


def test_import_page_refuses_a_50_mb_file(cast, login):
    client = login(cast.dispatcher_gc)
    before = State.now()
    content = b"credit_code,name\n" + b"x" * (50 * 1024 * 1024)
    response = client.post(reverse("enterprises:import"), {"file": raw_file(content, "huge.csv")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert State.now() == before


@pytest.mark.parametrize("who", ["liaison_a", "auditor_gc", "checkpoint"])
def test_import_page_is_not_there_for_those_who_may_not_import(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("enterprises:import")).status_code == 404
    before = State.now()
    assert client.post(reverse("enterprises:import"), {"file": xlsx_file([row()])}).status_code == 404
    assert State.now() == before


def test_an_edit_made_while_the_file_is_read_is_not_overwritten(cast, monkeypatch):
    """The plan is made from values read before the write; a concurrent edit in between wins and the row is reported."""
    upload = csv_file([row(credit_code=cast.ent_a.credit_code, name="导入的新名称", region=cast.ent_a.region_id)])
    real_store = services._store_import

    def edit_then_store(*args, **kwargs):
        services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "4321"})
        return real_store(*args, **kwargs)

    monkeypatch.setattr(services, "_store_import", edit_then_store)
    batch = run(cast.dispatcher_gc, upload)
    cast.ent_a.refresh_from_db()
    assert (cast.ent_a.headcount, cast.ent_a.version) == (4321, 2)
    assert cast.ent_a.name != "导入的新名称"
    assert batch.updated == 0 and batch.rejected == 1
    assert "someone else" in batch.errors[0]["reason"] or "他人" in batch.errors[0]["reason"]
