"""Builders for tests: a shared cast of users named by role and region, and valid enterprises."""

import itertools
from decimal import Decimal

from sibao.accounts.models import Grant, Organization, OrgKind, User
from sibao.accounts.roles import Role
from sibao.core.identifiers import credit_code_build
from sibao.enterprises.models import Enterprise

PASSWORD = "Sibao-test-2026"
_serial = itertools.count(1)

GUANCHENG = "410104"
GUANCHENG_STREET = "410104001"
GUANCHENG_STREET_2 = "410104002"
ERQI = "410103"
JIAOZUO = "410800"
JIAOZUO_STREET = "410802001"


def credit_code(region: str = GUANCHENG, n: int | None = None) -> str:
    """A valid unified social credit code, different on each call."""
    n = next(_serial) if n is None else n
    return credit_code_build("9", "1", region[:6], f"MA{n:07d}")


def make_enterprise(*, region: str = GUANCHENG_STREET, sector: str = "industry", **fields) -> Enterprise:
    values = {
        "credit_code": credit_code(region),
        "name": f"测试企业{next(_serial)}有限公司",
        "sector": sector,
        "industry_section": "C",
        "industry_division": "14",
        "region_id": region,
        "output_value": Decimal("12000.00"),
        "headcount": 300,
        **fields,
    }
    return Enterprise.objects.create(**values)


def make_user(
    username: str,
    *,
    role: str | None = None,
    region: str | None = None,
    sector: str = "",
    enterprise: Enterprise | None = None,
    organization: Organization | None = None,
) -> User:
    user = User.objects.create_user(
        username=username, password=PASSWORD, enterprise=enterprise, organization=organization, display_name=username
    )
    if role:
        Grant.objects.create(user=user, role=role, region_id=region, sector=sector)
    return user


def make_organization(name: str, *, kind: str = OrgKind.LOCAL_UNIT, region: str = GUANCHENG, sector: str = ""):
    return Organization.objects.create(name=name, kind=kind, region_id=region, sector=sector)


class Cast:
    """The shared cast: officials of Guancheng, of another district and another city, and liaisons."""

    def __init__(self):
        self.ent_a = make_enterprise(region=GUANCHENG_STREET, sector="industry", name="管城甲食品有限公司")
        self.ent_b = make_enterprise(region=GUANCHENG_STREET_2, sector="commerce", name="管城乙商贸有限公司")
        self.ent_jz = make_enterprise(region=JIAOZUO_STREET, sector="industry", name="焦作丙机械有限公司")
        self.admin_gc = make_user("admin_gc", role=Role.ADMIN, region=GUANCHENG)
        self.dispatcher_gc = make_user("dispatcher_gc", role=Role.DISPATCHER, region=GUANCHENG)
        self.industry_gc = make_user("industry_gc", role=Role.SECTOR_OFFICIAL, region=GUANCHENG, sector="industry")
        self.commerce_gc = make_user("commerce_gc", role=Role.SECTOR_OFFICIAL, region=GUANCHENG, sector="commerce")
        self.street_gc = make_user("street_gc", role=Role.LOCAL_OFFICIAL, region=GUANCHENG_STREET)
        self.prevention_gc = make_user("prevention_gc", role=Role.PREVENTION_OFFICIAL, region=GUANCHENG)
        self.prevention_erqi = make_user("prevention_erqi", role=Role.PREVENTION_OFFICIAL, region=ERQI)
        self.auditor_gc = make_user("auditor_gc", role=Role.AUDITOR, region=GUANCHENG)
        self.official_erqi = make_user("official_erqi", role=Role.DISPATCHER, region=ERQI)
        self.dispatcher_jz = make_user("dispatcher_jz", role=Role.DISPATCHER, region=JIAOZUO)
        self.checkpoint = make_user("checkpoint_gc", role=Role.CHECKPOINT, region=GUANCHENG)
        self.liaison_a = make_user("liaison_a", enterprise=self.ent_a)
        self.liaison_b = make_user("liaison_b", enterprise=self.ent_b)
        self.liaison_jz = make_user("liaison_jz", enterprise=self.ent_jz)
