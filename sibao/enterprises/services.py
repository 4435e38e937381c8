"""Every write to the registry. Each validates, saves and records its audit event in one transaction."""

import hashlib
from collections.abc import Mapping
from operator import itemgetter

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from sibao.accounts.roles import Action
from sibao.audit.services import diff, event_build, event_record, snapshot
from sibao.core.bulk import insert_copies
from sibao.core.clock import now
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.identifiers import credit_code_compact, credit_code_is_valid
from sibao.core.models import ImportBatch
from sibao.core.tabular import (
    CellError,
    ParsedRow,
    RowError,
    collector_paused,
    map_columns,
    normalise_cell,
    parse_bool,
    parse_rows,
    read_table,
)
from sibao.enterprises.models import Enterprise, EnterpriseKind, SupplyLink
from sibao.enterprises.rules import check_industry, enterprise_columns, parse_credit_code
from sibao.enterprises.signals import enterprise_changed
from sibao.regions.models import Region
from sibao.regions.scoping import holds_action_somewhere, may_act_at

# The registry fields every writer may set (credit_code only on creation).
ENTERPRISE_FIELDS = [
    "credit_code",
    "name",
    "kind",
    "sector",
    "industry_section",
    "industry_division",
    "region_id",
    "address",
    "output_value",
    "headcount",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "city_operation_support",
    "key_project",
]
_DEFAULTS = {
    "kind": EnterpriseKind.ENTERPRISE,
    "address": "",
    "legal_representative": "",
    "contact_name": "",
    "contact_phone": "",
    "city_operation_support": False,
    "key_project": False,
}
IMPORT_KIND = "enterprises"


def _attname(name: str) -> str:
    return "region_id" if name == "region" else name


def _region_codes() -> set[str]:
    return set(Region.objects.values_list("code", flat=True))


def _clean(data: Mapping, *, partial: bool) -> dict:
    """Parse raw values with the import file's own rules; ServiceError listing every bad field."""
    values, errors = {}, {}
    for column in enterprise_columns(_region_codes()):
        if column.name not in data:
            if column.required and not partial:
                errors[column.name] = [_("This field is required.")]
            continue
        text = normalise_cell(data[column.name])
        if not text:
            if column.required:
                errors[column.name] = [_("This field is required.")]
            else:
                values[_attname(column.name)] = _DEFAULTS.get(column.name, "")
            continue
        try:
            values[_attname(column.name)] = column.parse(text)
        except CellError as exc:
            errors[column.name] = [str(exc)]
    problem = check_industry(values)
    if problem:
        errors[problem[0]] = [problem[1]]
    if errors:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), errors)
    return values


def _require_place(actor, action: str, region_id: str, sector: str) -> None:
    if not may_act_at(actor, action, region_id, sector):
        raise ServiceError(
            ErrorCode.FORBIDDEN,
            _("You may not register enterprises of this sector in this region."),
            {"region": [_("outside your jurisdiction")]},
        )


@transaction.atomic
def enterprise_create(*, actor, data: Mapping) -> Enterprise:
    values = {**_DEFAULTS, **_clean(data, partial=False)}
    _require_place(actor, Action.CREATE, values["region_id"], values["sector"])
    if Enterprise.objects.filter(credit_code=values["credit_code"]).exists():
        raise ServiceError(
            ErrorCode.CONFLICT,
            _("An enterprise with this credit code is already registered."),
            {"credit_code": [_("already registered")]},
        )
    enterprise = Enterprise(**values, created_by=actor if actor.pk else None)
    try:
        with transaction.atomic():
            enterprise.save()
    except IntegrityError:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _("An enterprise with this credit code is already registered."),
            {"credit_code": [_("already registered")]},
        ) from None
    event_record(
        actor=actor,
        action="enterprise.create",
        obj=enterprise,
        changes=diff({}, snapshot(enterprise, ENTERPRISE_FIELDS)),
    )
    return enterprise


def _require_change(actor, enterprise: Enterprise) -> None:
    """The actor may change this enterprise where it is now: by a grant there, or as its own liaison."""
    if not Enterprise.objects.visible_to(actor, Action.CHANGE).filter(pk=enterprise.pk).exists():
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not change this enterprise."))


def _require_move(actor, region_id: str, sector: str) -> None:
    """Moving an enterprise to another region or sector needs a grant at the destination."""
    if not may_act_at(actor, Action.CHANGE, region_id, sector):
        raise ServiceError(
            ErrorCode.FORBIDDEN,
            _("You may not move this enterprise to that region or sector."),
            {"region": [_("outside your jurisdiction")]},
        )


