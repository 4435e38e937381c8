"""The whitelist part of the demo: parameters, criteria, applications, admissions, the breaker, coverage history.

Every state the whitelist pages can show is played out through the whitelist services (and registry changes
through `enterprise_update`: a firm turned into a park, a corrected headcount or output after admission), so the
status history, audit events and notifications are the ones real use leaves. Only what no service writes is
written directly: the jurisdictions' parameters and the firms registered in the demo park (each with an event).

The story is a timeline of days before today. Criteria are published months ago, firms apply and are admitted
over the following months, spot checks fail in the last weeks; every simulated day the daily jobs run as cron
would (`entries_expire`, `breakers_escalate`) and, over the last 30 days, `coverage_snapshot_take`, so expiries
and escalations happen by themselves and the coverage history reflects the statuses of each day. The services
read the time from `sibao.core.clock` (that is, `django.utils.timezone.now`), which is moved to each simulated
day while the timeline plays, and left alone for today. Everything dated is relative to today, so a demo seeded
on any day looks the same: nothing expires that is not meant to.

Deterministic: which firm plays which part follows from the demo plan (largest first, ties by credit code) and
one `random.Random`; the same seed gives the same applications, entries and cases on every run (stored file
names are random, as for any upload).
"""

import datetime as dt
import hashlib
import random
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone, translation

from sibao.accounts.models import User
from sibao.audit.services import event_record
from sibao.core.clock import today
from sibao.core.errors import ServiceError
from sibao.core.tabular import write_xlsx
from sibao.demo import data
from sibao.demo.clock import PastClock
from sibao.demo.documents import pdf_bytes
from sibao.demo.people import person_name
from sibao.enterprises.models import Enterprise, EnterpriseKind, LinkDirection, SupplyLink
from sibao.enterprises.services import enterprise_update
from sibao.regions.models import Parameter
from sibao.regions.parameters import parameter_value
from sibao.whitelist import breaker, rules, services
from sibao.whitelist.models import (
    PENDING_APPLICATION,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    BreakerCase,
    BreakerStatus,
    CoverageSnapshot,
    CriteriaSet,
    CriterionKind,
    DecisionSide,
    DocumentType,
    Entry,
    EntryStatus,
    JointAction,
    JointDecision,
    JointDecisionStatus,
    Outcome,
)
from sibao.whitelist.selectors import criteria_in_force
from sibao.whitelist.snapshots import coverage_snapshot_take

SEED = data.SEED + 3
HISTORY_DAYS = 30  # days of coverage snapshots, today included
# The nightly jobs run over the last NIGHTLY_DAYS days only: nothing in the story falls due earlier (the first
# admission to run out ends about 19 days ago), and a job run late would still catch anything overdue.
NIGHTLY_DAYS = 60

# --- parameters (no service writes them: rows) ------------------------------------------------------

PARAMETERS_FROM = dt.date(2022, 6, 1)
BREAKER_STEPS = [
    {"level": "warning", "rectify_days": 7},
    {"level": "suspension", "rectify_days": 14},
    {"level": "removal", "rectify_days": 0},
]
# jurisdiction key -> (coverage target, months an admission runs); both plans set the target for the end of June.
PARAMETERS = {"gc": (0.70, 6), "jz": (0.80, 12)}
COVERAGE_DEADLINE = "2022-06-30"

# The share of each sector's output the demo's active entries come to (the greedy fill stays just below it):
# Guancheng's industry and transport reach the 70% target, its other sectors fall short; in Jiaozuo (80%) only
# industry does.
COVERAGE_AIM = {
    "gc": {"industry": 0.75, "commerce": 0.65, "transport": 0.73, "culture_tourism": 0.58, "key_project": 0.67},
    "jz": {"industry": 0.83, "commerce": 0.70, "transport": 0.66, "culture_tourism": 0.60, "key_project": 0.75},
}

# --- criteria ---------------------------------------------------------------------------------------------

SECTOR_NAMES = {
    "industry": "工业生产",
    "commerce": "商贸流通",
    "transport": "交通运输",
    "culture_tourism": "文化旅游",
    "key_project": "重点项目",
}
REGION = "{region}"  # stands for the jurisdiction's own code in a rule's value


@dataclass(frozen=True)
class RuleSpec:
    title: str
    fact: str
    operator: str
    value: object = None


@dataclass(frozen=True)
class PointSpec:
    title: str
    document_type: str
    description: str


PLAN = PointSpec(
    "疫情防控和应急处置方案",
    DocumentType.PREVENTION_PLAN,
    "按本行业（领域）疫情防控工作指南“一企一策”制定：日常防控举措，应急状态下临时观察区设置、阳性人员转运通道和防外溢措施。",
)
STAFF = PointSpec(
    "员工花名册",
    DocumentType.STAFF_LIST,
    "全体员工姓名、岗位、居住地和健康监测安排；应急状态下在岗人员单独标注。",
)
PLEDGE = PointSpec(
    "疫情防控承诺书",
    DocumentType.COMMITMENT,
    "法定代表人签字并加盖公章，承诺落实企业主体责任和各项防控措施。",
)
CLOSED_LOOP = PointSpec(
    "闭环生产方案",
    DocumentType.CLOSED_LOOP_PLAN,
    "按划小单元、减少交叉的原则实行闭环管理（“气泡式”管理），明确闭环区域、员工食宿和物资保障。",
)
IN_JURISDICTION = RuleSpec("注册地在本辖区", "region", "within", [REGION])


@dataclass(frozen=True)
class CriteriaSpec:
    rules: tuple[RuleSpec, ...]
    points: tuple[PointSpec, ...]
    note: str = ""


