"""Staff rosters: add, change, mark as left, import from csv/xlsx, reveal an ID number.

Who keeps a roster: the enterprise's own liaisons, and officials holding `Action.HEALTH` where the
enterprise is (`may_keep`). An ID number is stored encrypted with a keyed hash to find it and a masked
copy to show; no audit event ever holds the number itself. A person is one row per enterprise,
found by (enterprise, ID hash); staff are never deleted, they leave.
"""

import datetime as dt
import hashlib
import itertools
from collections.abc import Iterator, Mapping, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sibao.accounts.roles import Action
from sibao.audit.models import Event
from sibao.audit.services import SYSTEM, diff, event_build, event_record, snapshot
from sibao.core.clock import now, today
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.identifiers import InvalidIdentifier, resident_id_validate
from sibao.core.masking import mask_id_number
from sibao.core.models import ImportBatch
from sibao.core.personal import decrypt, encrypt, lookup_hash
from sibao.core.tabular import (
    CellError,
    Column,
    ParsedRow,
    RowError,
    map_columns,
    normalise_cell,
    normalise_header,
    parse_choice,
    parse_rows,
    parse_text,
    read_table,
)
from sibao.enterprises.models import Enterprise
from sibao.prevention.models import LoopKind, PostType, StaffMember
from sibao.prevention.services.compliance import compliance_refresh
from sibao.regions.scoping import may_act_at

IMPORT_KIND = "staff"
# The roster fields a keeper sets (the ID number is set through `id_number` and stored as three fields).
STAFF_FIELDS = ["name", "phone", "post_type", "loop_kind", "loop_unit", "workplace", "lodging", "start_date"]
# What audit events record of a member of staff: the masked ID number, never the number.
AUDIT_FIELDS = ["name", "id_masked", *STAFF_FIELDS[1:], "left_on"]
_DEFAULTS = {
    "phone": "",
    "post_type": PostType.GENERAL,
    "loop_kind": "",
    "loop_unit": "",
    "workplace": "",
    "lodging": "",
}


# --- who keeps a roster ------------------------------------------------------------------------------


def may_keep(actor, enterprise: Enterprise) -> bool:
    """Whether `actor` keeps this enterprise's roster and health data: its liaison, or HEALTH there."""
    if not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    if actor.enterprise_id and actor.enterprise_id == enterprise.pk:
        return True
    return may_act_at(actor, Action.HEALTH, enterprise.region_id, enterprise.sector)


def _require_keep(actor, enterprise: Enterprise) -> None:
    if not may_keep(actor, enterprise):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not keep the staff roster of this enterprise."))


# --- cells -------------------------------------------------------------------------------------------

EXCEL_EPOCH = dt.datetime(1899, 12, 30)
_SEPARATORS = str.maketrans({"/": "-", "年": "-", "月": "-", "日": " ", "T": " "})


def excel_serial(text: str) -> float | None:
    """The number of an Excel serial date (days since 1899-12-30, 1955-2119), or None if the text is not one."""
    if not text[:5].isdigit() or (len(text) > 5 and text[5] != "."):
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if 20_000 <= number < 80_000 else None


def _date_parts(text: str) -> dt.date:
    parts = text.replace(".", "-").split("-")
    if len(parts) == 1 and len(text) == 8 and text.isdigit():
        parts = [text[:4], text[4:6], text[6:]]
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) != 4:
        raise CellError(_("is not a date (e.g. 2022-05-01)"))
    try:
        return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise CellError(_("is not a date (e.g. 2022-05-01)")) from None


def parse_date(text: str) -> dt.date:
    """2022-05-01, 2022/5/1, 2022.5.1, 2022年5月1日, 20220501, an Excel serial (44682) or a workbook date."""
    serial = excel_serial(text)
    if serial is not None:
        return (EXCEL_EPOCH + dt.timedelta(days=int(serial))).date()
    return _date_parts(text.translate(_SEPARATORS).split()[0] if text.strip() else text)