def _credit_code_unchanged(data: Mapping, current: str) -> None:
    """The credit code is the key: an update may repeat it (in any spelling) but not change it."""
    if "credit_code" not in data:
        return
    try:
        given = parse_credit_code(normalise_cell(data["credit_code"]))
    except CellError as exc:
        raise ServiceError(ErrorCode.INVALID, _("Some values are not valid."), {"credit_code": [str(exc)]}) from None
    if given != current:
        raise ServiceError(
            ErrorCode.INVALID, _("The credit code cannot be changed."), {"credit_code": [_("cannot be changed")]}
        )


@transaction.atomic
def enterprise_update(
    *, actor, enterprise: Enterprise, data: Mapping, expected_version: int | None = None
) -> Enterprise:
    """Change some fields. With `expected_version`, refuse if someone else saved in between.

    Officials may change enterprises where their grants reach, and move them only to places their
    grants also reach; a liaison may change its own enterprise's details but not its region or sector.
    """
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    _require_change(actor, locked)
    if expected_version is not None and locked.version != expected_version:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _(
                "Someone else changed this enterprise while you were editing (version %(now)d, you had %(had)d). "
                "Reload to see their changes."
            )
            % {"now": locked.version, "had": expected_version},
        )
    values = _clean({k: v for k, v in data.items() if k != "credit_code"}, partial=True)
    _credit_code_unchanged(data, locked.credit_code)
    before = snapshot(locked, ENTERPRISE_FIELDS)
    for name, value in values.items():
        setattr(locked, name, value)
    if (locked.region_id, locked.sector) != (before["region_id"], before["sector"]):
        _require_move(actor, locked.region_id, locked.sector)
    changes = diff(before, snapshot(locked, ENTERPRISE_FIELDS))
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    event_record(actor=actor, action="enterprise.update", obj=locked, changes=changes)
    enterprise_changed.send(sender=Enterprise, enterprise=locked, changes=changes, actor=actor)
    return locked


def _is_key(value) -> bool:
    """A checkbox ("on"), a JSON boolean or a spreadsheet's 是/否: the import's own reading of yes and no."""
    try:
        return parse_bool(normalise_cell(value))
    except CellError:
        return False


