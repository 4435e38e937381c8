"""Every write to the registry. Each validates, saves and records its audit event in one transaction."""

import hashlib
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from sibao.accounts.roles import Action
from sibao.audit.services import diff, event_build, event_record, events_record_bulk, snapshot
from sibao.core.clock import now
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.identifiers import credit_code_compact, credit_code_is_valid
from sibao.core.models import ImportBatch
from sibao.core.tabular import ParsedRow, RowError, map_columns, normalise_cell, parse_rows, read_table
from sibao.enterprises.models import Enterprise, EnterpriseKind, SupplyLink
from sibao.enterprises.rules import check_industry, enterprise_columns, parse_credit_code
from sibao.regions.models import Region
from sibao.regions.scoping import may_act_at

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
        except Exception as exc:  # CellError, with its reason
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


@transaction.atomic
def enterprise_update(
    *, actor, enterprise: Enterprise, data: Mapping, expected_version: int | None = None
) -> Enterprise:
    """Change some fields. With `expected_version`, refuse if someone else saved in between."""
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
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
    if "credit_code" in data and parse_credit_code(normalise_cell(data["credit_code"])) != locked.credit_code:
        raise ServiceError(
            ErrorCode.INVALID, _("The credit code cannot be changed."), {"credit_code": [_("cannot be changed")]}
        )
    before = snapshot(locked, ENTERPRISE_FIELDS)
    for name, value in values.items():
        setattr(locked, name, value)
    _require_place(actor, Action.CHANGE, locked.region_id, locked.sector)
    changes = diff(before, snapshot(locked, ENTERPRISE_FIELDS))
    if not changes:
        return locked
    locked.version += 1
    locked.save()
    event_record(actor=actor, action="enterprise.update", obj=locked, changes=changes)
    return locked


@transaction.atomic
def supply_link_add(*, actor, enterprise: Enterprise, data: Mapping) -> SupplyLink:
    link = SupplyLink(
        enterprise=enterprise,
        direction=normalise_cell(data.get("direction")),
        partner_name=normalise_cell(data.get("partner_name")),
        partner_credit_code=credit_code_compact(normalise_cell(data.get("partner_credit_code"))),
        partner_region_id=normalise_cell(data.get("partner_region")) or None,
        is_key=str(data.get("is_key", "")).lower() in ("1", "true", "on", "yes", "是"),
        note=normalise_cell(data.get("note")),
    )
    try:
        link.full_clean(exclude=["partner"], validate_unique=False)
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
    label = f"{link.get_direction_display()}: {link.partner_name}"
    link.delete()
    event_record(
        actor=actor, action="enterprise.supply_link_remove", obj=enterprise, changes={"supply_link": [label, None]}
    )


# --- import ----------------------------------------------------------------------------------------


class _ImportPlan:
    """Sorts parsed rows into new, changed, unchanged and rejected."""

    def __init__(self, actor, existing: dict[str, Enterprise]):
        self.actor = actor
        self.existing = existing
        self.new: list[Enterprise] = []
        self.changed: list[tuple[Enterprise, dict]] = []
        self.unchanged = 0
        self.errors: list[RowError] = []
        self.seen: dict[str, int] = {}
        self.fields = [f for f in ENTERPRISE_FIELDS if f != "credit_code"]

    def add(self, row: ParsedRow) -> None:
        if row.errors:
            self.errors.extend(row.errors)
            return
        values = row.values
        problem = check_industry(values)
        if problem:
            self.errors.append(
                RowError(row.number, _("Industry section"), values.get("industry_section", ""), problem[1])
            )
            return
        code = values["credit_code"]
        if code in self.seen:
            self.errors.append(
                RowError(
                    row.number,
                    _("Unified social credit code"),
                    code,
                    _("repeats row %(row)d of this file") % {"row": self.seen[code]},
                )
            )
            return
        self.seen[code] = row.number
        values["region_id"] = values.pop("region")
        if not may_act_at(self.actor, Action.IMPORT, values["region_id"], values["sector"]):
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
            self.new.append(Enterprise(**{**_DEFAULTS, **values}, created_by=self.actor))
            return
        self._compare(row, current, values)

    def _compare(self, row: ParsedRow, current: Enterprise, values: dict) -> None:
        if not may_act_at(self.actor, Action.IMPORT, current.region_id, current.sector):
            self.errors.append(
                RowError(
                    row.number,
                    _("Unified social credit code"),
                    current.credit_code,
                    _("is registered to an enterprise outside your jurisdiction"),
                )
            )
            return
        before = snapshot(current, self.fields)
        for name in self.fields:
            if name in values:
                setattr(current, name, values[name])
        changes = diff(before, snapshot(current, self.fields))
        if changes:
            current.version += 1
            current.updated_at = now()
            self.changed.append((current, changes))
        else:
            self.unchanged += 1


def _existing_by_code(codes: list[str]) -> dict[str, Enterprise]:
    found = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        found.update({e.credit_code: e for e in Enterprise.objects.filter(credit_code__in=chunk)})
    return found


def enterprise_import(*, actor, upload) -> ImportBatch:
    """Import an xlsx/csv file: every row is stored or reported; the same file twice changes nothing."""
    header, rows = read_table(upload)
    columns = enterprise_columns(_region_codes())
    positions = map_columns(header, columns)
    parsed = list(parse_rows(rows, positions, columns))
    codes = [r.values["credit_code"] for r in parsed if "credit_code" in r.values]
    plan = _ImportPlan(actor, _existing_by_code(codes))
    for row in parsed:
        plan.add(row)
    upload.seek(0)
    return _store_import(actor, upload, len(parsed), plan)


@transaction.atomic
def _store_import(actor, upload, rows: int, plan: _ImportPlan) -> ImportBatch:
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
    Enterprise.objects.bulk_create(plan.new, batch_size=2000)
    if plan.changed:
        Enterprise.objects.bulk_update(
            [e for e, _c in plan.changed], [*plan.fields, "version", "updated_at"], batch_size=500
        )
    source = {"import": [None, batch.pk]}
    events = [event_build(actor=actor, action="enterprise.import_create", obj=e, changes=source) for e in plan.new]
    events += [
        event_build(actor=actor, action="enterprise.import_update", obj=e, changes={**c, **source})
        for e, c in plan.changed
    ]
    events_record_bulk(events)
    return batch