def parse_local_datetime(text: str) -> dt.datetime:
    """A time of day on a date, naive (local time) or with an offset: "2022-05-01 08:30", "2022/5/1 8:30",
    "2022-05-01T08:30:00+08:00", a workbook's datetime, or an Excel serial with a fraction (44682.354)."""
    serial = excel_serial(text)
    if serial is not None:
        return EXCEL_EPOCH + dt.timedelta(seconds=round(serial * 86400))
    if "+" in text or text.endswith("Z"):
        try:
            return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise CellError(_("is not a date and time (e.g. 2022-05-01 08:30)")) from None
    date_text, _sep, time_text = text.translate(_SEPARATORS).strip().partition(" ")
    day = _date_parts(date_text)
    clock = time_text.strip().split(":")
    if not time_text.strip() or not 2 <= len(clock) <= 3:
        raise CellError(_("has no time of day (e.g. 2022-05-01 08:30)"))
    try:
        seconds = float(clock[2]) if len(clock) == 3 else 0.0
        return dt.datetime(day.year, day.month, day.day, int(clock[0]), int(clock[1]), int(seconds))
    except ValueError:
        raise CellError(_("is not a date and time (e.g. 2022-05-01 08:30)")) from None


def parse_id_number(text: str) -> str:
    """A valid resident ID number (lower-case x accepted, HK/Macao/Taiwan residence permits included)."""
    try:
        return resident_id_validate(text, today=today())
    except InvalidIdentifier as exc:
        raise CellError(str(exc)) from None


def _choice_or(choices, aliases: Mapping[str, str]):
    """A choice by value or label (parse_choice), or by one of the words people write for it."""
    base = parse_choice(choices)

    def parse(text: str) -> str:
        return aliases.get(text.lower()) or base(text)

    return parse


_POST_WORDS = {
    "一般岗位": PostType.GENERAL,
    "一般": PostType.GENERAL,
    "普通岗位": PostType.GENERAL,
    "流动岗位": PostType.MOBILE,
    "接触岗位": PostType.MOBILE,
    "流动": PostType.MOBILE,
    "物流": PostType.MOBILE,
    "销售": PostType.MOBILE,
}
_LOOP_WORDS = {"气泡": LoopKind.BUBBLE, "两点一线": LoopKind.TWO_POINT, "two points": LoopKind.TWO_POINT}


def staff_columns() -> list[Column]:
    """The roster's import columns (the page, the API and the template read the same list)."""
    return [
        Column("name", gettext_lazy("Name"), parse_text(64), aliases=("姓名",), example="张三"),
        Column(
            "id_number",
            gettext_lazy("ID number"),
            parse_id_number,
            aliases=("身份证号", "身份证号码", "证件号码", "公民身份号码"),
            example="41010519900307123X",
        ),
        Column("phone", gettext_lazy("Phone"), parse_text(20), False, ("手机号", "联系电话", "电话"), "13800138000"),
        Column(
            "post_type",
            gettext_lazy("Post type"),
            _choice_or(PostType, _POST_WORDS),
            False,
            ("岗位类型", "岗位"),
            "一般岗位",
        ),
        Column(
            "loop_kind",
            gettext_lazy("Closed-loop unit type"),
            _choice_or(LoopKind, _LOOP_WORDS),
            False,
            ("闭环单元类型", "闭环类型"),
            "气泡",
        ),
        Column(
            "loop_unit", gettext_lazy("Closed-loop unit"), parse_text(64), False, ("闭环单元", "闭环单元名称"), "一车间"
        ),
        Column("workplace", gettext_lazy("Workplace"), parse_text(100), False, ("工作地点", "工作场所"), "一号厂房"),
        Column("lodging", gettext_lazy("Lodging"), parse_text(100), False, ("住宿地点", "住宿"), "二号宿舍楼"),
        Column(
            "start_date", gettext_lazy("Start date"), parse_date, aliases=("到岗日期", "入职日期"), example="2022-05-01"
        ),
    ]


# --- headers -----------------------------------------------------------------------------------------

_HEADER_ROWS = 5  # a file's header is looked for in its first rows (titles and two-level headers above it)


def _two_level(top: Sequence, bottom: Sequence, known: set[str]) -> list[str] | None:
    """One header row from a two-level one whose upper cells are merged across the lower ones, or None
    if no column reads as upper + lower (then the rows are not a two-level header).

    A merged cell's value sits in its first cell (the rest are empty), so the upper row is carried
    rightwards over the lower cells it spans; each column reads upper + lower where that is a known
    header, else the lower, else the upper.
    """
    width = max(len(top), len(bottom))
    cells, carried, joins = [], "", 0
    for index in range(width):
        upper = normalise_cell(top[index]) if index < len(top) else ""
        lower = normalise_cell(bottom[index]) if index < len(bottom) else ""
        carried = upper or (carried if lower else "")
        if carried and lower and normalise_header(carried + lower) in known:
            cells.append(carried + lower)
            joins += 1
        else:
            cells.append(lower or upper)
    return cells if joins else None


