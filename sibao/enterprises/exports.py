"""Rows of the registry's export file and import template (the same columns both ways)."""

from sibao.core.masking import mask_phone
from sibao.enterprises.rules import enterprise_columns


def _columns():
    return enterprise_columns(known_region_codes=())


def template_rows() -> tuple[list[str], list[list]]:
    columns = _columns()
    return [str(c.label) for c in columns], [[str(c.example) for c in columns]]


def export_rows(queryset) -> tuple[list[str], list[list]]:
    """Every visible enterprise in import-file form, so an export re-imports unchanged.

    Contact phones are masked unless the queryset says the viewer may see them (`with_contact_permission`)."""
    columns = _columns()
    header = [str(c.label) for c in columns]
    names = [c.name for c in columns]
    rows = []
    for enterprise in queryset.iterator(chunk_size=2000):
        rows.append([_export_value(enterprise, name) for name in names])
    return header, rows


def _export_value(enterprise, name: str):
    if name == "contact_phone" and not getattr(enterprise, "contact_visible", False):
        return mask_phone(enterprise.contact_phone)
    if name == "region":
        return enterprise.region_id
    if name in ("kind", "sector"):
        return getattr(enterprise, f"get_{name}_display")()
    return getattr(enterprise, name)