CRITERIA = {
    "industry": CriteriaSpec(
        (
            RuleSpec("年产值不低于2000万元", "output_value", "gte", 2000),
            RuleSpec("员工人数不少于50人", "headcount", "gte", 50),
            IN_JURISDICTION,
        ),
        (PLAN, STAFF, CLOSED_LOOP),
        "规模以上工业企业；工业企业原则上全面实行闭环管理。",
    ),
    "commerce": CriteriaSpec(
        (
            RuleSpec("年营业额不低于1000万元", "output_value", "gte", 1000),
            RuleSpec("员工人数不少于20人", "headcount", "gte", 20),
            IN_JURISDICTION,
        ),
        (PLAN, STAFF, PLEDGE),
        "优先支持城市运行保障企业（生活物资保供、农产品批发、连锁超市）；实行工作场所、住所“两点一线”管理。",
    ),
    "transport": CriteriaSpec(
        (
            RuleSpec("年营业收入不低于500万元", "output_value", "gte", 500),
            RuleSpec("员工人数不少于20人", "headcount", "gte", 20),
            IN_JURISDICTION,
        ),
        (PLAN, STAFF, PLEDGE),
        "货车司乘人员落实“即采即走即追”+“闭环管理”，点对点运输。",
    ),
    "culture_tourism": CriteriaSpec(
        (RuleSpec("年营业收入不低于300万元", "output_value", "gte", 300), IN_JURISDICTION),
        (PLAN, PLEDGE),
        "文旅场所落实限量、预约、错峰要求。",
    ),
    "key_project": CriteriaSpec(
        (
            RuleSpec("总投资不低于5000万元", "output_value", "gte", 5000),
            RuleSpec("列入省、市、区重点项目", "key_project", "is_true"),
            IN_JURISDICTION,
        ),
        (PLAN, CLOSED_LOOP, PLEDGE),
        "重点项目原则上全面实行闭环管理。",
    ),
}
# Guancheng's industry criteria as first published, replaced later by CRITERIA["industry"] (versioning).
GC_INDUSTRY_V1 = CriteriaSpec(
    (RuleSpec("年产值不低于2000万元", "output_value", "gte", 2000), IN_JURISDICTION),
    (PLAN, PLEDGE),
    "第一版：规模以上工业企业自愿申报。",
)

# --- texts -------------------------------------------------------------------------------------------------

DIRECT_REASON = "动态调整：经行业主管部门核实，企业达到本领域遴选标准，直接纳入白名单管理。"
PARK_REASON = "综合保税区等园区可以园区为单位纳入白名单管理：园区整体纳入，覆盖园区内注册企业。"
FINDINGS = (
    "未落实48小时滚动核酸检测，员工健康监测台账缺失。",
    "场所码未全覆盖，外来人员和车辆未登记报备。",
    "闭环管理区域物理隔离不到位，员工食宿未实行“两点一线”。",
    "职工食堂未实行错峰就餐，密闭空间消杀记录不全。",
)
PASSED_FINDINGS = "防控措施落实到位：场所码、核酸检测、闭环管理台账齐全。"


# --- documents -----------------------------------------------------------------------------------------------


def staff_list_xlsx(firm: Enterprise) -> bytes:
    """A staff list (员工花名册) of the firm: invented people, at most 40 rows, the same for the same firm."""
    rng = random.Random(f"staff:{firm.credit_code}")
    posts = ("生产一线", "生产一线", "生产一线", "仓储物流", "质检", "设备维护", "行政后勤", "食堂", "安保")
    rows = [
        [n, person_name(rng), rng.choice(posts), "厂区宿舍" if rng.random() < 0.4 else "本辖区", "每日", "是"]
        for n in range(1, min(firm.headcount, 40) + 1)
    ]
    return write_xlsx(["序号", "姓名", "岗位", "居住地", "健康监测", "应急状态在岗"], rows, sheet="员工花名册")


@dataclass
class _Action:
    day: int
    seq: int
    call: Callable
    args: tuple
    kwargs: dict


class _Timeline:
    def __init__(self):
        self.actions: list[_Action] = []

    def at(self, day: int, call: Callable, *args, **kwargs) -> None:
        if day >= 0:
            raise ValueError("the demo's story happens before today")
        self.actions.append(_Action(day, len(self.actions), call, args, kwargs))

    def play(self, clock: PastClock) -> None:
        """Run every action on its day, the nightly jobs before them, the coverage snapshot after them."""
        by_day = defaultdict(list)
        for action in self.actions:
            by_day[action.day].append(action)
        first = min(by_day, default=0)
        for day in range(first, 1):
            if day > -NIGHTLY_DAYS:
                clock.set(day, 30)
                services.entries_expire(today())
                breaker.breakers_escalate(today())
            for n, action in enumerate(sorted(by_day.get(day, ()), key=lambda a: a.seq)):
                clock.set(day, 8 * 60 + 30 + min(n * 7, 9 * 60) + n % 7)
                action.call(*action.args, **action.kwargs)
            if day > -HISTORY_DAYS:
                clock.set(day, 23 * 60 + 30)
                coverage_snapshot_take(on=today())


# --- casting: which firm plays which part -------------------------------------------------------------------


@dataclass
class _Firm:
    pk: int
    name: str
    credit_code: str
    jur: str
    sector: str
    region_id: str
    output: Decimal
    headcount: int
    city_operation_support: bool
    facts: dict
    part: str = ""
    counted: bool = False  # whitelisted (active) at the end, for coverage


class DemoStoryError(RuntimeError):
    """A step of the demo did not end as the story says: the whitelist rules changed under the demo."""


