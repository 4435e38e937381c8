"""Reading uploaded tables: every bad file is refused with a reason, every cell is normalised the same way."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.tabular import (
    CellError,
    Column,
    error_report_rows,
    map_columns,
    normalise_cell,
    parse_bool,
    parse_count,
    parse_decimal,
    parse_rows,
    parse_text,
    read_table,
    write_csv,
    write_xlsx,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"


def upload(content: bytes, name: str = "table.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def table(content: bytes, name: str = "table.xlsx") -> tuple[list[str], list[list]]:
    header, rows = read_table(upload(content, name))
    return header, list(rows)


def refusal(content: bytes, name: str = "table.xlsx") -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        read_table(upload(content, name))
    return caught.value


# --- cells ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (None, ""),
        ("  abc ", "abc"),
        (12.0, "12"),
        (12.5, "12.5"),
        (410104001.0, "410104001"),
        (7, "7"),
        ("１２３４５", "12345"),
        ("\u3000410104001\u3000", "410104001"),
        ("\u00a0 工业生产 ", "工业生产"),
        ("\ufeff91410104MA40XK2N7X\u200b", "91410104MA40XK2N7X"),
    ],
)
def test_cells_are_normalised(raw, text):
    assert normalise_cell(raw) == text


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12345", Decimal("12345.00")),
        ("1,234.5", Decimal("1234.50")),
        ("0", Decimal("0.00")),
        ("0.005", Decimal("0.00")),
        ("1e3", Decimal("1000.00")),
    ],
)
def test_decimal_parses(text, number):
    assert parse_decimal(text) == number


def test_negative_zero_is_plain_zero():
    """'-0' must store and compare as 0, or re-importing the same file would report a change."""
    assert str(parse_decimal("-0")) == "0.00"
    assert str(parse_decimal("-0.00")) == "0.00"


@pytest.mark.parametrize("text", ["-1", "-0.01", "abc", "12元", "NaN", "Infinity", "1e20", "", "1 000"])
def test_decimal_refuses(text):
    with pytest.raises(CellError):
        parse_decimal(text)


@pytest.mark.parametrize(("text", "number"), [("320", 320), ("320.0", 320), ("1,200", 1200), ("0", 0)])
def test_count_parses(text, number):
    assert parse_count(text) == number


@pytest.mark.parametrize("text", ["-3", "3.5", "three", "", "99999999999"])
def test_count_refuses(text):
    with pytest.raises(CellError):
        parse_count(text)


@pytest.mark.parametrize(("text", "value"), [("是", True), ("否", False), ("TRUE", True), ("0", False), ("", False)])
def test_bool_parses(text, value):
    assert parse_bool(text) is value


def test_bool_refuses_other_words():
    with pytest.raises(CellError):
        parse_bool("maybe")


def test_text_length_limit():
    assert parse_text(3)("abc") == "abc"
    with pytest.raises(CellError):
        parse_text(3)("abcd")


# --- files ---------------------------------------------------------------------------------------


def test_xlsx_round_trip():
    content = write_xlsx(["code", "amount"], [["410104001", 12.5], ["410104002", None]])
    header, rows = table(content)
    assert header == ["code", "amount"]
    assert [[normalise_cell(c) for c in row] for row in rows] == [["410104001", "12.5"], ["410104002", ""]]


def test_csv_round_trip_with_bom():
    content = write_csv(["code", "名称"], [["410104001", "管城"]])
    assert content.startswith("\ufeff".encode())
    header, rows = table(content, "t.csv")
    assert header == ["code", "名称"]
    assert rows == [["410104001", "管城"]]


def test_csv_in_gb18030_is_read():
    content = "代码,名称\n410104001,管城回族区\n".encode("gb18030")
    header, rows = table(content, "t.csv")
    assert header == ["代码", "名称"]
    assert rows == [["410104001", "管城回族区"]]


@pytest.mark.parametrize("content", [PNG, PDF, b"GIF89a" + bytes(20), b"\xff\xd8\xff\xe0" + bytes(20)])
def test_binary_files_are_refused(content):
    error = refusal(content, "upload.xlsx")
    assert error.code == ErrorCode.UNSUPPORTED_FILE
    assert error.http_status == 400


def test_old_xls_is_refused_with_advice():
    error = refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "old.xls")
    assert error.code == ErrorCode.UNSUPPORTED_FILE
    with translation.override("en"):
        assert ".xls" in refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100)).message


def test_truncated_xlsx_is_refused():
    content = write_xlsx(["a", "b"], [[str(i), i] for i in range(500)])
    error = refusal(content[: len(content) // 2])
    assert error.code == ErrorCode.UNSUPPORTED_FILE


def test_zip_that_is_not_a_workbook_is_refused():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    assert refusal(buffer.getvalue()).code == ErrorCode.UNSUPPORTED_FILE


@pytest.mark.parametrize("content", [b"", b"   \n\r\n  ", b"\xef\xbb\xbf"])
def test_empty_files_are_refused(content):
    error = refusal(content, "empty.csv")
    assert error.code in (ErrorCode.INVALID, ErrorCode.UNSUPPORTED_FILE)
    assert error.http_status == 400


def test_oversized_file_is_refused_before_it_is_read(settings):
    settings.SIBAO_IMPORT_MAX_BYTES = 1024 * 1024

    class Unreadable:
        size = 50 * 1024 * 1024
        name = "big.csv"

        def read(self, *args):
            raise AssertionError("an oversized file must not be read")

    with pytest.raises(ServiceError) as caught:
        read_table(Unreadable())
    assert caught.value.code == ErrorCode.FILE_TOO_LARGE
    assert caught.value.http_status == 413


# --- headers -------------------------------------------------------------------------------------

COLUMNS = [
    Column("code", "Code", str, aliases=("代码",)),
    Column("amount", "Amount", parse_decimal),
    Column("note", "Note", str, required=False),
]


def test_headers_match_by_name_label_and_alias_ignoring_case_and_spaces():
    assert map_columns(["代码", " AMOUNT ", "N o t e"], COLUMNS) == {"code": 0, "amount": 1, "note": 2}


def test_empty_header_cells_are_ignored():
    assert map_columns(["code", "", "amount"], COLUMNS) == {"code": 0, "amount": 2}


def test_unknown_and_missing_columns_are_named():
    with pytest.raises(ServiceError) as caught:
        map_columns(["code", "colour", "weight"], COLUMNS)
    error = caught.value
    assert error.code == ErrorCode.INVALID
    assert "colour" in error.message and "weight" in error.message
    assert "Amount" in error.message
    assert error.fields["unknown_columns"] == ["colour, weight"]
    assert error.fields["missing_columns"] == ["Amount"]


def test_repeated_columns_are_named():
    with pytest.raises(ServiceError) as caught:
        map_columns(["code", "amount", "Amount"], COLUMNS)
    assert "duplicate_columns" in caught.value.fields


def test_rows_report_row_column_and_reason():
    positions = map_columns(["code", "amount"], COLUMNS)
    rows = list(parse_rows(iter([["a", "1"], ["", ""], ["b", "-5"], ["", "2"]]), positions, COLUMNS))
    assert [r.number for r in rows] == [2, 4, 5]  # the blank row 3 is skipped, numbering follows the sheet
    assert rows[0].values == {"code": "a", "amount": Decimal("1.00")} and not rows[0].errors
    assert [(e.row, e.column, e.value) for e in rows[1].errors] == [(4, "Amount", "-5")]
    assert [(e.row, e.column, e.value) for e in rows[2].errors] == [(5, "Code", "")]


def test_short_rows_count_as_missing_cells():
    positions = map_columns(["code", "amount"], COLUMNS)
    (row,) = parse_rows(iter([["a"]]), positions, COLUMNS)
    assert [e.column for e in row.errors] == ["Amount"]


def test_error_report_rows():
    header, rows = error_report_rows([{"row": 3, "column": "Amount", "value": "-5", "reason": "must not be negative"}])
    assert len(header) == 4
    assert rows == [[3, "Amount", "-5", "must not be negative"]]
