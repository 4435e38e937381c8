"""Build the demo data set and the province-scale benchmark set.

Generation is pure and deterministic: `demo_plan()` and `province_plan()` draw everything from a
`random.Random` with a fixed seed and the committed division file, so the same call gives the same firms,
credit codes and links on every machine. `seed()` writes a plan to the database with bulk inserts in one
transaction, adds the organisations of both work plans and one demo account per role, and records one
audit event for the run. Seeding bypasses the registry services (and their per-row audit events) on
purpose: it is bulk loading of invented data, not the work of anyone. The whitelist part of the demo set is
the exception: it is played through the whitelist services, with their history and events (whitelist.py).
"""

import functools
import hashlib
import random
import time
import unicodedata
from bisect import bisect
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import accumulate

from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Count

from sibao.accounts.models import Grant, Organization, User
from sibao.accounts.roles import Role
from sibao.audit.services import event_record
from sibao.core.identifiers import credit_code_build
from sibao.demo import data
from sibao.demo import prevention as demo_prevention
from sibao.demo import whitelist as demo_whitelist
from sibao.demo.data import Jurisdiction
from sibao.enterprises.models import Enterprise, EnterpriseKind, LinkDirection, SupplyLink
from sibao.regions.loader import load_divisions, read_divisions
from sibao.regions.models import Level, Region, code_prefix

PROVINCE_COUNT = 50_000
PROVINCE_ROADS = (
    "人民路",
    "建设路",
    "工业路",
    "解放路",
    "文化路",
    "中原路",
    "黄河路",
    "长江路",
    "迎宾大道",
    "光明路",
    "新华路",
    "滨河路",
    "产业集聚区经三路",
    "产业集聚区纬一路",
)

# (mu, sigma, floor) of the log-normal output value in 10k yuan; few large firms dominate each sector,
# and a few anchor firms per jurisdiction (output around a billion yuan, over a thousand staff) dominate all.
_OUTPUT = {
    "anchor": (11.4, 0.5, 20000),
    "industry": (8.6, 1.5, 2000),
    "utility": (10.5, 0.7, 5000),
    "commerce": (7.8, 1.4, 500),
    "transport": (7.6, 1.3, 300),
    "culture_tourism": (6.5, 1.2, 100),
    "key_project": (10.2, 1.0, 5000),
}
# (mu, sigma) of output per head (10k yuan); a project's is investment per site worker.
_PER_HEAD = {
    "anchor": (4.3, 0.3),
    "industry": (4.2, 0.6),
    "utility": (5.8, 0.4),
    "commerce": (4.5, 0.6),
    "transport": (3.7, 0.5),
    "culture_tourism": (3.0, 0.5),
    "key_project": (6.0, 0.5),
}

