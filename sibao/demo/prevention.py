"""The prevention part of the demo: rosters, tests, health codes, alerts, closed-loop plans and a past mode switch.

Played over the whitelisted demo firms once the whitelist story is done. Rosters, test results and health-code
checks are thousands of invented rows, written in bulk (as an ingest would leave them: each person's latest test
and code check copied onto the roster); what people do is played through the services: closed-loop plans
(`closed_loop_plan_update`), the alerts of one positive result and one red code (`alerts_raise`), a street
switched to emergency mode and back (`mode_switch_apply`), and at the end today's compliance
(`compliance_refresh`, which raises the low-compliance alerts).

Most firms test every member of staff within their cycle (48 h general posts, 24 h mobile posts); about a third
let some fall overdue. Some staff are newcomers in their static period, some have left. Deterministic: the same
seed gives the same people, ID numbers and tests (relative to the moment of seeding).
"""

import datetime as dt
import math
import random
from collections import Counter
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation
from stdnum.cn import ric

from sibao.accounts.models import User
from sibao.core.masking import mask_id_number
from sibao.core.models import ImportBatch
from sibao.core.personal import encrypt, lookup_hasher
from sibao.demo import data
from sibao.demo.clock import PastClock
from sibao.demo.documents import pdf_bytes
from sibao.demo.people import person_name
from sibao.enterprises.models import Enterprise, EnterpriseKind
from sibao.prevention.models import (
    Alert,
    AlertCause,
    ComplianceDay,
    CredentialCheck,
    LoopKind,
    PostType,
    StaffMember,
    TestOutcome,
    TestResult,
    Verification,
)
from sibao.prevention.services.alerts import Cause, alerts_raise
from sibao.prevention.services.compliance import compliance_refresh
from sibao.prevention.services.mode import mode_switch_apply
from sibao.prevention.services.readiness import closed_loop_plan_update
from sibao.regions.models import Mode, Region
from sibao.whitelist.selectors import WHITELISTED

SEED = data.SEED + 4
HISTORY_HOURS = 5 * 24  # test results of the last five days
REPORTED_AFTER = dt.timedelta(hours=2)  # from sampling to the result
LAGGING_SHARE = 0.35  # firms letting some staff fall overdue
INSTITUTIONS = ("管城区人民医院", "郑州金域医学检验实验室", "焦作市人民医院", "河南迪安医学检验所", "社区核酸采样点")
CODE_SOURCE = "豫康码"
LOOP_UNITS = ("生产一部", "生产二部", "仓储物流", "质检", "设备维护", "行政后勤")
LODGINGS = ("厂区员工宿舍1号楼", "厂区员工宿舍2号楼", "园区公寓A座", "协议酒店")


@dataclass
class PreventionResult:
    staff: int = 0
    newcomers: int = 0
    results: int = 0
    checks: int = 0
    plans: int = 0
    alerts: dict = field(default_factory=dict)
    switches: int = 0
    compliance_days: int = 0
    seeded: bool = False

    def summary(self) -> str:
        if not self.seeded:
            return "no prevention data"
        alerts = ", ".join(f"{n} {cause}" for cause, n in sorted(self.alerts.items()))
        return (
            f"prevention: {self.staff} staff ({self.newcomers} newcomers), {self.results} test results, "
            f"{self.plans} closed-loop plans, alerts ({alerts or 'none'}), {self.switches} mode switches"
        )