def read_located(upload, columns: Sequence[Column]) -> tuple[dict[str, int], Iterator[list]]:
    """Column positions and data rows of an upload whose header may sit below a title or span two rows
    (merged header cells). Rows keep their spreadsheet numbers for `parse_rows`."""
    header, rows = read_table(upload)
    first = [header, *itertools.islice(rows, _HEADER_ROWS)]
    known = {h for column in columns for h in column.headers()}
    failure = None
    for index in range(min(_HEADER_ROWS, len(first))):
        two_level = _two_level(first[index], first[index + 1], known) if index + 1 < len(first) else None
        candidates = [(two_level, 2)] if two_level else []
        candidates.append(([normalise_cell(c) for c in first[index]], 1))
        for cells, height in candidates:
            try:
                positions = map_columns(cells, columns)
            except ServiceError as exc:
                failure = failure or exc
                continue
            skipped = index + height - 1  # rows above the data beyond the single header parse_rows assumes
            return positions, itertools.chain([[]] * skipped, first[index + height :], rows)
    raise failure


# --- writes ------------------------------------------------------------------------------------------


def _clean(data: Mapping, *, partial: bool) -> dict:
    """Raw values parsed with the import file's own rules; ServiceError listing every bad field."""
    values, errors = {}, {}
    for column in staff_columns():
        if column.name not in data:
            if column.required and not partial:
                errors[column.name] = [_("This field is required.")]
            continue
        text = normalise_cell(data[column.name])
        if not text:
            if column.required:
                errors[column.name] = [_("This field is required.")]
            else:
                values[column.name] = _DEFAULTS[column.name]
            continue
        try:
            values[column.name] = column.parse(text)
        except CellError as exc:
            errors[column.name] = [str(exc)]
    if errors:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), errors)
    return values


def _set_id_number(staff: StaffMember, number: str) -> None:
    staff.id_hash = lookup_hash(number)
    staff.id_cipher = encrypt(number)
    staff.id_masked = mask_id_number(number)


def _already_listed() -> ServiceError:
    return ServiceError(
        ErrorCode.CONFLICT,
        _("This person is already on the enterprise's roster."),
        {"id_number": [_("already on the roster")]},
    )


def _after_roster_change(enterprise_id: int, staff: list[StaffMember]) -> None:
    """Held results of the new people join them; the enterprise's compliance is computed again."""
    from sibao.prevention.services.tests import held_results_adopt

    held_results_adopt(staff=staff)
    compliance_refresh(enterprise_ids=[enterprise_id])


@transaction.atomic
def staff_create(*, actor, enterprise: Enterprise, data: Mapping) -> StaffMember:
    """Add one person to the roster; held test results with their ID number join them."""
    _require_keep(actor, enterprise)
    values = {**_DEFAULTS, **_clean(data, partial=False)}
    staff = StaffMember(enterprise=enterprise, **{k: v for k, v in values.items() if k != "id_number"})
    _set_id_number(staff, values["id_number"])
    if StaffMember.objects.filter(enterprise=enterprise, id_hash=staff.id_hash).exists():
        raise _already_listed()
    try:
        with transaction.atomic():
            staff.save()
    except IntegrityError:
        raise _already_listed() from None
    event_record(actor=actor, action="staff.create", obj=staff, changes=diff({}, snapshot(staff, AUDIT_FIELDS)))
    _after_roster_change(enterprise.pk, [staff])
    return staff