@dataclass
class WhitelistResult:
    entries: dict = field(default_factory=dict)
    applications: dict = field(default_factory=dict)
    pending_applications: int = 0
    criteria_sets: int = 0
    documents: int = 0
    breaker_cases: dict = field(default_factory=dict)
    pending_decisions: int = 0
    snapshot_days: int = 0
    digest: str = ""
    seeded: bool = False

    def summary(self) -> str:
        if not self.seeded:
            return "no whitelist (the province-scale set is the benchmark's, which builds its own)"
        order = [s.value for s in EntryStatus]
        states = ", ".join(f"{self.entries[s]} {s}" for s in order if self.entries.get(s))
        return (
            f"whitelist: {sum(self.entries.values())} entries ({states}), "
            f"{self.pending_applications} pending applications, {self.criteria_sets} criteria sets, "
            f"{self.snapshot_days} days of coverage history"
        )


class _Demo:
    def __init__(self, firms: list[Enterprise], jurisdictions: list[str]):
        self.rng = random.Random(SEED)
        self.timeline = _Timeline()
        self.users = {u.username: u for u in User.objects.filter(is_active=True)}
        self.liaisons = {u.enterprise_id: u for u in User.objects.filter(enterprise__isnull=False).order_by("id")}
        self.regions = {jur.key: jur.region for jur in data.JURISDICTIONS}
        self.firms: dict[int, _Firm] = {}
        for firm, jur in zip(firms, jurisdictions, strict=True):
            if jur and firm.kind != EnterpriseKind.PARK:
                self.firms[firm.pk] = _Firm(
                    firm.pk,
                    firm.name,
                    firm.credit_code,
                    jur,
                    firm.sector,
                    firm.region_id,
                    firm.output_value,
                    firm.headcount,
                    firm.city_operation_support,
                    rules.facts_of(firm),
                )
        self.rules = {
            (jur, sector): [self._rule(r, jur) for r in spec.rules]
            for jur in self.regions
            for sector, spec in CRITERIA.items()
        }
        self.admitted_on: dict[int, int] = {}  # firm pk -> day admitted via an application
        self.documents_asked: dict[int, set[str]] = {}  # criteria set pk -> document types its points ask for

    # people
    def official(self, jur: str, sector: str) -> User:
        return self.users[f"{jur}_{data.SECTOR_SLUGS[sector]}"]

    def dispatch(self, jur: str) -> User:
        return self.users[f"{jur}_dispatch"]

    def prevention(self, jur: str) -> User:
        return self.users[f"{jur}_prevention"]

    def applicant(self, firm: _Firm) -> User:
        """The firm's liaison where it has one, else its sector department acting for it."""
        return self.liaisons.get(firm.pk) or self.official(firm.jur, firm.sector)

    # criteria
    def _rule(self, spec: RuleSpec, jur: str) -> rules.Rule:
        value = [self.regions[jur]] if spec.value == [REGION] else spec.value
        return rules.validate_rule(spec.fact, spec.operator, value)

    def eligible(self, firm: _Firm) -> bool:
        return all(
            rules.evaluate(rule, firm.facts).outcome == rules.PASSED for rule in self.rules[(firm.jur, firm.sector)]
        )

    # casting
    def group(self, jur: str, sector: str) -> list[_Firm]:
        firms = [f for f in self.firms.values() if (f.jur, f.sector) == (jur, sector)]
        return sorted(firms, key=lambda f: (-f.output, f.credit_code))

    def take(self, jur: str, sector: str, part: str, *, rank: int = 0, where=None, eligible: bool | None = True):
        """The firm of rank `rank` (0: the largest) among the free ones that fit, given the part; None if none fits."""
        fits = [
            f
            for f in self.group(jur, sector)
            if not f.part
            and (eligible is None or self.eligible(f) == eligible)
            and (where is None or where(f))
            and f.pk not in self.liaisons
        ]
        if not fits:
            return None
        firm = fits[min(rank, len(fits) - 1)]
        firm.part = part
        return firm


# --- the actions (each runs on its simulated day) -------------------------------------------------------------


