"""Tabular import and export: read csv/xlsx, map headers, parse cells, report every bad row.

The rule (DESIGN §4): every uploaded row ends either stored or in an error report naming the row,
the column and the reason. Nothing here touches the database; apps describe their columns and
store what parses.
"""

import csv
import gc
import io
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext as _

from sibao.core.errors import ErrorCode, ServiceError


class CellError(ValueError):
    """A cell's value is wrong; the message says why."""


@dataclass(frozen=True)
class Column:
    """One column of an import file: its field, its header label, how its cells parse."""

    name: str
    label: str
    parse: Callable[[str], object]
    required: bool = True
    aliases: tuple[str, ...] = ()
    example: str = ""

    def headers(self) -> set[str]:
        """Every header this column is recognised by: its name and its label in each language."""
        from django.utils import translation

        found = {normalise_header(h) for h in (self.name, *self.aliases)}
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                found.add(normalise_header(str(self.label)))
        return found


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ParsedRow:
    number: int
    values: dict
    errors: list[RowError] = field(default_factory=list)


@contextmanager
def collector_paused():
    """Pause Python's cyclic garbage collector while a file is imported (usable as a decorator).

    An import builds hundreds of thousands of small objects (cells, rows, values) that live until it
    ends and form no reference cycles; the collector would walk them over and over for nothing, about
    a tenth of a large import's time. Reference counting frees memory as usual; the collector resumes
    afterwards, unless it was already paused.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- cells -----------------------------------------------------------------------------------------


# Invisible characters that copy-and-paste leaves around cell values (BOM, zero-width space and joiners).
_INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060"


def normalise_cell(value) -> str:
    """Any cell as text: full-width characters folded to ASCII (NFKC), spaces and invisibles trimmed."""
    if type(value) is str:  # csv cells and most workbook cells: skip the checks for other types
        text = value
    elif value is None:
        return ""
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = value if isinstance(value, str) else str(value)
    if text.isascii():
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip().strip(_INVISIBLE).strip()


def normalise_header(value) -> str:
    return normalise_cell(value).replace(" ", "").lower()


def parse_text(max_length: int) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if len(value) > max_length:
            raise CellError(_("is longer than %(n)d characters") % {"n": max_length})
        return value

    return parse


def parse_decimal(value: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", ""))
    except InvalidOperation:
        raise CellError(_("is not a number")) from None
    if not number.is_finite():
        raise CellError(_("is not a number"))
    if number < 0:
        raise CellError(_("must not be negative"))
    if number >= Decimal("1e12"):
        raise CellError(_("is too large"))
    if number.is_zero():
        return Decimal("0.00")  # "-0" is zero: compare and store it as such
    return number.quantize(Decimal("0.01"))


def parse_count(value: str) -> int:
    text = value.replace(",", "")
    if text.endswith(".0"):
        text = text[:-2]
    if not text.lstrip("-").isdigit():
        raise CellError(_("is not a whole number"))
    number = int(text)
    if number < 0:
        raise CellError(_("must not be negative"))
    if number > 10_000_000:
        raise CellError(_("is too large"))
    return number


_TRUE = {"1", "true", "yes", "y", "on", "是", "√", "✓"}
_FALSE = {"0", "false", "no", "n", "否", ""}


def parse_bool(value: str) -> bool:
    folded = value.lower()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    raise CellError(_("must be 是 or 否"))


def parse_choice(choices) -> Callable[[str], str]:
    """Accept a choice by its value or by its label in any language the labels are shown in."""

    lookup: dict[str, str] = {}

    def parse(value: str) -> str:
        if not lookup:
            lookup.update(_choice_lookup(choices))
        key = value.lower()
        if key not in lookup:
            raise CellError(_("is not one of: %(choices)s") % {"choices": "、".join(str(c.label) for c in choices)})
        return lookup[key]

    return parse


def _choice_lookup(choices) -> dict[str, str]:
    from django.utils import translation

    lookup = {c.value.lower(): c.value for c in choices}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            lookup.update({str(c.label).lower(): c.value for c in choices})
    return lookup


# --- files -----------------------------------------------------------------------------------------

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"GIF8", b"\xff\xd8\xff", b"\x1f\x8b", b"Rar!", b"7z\xbc\xaf")


def refuse_if_too_large(size: int | None) -> None:
    """ServiceError (413) when `size` bytes exceed the import limit; callers check before reading anything."""
    limit = settings.SIBAO_IMPORT_MAX_BYTES
    if size is not None and size > limit:
        raise ServiceError(
            ErrorCode.FILE_TOO_LARGE,
            _("The file is %(size).1f MB; the limit is %(limit)d MB. Split it into smaller files.")
            % {"size": size / 1024 / 1024, "limit": limit // 1024 // 1024},
        )


def read_table(upload) -> tuple[list[str], Iterator[list]]:
    """Headers and row iterator of an uploaded csv or xlsx file; ServiceError if it is neither."""
    refuse_if_too_large(getattr(upload, "size", None))
    data = upload.read()
    if not data.strip():
        raise ServiceError(ErrorCode.INVALID, _("The file is empty."))
    if data.startswith(XLSX_MAGIC):
        rows = _xlsx_rows(data)
    elif data.startswith(XLS_MAGIC):
        raise ServiceError(ErrorCode.UNSUPPORTED_FILE, _("Old .xls files are not supported: save as .xlsx or .csv."))
    elif data.startswith(BINARY_MAGIC):
        raise ServiceError(ErrorCode.UNSUPPORTED_FILE, _("The file is neither an .xlsx workbook nor a .csv text file."))
    else:
        rows = _csv_rows(data)
    try:
        header = next(rows)
    except StopIteration:
        raise ServiceError(ErrorCode.INVALID, _("The file is empty.")) from None
    return [normalise_cell(h) for h in header], rows


def _csv_rows(data: bytes) -> Iterator[list]:
    text = None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    if text is None or "\x00" in text[:4096]:
        raise ServiceError(ErrorCode.UNSUPPORTED_FILE, _("The file is neither an .xlsx workbook nor a .csv text file."))
    return iter(csv.reader(io.StringIO(text)))


def _xlsx_rows(data: bytes) -> Iterator[list]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
    except (zipfile.BadZipFile, ValueError, OSError, Exception) as exc:  # calamine raises its own types
        raise ServiceError(
            ErrorCode.UNSUPPORTED_FILE,
            _("The .xlsx file cannot be read (is it damaged or truncated?): %(reason)s") % {"reason": exc},
        ) from None
    return iter(rows)


def map_columns(header: Sequence[str], columns: Sequence[Column]) -> dict[str, int]:
    """Index of each column in the header; ServiceError naming unknown, duplicate or missing columns."""
    known = {}
    for column in columns:
        for alias in column.headers():
            known[alias] = column.name
    positions: dict[str, int] = {}
    unknown, duplicate = [], []
    for index, raw in enumerate(header):
        key = normalise_header(raw)
        if not key:
            continue
        name = known.get(key)
        if name is None:
            unknown.append(raw)
        elif name in positions:
            duplicate.append(raw)
        else:
            positions[name] = index
    missing = [str(c.label) for c in columns if c.required and c.name not in positions]
    problems = {}
    if unknown:
        problems["unknown_columns"] = [", ".join(unknown)]
    if duplicate:
        problems["duplicate_columns"] = [", ".join(duplicate)]
    if missing:
        problems["missing_columns"] = [", ".join(missing)]
    if problems:
        parts = []
        if unknown:
            parts.append(_("unknown columns: %(c)s") % {"c": "、".join(unknown)})
        if duplicate:
            parts.append(_("repeated columns: %(c)s") % {"c": "、".join(duplicate)})
        if missing:
            parts.append(_("missing columns: %(c)s") % {"c": "、".join(missing)})
        raise ServiceError(
            ErrorCode.INVALID,
            _("The header row does not match the template: %(p)s.") % {"p": "; ".join(parts)},
            problems,
        )
    return positions


def parse_rows(rows: Iterator[list], positions: dict[str, int], columns: Sequence[Column]) -> Iterator[ParsedRow]:
    """Parse each non-empty row; row numbers count the header as row 1, as a spreadsheet shows them."""
    wanted = [c for c in columns if c.name in positions]
    indexes = [positions[c.name] for c in wanted]
    parsers = [(c.name, c.parse, c.required, c.label) for c in wanted]
    for number, raw in enumerate(rows, start=2):
        texts = _cells_at(raw, indexes)
        if not any(texts) and not any(normalise_cell(v) for v in raw):
            continue  # empty, also in columns without a header
        values, errors = {}, []
        for (name, parse, required, label), text in zip(parsers, texts, strict=True):
            if text:
                try:
                    values[name] = parse(text)
                except CellError as exc:
                    errors.append(RowError(number, label, text, str(exc)))
            elif required:
                errors.append(RowError(number, label, "", _("is required")))
        yield ParsedRow(number, values, errors)


def _cells_at(raw: Sequence, indexes: list[int]) -> list[str]:
    """The normalised text of the cells at `indexes` ("" past the end of a short row)."""
    width = len(raw)
    return [normalise_cell(raw[index]) if index < width else "" for index in indexes]


# --- writing ---------------------------------------------------------------------------------------


def write_xlsx(header: Sequence[str], rows: Sequence[Sequence], sheet: str = "Sheet1") -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_numbers": False})
    worksheet = workbook.add_worksheet(sheet[:31])
    bold = workbook.add_format({"bold": True})
    worksheet.write_row(0, 0, header, bold)
    for index, row in enumerate(rows, start=1):
        worksheet.write_row(index, 0, [_cell_out(v) for v in row])
    worksheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def write_csv(header: Sequence[str], rows: Sequence[Sequence]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_cell_out(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _cell_out(value):
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "" if value is None else value


def error_report_rows(errors: Sequence[dict]) -> tuple[list[str], list[list]]:
    """Header and rows of the downloadable error file."""
    header = [_("Row"), _("Column"), _("Value"), _("Reason")]
    return header, [[e["row"], e["column"], e["value"], e["reason"]] for e in errors]