@transaction.atomic
def staff_update(*, actor, staff: StaffMember, data: Mapping, expected_version: int | None = None) -> StaffMember:
    """Change some fields (the ID number too, to correct it). A stale `expected_version` is a conflict."""
    locked = StaffMember.objects.select_for_update().select_related("enterprise").get(pk=staff.pk)
    _require_keep(actor, locked.enterprise)
    if expected_version is not None and locked.version != expected_version:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _(
                "Someone else changed this member of staff while you were editing (version %(now)d, you had "
                "%(had)d). Reload to see their changes."
            )
            % {"now": locked.version, "had": expected_version},
        )
    values = _clean(data, partial=True)
    before = snapshot(locked, AUDIT_FIELDS)
    old_hash = locked.id_hash
    number = values.pop("id_number", None)
    for name, value in values.items():
        setattr(locked, name, value)
    if number is not None and lookup_hash(number) != old_hash:
        _set_id_number(locked, number)
        if StaffMember.objects.filter(enterprise_id=locked.enterprise_id, id_hash=locked.id_hash).exists():
            raise _already_listed()
    changes = diff(before, snapshot(locked, AUDIT_FIELDS))
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    event_record(actor=actor, action="staff.update", obj=locked, changes=changes)
    if locked.id_hash != old_hash:
        _after_roster_change(locked.enterprise_id, [locked])
    elif {"post_type", "start_date"} & changes.keys():
        compliance_refresh(enterprise_ids=[locked.enterprise_id])
    return locked


@transaction.atomic
def staff_leave(*, actor, staff: StaffMember, on: dt.date | None = None) -> StaffMember:
    """Mark someone as having left on a day (today by default); they stay on record, off the count."""
    locked = StaffMember.objects.select_for_update().select_related("enterprise").get(pk=staff.pk)
    _require_keep(actor, locked.enterprise)
    if locked.left_on is not None:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _("This member of staff left on %(day)s.") % {"day": locked.left_on.isoformat()},
        )
    day = on or today()
    if day < locked.start_date:
        raise ServiceError(
            ErrorCode.INVALID, _("Some values are not valid."), {"left_on": [_("is before the start date")]}
        )
    locked.left_on = day
    locked.version += 1
    locked.save()
    event_record(actor=actor, action="staff.leave", obj=locked, changes={"left_on": [None, day.isoformat()]})
    compliance_refresh(enterprise_ids=[locked.enterprise_id])
    return locked


@transaction.atomic
def staff_reveal_id(*, actor, staff: StaffMember) -> str:
    """The full ID number, for those allowed to reveal it where the enterprise is; the reveal is audited."""
    enterprise = staff.enterprise
    if not may_act_at(actor, Action.REVEAL_ID, enterprise.region_id, enterprise.sector):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not reveal ID numbers of this enterprise's staff."))
    event_record(actor=actor, action="staff.reveal_id", obj=staff, changes={})
    return decrypt(staff.id_cipher)


# --- import ------------------------------------------------------------------------------------------


class _RosterPlan:
    """Sorts an import's rows into new people, changed, unchanged and rejected (matched by ID hash)."""

    def __init__(self, enterprise: Enterprise):
        self.enterprise = enterprise
        self.existing = {s.id_hash: s for s in StaffMember.objects.filter(enterprise=enterprise)}
        for staff in self.existing.values():
            staff.enterprise = enterprise  # audit events read its region: no query per person
        self.new: list[StaffMember] = []
        self.changed: list[tuple[StaffMember, dict]] = []
        self.unchanged = 0
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}

    def add(self, row: ParsedRow) -> None:
        number = row.values.get("id_number")
        id_hash = lookup_hash(number) if number else None
        if id_hash in self.seen:
            reason = _("repeats row %(row)d of this file") % {"row": self.seen[id_hash]}
            self.errors.extend([RowError(row.number, _("ID number"), number, reason), *row.errors])
            return
        if id_hash:
            self.seen[id_hash] = row.number
        if row.errors:
            self.errors.extend(row.errors)
            return
        values = {k: v for k, v in row.values.items() if k != "id_number"}
        current = self.existing.get(id_hash)
        if current is None:
            staff = StaffMember(enterprise=self.enterprise, **{**_DEFAULTS, **values})
            _set_id_number(staff, number)
            self.new.append(staff)
            return
        before = snapshot(current, AUDIT_FIELDS)
        for name, value in values.items():
            setattr(current, name, value)
        changes = diff(before, snapshot(current, AUDIT_FIELDS))
        if changes:
            current.version += 1
            current.updated_at = now()
            self.changed.append((current, changes))
        else:
            self.unchanged += 1


def _error_dict(error: RowError) -> dict:
    """A row error as the report keeps it; an ID number is kept masked."""
    value = error.value
    if str(error.column) == str(_("ID number")):
        value = mask_id_number(value)
    return {"row": error.row, "column": str(error.column), "value": value, "reason": str(error.reason)}