# GB 11714 organisation code: character values and weights of the check character.
_ORG_VALUES = {c: i for i, c in enumerate("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def organisation_code(body: str) -> str:
    """The 9-character GB 11714 organisation code: 8 characters and their check character."""
    remainder = 11 - sum(_ORG_VALUES[c] * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(remainder, str(remainder))


# --- the division file, read without the database -------------------------------------------------


class Divisions:
    """The committed division file as lookups: names, levels and short names for firm names."""

    def __init__(self):
        self.rows = {row["code"]: row for row in read_divisions()}

    def name(self, code: str) -> str:
        return self.rows[code]["name"]

    def level(self, code: str) -> str:
        return self.rows[code]["level"]

    def county(self, code: str) -> str:
        return code[:6]

    def city(self, code: str) -> str:
        return code[:4] + "00"

    @cached_property
    def counties(self) -> list[str]:
        return sorted(c for c, row in self.rows.items() if row["level"] == Level.COUNTY)

    @functools.cache  # noqa: B019 - one Divisions per seeding run
    def counties_of(self, code: str) -> list[str]:
        """The counties of the city the code lies in."""
        return [c for c in self.counties if c[:4] == code[:4]]

    @cached_property
    def streets_of(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for code, row in sorted(self.rows.items()):
            if row["level"] == Level.STREET:
                found.setdefault(row["parent"], []).append(code)
        return found

    def city_short(self, code: str) -> str | None:
        name = self.rows.get(self.city(code), {}).get("name", "")
        return name[:-1] if name.endswith("市") else None

    def county_short(self, code: str) -> str | None:
        """武陟县 -> 武陟, 沁阳市 -> 沁阳, 温县 stays; None for city districts and parks."""
        row = self.rows[self.county(code)]
        name = row["name"]
        if row["kind"] != "admin" or name.endswith("区"):
            return None
        return name[:-1] if len(name) > 2 else name

    def local_place(self, code: str) -> str:
        """How a project names its place: 南曹片区, 詹店镇, 金岱产业集聚区; the county above street level."""
        if code in data.PLACE_NAMES:
            return data.PLACE_NAMES[code]
        if self.level(code) != Level.STREET:
            return self.name(self.county(code))
        name = self.name(code)
        return name[:-2] + "片区" if name.endswith("街道") else name

    @functools.cache  # noqa: B019 - one Divisions per seeding run
    def place_name(self, code: str) -> str:
        """City and county as written in an address: 郑州市管城回族区."""
        city = self.rows.get(self.city(code))
        county = self.name(self.county(code))
        if city is None or city["name"].startswith("省直辖"):
            return county
        return city["name"] + county


# --- plans: what will be written ---------------------------------------------------------------------


@dataclass
class FirmSpec:
    """One enterprise or project to write; `jurisdiction` is gc / jz for the demo set, "" otherwise."""

    credit_code: str
    name: str
    kind: str
    sector: str
    industry_section: str
    industry_division: str
    region_id: str
    address: str
    output_value: Decimal
    headcount: int
    legal_representative: str
    contact_name: str
    contact_phone: str
    city_operation_support: bool
    key_project: bool
    jurisdiction: str = ""

    def model_fields(self) -> dict:
        values = dict(self.__dict__)
        del values["jurisdiction"]
        return values


@dataclass
class LinkSpec:
    """A supply link of firm `firm` (an index in the plan); `partner` indexes a firm of the plan or is None."""

    firm: int
    direction: str
    partner_name: str
    partner_region_id: str
    partner_credit_code: str = ""
    partner: int | None = None
    is_key: bool = False
    note: str = ""


@dataclass
class Plan:
    firms: list[FirmSpec] = field(default_factory=list)
    links: list[LinkSpec] = field(default_factory=list)

    def digest(self) -> str:
        """A fingerprint of the plan's credit codes, names and links, to compare two runs."""
        h = hashlib.sha256()
        for firm in self.firms:
            h.update(f"{firm.credit_code}|{firm.name}|{firm.region_id}|{firm.output_value}\n".encode())
        for link in self.links:
            h.update(f"{link.firm}|{link.direction}|{link.partner_name}|{link.partner}\n".encode())
        return h.hexdigest()


_TABLES: dict[int, tuple] = {}


def _weighted(rng: random.Random, weights) -> object:
    """One value drawn by weight from a long-lived {value: weight} dict or ((value, weight), ...) tuple."""
    table = _TABLES.get(id(weights))
    if table is None or table[0] is not weights:  # the table keeps `weights` alive, so its id stays its own
        pairs = list(weights.items()) if isinstance(weights, dict) else list(weights)
        table = (weights, [v for v, _w in pairs], list(accumulate(w for _v, w in pairs)))
        _TABLES[id(weights)] = table
    _source, values, cumulative = table
    return values[bisect(cumulative, rng.random() * cumulative[-1])]


class _Maker:
    """Draws people, codes and firms from one random generator, keeping codes and names unique."""

    def __init__(self, rng: random.Random, divisions: Divisions, taken_codes=None, taken_names=None):
        self.rng = rng
        self.div = divisions
        self.taken_codes: set[str] = taken_codes if taken_codes is not None else set()
        self.taken_names: set[str] = taken_names if taken_names is not None else set()
        self._surnames = [s for s, _w in data.SURNAMES]
        self._surname_cum = list(accumulate(w for _s, w in data.SURNAMES))

    # people
    def person(self) -> str:
        rng = self.rng
        surname = self._surnames[bisect(self._surname_cum, rng.random() * self._surname_cum[-1])]
        size = 2 if rng.random() < 0.72 else 1
        return surname + "".join(rng.choice(data.GIVEN_CHARS) for _ in range(size))

    def mobile(self) -> str:
        return self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    # identifiers
    def credit_code(self, region: str) -> str:
        """A valid unified social credit code of an enterprise (工商, 企业) registered in the region's county."""
        rng = self.rng
        while True:
            if rng.random() < 0.7:  # codes issued since 2015: MA + six characters
                body = "MA" + "".join(rng.choice(_USCC_ALPHABET) for _ in range(6))
            else:  # older organisation codes: eight digits
                body = rng.choice("67") + f"{rng.randrange(10**7):07d}"
            code = credit_code_build("9", "1", region[:6], organisation_code(body))
            if code not in self.taken_codes:
                self.taken_codes.add(code)
                return code

    # names and places
    def brand(self) -> str:
        first, second = self.rng.sample(data.BRAND_CHARS, 2)
        return first + second

    def prefix(self, region: str, choices) -> str:
        """A firm-name prefix; "{county}" becomes the county's short name, or the city's for a district."""
        prefix = _weighted(self.rng, choices)
        if prefix == "{county}":
            prefix = self.div.county_short(region) or self.div.city_short(region) or "河南"
        return prefix

    def unique_name(self, make) -> str:
        for _ in range(50):
            name = make()
            if name not in self.taken_names:
                self.taken_names.add(name)
                return name
        raise RuntimeError("could not draw a unique firm name")

    def address(self, region: str, roads, *, project: bool = False) -> str:
        rng = self.rng
        place = self.div.place_name(region)
        if self.div.level(region) == Level.STREET and rng.random() < 0.4:
            place += self.div.name(region)
        road, other = rng.sample(list(roads), 2)
        if project:
            return f"{place}{road}与{other}交叉口{rng.choice(('东北角', '西北角', '东南角', '西南角'))}"
        return f"{place}{road}{rng.randrange(1, 400)}号"

    # numbers
    def output_and_headcount(self, profile: str) -> tuple[Decimal, int]:
        rng = self.rng
        mu, sigma, floor = _OUTPUT[profile]
        value = floor + rng.lognormvariate(mu, sigma)
        per_head = rng.lognormvariate(*_PER_HEAD[profile])
        headcount = round(value / per_head)
        if profile == "key_project":
            headcount = min(max(headcount, 30), 3000)
        return Decimal(f"{value:.2f}"), min(max(headcount, 8), 8000)

    # firms
    def firm(
        self,
        *,
        sector: str,
        region: str,
        prefixes,
        roads,
        divisions: dict,
        project_places,
        utility: tuple[str, str] | None = None,
        anchor: bool = False,
        jurisdiction: str = "",
    ) -> FirmSpec:
        rng = self.rng
        kind = EnterpriseKind.ENTERPRISE
        city_support = False
        key_project = False
        profile = sector
        if utility:
            division, word = utility
            section, profile, city_support = "D", "utility", True
            name = self.unique_name(lambda: f"{self.prefix(region, prefixes)}{self.brand()}{word}有限公司")
        elif sector == "industry":
            division = _weighted(rng, divisions)
            section, products = data.INDUSTRY_PRODUCTS[division]
            city_support = division in ("13", "14", "15") and rng.random() < 0.5
            name = self.unique_name(
                lambda: (
                    self.prefix(region, prefixes)
                    + self.brand()
                    + rng.choice(products)
                    + rng.choices(("有限公司", "股份有限公司", "有限责任公司"), (8, 1, 1))[0]
                )
            )
        elif sector == "key_project":
            kind = EnterpriseKind.PROJECT
            division, thing = rng.choice(data.PROJECT_THINGS)
            section = "E"
            key_project = rng.random() < 0.75

            def project_name() -> str:
                place = rng.choice(project_places)
                if place == "{county}":
                    place = self.div.name(self.div.county(region))
                elif place == "{street}":
                    place = self.div.local_place(region)
                brand = self.brand() if rng.random() < 0.5 else ""
                return f"{place}{brand}{thing}"

            name = self.unique_name(project_name)
        else:
            trades = data.SECTOR_TRADES[sector]
            section, division, words, _weight, support = rng.choices(trades, [t[3] for t in trades])[0]
            city_support = rng.random() < support
            name = self.unique_name(lambda: f"{self.prefix(region, prefixes)}{self.brand()}{rng.choice(words)}有限公司")
        output, headcount = self.output_and_headcount("anchor" if anchor else profile)
        return FirmSpec(
            credit_code=self.credit_code(region),
            name=name,
            kind=kind,
            sector=sector,
            industry_section=section,
            industry_division=division,
            region_id=region,
            address=self.address(region, roads, project=kind == EnterpriseKind.PROJECT),
            output_value=output,
            headcount=headcount,
            legal_representative=self.person(),
            contact_name=self.person(),
            contact_phone=self.mobile(),
            city_operation_support=city_support,
            key_project=key_project,
            jurisdiction=jurisdiction,
        )

    # links
    def outside_partner(self, index: int, firm: FirmSpec, direction: str) -> LinkSpec:
        """A partner firm outside the registry, often in the same city, sometimes with its credit code."""
        rng = self.rng
        trades = data.SUPPLIER_TRADES if direction == LinkDirection.SUPPLIER else data.CUSTOMER_TRADES
        trade, note = rng.choice(trades[firm.sector])
        if rng.random() < 0.4:
            region = rng.choice(self.div.counties_of(firm.region_id))
        else:
            region = rng.choice(self.div.counties)
        prefix = self.div.county_short(region) or self.div.city_short(region) or "河南"
        return LinkSpec(
            firm=index,
            direction=direction,
            partner_name=f"{prefix}{self.brand()}{trade}有限公司",
            partner_region_id=region,
            partner_credit_code=self.credit_code(region) if rng.random() < 0.5 else "",
            is_key=rng.random() < 0.25,
            note=note,
        )


class _Links:
    """Collects links, refusing a second link of a firm to the same partner in the same direction."""

    def __init__(self):
        self.links: list[LinkSpec] = []
        self._seen: set[tuple[int, str, str]] = set()

    def add(self, link: LinkSpec) -> bool:
        key = (link.firm, link.direction, link.partner_name)
        if key in self._seen:
            return False
        self._seen.add(key)
        self.links.append(link)
        return True

    def add_pair(self, firms: list[FirmSpec], buyer: int, supplier: int, *, is_key: bool, note: str) -> None:
        """The buyer's supplier link and the supplier's matching customer link."""
        if buyer == supplier:
            return
        a, b = firms[buyer], firms[supplier]
        forward = LinkSpec(buyer, LinkDirection.SUPPLIER, b.name, b.region_id, b.credit_code, supplier, is_key, note)
        back = LinkSpec(supplier, LinkDirection.CUSTOMER, a.name, a.region_id, a.credit_code, buyer, is_key, note)
        if self.add(forward):
            self.add(back)


def _fits(buyer: FirmSpec, supplier: FirmSpec) -> bool:
    """Whether a firm of the registry is a plausible supplier of the buyer (a food maker to a supermarket)."""
    if supplier.sector == "transport":
        return not any(word in supplier.name for word in data.PASSENGER_WORDS)
    if supplier.sector != "industry" or buyer.sector == "industry":
        return True
    return supplier.industry_division in data.SUPPLIER_DIVISIONS[buyer.sector]


def _supply_note(buyer: FirmSpec, supplier: FirmSpec) -> str:
    if supplier.industry_section == "D":
        return data.UTILITY_NOTES[supplier.industry_division]
    if supplier.sector == "industry":
        return data.SUPPLY_NOTES[buyer.sector]
    return data.SECTOR_SUPPLY_NOTES.get(supplier.sector, "物资供应")


def _place(rng: random.Random, jur: Jurisdiction, sector: str) -> str:
    factor = {
        "industry": (3.0, 1.0),
        "key_project": (2.5, 1.0),
        "transport": (2.0, 1.0),
        "commerce": (1.0, 2.5),
        "culture_tourism": (0.6, 3.0),
    }[sector]
    weights = [w * (factor[0] if industrial else factor[1]) for _code, w, industrial in jur.places]
    return rng.choices([code for code, _w, _i in jur.places], weights)[0]


def demo_plan(seed: int = data.SEED, divisions: Divisions | None = None) -> Plan:
    """The demo set: about 120 firms in Guancheng and 150 in Jiaozuo with their supply links."""
    rng = random.Random(seed)
    maker = _Maker(rng, divisions or Divisions())
    plan = Plan()
    for jur in data.JURISDICTIONS:
        industrial = [code for code, _w, is_industrial in jur.places if is_industrial]
        anchors = data.ANCHORS
        for i in range(jur.enterprise_count):
            # The utilities come first, then the anchor manufacturers, then firms of every sector.
            utility = data.UTILITIES[i] if i < len(data.UTILITIES) else None
            anchor = len(data.UTILITIES) <= i < len(data.UTILITIES) + anchors
            sector = "industry" if utility or anchor else _weighted(rng, data.SECTOR_WEIGHTS)
            region = rng.choice(industrial) if utility or anchor else _place(rng, jur, sector)
            plan.firms.append(
                maker.firm(
                    sector=sector,
                    region=region,
                    prefixes=jur.name_prefixes,
                    roads=jur.roads,
                    divisions=jur.industry_divisions,
                    project_places=jur.project_places,
                    utility=utility,
                    anchor=anchor,
                    jurisdiction=jur.key,
                )
            )
    plan.links = _demo_links(rng, maker, plan.firms)
    return plan


def _demo_links(rng: random.Random, maker: _Maker, firms: list[FirmSpec]) -> list[LinkSpec]:
    links = _Links()
    by_place: dict[tuple[str, str], list[int]] = {}
    for i, firm in enumerate(firms):
        if firm.kind == EnterpriseKind.ENTERPRISE:
            by_place.setdefault((firm.jurisdiction, firm.sector), []).append(i)
    other = {"gc": "jz", "jz": "gc"}
    for i, firm in enumerate(firms):
        for _ in range(rng.choices((0, 1, 2, 3), (2, 4, 3, 1))[0]):
            direction = LinkDirection.SUPPLIER if rng.random() < 0.6 else LinkDirection.CUSTOMER
            links.add(maker.outside_partner(i, firm, direction))
        # A supplier inside the registry, in the same jurisdiction.
        if rng.random() < 0.35:
            sector = rng.choice(data.SUPPLIER_SECTORS[firm.sector])
            candidates = [j for j in by_place.get((firm.jurisdiction, sector), []) if _fits(firm, firms[j])]
            if candidates:
                j = rng.choice(candidates)
                links.add_pair(firms, i, j, is_key=rng.random() < 0.4, note=_supply_note(firm, firms[j]))
        # A key supplier in the other jurisdiction: Guancheng firms buying from Jiaozuo and the other way round.
        if firm.sector in ("industry", "commerce", "key_project") and rng.random() < 0.15:
            candidates = [j for j in by_place.get((other[firm.jurisdiction], "industry"), []) if _fits(firm, firms[j])]
            if candidates:
                j = rng.choice(candidates)
                links.add_pair(firms, i, j, is_key=True, note="跨区域重点供应：" + _supply_note(firm, firms[j]))
    return links.links


def province_plan(
    count: int = PROVINCE_COUNT,
    seed: int = data.SEED + 1,
    divisions: Divisions | None = None,
    taken_codes: set | None = None,
    taken_names: set | None = None,
) -> Plan:
    """The benchmark set: `count` firms over every county of the province, with supply links.

    The first firms go one to each county so every county has at least one; the rest are spread by
    city weight, and in counties whose streets are in the division file, often at a street.
    """
    rng = random.Random(seed)
    div = divisions or Divisions()
    maker = _Maker(rng, div, taken_codes, taken_names)
    counties = div.counties
    weights = [data.CITY_WEIGHTS.get(code[:4], 1.0) for code in counties]
    cumulative = list(accumulate(weights))
    plan = Plan()
    prefixes: dict[str, tuple] = {}
    for i in range(count):
        # One firm in each county first, then by weight.
        pick = i if i < len(counties) else bisect(cumulative, rng.random() * cumulative[-1])
        county = counties[pick]
        streets = div.streets_of.get(county)
        region = rng.choice(streets) if streets and rng.random() < 0.6 else county
        sector = _weighted(rng, data.SECTOR_WEIGHTS)
        utility = rng.choice(data.UTILITIES) if sector == "industry" and rng.random() < 0.01 else None
        city = div.city_short(region) or "河南"
        if city not in prefixes:
            prefixes[city] = ((city, 60), ("{county}", 25), ("河南", 15))
        plan.firms.append(
            maker.firm(
                sector=sector,
                region=region,
                prefixes=prefixes[city],
                roads=PROVINCE_ROADS,
                divisions=data.PROVINCE_INDUSTRY_DIVISIONS,
                project_places=("{county}", "{street}", div.name(div.city(region)) if city != "河南" else "{county}"),
                utility=utility,
                anchor=sector == "industry" and not utility and rng.random() < 0.02,
            )
        )
    links = _Links()
    for i, firm in enumerate(plan.firms):
        if i and rng.random() < 0.3:
            partner = plan.firms[j := rng.randrange(i)]
            links.add(
                LinkSpec(
                    i,
                    LinkDirection.SUPPLIER,
                    partner.name,
                    partner.region_id,
                    partner.credit_code,
                    j,
                    rng.random() < 0.3,
                    _supply_note(firm, partner),
                )
            )
        if rng.random() < 0.3:
            links.add(maker.outside_partner(i, firm, LinkDirection.SUPPLIER))
    plan.links = links.links
    return plan


# --- writing --------------------------------------------------------------------------------------


def database_has_data() -> bool:
    """Whether seeding would mix with existing data: any enterprise or any user."""
    return Enterprise.objects.exists() or User.objects.exists()


def _write_plan(plan: Plan, *, batch_size: int = 2000) -> list[Enterprise]:
    firms = [Enterprise(**spec.model_fields()) for spec in plan.firms]
    Enterprise.objects.bulk_create(firms, batch_size=batch_size)
    if any(firm.pk is None for firm in firms):
        raise RuntimeError("the database did not return the keys of bulk-inserted rows")
    SupplyLink.objects.bulk_create(
        [
            SupplyLink(
                enterprise=firms[link.firm],
                direction=link.direction,
                partner_name=link.partner_name,
                partner_credit_code=link.partner_credit_code,
                partner=firms[link.partner] if link.partner is not None else None,
                partner_region_id=link.partner_region_id,
                is_key=link.is_key,
                note=link.note,
            )
            for link in plan.links
        ],
        batch_size=batch_size,
    )
    return firms


def _organizations(jur: Jurisdiction) -> dict[str, Organization]:
    """The jurisdiction's organisations by key; local units by their region code."""
    orgs = {
        spec.key: Organization(
            name=spec.name,
            short_name=spec.short_name,
            kind=spec.kind,
            region_id=spec.region or jur.region,
            sector=spec.sector,
        )
        for spec in jur.orgs
    }
    for unit in jur.local_units:
        orgs[unit.region] = Organization(
            name=unit.org_name, short_name=unit.short_name, kind="local_unit", region_id=unit.region
        )
    return orgs


@dataclass
class _Account:
    user: User
    role: str = ""
    region: str = ""
    sector: str = ""


def _officials(jur: Jurisdiction, orgs: dict[str, Organization], maker: _Maker) -> list[_Account]:
    def official(username: str, role: str, org: Organization, *, region: str = "", sector: str = "") -> _Account:
        user = User(username=username, display_name=maker.person(), phone=maker.mobile(), organization=org)
        return _Account(user, role, region or jur.region, sector)

    accounts = [
        official(f"{jur.key}_admin", Role.ADMIN, orgs[jur.role_orgs["admin"]]),
        official(f"{jur.key}_dispatch", Role.DISPATCHER, orgs[jur.role_orgs["dispatcher"]]),
    ]
    for sector in data.SECTORS:
        username = f"{jur.key}_{data.SECTOR_SLUGS[sector]}"
        accounts.append(official(username, Role.SECTOR_OFFICIAL, orgs[sector], sector=sector))
    for unit in jur.local_units:
        username = jur.local_username.format(slug=unit.slug)
        accounts.append(official(username, Role.LOCAL_OFFICIAL, orgs[unit.region], region=unit.region))
    for role, suffix in (
        (Role.PREVENTION_OFFICIAL, "prevention"),
        (Role.CADRE, "cadre"),
        (Role.AUDITOR, "auditor"),
        (Role.CHECKPOINT, "checkpoint"),
    ):
        accounts.append(official(f"{jur.key}_{suffix}", role, orgs[jur.role_orgs[role]]))
    return accounts


def _liaisons(jur: Jurisdiction, firms: list[Enterprise], plan: Plan) -> list[_Account]:
    """One liaison per sector: of the jurisdiction's largest firm (or project) in that sector."""
    accounts = []
    for n, sector in enumerate(data.SECTORS, start=1):
        ours = [f for f, s in zip(firms, plan.firms, strict=True) if s.jurisdiction == jur.key and f.sector == sector]
        if not ours:
            continue
        firm = max(ours, key=lambda f: (f.output_value, f.credit_code))
        user = User(
            username=f"liaison_{jur.key}_{n:03d}",
            display_name=firm.contact_name,
            phone=firm.contact_phone,
            enterprise=firm,
        )
        accounts.append(_Account(user))
    return accounts


@dataclass
class SeedResult:
    scale: str
    organizations: int = 0
    enterprises: int = 0
    projects: int = 0
    supply_links: int = 0
    users: int = 0
    grants: int = 0
    digest: str = ""
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)
    whitelist: demo_whitelist.WhitelistResult = field(default_factory=demo_whitelist.WhitelistResult)
    prevention: demo_prevention.PreventionResult = field(default_factory=demo_prevention.PreventionResult)


@transaction.atomic
def seed(*, scale: str = "demo", count: int = PROVINCE_COUNT, whitelist: bool = True) -> SeedResult:
    """Write the demo set (and with scale="province", `count` more firms) into an empty database.

    `whitelist=False` leaves out the whitelist story (registry and accounts only)."""
    started = time.perf_counter()
    result = SeedResult(scale=scale)
    mark = started

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        result.timings[name] = now - mark
        mark = now

    load_divisions()
    divisions = Divisions()
    plan = demo_plan(divisions=divisions)
    plans = [plan]
    if scale == "province":
        codes = {f.credit_code for f in plan.firms} | {link.partner_credit_code for link in plan.links} - {""}
        names = {f.name for f in plan.firms}
        plans.append(province_plan(count, divisions=divisions, taken_codes=codes, taken_names=names))
    lap("generate")

    firms = _write_plan(plan)
    for extra in plans[1:]:
        _write_plan(extra)
    lap("enterprises")

    # People: their own generator, so the firms stay the same whatever the accounts are.
    maker = _Maker(random.Random(data.SEED + 2), divisions)
    password = make_password(data.DEMO_PASSWORD)
    accounts = [_Account(User(username="admin", display_name="平台超级管理员", is_staff=True, is_superuser=True))]
    for jur in data.JURISDICTIONS:
        orgs = _organizations(jur)
        Organization.objects.bulk_create(orgs.values())
        result.organizations += len(orgs)
        accounts += _officials(jur, orgs, maker)
        accounts += _liaisons(jur, firms, plan)
    for account in accounts:
        account.user.password = password
    User.objects.bulk_create([a.user for a in accounts])
    grants = [
        Grant(
            user=a.user,
            role=a.role,
            region_id=a.region,
            sector=a.sector,
            region_prefix=code_prefix(a.region, divisions.level(a.region)),
        )
        for a in accounts
        if a.role
    ]
    Grant.objects.bulk_create(grants)
    lap("accounts")

    # The whitelist story over the demo firms, through the whitelist services (sibao/demo/whitelist.py). Not at
    # province scale: the benchmark builds its own whitelist over the whole registry (bench/whitelist_coverage.py).
    if scale == "demo" and whitelist:
        result.whitelist = demo_whitelist.seed_whitelist(firms, [spec.jurisdiction for spec in plan.firms])
        lap("whitelist")
        # Rosters, tests, alerts, closed-loop plans and a past mode switch of the whitelisted firms (prevention.py).
        result.prevention = demo_prevention.seed_prevention()
        lap("prevention")

    result.enterprises = sum(len(p.firms) for p in plans)
    result.projects = sum(f.kind == EnterpriseKind.PROJECT for p in plans for f in p.firms)
    result.supply_links = sum(len(p.links) for p in plans)
    result.users = len(accounts)
    result.grants = len(grants)
    result.digest = hashlib.sha256("".join(p.digest() for p in plans).encode()).hexdigest()
    counts = {
        "enterprises": result.enterprises,
        "supply_links": result.supply_links,
        "organizations": result.organizations,
        "users": result.users,
        "whitelist_entries": sum(result.whitelist.entries.values()),
    }
    event_record(
        actor=None,
        action="demo.seed",
        obj=Region.objects.get(code=data.PROVINCE),
        changes={"scale": [None, scale], "digest": [None, result.digest]} | {k: [0, v] for k, v in counts.items()},
    )
    lap("audit")
    result.seconds = time.perf_counter() - started
    return result


# --- the logins table -----------------------------------------------------------------------------


@dataclass
class Login:
    username: str
    display_name: str
    role: str
    region: str
    scope: str
    organization: str
    password: str
    order: tuple = ()


def demo_logins() -> list[Login]:
    """The accounts that sign in with the demo password, read from the database (nothing is written).

    Demo accounts share one password hash, so the password is checked once, on the hash most users have.
    """
    shared = User.objects.values("password").annotate(n=Count("id")).order_by("-n", "password").first()
    if not shared or not check_password(data.DEMO_PASSWORD, shared["password"]):
        return []
    users = (
        User.objects.filter(password=shared["password"], is_active=True)
        .select_related("organization", "enterprise__region")
        .prefetch_related("grants__region")
    )
    places = [jur.region[: 6 if jur.region[4:] != "00" else 4] for jur in data.JURISDICTIONS]
    rows = []
    for user in users:
        grant = min(user.grants.all(), key=lambda g: (g.region_id, g.role), default=None)
        if user.is_superuser:
            role, region, scope = "superuser", f"{data.PROVINCE} 河南省 (all)", "-"
            code = ""
        elif grant:
            role, code = grant.role, grant.region_id
            region, scope = f"{code} {grant.region.name}", grant.sector or "-"
        elif user.enterprise_id:
            role, code = "liaison", user.enterprise.region_id
            region, scope = f"{code} {user.enterprise.region.name}", user.enterprise.name
        else:
            role, code, region, scope = "-", "", "-", "-"
        org = (user.organization.short_name or user.organization.name) if user.organization_id else "-"
        group = next((n for n, p in enumerate(places) if code.startswith(p)), len(places)) if code else -1
        rank = data.ROLE_ORDER.index(role) if role in data.ROLE_ORDER else len(data.ROLE_ORDER)
        sector = data.SECTORS.index(scope) if scope in data.SECTORS else len(data.SECTORS)
        order = (group, rank, sector, "" if role == "liaison" else code, user.username)
        rows.append(Login(user.username, user.display_name, role, region, scope, org, data.DEMO_PASSWORD, order))
    return sorted(rows, key=lambda row: row.order)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def logins_table(rows: list[Login]) -> str:
    """The logins as an aligned plain-text table (Chinese characters count as two columns)."""
    header = ("username", "name", "role", "region", "sector / enterprise", "organisation", "password")
    cells = [header] + [
        (r.username, r.display_name, r.role, r.region, r.scope, r.organization, r.password) for r in rows
    ]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(header))]
    lines = ["  ".join(_pad(c, w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
