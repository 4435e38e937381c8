"""A deterministic, province-scale registry file: the same rows on every run, as csv and as xlsx.

Rows look like what a county office uploads: the template's header row, Chinese names and addresses,
sector and kind by their labels (as the template and the export show them), valid unified social
credit codes whose region part is the enterprise's county, and numbers typed as numbers in the workbook.
Header and labels come from the application itself, in the default language, so the file matches
whatever the template currently says.
"""

import csv
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sibao.core.identifiers import credit_code_build
from sibao.enterprises.industry import section_of_division
from sibao.regions.loader import read_divisions

# Sector and its share of the registry (in percent).
_SECTORS = [("industry", 50), ("commerce", 25), ("transport", 12), ("culture_tourism", 5), ("key_project", 8)]
# Divisions (GB/T 4754 大类) typical of each sector.
_DIVISIONS = {
    "industry": ["13", "14", "15", "17", "18", "26", "27", "29", "30", "33", "34", "35", "36", "38", "39"],
    "commerce": ["51", "52", "59", "61", "62"],
    "transport": ["53", "54", "56", "58", "59", "60"],
    "culture_tourism": ["61", "62", "72", "86", "87", "88", "89", "90"],
    "key_project": ["44", "45", "47", "48", "49", "50"],
}
_WORDS = "华宏鑫瑞恒泰丰盛嘉和兴隆通达永昌金源中原豫康顺发天利博远新创信诚佳美润德"
_TRADES = {
    "industry": ["食品", "机械", "纺织", "化工", "电子", "汽车零部件", "新材料", "铝业", "制药", "装备制造"],
    "commerce": ["商贸", "超市", "农产品批发", "供应链管理", "医药连锁"],
    "transport": ["物流", "运输", "冷链物流", "快递", "货运代理"],
    "culture_tourism": ["文化旅游", "酒店管理", "景区运营", "传媒"],
    "key_project": ["建设工程", "能源", "水务", "基础设施"],
}
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰文斌"
_ROADS = ["建设路", "人民路", "中原路", "文化路", "工业路", "解放路", "黄河路", "嵩山路", "经三路", "纬五路"]
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SCRAMBLE = 1_000_003  # a prime coprime to 31**7: spreads serial numbers over the code space


@dataclass(frozen=True)
class Dataset:
    """The generated rows as typed values (for the raw load) and the two files made of them."""

    rows: list[dict]
    csv_path: Path
    xlsx_path: Path


def counties() -> list[tuple[str, str, str]]:
    """(code, name, city name) of every county-level division in the committed division file."""
    divisions = read_divisions()
    names = {d["code"]: d["name"] for d in divisions}
    return [(d["code"], d["name"], names.get(d["parent"], "")) for d in divisions if d["level"] == "county"]


def _organisation_code(serial: int) -> str:
    """Nine characters unique per serial number, looking like the codes a registry assigns."""
    number = (serial * _SCRAMBLE) % 31**7
    digits = []
    for _ in range(7):
        number, rest = divmod(number, 31)
        digits.append(_CODE_ALPHABET[rest])
    return "MA" + "".join(reversed(digits))


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


def generate_rows(count: int, seed: int = 2022) -> list[dict]:
    """`count` valid registry rows, the same for the same seed."""
    rng = random.Random(seed)
    places = counties()
    sectors = [s for s, _w in _SECTORS]
    weights = [w for _s, w in _SECTORS]
    rows = []
    for serial in range(1, count + 1):
        code, county, city = places[serial % len(places)]
        sector = rng.choices(sectors, weights)[0]
        project = sector == "key_project"
        division = rng.choice(_DIVISIONS[sector])
        trade = rng.choice(_TRADES[sector])
        brand = "".join(rng.choice(_WORDS) for _ in range(2))
        rows.append(
            {
                "credit_code": credit_code_build("9", "1", code, _organisation_code(serial)),
                "name": f"{city}{brand}{trade}{'项目' if project else '有限公司'}{serial}"[:128],
                "kind": "project" if project else "enterprise",
                "sector": sector,
                "industry_section": section_of_division(division),
                "industry_division": division,
                "region_id": code,
                "address": f"河南省{city}{county}{rng.choice(_ROADS)}{rng.randint(1, 999)}号",
                "output_value": Decimal(rng.randint(10_000, 50_000_000)) / 100,
                "headcount": rng.randint(5, 12_000),
                "legal_representative": _person(rng),
                "contact_name": _person(rng),
                "contact_phone": f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}",
                "city_operation_support": rng.random() < 0.15,
                "key_project": project or rng.random() < 0.05,
            }
        )
    return rows


@dataclass(frozen=True)
class _Labels:
    """What the template shows, in the default language: its header and the choice labels."""

    header: list[str]
    kind: dict[str, str]
    sector: dict[str, str]

    @classmethod
    def current(cls) -> "_Labels":
        from django.conf import settings
        from django.utils import translation

        from sibao.core.choices import Sector
        from sibao.enterprises.exports import template_rows
        from sibao.enterprises.models import EnterpriseKind

        with translation.override(settings.LANGUAGE_CODE):
            return cls(
                header=template_rows()[0],
                kind={c.value: str(c.label) for c in EnterpriseKind},
                sector={c.value: str(c.label) for c in Sector},
            )


def _file_row(row: dict, labels: _Labels) -> list:
    """One row as a user types it: labels for choices, 是/否 for flags, numbers as numbers."""
    return [
        row["credit_code"],
        row["name"],
        labels.kind[row["kind"]],
        labels.sector[row["sector"]],
        row["industry_section"],
        int(row["industry_division"]),
        int(row["region_id"]),
        row["address"],
        float(row["output_value"]),
        row["headcount"],
        row["legal_representative"],
        row["contact_name"],
        row["contact_phone"],
        "是" if row["city_operation_support"] else "否",
        "是" if row["key_project"] else "否",
    ]


def write_csv(rows: list[dict], path: Path) -> None:
    """UTF-8 with a byte-order mark, as spreadsheet programs save csv for Chinese text."""
    labels = _Labels.current()
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(labels.header)
        for row in rows:
            writer.writerow(_file_row(row, labels))


def write_xlsx(rows: list[dict], path: Path) -> None:
    """A workbook written row by row (constant memory), as xlsxwriter streams it."""
    import xlsxwriter

    labels = _Labels.current()
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False})
    sheet = workbook.add_worksheet("企业名录")
    sheet.write_row(0, 0, labels.header)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, _file_row(row, labels))
    workbook.close()


def build(count: int, directory: Path, formats: list[str]) -> Dataset:
    """Generate the rows and write the files the run needs."""
    rows = generate_rows(count)
    dataset = Dataset(rows=rows, csv_path=directory / "enterprises.csv", xlsx_path=directory / "enterprises.xlsx")
    if "csv" in formats:
        write_csv(rows, dataset.csv_path)
    if "xlsx" in formats:
        write_xlsx(rows, dataset.xlsx_path)
    return dataset
