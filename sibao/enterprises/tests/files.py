"""Helpers for registry tests: import rows and files, and a snapshot of everything a refusal must not change."""

from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from sibao.audit.models import Event
from sibao.core.models import ImportBatch
from sibao.core.tabular import write_csv, write_xlsx
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.testing import GUANCHENG_STREET, credit_code

# Header of an import file by field name (each column is also recognised by its label in every language).
HEADER = [
    "credit_code",
    "name",
    "kind",
    "sector",
    "industry_section",
    "industry_division",
    "region",
    "address",
    "output_value",
    "headcount",
    "legal_representative",
    "contact_name",
    "contact_phone",
    "city_operation_support",
    "key_project",
]

_serial = iter(range(1, 1_000_000))


def row(**values) -> dict:
    """One valid import row (an industrial enterprise in a Guancheng street); override any field."""
    n = next(_serial)
    return {
        "credit_code": credit_code(),
        "name": f"导入测试企业{n}有限公司",
        "kind": "enterprise",
        "sector": "industry",
        "industry_section": "C",
        "industry_division": "14",
        "region": GUANCHENG_STREET,
        "address": f"管城区测试路{n}号",
        "output_value": "12000",
        "headcount": "320",
        "legal_representative": "张三",
        "contact_name": "李四",
        "contact_phone": "0371-6000000",
        "city_operation_support": "否",
        "key_project": "否",
        **values,
    }


def cells(rows: list[dict], header: list[str] = HEADER) -> list[list]:
    return [[r.get(h, "") for h in header] for r in rows]


def xlsx_file(rows: list[dict], header: list[str] = HEADER, name: str = "enterprises.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, write_xlsx(header, cells(rows, header)))


def csv_file(rows: list[dict], header: list[str] = HEADER, name: str = "enterprises.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, write_csv(header, cells(rows, header)))


def raw_file(content: bytes, name: str = "enterprises.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@dataclass(frozen=True)
class State:
    """Everything a refused write must leave as it was."""

    enterprises: int
    events: int
    batches: int
    links: int
    versions: tuple

    @classmethod
    def now(cls) -> "State":
        return cls(
            enterprises=Enterprise.objects.count(),
            events=Event.objects.count(),
            batches=ImportBatch.objects.count(),
            links=SupplyLink.objects.count(),
            versions=tuple(Enterprise.objects.order_by("pk").values_list("pk", "version", "updated_at")),
        )