class _People:
    """Invented staff: names, phones and valid resident ID numbers (unique), from one random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.taken: set[str] = set()

    def name(self) -> str:
        return person_name(self.rng)

    def phone(self) -> str:
        return self.rng.choice(data.MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"

    def id_number(self, county: str) -> str:
        """An 18-digit resident ID number of someone born in the county, 18 to 58 years ago."""
        while True:
            born = dt.date(1965, 1, 1) + dt.timedelta(days=self.rng.randrange(40 * 365))
            body = f"{county}{born:%Y%m%d}{self.rng.randrange(1000):03d}"
            number = body + ric.calc_check_digit(body + "0")  # it skips the last character
            if number not in self.taken:
                self.taken.add(number)
                return number


# --- rosters, tests and codes ------------------------------------------------------------------------------------


@dataclass
class _Firm:
    enterprise: Enterprise
    lagging: bool
    staff: list = field(default_factory=list)


def _whitelisted_firms(rng: random.Random) -> list[_Firm]:
    firms = (
        Enterprise.objects.filter(WHITELISTED)
        .exclude(kind=EnterpriseKind.PARK)
        .select_related("region")
        .order_by("credit_code")
    )
    return [_Firm(firm, rng.random() < LAGGING_SHARE) for firm in firms]


def _roster(firm: _Firm, people: _People, rng: random.Random, today: dt.date, digest) -> list[StaffMember]:
    enterprise = firm.enterprise
    size = max(6, min(40, enterprise.headcount // 10))
    # A few firms have not put everyone into a closed-loop unit yet (a readiness gap).
    unassigned = 8 if rng.random() < 0.12 else 0
    mobile_share = 0.45 if enterprise.sector in ("commerce", "transport") else 0.2
    rows = []
    for n in range(size):
        number = people.id_number(enterprise.region_id[:6])
        kind = rng.choices((LoopKind.BUBBLE, LoopKind.TWO_POINT, ""), (55, 45, unassigned))[0]
        newcomer = rng.random() < 0.06
        started = today - dt.timedelta(days=rng.randrange(3) if newcomer else rng.randrange(30, 1500))
        rows.append(
            StaffMember(
                enterprise=enterprise,
                name=people.name(),
                id_hash=digest(number),
                id_cipher=encrypt(number),
                id_masked=mask_id_number(number),
                phone=people.phone(),
                post_type=PostType.MOBILE if rng.random() < mobile_share else PostType.GENERAL,
                loop_kind=kind,
                loop_unit=f"{rng.choice(LOOP_UNITS)}{'气泡' if kind == LoopKind.BUBBLE else ''}" if kind else "",
                workplace=enterprise.address[:100] if kind == LoopKind.TWO_POINT else "",
                lodging=rng.choice(LODGINGS) if kind == LoopKind.TWO_POINT else "",
                start_date=started,
                left_on=today - dt.timedelta(days=rng.randrange(1, 30)) if n and rng.random() < 0.03 else None,
            )
        )
    return rows


def _samples(member: StaffMember, lagging: bool, rng: random.Random, at: dt.datetime) -> list[dt.datetime]:
    """When the member was sampled over the last days, newest first (none for most newcomers)."""
    cycle = 24 if member.post_type == PostType.MOBILE else 48
    started = dt.datetime.combine(member.start_date, dt.time(8), tzinfo=at.tzinfo)
    if lagging and rng.random() < 0.3:
        last = at - dt.timedelta(hours=cycle + rng.uniform(4, 48))  # overdue
    else:
        last = at - dt.timedelta(hours=rng.uniform(3, cycle - 2))
    times = []
    while last > at - dt.timedelta(hours=HISTORY_HOURS) and last > started:
        times.append(last.replace(second=0, microsecond=0))
        last -= dt.timedelta(hours=cycle - rng.uniform(0, 3))
    return times


def _rosters(firms: list[_Firm], rng: random.Random, at: dt.datetime) -> list[StaffMember]:
    """Every firm's roster (not saved yet: the tests and codes below fill in each member's status first)."""
    people, digest = _People(rng), lookup_hasher()
    staff = []
    for firm in firms:
        firm.staff = _roster(firm, people, rng, timezone.localdate(at), digest)
        staff += firm.staff
    return staff


def _tests(firms: list[_Firm], rng: random.Random, at: dt.datetime, batch: ImportBatch) -> list[TestResult]:
    """Test results of the last days, each member's latest copied onto the roster as the ingest does."""
    results = []
    for firm in firms:
        institution = rng.choice(INSTITUTIONS)
        for member in firm.staff:
            times = [t for t in _samples(member, firm.lagging, rng, at) if t + REPORTED_AFTER <= at]
            results += [
                TestResult(
                    id_hash=member.id_hash,
                    sampled_at=t,
                    institution=institution,
                    result=TestOutcome.NEGATIVE,
                    batch=batch,
                    received_at=t + REPORTED_AFTER,
                )
                for t in times
            ]
            if times:
                member.last_sampled_at, member.last_result = times[0], TestOutcome.NEGATIVE
                member.last_institution = institution
    return results