@transaction.atomic
def supply_link_add(*, actor, enterprise: Enterprise, data: Mapping) -> SupplyLink:
    _require_change(actor, enterprise)
    link = SupplyLink(
        enterprise=enterprise,
        direction=normalise_cell(data.get("direction")),
        partner_name=normalise_cell(data.get("partner_name")),
        partner_credit_code=credit_code_compact(normalise_cell(data.get("partner_credit_code"))),
        partner_region_id=normalise_cell(data.get("partner_region")) or None,
        is_key=_is_key(data.get("is_key")),
        note=normalise_cell(data.get("note")),
    )
    try:
        link.full_clean(exclude=["partner"], validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ServiceError.from_django_validation(exc) from None
    if link.partner_credit_code and not credit_code_is_valid(link.partner_credit_code):
        raise ServiceError(
            ErrorCode.INVALID, _("Some values are not valid."), {"partner_credit_code": [_("is not a valid code")]}
        )
    if link.partner_credit_code:
        link.partner = Enterprise.objects.filter(credit_code=link.partner_credit_code).first()
    if SupplyLink.objects.filter(
        enterprise=enterprise, direction=link.direction, partner_name=link.partner_name
    ).exists():
        raise ServiceError(
            ErrorCode.CONFLICT, _("This partner is already listed."), {"partner_name": [_("already listed")]}
        )
    link.save()
    event_record(
        actor=actor,
        action="enterprise.supply_link_add",
        obj=enterprise,
        changes={"supply_link": [None, f"{link.get_direction_display()}: {link.partner_name}"]},
    )
    return link


@transaction.atomic
def supply_link_remove(*, actor, link: SupplyLink) -> None:
    enterprise = link.enterprise
    _require_change(actor, enterprise)
    label = f"{link.get_direction_display()}: {link.partner_name}"
    link.delete()
    event_record(
        actor=actor, action="enterprise.supply_link_remove", obj=enterprise, changes={"supply_link": [label, None]}
    )


# --- import ----------------------------------------------------------------------------------------


class _ImportPlan:
    """Sorts parsed rows into new (registry values), changed, unchanged and rejected.

    `existing` maps credit codes already registered to their stored values (`_existing_by_code`).
    """

    def __init__(self, actor, existing: dict[str, dict]):
        self.actor = actor
        self.existing = existing
        self.new: list[dict] = []
        self.changed: list[tuple[Enterprise, dict]] = []
        self.changed_rows: dict[int, int] = {}  # enterprise id -> row number, to report a lost race
        self.unchanged = 0
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}
        self.fields = [f for f in ENTERPRISE_FIELDS if f != "credit_code"]
        self._allowed: dict[tuple[str, str], bool] = {}

    def may_import(self, region_id: str, sector: str) -> bool:
        """The permission check of one row; a file has few (region, sector) pairs, each asked once."""
        key = (region_id, sector)
        allowed = self._allowed.get(key)
        if allowed is None:
            allowed = self._allowed[key] = may_act_at(self.actor, Action.IMPORT, region_id, sector)
        return allowed

    def add(self, row: ParsedRow) -> None:
        values = row.values
        code = values.get("credit_code")
        if code in self.seen:
            # A repeat is reported whether or not the first occurrence was stored, so the outcome of a
            # file does not depend on which of its copies of a row happen to be valid.
            self.errors.append(
                RowError(
                    row.number,
                    _("Unified social credit code"),
                    code,
                    _("repeats row %(row)d of this file") % {"row": self.seen[code]},
                )
            )
            self.errors.extend(row.errors)
            return
        if code is not None:
            self.seen[code] = row.number
        if row.errors:
            self.errors.extend(row.errors)
            return
        problem = check_industry(values)
        if problem:
            self.errors.append(
                RowError(row.number, _("Industry section"), values.get("industry_section", ""), problem[1])
            )
            return
        values["region_id"] = values.pop("region")
        if not self.may_import(values["region_id"], values["sector"]):
            self.errors.append(
                RowError(
                    row.number,
                    _("Division code"),
                    values["region_id"],
                    _("is outside your jurisdiction for this sector"),
                )
            )
            return
        current = self.existing.get(code)
        if current is None:
            self.new.append({**_DEFAULTS, **values})
            return
        self._compare(row, current, values)

    def _compare(self, row: ParsedRow, stored: dict, values: dict) -> None:
        if not self.may_import(stored["region_id"], stored["sector"]):
            self.errors.append(
                RowError(
                    row.number,
                    _("Unified social credit code"),
                    stored["credit_code"],
                    _("is registered to an enterprise outside your jurisdiction"),
                )
            )
            return
        if all(stored[name] == values[name] for name in self.fields if name in values):
            self.unchanged += 1  # the common case of a re-import, decided without building the enterprise
            return
        current = Enterprise.from_db(Enterprise.objects.db, list(stored), list(stored.values()))
        before = snapshot(current, self.fields)
        for name in self.fields:
            if name in values:
                setattr(current, name, values[name])
        changes = diff(before, snapshot(current, self.fields))
        if changes:
            current.version += 1
            current.updated_at = now()
            self.changed.append((current, changes))
            self.changed_rows[current.pk] = row.number
        else:
            self.unchanged += 1


def _existing_by_code(codes: list[str]) -> dict[str, dict]:
    """The stored registry values (with id and version) of the enterprises with these credit codes.

    A file about as large as the registry is matched in one pass over the registry, cheaper than
    asking for each of its codes.
    """
    stored = Enterprise.objects.order_by().values("id", "version", *ENTERPRISE_FIELDS)
    if stored.count() <= 2 * len(codes):
        wanted = set(codes)
        return {e["credit_code"]: e for e in stored.iterator(chunk_size=5000) if e["credit_code"] in wanted}
    found = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        found.update({e["credit_code"]: e for e in stored.filter(credit_code__in=chunk)})
    return found


def _ids_by_code(codes: list[str], *, after: int = 0) -> dict[str, int]:
    """The ids of the enterprises with these codes, looking first among those with an id above `after`."""
    wanted = set(codes)
    recent = Enterprise.objects.filter(id__gt=after).order_by().values_list("credit_code", "id")
    ids = {code: pk for code, pk in recent.iterator(chunk_size=5000) if code in wanted}
    missing = [code for code in codes if code not in ids]
    for start in range(0, len(missing), 5000):
        chunk = missing[start : start + 5000]
        ids.update(Enterprise.objects.filter(credit_code__in=chunk).order_by().values_list("credit_code", "id"))
    return ids


def _insert_new(actor, new: list[dict]) -> list[tuple[int, str, str]]:
    """Insert the new enterprises as `bulk_create` would; (id, name, region) of each, in order.

    Ids come from a sequence, so the new rows are read back as those above the highest id before.
    """
    if not new:
        return []
    last = Enterprise.objects.aggregate(last=Max("id"))["last"] or 0
    values = itemgetter(*ENTERPRISE_FIELDS)
    insert_copies(Enterprise(created_by=actor), ENTERPRISE_FIELDS, map(values, new))
    ids = _ids_by_code([v["credit_code"] for v in new], after=last)
    return [(ids[v["credit_code"]], v["name"], v["region_id"]) for v in new]