def staff_import(*, actor, enterprise: Enterprise, upload) -> ImportBatch:
    """Import a roster from csv/xlsx: each row is stored or reported; the same file twice changes nothing."""
    _require_keep(actor, enterprise)
    columns = staff_columns()
    positions, rows = read_located(upload, columns)
    parsed = list(parse_rows(rows, positions, columns))
    if not parsed:
        raise ServiceError(ErrorCode.INVALID, _("The file has a header row but no data rows."))
    plan = _RosterPlan(enterprise)
    for row in parsed:
        plan.add(row)
    upload.seek(0)
    return _store_import(actor, enterprise, upload, len(parsed), plan)


def _read_back(enterprise: Enterprise, hashes: list[str]) -> list[StaffMember]:
    """The people just added, with their ids (bulk_create gives none on SQLite)."""
    found = []
    for start in range(0, len(hashes), 5000):
        found += StaffMember.objects.filter(enterprise=enterprise, id_hash__in=hashes[start : start + 5000])
    for staff in found:
        staff.enterprise = enterprise
    return found


@transaction.atomic
def _store_import(actor, enterprise: Enterprise, upload, rows: int, plan: _RosterPlan) -> ImportBatch:
    batch = ImportBatch.objects.create(
        kind=IMPORT_KIND,
        actor=actor,
        filename=getattr(upload, "name", "upload")[:200],
        sha256=hashlib.sha256(upload.read()).hexdigest(),
        rows=rows,
        created=len(plan.new),
        updated=len(plan.changed),
        unchanged=plan.unchanged,
        rejected=len({e.row for e in plan.errors}),
        errors=[_error_dict(e) for e in plan.errors],
    )
    try:
        with transaction.atomic():
            StaffMember.objects.bulk_create(plan.new, batch_size=500)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _("Some of these people were added by someone else while the file was read; import it again."),
        ) from None
    created = _read_back(enterprise, [s.id_hash for s in plan.new])
    if plan.changed:
        StaffMember.objects.bulk_update(
            [s for s, _c in plan.changed], [*AUDIT_FIELDS, "version", "updated_at"], batch_size=500
        )
    source = {"import": [None, batch.pk]}
    events = [event_build(actor=actor, action="staff.import_create", obj=s, changes=source) for s in created]
    events += [
        event_build(actor=actor, action="staff.import_update", obj=s, changes={**c, **source}) for s, c in plan.changed
    ]
    Event.objects.bulk_create(events, batch_size=500)
    if created or plan.changed:
        _after_roster_change(enterprise.pk, created)
    return batch


# --- retention ---------------------------------------------------------------------------------------


@transaction.atomic
def health_data_purge(*, before: dt.date) -> dict[str, int]:
    """Delete test results, held results and credential checks from before a day, and clear the staff
    status fields that came from them; daily compliance (aggregates) stays. One audit event, by the system."""
    from sibao.prevention.models import CredentialCheck, HeldResult, TestResult

    cut = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    counts = {
        "test_results": TestResult.objects.filter(sampled_at__lt=cut).delete()[0],
        "held_results": HeldResult.objects.filter(sampled_at__lt=cut).delete()[0],
        "credential_checks": CredentialCheck.objects.filter(checked_at__lt=cut).delete()[0],
    }
    staff = StaffMember.objects.order_by()
    counts["staff_test_status_cleared"] = staff.filter(last_sampled_at__lt=cut).update(
        last_sampled_at=None, last_result="", last_institution=""
    )
    counts["staff_code_status_cleared"] = staff.filter(code_checked_at__lt=cut).update(
        code_outcome="", code_checked_at=None, code_source=""
    )
    counts["staff_itinerary_cleared"] = staff.filter(itinerary_checked_at__lt=cut).update(
        itinerary_risk=None, itinerary_checked_at=None
    )
    Event.objects.create(
        actor=None,
        actor_label=SYSTEM,
        action="prevention.purge_health_data",
        object_type=TestResult._meta.label_lower,
        object_id="",
        object_repr=_("Health data before %(day)s") % {"day": before.isoformat()},
        changes={"before": [None, before.isoformat()], **{k: [None, v] for k, v in counts.items()}},
    )
    return counts