def _codes(staff: list[StaffMember], rng: random.Random, at: dt.datetime) -> list[CredentialCheck]:
    """Each active member's health-code check of today (green; a few yellow), also copied onto the roster."""
    checks = []
    for member in staff:
        if member.left_on:
            continue
        checked = at - dt.timedelta(minutes=rng.randrange(20, 600))
        outcome = Verification.YELLOW if rng.random() < 0.01 else Verification.GREEN
        member.code_outcome, member.code_checked_at, member.code_source = outcome, checked, CODE_SOURCE
        member.itinerary_risk, member.itinerary_checked_at = False, checked
        checks.append(
            CredentialCheck(staff=member, checked_at=checked, source=CODE_SOURCE, outcome=outcome, itinerary_risk=False)
        )
    return checks


def _write_people(firms: list[_Firm], rng: random.Random, at: dt.datetime, ingester) -> tuple[list, int, int]:
    """Rosters, test results and code checks, in bulk; (staff, results, checks)."""
    batch = ImportBatch.objects.create(
        kind="test_results", actor=ingester, filename="演示数据：核酸检测结果.csv", sha256=""
    )
    staff = _rosters(firms, rng, at)
    results = _tests(firms, rng, at, batch)
    checks = _codes(staff, rng, at)
    StaffMember.objects.bulk_create(staff, batch_size=1000)
    TestResult.objects.bulk_create(results, batch_size=2000)
    CredentialCheck.objects.bulk_create(checks, batch_size=2000)
    batch.rows = batch.created = len(results)
    batch.save(update_fields=["rows", "created"])
    return staff, len(results), len(checks)


# --- the two cases that raise alerts at once ---------------------------------------------------------------------


def _counted(firm: _Firm, at: dt.datetime) -> list[StaffMember]:
    """Active staff past their static period, in roster order."""
    return [m for m in firm.staff if not m.left_on and m.start_date < timezone.localdate(at) - dt.timedelta(days=3)]


def _positive(firm: _Firm, at: dt.datetime, actor) -> Cause:
    member = _counted(firm, at)[0]
    sampled = at - dt.timedelta(hours=5)
    batch = ImportBatch.objects.create(kind="test_results", actor=actor, filename="演示数据：复检结果.csv", sha256="")
    TestResult.objects.create(
        id_hash=member.id_hash,
        sampled_at=sampled,
        institution=INSTITUTIONS[0],
        result=TestOutcome.POSITIVE,
        batch=batch,
        received_at=at - dt.timedelta(hours=1),
    )
    batch.rows = batch.created = 1
    batch.save(update_fields=["rows", "created"])
    member.last_sampled_at, member.last_result, member.last_institution = sampled, TestOutcome.POSITIVE, INSTITUTIONS[0]
    StaffMember.objects.filter(pk=member.pk).update(
        last_sampled_at=sampled, last_result=TestOutcome.POSITIVE, last_institution=INSTITUTIONS[0]
    )
    detail = (
        f"{member.name}（{member.id_masked}）核酸检测结果阳性，采样时间 {timezone.localtime(sampled):%Y-%m-%d %H:%M}。"
    )
    return Cause(firm.enterprise.pk, AlertCause.POSITIVE, str(member.pk), member.pk, detail)


def _red_code(firm: _Firm, at: dt.datetime) -> Cause:
    member = _counted(firm, at)[0]
    checked = at - dt.timedelta(hours=2)
    CredentialCheck.objects.create(staff=member, checked_at=checked, source=CODE_SOURCE, outcome=Verification.RED)
    StaffMember.objects.filter(pk=member.pk).update(
        code_outcome=Verification.RED, code_checked_at=checked, code_source=CODE_SOURCE
    )
    detail = f"{member.name}（{member.id_masked}）健康码为红码，核验时间 {timezone.localtime(checked):%Y-%m-%d %H:%M}。"
    return Cause(firm.enterprise.pk, AlertCause.RED_CODE, str(member.pk), member.pk, detail)


# --- closed-loop plans ----------------------------------------------------------------------------------------------


def _plan_author(firm: Enterprise, liaisons: dict, dispatchers: dict):
    """The firm's liaison keeps its plan; without one, the dispatch office of its jurisdiction entered it."""
    return liaisons.get(firm.pk) or dispatchers[firm.region_id[:4]]