class _Actions(_Demo):
    def _enterprise(self, firm: _Firm) -> Enterprise:
        return Enterprise.objects.get(pk=firm.pk)

    def _entry(self, firm: _Firm) -> Entry:
        return Entry.objects.get(enterprise_id=firm.pk)

    def _expect(self, obj, status: str, what: str) -> None:
        if obj.status != status:
            raise DemoStoryError(f"demo whitelist: {what} ended {obj.status}, not {status}")

    # criteria
    def publish(self, jur: str, sector: str, spec: CriteriaSpec, *, title: str, revise: bool = False) -> None:
        """Publish the sector's criteria; `revise`: a new version copied from the one in force, then changed."""
        actor = self.official(jur, sector)
        region = self.regions[jur]
        previous = CriteriaSet.objects.filter(region_id=region, sector=sector).order_by("-version").first()
        draft = services.criteria_set_create(
            actor=actor,
            region_code=region,
            sector=sector,
            title=title,
            note=spec.note,
            based_on=previous if revise else None,
        )
        kept = {c.title: c for c in draft.criteria.all()}
        wanted = {r.title for r in spec.rules} | {p.title for p in spec.points}
        for title_, criterion in kept.items():
            if title_ not in wanted:
                services.criterion_remove(actor=actor, criterion=criterion)
        for rule in spec.rules:
            if rule.title not in kept:
                value = [region] if rule.value == [REGION] else rule.value
                services.criterion_add(
                    actor=actor,
                    criteria_set=draft,
                    title=rule.title,
                    kind=CriterionKind.AUTOMATIC,
                    fact=rule.fact,
                    operator=rule.operator,
                    value=value,
                )
        for point in spec.points:
            if point.title not in kept:
                services.criterion_add(
                    actor=actor,
                    criteria_set=draft,
                    title=point.title,
                    kind=CriterionKind.JUDGED,
                    document_type=point.document_type,
                    description=point.description,
                )
        services.criteria_set_publish(actor=actor, criteria_set=draft, effective_from=today())

    # documents
    def _documents(self, enterprise: Enterprise, types, *, xlsx: bool = False) -> list[tuple[str, ContentFile]]:
        documents = []
        for document_type in sorted(types):
            label = DocumentType(document_type).label
            if document_type == DocumentType.STAFF_LIST and xlsx:
                content = ContentFile(staff_list_xlsx(enterprise), name=f"{enterprise.name}-员工花名册.xlsx")
            else:
                lines = [
                    "Sibao demo document - generated, not a real filing",
                    f"Document: {document_type} ({label})",
                    f"Enterprise: {enterprise.credit_code}",
                    f"Region: {enterprise.region_id}",
                    f"Date: {today().isoformat()}",
                ]
                content = ContentFile(pdf_bytes(lines), name=f"{enterprise.name}-{document_type}.pdf")
            documents.append((document_type, content))
        return documents

    def _required(self, enterprise: Enterprise) -> set[str]:
        criteria = criteria_in_force(enterprise.region_id, enterprise.sector)
        if criteria.pk not in self.documents_asked:
            self.documents_asked[criteria.pk] = {c.document_type for c in criteria.criteria.all() if c.document_type}
        return self.documents_asked[criteria.pk]

    # applications
    def submit(self, firm: _Firm, *, note: str = "", actor: User | None = None) -> None:
        enterprise = self._enterprise(firm)
        actor = actor or self.applicant(firm)
        xlsx = actor.enterprise_id == firm.pk  # the firm's own liaison sends its staff list as a spreadsheet
        services.application_submit(
            actor=actor,
            enterprise=enterprise,
            documents=self._documents(enterprise, self._required(enterprise), xlsx=xlsx),
            note=note,
        )

    def review(self, firm: _Firm, expect: str, **verdicts) -> None:
        """Decide the pending points: approve, except `verdicts` (document type -> (decision, reason))."""
        application = Application.objects.get(enterprise_id=firm.pk, status=ApplicationStatus.SUBMITTED)
        decisions = {
            r.criterion_id: verdicts.get(r.criterion.document_type, "approve")
            for r in application.results.select_related("criterion")
            if r.outcome == Outcome.PENDING
        }
        reviewer = self.official(firm.jur, firm.sector)
        decided = services.application_review(
            actor=reviewer, application=application, decisions=decisions, expected_version=application.version
        )
        self._expect(decided, expect, f"the application of {firm.name}")

    def resubmit(self, firm: _Firm, document_type: str, note: str) -> None:
        application = Application.objects.get(enterprise_id=firm.pk, status=ApplicationStatus.RETURNED)
        enterprise = self._enterprise(firm)
        services.application_resubmit(
            actor=self.applicant(firm),
            application=application,
            documents=self._documents(enterprise, [document_type]),
            note=note,
            expected_version=application.version,
        )

    def withdraw(self, firm: _Firm, reason: str) -> None:
        application = Application.objects.get(enterprise_id=firm.pk, status__in=PENDING_APPLICATION)
        services.application_withdraw(
            actor=self.applicant(firm), application=application, reason=reason, expected_version=application.version
        )

    def admit_directly(self, firm: _Firm, reason: str = DIRECT_REASON) -> None:
        entry = services.entry_admit_directly(
            actor=self.official(firm.jur, firm.sector),
            enterprise=self._enterprise(firm),
            reason=reason,
            effective_date=today(),
        )
        self._expect(entry, EntryStatus.ACTIVE, f"the admission of {firm.name}")

    def renew(self, firm: _Firm) -> None:
        entry = self._entry(firm)
        months = parameter_value(firm.region_id, services.ADMISSION_MONTHS).value
        services.entry_renew(
            actor=self.official(firm.jur, firm.sector),
            entry=entry,
            valid_to=rules.add_months(today(), int(months)),
            expected_version=entry.version,
        )

    def change(self, firm: _Firm, values: dict) -> None:
        """A registry change after admission (the firm's data was corrected): the whitelist flags a re-review."""
        enterprise = self._enterprise(firm)
        enterprise_update(actor=self.official(firm.jur, firm.sector), enterprise=enterprise, data=values)
        if not self._entry(firm).needs_review:
            raise DemoStoryError(f"demo whitelist: changing {firm.name} did not flag its entry for re-review")

    def clear_review(self, firm: _Firm, note: str) -> None:
        entry = self._entry(firm)
        services.entry_review_clear(
            actor=self.official(firm.jur, firm.sector), entry=entry, note=note, expected_version=entry.version
        )

    # the breaker
    def spot_check(
        self, firm: _Firm, *, passed: bool, findings: str, outbreak: bool = False, by: str = "sector"
    ) -> None:
        actor = self.prevention(firm.jur) if by == "prevention" else self.official(firm.jur, firm.sector)
        breaker.spot_check_record(
            actor=actor,
            enterprise=self._enterprise(firm),
            checked_on=today(),
            passed=passed,
            findings=findings,
            outbreak_spread=outbreak,
        )

    def rectified(self, firm: _Firm, note: str) -> None:
        case = BreakerCase.objects.get(entry__enterprise_id=firm.pk, status=BreakerStatus.OPEN)
        breaker.breaker_rectified(actor=self.official(firm.jur, firm.sector), case=case, note=note)

    def propose(self, firm: _Firm, action: str, reason: str) -> None:
        breaker.joint_decision_propose(
            actor=self.official(firm.jur, firm.sector),
            entry=self._entry(firm),
            action=action,
            reason=reason,
            effective_date=today(),
        )

    def _pending_decision(self, firm: _Firm) -> JointDecision:
        return JointDecision.objects.get(entry__enterprise_id=firm.pk, status=JointDecisionStatus.PROPOSED)

    def approve(self, firm: _Firm, side: str) -> None:
        decision = self._pending_decision(firm)
        actor = self.dispatch(firm.jur) if side == DecisionSide.DISPATCH else self.prevention(firm.jur)
        breaker.joint_decision_approve(actor=actor, decision=decision, side=side, expected_version=decision.version)

    def reject(self, firm: _Firm, reason: str) -> None:
        decision = self._pending_decision(firm)
        breaker.joint_decision_reject(
            actor=self.prevention(firm.jur),
            decision=decision,
            side=DecisionSide.PREVENTION,
            reason=reason,
            expected_version=decision.version,
        )

    def expect_entry(self, firm: _Firm, status: str) -> None:
        self._expect(self._entry(firm), status, f"the entry of {firm.name}")

    # the park (no service registers firms in a park: rows, with an audit event each)
    def make_park(self, park: _Firm, members: list[_Firm]) -> None:
        enterprise = self._enterprise(park)
        member_rows = list(Enterprise.objects.filter(pk__in=[m.pk for m in members]).order_by("pk"))
        enterprise_update(
            actor=self.official(park.jur, park.sector),
            enterprise=enterprise,
            data={
                "kind": EnterpriseKind.PARK,
                "name": "金岱产业集聚区中小企业产业园",
                "output_value": str(sum(m.output_value for m in member_rows)),
                "headcount": str(sum(m.headcount for m in member_rows)),
            },
        )
        for member in member_rows:
            Enterprise.objects.filter(pk=member.pk).update(
                park=enterprise, version=member.version + 1, updated_at=timezone.now()
            )
            member.refresh_from_db()
            event_record(
                actor=self.users[f"{park.jur}_admin"],
                action="enterprise.update",
                obj=member,
                changes={"park": [None, str(enterprise.pk)]},
            )


