"""What a valid registry row is: the columns of the import file, shared by every way of writing."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sibao.core.choices import Sector
from sibao.core.identifiers import InvalidIdentifier, credit_code_validate
from sibao.core.tabular import (
    CellError,
    Column,
    parse_bool,
    parse_choice,
    parse_count,
    parse_decimal,
    parse_text,
)
from sibao.enterprises.industry import SECTIONS, section_of_division
from sibao.enterprises.models import EnterpriseKind


def parse_credit_code(value: str) -> str:
    try:
        return credit_code_validate(value)
    except InvalidIdentifier as exc:
        raise CellError(_("is not a valid unified social credit code: %(reason)s") % {"reason": exc}) from None


def parse_division(value: str) -> str:
    division = value.zfill(2) if value.isdigit() else value
    if section_of_division(division) is None:
        raise CellError(_("is not a GB/T 4754 division (01-97)"))
    return division


def parse_section(value: str) -> str:
    letter = value[:1].upper()
    if letter not in SECTIONS:
        raise CellError(_("is not a GB/T 4754 section (A-T)"))
    return letter


def parse_phone(value: str) -> str:
    compact = value.replace(" ", "").replace("-", "")
    if not (compact.lstrip("+").isdigit() and 7 <= len(compact) <= 15):
        raise CellError(_("is not a phone number"))
    return value


def region_parser(known_codes) -> "callable":
    """A parser accepting only division codes of known regions."""

    def parse(value: str) -> str:
        if value not in known_codes:
            raise CellError(_("is not a known division code"))
        return value

    return parse


def enterprise_columns(known_region_codes) -> list[Column]:
    """The columns of the registry file, in template order."""
    return [
        Column(
            "credit_code",
            gettext_lazy("Unified social credit code"),
            parse_credit_code,
            aliases=("统一代码", "信用代码"),
            example="91410104MA44XXXXXX",
        ),
        Column(
            "name",
            gettext_lazy("Name"),
            parse_text(128),
            aliases=("企业名称", "项目名称"),
            example="郑州示例食品有限公司",
        ),
        Column(
            "kind",
            gettext_lazy("Kind"),
            parse_choice(EnterpriseKind),
            required=False,
            example=EnterpriseKind.ENTERPRISE.label,
        ),
        Column("sector", gettext_lazy("Sector"), parse_choice(Sector), example=Sector.INDUSTRY.label),
        Column("industry_section", gettext_lazy("Industry section"), parse_section, required=False, example="C"),
        Column("industry_division", gettext_lazy("Industry division"), parse_division, example="14"),
        Column(
            "region",
            gettext_lazy("Division code"),
            region_parser(known_region_codes),
            aliases=("区域代码", "region_code"),
            example="410104001",
        ),
        Column("address", gettext_lazy("Address"), parse_text(200), required=False),
        Column(
            "output_value",
            gettext_lazy("Annual output / investment (10k yuan)"),
            parse_decimal,
            aliases=("产值", "年产值", "投资额"),
            example="12500",
        ),
        Column("headcount", gettext_lazy("Headcount"), parse_count, aliases=("员工数",), example="320"),
        Column("legal_representative", gettext_lazy("Legal representative"), parse_text(64), required=False),
        Column("contact_name", gettext_lazy("Contact person"), parse_text(64), required=False),
        Column("contact_phone", gettext_lazy("Contact phone"), parse_phone, required=False),
        Column(
            "city_operation_support", gettext_lazy("City-operation support"), parse_bool, required=False, example="否"
        ),
        Column("key_project", gettext_lazy("Key project"), parse_bool, required=False, example="否"),
    ]


def check_industry(values: dict) -> tuple[str, str] | None:
    """Fill the section from the division; a (column, reason) pair if they disagree."""
    division = values.get("industry_division")
    if division is None:
        return None
    expected = section_of_division(division)
    given = values.get("industry_section")
    if given and given != expected:
        return "industry_section", _("division %(d)s belongs to section %(s)s") % {"d": division, "s": expected}
    values["industry_section"] = expected
    return None