# Event fields that differ from one enterprise to the next; the others are the same for a whole import.
_EVENT_OBJECT_FIELDS = ["object_id", "object_repr", "region_code"]


def _record_import_events(
    actor, action: str, enterprises: list[tuple[int, str, str]], changes: dict | list[dict]
) -> None:
    """One audit event per (id, name, region) enterprise, exactly as `event_build` makes it.

    `changes` is one dict for all or one per enterprise. Actor, action, time and request are the same
    for the whole import, so one event is built and the rest are copies of it.
    """
    if not enterprises:
        return
    shared = isinstance(changes, dict)
    pk, name, region_id = enterprises[0]
    sample = Enterprise(pk=pk, name=name, region_id=region_id)
    template = event_build(actor=actor, action=action, obj=sample, changes=changes if shared else changes[0])
    # As event_build: the object's id as text, str(enterprise) (its name) cut to 200, the region code.
    rows = [(str(pk), name[:200], region_id or "") for pk, name, region_id in enterprises]
    if shared:
        insert_copies(template, _EVENT_OBJECT_FIELDS, rows)
    else:
        own = [(*row, c) for row, c in zip(rows, changes, strict=True)]
        insert_copies(template, [*_EVENT_OBJECT_FIELDS, "changes"], own)


@collector_paused()
def enterprise_import(*, actor, upload) -> ImportBatch:
    """Import an xlsx/csv file: every row is stored or reported; the same file twice changes nothing."""
    if not holds_action_somewhere(actor, Action.IMPORT):
        raise ServiceError(ErrorCode.FORBIDDEN, _("You may not import enterprises."))
    header, rows = read_table(upload)
    columns = enterprise_columns(_region_codes())
    positions = map_columns(header, columns)
    parsed = list(parse_rows(rows, positions, columns))
    if not parsed:
        raise ServiceError(ErrorCode.INVALID, _("The file has a header row but no data rows."))
    codes = [r.values["credit_code"] for r in parsed if "credit_code" in r.values]
    plan = _ImportPlan(actor, _existing_by_code(codes))
    for row in parsed:
        plan.add(row)
    upload.seek(0)
    try:
        return _store_import(actor, upload, len(parsed), plan)
    except IntegrityError:
        raise ServiceError(
            ErrorCode.CONFLICT,
            _("Some of these enterprises were registered by someone else while the file was read; import it again."),
        ) from None


def _drop_stale_changes(plan: _ImportPlan) -> None:
    """Lock the enterprises the file changes; one edited by someone else since the file was read is
    reported as a row error instead of being overwritten (the caller holds the transaction)."""
    if not plan.changed:
        return
    ids = [enterprise.pk for enterprise, _c in plan.changed]
    stored: dict[int, int] = {}
    for start in range(0, len(ids), 5000):
        locked = Enterprise.objects.select_for_update().filter(pk__in=ids[start : start + 5000]).order_by()
        stored.update(locked.values_list("id", "version"))
    fresh = []
    for enterprise, changes in plan.changed:
        if stored.get(enterprise.pk) == enterprise.version - 1:
            fresh.append((enterprise, changes))
            continue
        plan.errors.append(
            RowError(
                plan.changed_rows[enterprise.pk],
                _("Unified social credit code"),
                enterprise.credit_code,
                _("was changed by someone else while the file was read; import the file again"),
            )
        )
    plan.changed = fresh


@transaction.atomic
def _store_import(actor, upload, rows: int, plan: _ImportPlan) -> ImportBatch:
    _drop_stale_changes(plan)
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
        errors=[
            {"row": e.row, "column": str(e.column), "value": e.value, "reason": str(e.reason)} for e in plan.errors
        ],
    )
    created = _insert_new(actor, plan.new)
    if plan.changed:
        Enterprise.objects.bulk_update(
            [e for e, _c in plan.changed], [*plan.fields, "version", "updated_at"], batch_size=500
        )
    source = {"import": [None, batch.pk]}
    _record_import_events(actor, "enterprise.import_create", created, changes=source)
    for enterprise, changes in plan.changed:
        enterprise_changed.send(sender=Enterprise, enterprise=enterprise, changes=changes, actor=actor)
    _record_import_events(
        actor,
        "enterprise.import_update",
        [(e.pk, e.name, e.region_id) for e, _c in plan.changed],
        [{**c, **source} for _e, c in plan.changed],
    )
    return batch