# --- the story -----------------------------------------------------------------------------------------------


class _Story(_Actions):
    def admission(self, firm: _Firm, day: int, *, direct: bool = False) -> None:
        """Admit on `day`: directly, or on an application sent a few days before."""
        firm.counted = True
        if direct:
            self.timeline.at(day, self.admit_directly, firm)
            return
        self.timeline.at(day - self.rng.randint(1, 5), self.submit, firm)
        self.timeline.at(day, self.review, firm, ApplicationStatus.APPROVED)
        self.admitted_on[firm.pk] = day

    def application(self, firm: _Firm, day: int, *, note: str = "") -> None:
        self.timeline.at(day, self.submit, firm, note=note)

    def criteria(self) -> None:
        for jur, start in (("jz", -390), ("gc", -215)):
            name = next(j.name for j in data.JURISDICTIONS if j.key == jur)
            for sector in data.SECTORS:
                spec = GC_INDUSTRY_V1 if (jur, sector) == ("gc", "industry") else CRITERIA[sector]
                title = f"{name}{SECTOR_NAMES[sector]}领域“四保”企业（项目）白名单遴选标准"
                self.timeline.at(start, self.publish, jur, sector, spec, title=title)
        title = "管城回族区工业生产领域“四保”企业（项目）白名单遴选标准（修订）"
        self.timeline.at(-60, self.publish, "gc", "industry", CRITERIA["industry"], title=title, revise=True)

    def liaison_firms(self) -> None:
        """The firms with a liaison apply themselves, early."""
        for pk in self.liaisons:
            firm = self.firms.get(pk)
            if firm is not None and not firm.part and self.eligible(firm):
                firm.part = "liaison"
                self.admission(firm, self.rng.randint(-170, -120))

    def park_story(self) -> None:
        """A Guancheng firm in the Jindai cluster becomes a park with three member firms; the park is admitted."""
        in_jindai = [
            f
            for f in self.group("gc", "industry")
            if f.region_id == "410104012" and not f.part and f.pk not in self.liaisons
        ][4:]
        if len(in_jindai) < 4:
            return
        park, *members = in_jindai[-4:]
        park.part = "park"
        for member in members:
            member.part = "park member"
            member.counted = True
        self.timeline.at(-100, self.make_park, park, members)
        self.timeline.at(-92, self.admit_directly, park, PARK_REASON)

    def lifecycle(self, jur: str) -> None:
        """Admissions that expire, are renewed, run out soon, or are flagged for re-review."""
        first = {"gc": -200, "jz": -380}[jur]  # older than one term: expired by now
        firm = self.take(jur, "industry", "expired", rank=6, where=_ordinary)
        self.admission(firm, first)
        firm.counted = False
        firm = self.take(jur, "industry", "renewed", rank=5)
        self.admission(firm, {"gc": -178, "jz": -345}[jur])
        self.timeline.at({"gc": -3, "jz": -10}[jur], self.renew, firm)
        firm = self.take(jur, "industry", "expiring soon", rank=8)
        self.admission(firm, {"gc": -172, "jz": -356}[jur], direct=True)
        if jur == "gc":
            # Expired, and applying again.
            firm = self.take(jur, "commerce", "expired, applies again", rank=3)
            self.admission(firm, first + 2)
            firm.counted = False
            self.application(firm, -4, note="白名单有效期已满，重新申报。")
            # A headcount correction below the criteria's threshold: flagged, not yet looked at.
            firm = self.take(jur, "industry", "re-review", rank=9, where=lambda f: 55 <= f.headcount <= 400)
            self.admission(firm, -70)
            self.timeline.at(-6, self.change, firm, {"headcount": "45"})
            # An output correction: flagged, looked at and kept.
            firm = self.take(jur, "commerce", "re-review cleared", rank=5)
            self.admission(firm, -80, direct=True)
            lower = (firm.output * Decimal("0.85")).quantize(Decimal("0.01"))
            self.timeline.at(-9, self.change, firm, {"output_value": str(lower)})
            note = "经核实，营业额下降系季节性因素，仍达到本领域遴选标准，保留白名单资格。"
            self.timeline.at(-7, self.clear_review, firm, note)
        else:
            firm = self.take(jur, "transport", "re-review", rank=3, where=lambda f: f.headcount >= 40)
            self.admission(firm, -90)
            self.timeline.at(-4, self.change, firm, {"headcount": str(firm.headcount - 12)})

    def applications(self, jur: str) -> None:
        """Applications still pending, sent back, rejected and withdrawn."""
        pending = []
        if jur == "gc":
            # The review queue: an ordinary application sent first, city-operation support ones after it but
            # listed first.
            pending.append((self.take(jur, "commerce", "pending", rank=6, where=_ordinary), -6))
            queue = (("commerce", -2, 1), ("commerce", -1, 2), ("industry", -5, 0), ("transport", -4, 0))
            for sector, day, rank in queue:
                pending.append((self.take(jur, sector, "pending (city operation)", where=_supports, rank=rank), day))
            pending.append((self.take(jur, "key_project", "pending", rank=4), -3))
            firm = self.take(jur, "industry", "sent back", rank=10)
            self.application(firm, -12)
            reason = "闭环生产方案未明确闭环区域和员工食宿安排，请补充后重新提交。"
            self.timeline.at(-9, self.review, firm, ApplicationStatus.RETURNED, closed_loop_plan=("revise", reason))
            firm = self.take(jur, "culture_tourism", "sent back", rank=1)
            self.application(firm, -15)
            reason = "方案未包含演出和接待场所限量、预约、错峰措施，请按文旅场所疫情防控指南补充。"
            self.timeline.at(-12, self.review, firm, ApplicationStatus.RETURNED, prevention_plan=("revise", reason))
            firm = self.take(jur, "commerce", "sent back and resubmitted", rank=4)
            self.application(firm, -14)
            reason = "应急处置方案缺少阳性人员转运通道和临时观察区设置，请补充。"
            self.timeline.at(-11, self.review, firm, ApplicationStatus.RETURNED, prevention_plan=("revise", reason))
            self.timeline.at(-5, self.resubmit, firm, DocumentType.PREVENTION_PLAN, "已按要求补充应急处置流程。")
            firm = self.take(jur, "commerce", "rejected", rank=7)
            self.application(firm, -16)
            reason = "承诺书未经法定代表人签字，未加盖企业公章。"
            self.timeline.at(-13, self.review, firm, ApplicationStatus.REJECTED, commitment=("reject", reason))
            firm = self.take(jur, "industry", "rejected (criteria not met)", eligible=False)
            self.application(firm, -20)
            self.timeline.at(-17, self.review, firm, ApplicationStatus.REJECTED)
            firm = self.take(jur, "key_project", "rejected (criteria not met)", eligible=False)
            if firm is not None:
                self.application(firm, -18)
                self.timeline.at(-15, self.review, firm, ApplicationStatus.REJECTED)
            firm = self.take(jur, "commerce", "withdrawn", rank=8)
            self.application(firm, -10)
            self.timeline.at(-8, self.withdraw, firm, "企业暂停营业进行装修改造，恢复经营后再行申报。")
        else:
            pending.append((self.take(jur, "commerce", "pending", rank=5), -5))
            pending.append((self.take(jur, "industry", "pending (city operation)", where=_supports), -3))
            pending.append((self.take(jur, "transport", "pending (city operation)", where=_supports), -7))
            pending.append((self.take(jur, "transport", "pending (city operation)", where=_supports, rank=2), -2))
            pending.append((self.take(jur, "key_project", "pending", rank=3), -8))
            firm = self.take(jur, "commerce", "sent back", rank=6)
            self.application(firm, -9)
            reason = "员工花名册未标注应急状态下在岗人员，请补充。"
            self.timeline.at(-6, self.review, firm, ApplicationStatus.RETURNED, staff_list=("revise", reason))
            firm = self.take(jur, "culture_tourism", "rejected", rank=2)
            self.application(firm, -20)
            reason = "疫情防控方案与文旅场所疫情防控工作指南要求不符。"
            self.timeline.at(-17, self.review, firm, ApplicationStatus.REJECTED, prevention_plan=("reject", reason))
            firm = self.take(jur, "industry", "rejected (criteria not met)", eligible=False)
            self.application(firm, -15)
            self.timeline.at(-12, self.review, firm, ApplicationStatus.REJECTED)
            firm = self.take(jur, "commerce", "withdrawn", rank=9)
            self.application(firm, -13)
            self.timeline.at(-10, self.withdraw, firm, "企业经营范围调整，撤回申请。")
        for firm, day in pending:
            if firm is not None:
                self.application(firm, day)

    def breaker_cases(self, jur: str) -> None:
        """Spot checks and the graded response, and the joint decisions they need."""
        d, p = DecisionSide.DISPATCH, DecisionSide.PREVENTION

        def admitted(sector: str, part: str, rank: int) -> _Firm | None:
            firm = self.take(jur, sector, part, rank=rank, where=_ordinary)  # no utility is stopped or removed
            if firm is not None:
                self.admission(firm, self.rng.randint(-150, -60))
            return firm

        if jur == "gc":
            # Warning, open: rectify within seven days.
            firm = admitted("industry", "warning", 7)
            self.timeline.at(-3, self.spot_check, firm, passed=False, findings=FINDINGS[0])
            # Warning, rectified in time.
            firm = admitted("commerce", "warning rectified", 9)
            self.timeline.at(-20, self.spot_check, firm, passed=False, findings=FINDINGS[1])
            self.timeline.at(-16, self.rectified, firm, "已补齐场所码，外来人员和车辆实行登记报备。")
            # Warning not rectified by its deadline: the nightly job escalates it to a suspension, decided jointly.
            firm = admitted("industry", "suspended (deadline missed)", 11)
            firm.counted = False
            self.timeline.at(-13, self.spot_check, firm, passed=False, findings=FINDINGS[2])
            self.timeline.at(-4, self.approve, firm, d)
            self.timeline.at(-4, self.approve, firm, p)
            self.timeline.at(-4, self.expect_entry, firm, EntryStatus.SUSPENDED)
            # Suspended after a second failure, rectified, reinstated jointly.
            firm = admitted("commerce", "suspended, rectified, reinstated", 10)
            self.timeline.at(-28, self.spot_check, firm, passed=False, findings=FINDINGS[3])
            self.timeline.at(-24, self.spot_check, firm, passed=False, findings=FINDINGS[0])
            self.timeline.at(-23, self.approve, firm, d)
            self.timeline.at(-23, self.approve, firm, p)
            self.timeline.at(-12, self.rectified, firm, "已落实48小时滚动核酸检测，健康监测台账建立并每日更新。")
            self.timeline.at(-11, self.approve, firm, d)
            self.timeline.at(-11, self.approve, firm, p)
            self.timeline.at(-11, self.expect_entry, firm, EntryStatus.ACTIVE)
            # Three failures: warning, suspension, removal.
            firm = admitted("industry", "removed (breaker)", 13)
            firm.counted = False
            self.timeline.at(-27, self.spot_check, firm, passed=False, findings=FINDINGS[1])
            self.timeline.at(-22, self.spot_check, firm, passed=False, findings=FINDINGS[2])
            self.timeline.at(-21, self.approve, firm, d)
            self.timeline.at(-21, self.approve, firm, p)
            self.timeline.at(-14, self.spot_check, firm, passed=False, findings=FINDINGS[0], by="prevention")
            self.timeline.at(-13, self.approve, firm, d)
            self.timeline.at(-13, self.approve, firm, p)
            self.timeline.at(-13, self.expect_entry, firm, EntryStatus.REMOVED)
            # An outbreak spread from the firm: straight to removal, with a public reason.
            firm = admitted("commerce", "removed (outbreak)", 11)
            firm.counted = False
            findings = "员工核酸检测出现阳性，企业未按要求落实闭环管理，疫情在员工和周边社区扩散。"
            self.timeline.at(-9, self.spot_check, firm, passed=False, findings=findings, outbreak=True, by="prevention")
            self.timeline.at(-8, self.approve, firm, p)
            self.timeline.at(-8, self.approve, firm, d)
            self.timeline.at(-8, self.expect_entry, firm, EntryStatus.REMOVED)
            # Suspension proposed after a second failure: the dispatch office approved, the HQ has not yet.
            firm = admitted("industry", "suspension awaiting the HQ", 12)
            self.timeline.at(-10, self.spot_check, firm, passed=False, findings=FINDINGS[3])
            self.timeline.at(-4, self.spot_check, firm, passed=False, findings=FINDINGS[1])
            self.timeline.at(-3, self.approve, firm, d)
            # Production stopped by joint decision: still on the list.
            firm = admitted("industry", "production stopped", 4)
            reason = "企业所在片区划定为高风险区，经会商确定临时停产停工，风险解除后恢复生产。"
            self.timeline.at(-7, self.propose, firm, JointAction.STOP_PRODUCTION, reason)
            self.timeline.at(-6, self.approve, firm, d)
            self.timeline.at(-6, self.approve, firm, p)
            # A stop proposed by the department and refused by the HQ.
            firm = admitted("commerce", "stop refused", 12)
            reason = "周边小区出现病例，建议门店临时停业。"
            self.timeline.at(-7, self.propose, firm, JointAction.STOP_PRODUCTION, reason)
            self.timeline.at(-6, self.approve, firm, d)
            reason = "门店已落实闭环管理和“两点一线”，为保供重点门店，不具备停业条件，继续经营。"
            self.timeline.at(-5, self.reject, firm, reason)
            # Passed checks, the usual outcome.
            for n, sector in enumerate(("industry", "commerce", "transport", "culture_tourism", "key_project")):
                firm = admitted(sector, "checked, passed", 2)
                if firm is not None:
                    self.timeline.at(-25 + 4 * n, self.spot_check, firm, passed=True, findings=PASSED_FINDINGS)
        else:
            firm = admitted("industry", "warning", 4)
            self.timeline.at(-2, self.spot_check, firm, passed=False, findings=FINDINGS[2])
            firm = admitted("commerce", "suspended", 7)
            firm.counted = False
            self.timeline.at(-18, self.spot_check, firm, passed=False, findings=FINDINGS[1])
            self.timeline.at(-11, self.spot_check, firm, passed=False, findings=FINDINGS[3], by="prevention")
            self.timeline.at(-10, self.approve, firm, d)
            self.timeline.at(-9, self.approve, firm, p)
            self.timeline.at(-9, self.expect_entry, firm, EntryStatus.SUSPENDED)
            # Dynamic adjustment "remove": proposed by the department, decided jointly.
            firm = admitted("key_project", "removed (completed)", 6)
            firm.counted = False
            reason = "项目已竣工验收并交付使用，不再纳入重点项目白名单管理。"
            self.timeline.at(-12, self.propose, firm, JointAction.REMOVE, reason)
            self.timeline.at(-11, self.approve, firm, d)
            self.timeline.at(-11, self.approve, firm, p)

    def chain(self) -> None:
        """A key supplier (in the registry) of a firm admitted on its application applies after it: chain protection."""
        links = (
            SupplyLink.objects.filter(
                direction=LinkDirection.SUPPLIER, is_key=True, partner__isnull=False, enterprise_id__in=self.admitted_on
            )
            .order_by("id")
            .values_list("enterprise_id", "partner_id")
        )
        for buyer, partner in links:
            firm = self.firms.get(partner)
            if firm is None or firm.part or partner in self.liaisons:
                continue
            if not self.firms[buyer].counted or self.admitted_on[buyer] >= -4:
                continue
            firm.part = "pending (chain)"
            self.application(firm, -3, note="作为白名单企业的重点供应商申报（链式保障）。")
            return

    def fill(self) -> None:
        """Admit the largest free firms that meet the criteria until each sector comes to its aimed coverage."""
        for jur, aims in COVERAGE_AIM.items():
            for sector, aim in aims.items():
                firms = [f for f in self.group(jur, sector) if f.part != "park"]  # a park's own row is not counted
                total = sum(f.output for f in firms)
                covered = sum(f.output for f in firms if f.counted)
                goal = Decimal(str(aim)) * total
                close = goal - total * Decimal("0.01")  # near enough: leave the small firms for "closing the gap"
                for firm in firms:
                    if covered >= close:
                        break
                    if firm.part or firm.pk in self.liaisons or not self.eligible(firm):
                        continue
                    if covered + firm.output > goal:
                        continue
                    firm.part = "admitted"
                    covered += firm.output
                    # Admitted over the months since the criteria were published, a good part in the last weeks,
                    # so the coverage history rises towards the target.
                    if self.rng.random() < 0.4:
                        day = self.rng.randint(-HISTORY_DAYS + 1, -2)
                    else:
                        day = self.rng.randint(-165 if jur == "gc" else -250, -HISTORY_DAYS)
                    self.admission(firm, day, direct=self.rng.random() < 0.25)

    def write(self) -> None:
        """Cast every part, in an order that keeps the largest firms for the liaisons and the fill."""
        self.timeline.at(-400, _write_parameters, self.users["admin"])
        self.criteria()
        self.liaison_firms()
        self.park_story()
        for jur in ("gc", "jz"):
            self.lifecycle(jur)
            self.breaker_cases(jur)
            self.applications(jur)
        self.fill()
        self.chain()