def _plans(firms: list[_Firm], rng: random.Random) -> int:
    """Plans for most firms: complete, or lacking one or two items (a gap the readiness page shows)."""
    liaisons = {u.enterprise_id: u for u in User.objects.filter(enterprise__isnull=False).order_by("id")}
    dispatchers = {jur.region[:4]: User.objects.get(username=f"{jur.key}_dispatch") for jur in data.JURISDICTIONS}
    made = 0
    for firm in firms:
        if rng.random() < 0.12:
            continue  # no plan at all
        enterprise, active = firm.enterprise, sum(1 for m in firm.staff if not m.left_on)
        lacks = set(rng.sample(("document", "receiving_point", "observation", "lead"), rng.choice((1, 2))))
        if rng.random() < 0.75:
            lacks = set()
        places = math.ceil(active * 0.01) + rng.randrange(0, 3)
        values = {
            "lodging": rng.choice(LODGINGS),
            "lodging_beds": active + rng.randrange(0, 20),
            "receiving_point": "" if "receiving_point" in lacks else "厂区东门物资接收点（无接触交接）",
            "observation_places": 0 if "observation" in lacks else places,
            "lead_name": "" if "lead" in lacks else enterprise.contact_name or enterprise.legal_representative,
            "lead_phone": "" if "lead" in lacks else enterprise.contact_phone,
        }
        document = None
        if "document" not in lacks:
            lines = ["Closed-loop production plan (yi qi yi ce)", enterprise.credit_code, "Sibao demo"]
            document = ContentFile(pdf_bytes(lines), name="一企一策疫情防控应急预案.pdf")
        author = _plan_author(enterprise, liaisons, dispatchers)
        closed_loop_plan_update(actor=author, enterprise=enterprise, data=values, document=document)
        made += 1
    return made


# --- a past mode switch -----------------------------------------------------------------------------------------


def _street_with_most_firms(firms: list[_Firm]) -> Region | None:
    streets = Counter(
        f.enterprise.region_id
        for f in firms
        if f.enterprise.region.level == "street" and f.enterprise.region_id[:6] == "410104"
    )
    return Region.objects.get(code=streets.most_common(1)[0][0]) if streets else None


def _mode_story(firms: list[_Firm]) -> int:
    """A Guancheng street went into emergency mode twelve days ago, back to normal five days ago."""
    street = _street_with_most_firms(firms)
    if street is None:
        return 0
    actor = User.objects.get(username="gc_prevention")
    with PastClock().running() as clock:
        clock.set(-12, 21 * 60 + 40)
        mode_switch_apply(
            actor=actor,
            region=street,
            to_mode=Mode.EMERGENCY,
            reason=f"{street.name}发现本土确诊病例，辖区划定高风险区，白名单企业即时转入闭环生产。",
        )
        clock.set(-5, 9 * 60 + 15)
        mode_switch_apply(
            actor=actor,
            region=street,
            to_mode=Mode.NORMAL,
            reason="连续7天无新增本土病例，高风险区降为低风险区，恢复常态化生产。",
        )
    return 2


# --- entry point ------------------------------------------------------------------------------------------------


def seed_prevention() -> PreventionResult:
    """Play the prevention story over the whitelisted demo firms (after the whitelist story)."""
    rng = random.Random(SEED)
    at = timezone.now()
    firms = _whitelisted_firms(rng)
    if not firms:
        return PreventionResult()
    with translation.override(settings.LANGUAGE_CODE):
        ingester = User.objects.get(username="gc_prevention")
        staff, results, checks = _write_people(firms, rng, at, ingester)
        gc_firms = [f for f in firms if f.enterprise.region_id.startswith("410104")] or firms
        jz_firms = [f for f in firms if f.enterprise.region_id.startswith("4108")] or firms
        lagging = next((f for f in gc_firms if f.lagging), gc_firms[0])
        alerts_raise([_positive(lagging, at, ingester), _red_code(jz_firms[len(jz_firms) // 2], at)])
        plans = _plans(firms, rng)
        switches = _mode_story(firms)
        compliance_refresh()
    return PreventionResult(
        staff=len(staff),
        newcomers=sum(m.start_date >= timezone.localdate(at) - dt.timedelta(days=3) for m in staff),
        results=results + 1,
        checks=checks + 1,
        plans=plans,
        alerts=dict(Counter(Alert.objects.values_list("cause", flat=True))),
        switches=switches,
        compliance_days=ComplianceDay.objects.count(),
        seeded=True,
    )