def _supports(firm: _Firm) -> bool:
    return firm.city_operation_support


def _ordinary(firm: _Firm) -> bool:
    return not firm.city_operation_support


def _write_parameters(actor) -> None:
    """The work plans' figures per jurisdiction; no service writes parameters, so rows and one event each."""
    rows = []
    for jur in data.JURISDICTIONS:
        target, months = PARAMETERS[jur.key]
        values = {
            "whitelist.coverage_target": target,
            "whitelist.coverage_deadline": COVERAGE_DEADLINE,
            "whitelist.admission_months": months,
            "whitelist.breaker_steps": BREAKER_STEPS,
        }
        note = f"{jur.name}工作方案（2022年6月）"
        for key, value in values.items():
            rows.append(
                Parameter(region_id=jur.region, key=key, value=value, effective_from=PARAMETERS_FROM, note=note)
            )
    Parameter.objects.bulk_create(rows)
    for row in Parameter.objects.filter(key__startswith="whitelist.").order_by("id"):
        event_record(actor=actor, action="parameter.set", obj=row, changes={"value": [None, row.value]})


# --- entry point ---------------------------------------------------------------------------------------------


def seed_whitelist(firms: list[Enterprise], jurisdictions: list[str]) -> WhitelistResult:
    """Play the whitelist story over the demo firms (`jurisdictions`: "gc" / "jz" per firm, as in the plan).

    Stored texts the services write (reasons, explanations) are in the site's language, whatever the caller's.
    """
    story = _Story(firms, jurisdictions)
    story.write()
    with translation.override(settings.LANGUAGE_CODE), PastClock().running() as clock:
        try:
            story.timeline.play(clock)
        except ServiceError as exc:
            raise DemoStoryError(f"demo whitelist: a service refused a step: {exc.as_dict()}") from exc
    return whitelist_counts()


def whitelist_counts() -> WhitelistResult:
    """The whitelist's counts and a digest of who stands where (credit codes with statuses)."""
    result = WhitelistResult()
    result.entries = dict(Counter(Entry.objects.values_list("status", flat=True)))
    result.applications = dict(Counter(Application.objects.values_list("status", flat=True)))
    result.pending_applications = sum(result.applications.get(s, 0) for s in PENDING_APPLICATION)
    result.criteria_sets = CriteriaSet.objects.count()
    result.documents = ApplicationDocument.objects.count()
    result.breaker_cases = dict(Counter(BreakerCase.objects.values_list("level", flat=True)))
    result.pending_decisions = JointDecision.objects.filter(status=JointDecisionStatus.PROPOSED).count()
    result.snapshot_days = CoverageSnapshot.objects.values("date").distinct().count()
    result.seeded = True
    standing = sorted(
        [
            *(
                ("entry", *row)
                for row in Entry.objects.values_list(
                    "enterprise__credit_code", "status", "needs_review", "production_stopped"
                )
            ),
            *(("application", *row) for row in Application.objects.values_list("enterprise__credit_code", "status")),
        ],
        key=str,
    )
    result.digest = hashlib.sha256(repr(standing).encode()).hexdigest()
    return result
