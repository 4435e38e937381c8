"""The whitelist pages: applying, reviewing, criteria, the breaker's joint decisions, coverage and the public page.

Every flow goes through the pages as its users would (a liaison, a sector department, the dispatch office, the
epidemic-prevention HQ, a local unit); every refusal leaves the database as it was.
"""

import re

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sibao.regions.models import Parameter
from sibao.testing import GUANCHENG, GUANCHENG_STREET, GUANCHENG_STREET_2, make_enterprise
from sibao.whitelist import breaker, services
from sibao.whitelist.models import (
    Application,
    ApplicationStatus,
    BreakerCase,
    CriteriaSet,
    CriteriaStatus,
    Criterion,
    Entry,
    EntryStatus,
    JointDecision,
    JointDecisionStatus,
    Outcome,
    SpotCheck,
)
from sibao.whitelist.tests.builders import (
    DAY,
    HEADCOUNT_RULE,
    PDF_BYTES,
    PLAN_POINT,
    State,
    clock,  # noqa: F401 (fixture)
    criteria_of,
    criteria_published,
    fresh,
    media,  # noqa: F401 (fixture)
    plan,
    upload,
)

pytestmark = pytest.mark.usefixtures("clock", "media", "english")

PUBLIC = reverse("public_whitelist")
LIST = reverse("whitelist:list")
QUEUE = reverse("whitelist:queue")
DECISIONS = reverse("whitelist:decision_list")
BREAKER = reverse("whitelist:breaker_list")
COVERAGE = reverse("whitelist:coverage")
GAP = reverse("whitelist:coverage_gap")


@pytest.fixture
def english(client):
    """Pages in English, whatever the catalogue holds (the assertions read English words)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def people(cast):
    return cast


@pytest.fixture
def criteria(people):
    """Guancheng's industry criteria: headcount ≥ 100 (ent_a has 300) and a prevention plan a reviewer judges."""
    return criteria_published(people.industry_gc)


def signed_out(client):
    """The client signed out (which drops its cookies), still reading English."""
    client.logout()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def text(response) -> str:
    return response.content.decode()


def page(client, url, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return text(response)


def apply_through_the_page(client, enterprise, **files) -> object:
    data = {"note": "申请纳入白名单", **files}
    return client.post(reverse("whitelist:apply", args=[enterprise.pk]), data)


def submitted(cast, documents=None) -> Application:
    return services.application_submit(
        actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()] if documents is None else documents
    )


def point(application) -> Criterion:
    return criteria_of(application.criteria_set)[PLAN_POINT["title"]]


def review(client, application, decision: str, reason: str = "", version=None):
    criterion = point(application)
    return client.post(
        reverse("whitelist:application_review", args=[application.pk]),
        {
            f"decision_{criterion.pk}": decision,
            f"reason_{criterion.pk}": reason,
            "version": application.version if version is None else version,
        },
    )


def admitted(cast) -> Entry:
    application = submitted(cast)
    services.application_review(
        actor=cast.industry_gc,
        application=application,
        decisions={point(application).pk: ("approve", "")},
        expected_version=application.version,
    )
    return Entry.objects.get(enterprise=cast.ent_a)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- applying -------------------------------------------------------------------------------------------------


def test_the_liaison_sees_the_criteria_in_force_and_how_its_firm_fares(criteria, login, people):
    content = page(login(people.liaison_a), reverse("whitelist:apply", args=[people.ent_a.pk]))
    assert criteria.title in content
    assert HEADCOUNT_RULE["title"] in content and "Headcount ≥ 100" in content  # the rule in words
    assert "Headcount 300 ≥ 100 ✓" in content  # how the firm fares today
    assert PLAN_POINT["title"] in content and "Epidemic-prevention and emergency plan" in content
    assert 'enctype="multipart/form-data"' in content and 'name="doc_prevention_plan"' in content


def test_the_liaison_applies_and_sees_each_result_and_why(criteria, login, people):
    client = login(people.liaison_a)
    response = apply_through_the_page(client, people.ent_a, doc_prevention_plan=upload("预案.pdf"))
    application = Application.objects.get(enterprise=people.ent_a)
    assert response.status_code == 302 and response["Location"] == reverse(
        "whitelist:application_detail", args=[application.pk]
    )
    assert application.status == ApplicationStatus.SUBMITTED and application.note == "申请纳入白名单"
    (document,) = application.documents.all()
    assert document.original_name == "预案.pdf"
    content = page(client, response["Location"])
    assert "Headcount 300 ≥ 100 ✓" in content and "Met" in content
    assert PLAN_POINT["title"] in content and "Awaiting review" in content
    assert reverse("whitelist:document", args=[document.pk]) in content
    assert "Your decision" not in content  # a liaison does not review
    assert reverse("whitelist:application_withdraw", args=[application.pk]) in content


def test_a_refused_application_shows_why_and_stores_nothing(criteria, login, people):
    client = login(people.liaison_a)
    before = State.now()
    response = apply_through_the_page(client, people.ent_a)  # the plan is missing
    assert response.status_code == 200
    assert "The criteria ask for: Epidemic-prevention and emergency plan." in text(response)
    response = apply_through_the_page(client, people.ent_a, doc_prevention_plan=upload("plan.pdf", b"not a pdf"))
    assert response.status_code == 200 and "is not a valid PDF file" in text(response)
    assert State.now() == before


def test_nobody_else_may_apply_for_the_enterprise(criteria, login, people):
    before = State.now()
    for who in ("liaison_b", "commerce_gc", "auditor_gc", "official_erqi"):
        client = login(getattr(people, who))
        url = reverse("whitelist:apply", args=[people.ent_a.pk])
        assert client.get(url).status_code == 404, who
        assert apply_through_the_page(client, people.ent_a, doc_prevention_plan=upload()).status_code == 404, who
    assert State.now() == before


def test_the_apply_page_says_why_one_cannot_apply(criteria, login, people):
    client = login(people.liaison_a)
    submitted(people)
    content = page(client, reverse("whitelist:apply", args=[people.ent_a.pk]))
    assert "An application of this enterprise is pending." in content and 'name="doc_prevention_plan"' not in content
    content = page(login(people.liaison_b), reverse("whitelist:apply", args=[people.ent_b.pk]))
    assert "No selection criteria are in force for this sector here yet" in content


# --- reviewing ------------------------------------------------------------------------------------------------


def test_the_queue_shows_city_operation_support_first_then_the_oldest(criteria, login, people, clock):  # noqa: F811
    older = make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="管城先申请有限公司")
    priority = make_enterprise(region=GUANCHENG_STREET, sector="industry", name="管城保供有限公司")
    priority.city_operation_support = True
    priority.save()
    for enterprise in (older, people.ent_a, priority):
        services.application_submit(actor=people.industry_gc, enterprise=enterprise, documents=[plan()])
        clock.shift(60)
    response = login(people.industry_gc).get(QUEUE)
    assert [a.enterprise.name for a in response.context["object_list"]] == [
        priority.name,
        older.name,
        people.ent_a.name,
    ]
    assert login(people.commerce_gc).get(QUEUE).context["object_list"].count() == 0
    assert login(people.street_gc).get(QUEUE).context["object_list"].count() == 0  # a local unit does not review


def test_the_reviewer_approves_and_the_firm_is_on_the_public_page(criteria, login, people, client):
    application = submitted(people)
    reviewer = login(people.industry_gc)
    content = page(reviewer, reverse("whitelist:application_detail", args=[application.pk]))
    assert "Your decision" in content and f'name="decision_{point(application).pk}"' in content
    assert f'name="version" value="{application.version}"' in content
    response = review(reviewer, application, "approve")
    assert response.status_code == 302
    assert fresh(application).status == ApplicationStatus.APPROVED
    entry = Entry.objects.get(enterprise=people.ent_a)
    assert entry.status == EntryStatus.ACTIVE and entry.application == application
    content = page(reviewer, reverse("whitelist:enterprise", args=[people.ent_a.pk]))
    assert "Whitelisted" in content and entry.valid_to.isoformat() in content

    public = page(signed_out(client), PUBLIC)
    assert people.ent_a.name in public and entry.valid_to.isoformat() in public
    assert criteria.title in public and "Headcount ≥ 100" in public


def test_a_rejection_needs_a_reason_and_is_explained(criteria, login, people):
    application = submitted(people)
    reviewer = login(people.industry_gc)
    before = State.now()
    response = review(reviewer, application, "reject")
    assert response.status_code == 200
    assert "Give a reason when you reject or ask for a revision." in text(response)
    assert State.now() == before
    assert review(reviewer, application, "reject", "预案缺少应急物资清单").status_code == 302
    application = fresh(application)
    assert application.status == ApplicationStatus.REJECTED
    assert application.results.get(criterion=point(application)).explanation == "预案缺少应急物资清单"
    assert not Entry.objects.exists()
    content = page(login(people.liaison_a), reverse("whitelist:application_detail", args=[application.pk]))
    assert "预案缺少应急物资清单" in content and "Rejected" in content


def test_a_revision_goes_back_to_the_liaison_who_resubmits_then_withdraws(criteria, login, people):
    application = submitted(people)
    assert review(login(people.industry_gc), application, "revise", "请补充值班表").status_code == 302
    application = fresh(application)
    assert application.status == ApplicationStatus.RETURNED

    liaison = login(people.liaison_a)
    content = page(liaison, reverse("whitelist:application_detail", args=[application.pk]))
    assert "请补充值班表" in content and "Resubmit for review" in content
    response = liaison.post(
        reverse("whitelist:application_resubmit", args=[application.pk]),
        {"version": application.version, "note": "已补充", "doc_prevention_plan": upload("新预案.pdf")},
    )
    assert response.status_code == 302
    application = fresh(application)
    assert application.status == ApplicationStatus.SUBMITTED and application.note == "已补充"
    assert [d.original_name for d in application.documents.all()] == ["新预案.pdf"]
    assert application.results.get(criterion=point(application)).outcome == Outcome.PENDING

    response = liaison.post(
        reverse("whitelist:application_withdraw", args=[application.pk]),
        {"version": application.version, "reason": "暂不申请"},
    )
    assert response.status_code == 302
    assert fresh(application).status == ApplicationStatus.WITHDRAWN


def test_a_stale_version_shows_the_conflict_and_changes_nothing(criteria, login, people):
    application = submitted(people)
    first, second = login(people.industry_gc), None
    read_by_both = application.version
    assert review(first, application, "revise", "请补充").status_code == 302
    second = login(people.dispatcher_gc)
    before = State.now()
    response = review(second, fresh(application), "approve", version=read_by_both)
    assert State.now() == before
    assert response.status_code == 302  # the page as it is now, with the message
    assert "Someone else changed this application meanwhile" in page(second, response["Location"])
    assert fresh(application).status == ApplicationStatus.RETURNED


def test_only_reviewers_of_the_sector_and_place_may_review(criteria, login, people):
    application = submitted(people)
    before = State.now()
    for who in ("liaison_a", "street_gc", "commerce_gc", "auditor_gc", "official_erqi", "prevention_gc"):
        response = review(login(getattr(people, who)), application, "approve")
        assert response.status_code in (403, 404), who
        assert "Your decision" not in text(
            login(getattr(people, who)).get(reverse("whitelist:application_detail", args=[application.pk]))
        )
    assert State.now() == before


def test_documents_are_streamed_only_to_those_who_may_see_the_application(criteria, login, people, client):
    application = submitted(people)
    (document,) = application.documents.all()
    url = reverse("whitelist:document", args=[document.pk])
    for who in ("liaison_a", "industry_gc", "dispatcher_gc", "street_gc"):
        response = login(getattr(people, who)).get(url)
        assert response.status_code == 200, who
        assert b"".join(response.streaming_content) == PDF_BYTES
        assert response["Content-Disposition"].startswith("attachment")
        assert "no-store" in response["Cache-Control"]
    for who in ("liaison_b", "commerce_gc", "official_erqi", "liaison_jz"):
        assert login(getattr(people, who)).get(url).status_code == 404, who
    assert signed_out(client).get(url).status_code == 302  # to the sign-in page
    assert settings.MEDIA_URL in ("", "/") or document.file.url not in text(
        login(people.liaison_a).get(reverse("whitelist:application_detail", args=[application.pk]))
    )


# --- the breaker: spot checks and joint decisions ------------------------------------------------------------


def test_a_spot_check_through_the_page_opens_a_breaker_case(criteria, login, people):
    entry = admitted(people)
    client = login(people.industry_gc)
    response = client.post(
        reverse("whitelist:spot_check_record", args=[people.ent_a.pk]),
        {"checked_on": DAY.isoformat(), "passed": "no", "findings": "未落实体温检测"},
    )
    assert response.status_code == 302
    assert SpotCheck.objects.get().findings == "未落实体温检测"
    case = BreakerCase.objects.get(entry=entry)
    assert case.level == "warning" and case.status == "open"
    content = page(client, BREAKER)
    assert people.ent_a.name in content and "Warning" in content
    content = page(client, reverse("whitelist:enterprise", args=[people.ent_a.pk]))
    assert "未落实体温检测" in content


def test_removal_is_proposed_and_carried_out_when_both_sides_approve_through_the_pages(criteria, login, people):
    people.ent_a.contact_phone = "13912345678"
    people.ent_a.save()
    entry = admitted(people)
    response = login(people.industry_gc).post(
        reverse("whitelist:joint_propose", args=[entry.pk]),
        {"action": "remove", "reason": "抽查发现瞒报疫情", "effective_date": DAY.isoformat()},
    )
    assert response.status_code == 302
    decision = JointDecision.objects.get(entry=entry)
    assert decision.status == JointDecisionStatus.PROPOSED

    dispatch = login(people.dispatcher_gc)
    content = page(dispatch, DECISIONS)
    assert people.ent_a.name in content and "Approve for the Dispatch office" in content
    assert "Approve for the Epidemic-prevention HQ" not in content
    response = dispatch.post(
        reverse("whitelist:decision_approve", args=[decision.pk]),
        {"side": "dispatch", "version": decision.version, "next": DECISIONS},
    )
    assert response.status_code == 302 and response["Location"] == DECISIONS
    assert fresh(entry).status == EntryStatus.ACTIVE  # one side is not enough

    hq = login(people.prevention_gc)
    decision = fresh(decision)
    assert "Approve for the Epidemic-prevention HQ" in page(hq, DECISIONS)
    hq.post(
        reverse("whitelist:decision_approve", args=[decision.pk]), {"side": "prevention", "version": decision.version}
    )
    entry = fresh(entry)
    assert (entry.status, entry.removal_reason) == (EntryStatus.REMOVED, "抽查发现瞒报疫情")
    assert fresh(decision).status == JointDecisionStatus.APPROVED

    public = page(signed_out(hq), PUBLIC)
    removed = public.split("Removed from the whitelist")[1]
    assert people.ent_a.name in removed and "抽查发现瞒报疫情" in removed and DAY.isoformat() in removed
    assert "13912345678" not in public and people.ent_a.credit_code not in public


def test_a_stale_joint_decision_is_a_conflict_and_changes_nothing(criteria, login, people):
    entry = admitted(people)
    decision = breaker.joint_decision_propose(
        actor=people.industry_gc, entry=entry, action="suspend", reason="整改不到位", effective_date=DAY
    )
    breaker.joint_decision_approve(actor=people.dispatcher_gc, decision=decision, side="dispatch")
    before = (State.now(), list(JointDecision.objects.values()))
    response = login(people.prevention_gc).post(
        reverse("whitelist:decision_approve", args=[decision.pk]),
        {"side": "prevention", "version": decision.version},
        follow=True,
    )
    assert any("Someone else changed this decision meanwhile" in m for m in messages_of(response))
    assert (State.now(), list(JointDecision.objects.values())) == before


def test_a_local_unit_sees_no_buttons_and_its_posts_change_nothing(criteria, login, people):
    entry = admitted(people)
    decision = breaker.joint_decision_propose(
        actor=people.industry_gc, entry=entry, action="stop_production", reason="疫情扩散风险", effective_date=DAY
    )
    street = login(people.street_gc)
    content = page(street, DECISIONS)
    assert people.ent_a.name in content  # it sees its firms' decisions
    assert reverse("whitelist:decision_approve", args=[decision.pk]) not in content
    content = page(street, reverse("whitelist:enterprise", args=[people.ent_a.pk]))
    assert reverse("whitelist:decision_approve", args=[decision.pk]) not in content
    assert reverse("whitelist:joint_propose", args=[entry.pk]) not in content
    assert reverse("whitelist:spot_check_record", args=[people.ent_a.pk]) not in content

    before = (State.now(), list(JointDecision.objects.values()), SpotCheck.objects.count())
    for side in ("dispatch", "prevention"):
        url = reverse("whitelist:decision_approve", args=[decision.pk])
        assert street.post(url, {"side": side, "version": decision.version}).status_code == 403
        url = reverse("whitelist:decision_reject", args=[decision.pk])
        assert street.post(url, {"side": side, "version": decision.version, "reason": "x"}).status_code == 403
    proposal = {"action": "stop_production", "reason": "自行停产", "effective_date": DAY.isoformat()}
    assert street.post(reverse("whitelist:joint_propose", args=[entry.pk]), proposal).status_code == 403
    check = {"checked_on": DAY.isoformat(), "passed": "no", "findings": "x"}
    assert street.post(reverse("whitelist:spot_check_record", args=[people.ent_a.pk]), check).status_code == 403
    renewal = {"valid_to": "2027-05-04", "version": entry.version}
    assert street.post(reverse("whitelist:entry_renew", args=[entry.pk]), renewal).status_code == 403
    assert (State.now(), list(JointDecision.objects.values()), SpotCheck.objects.count()) == before
    assert fresh(entry).production_stopped is False


def test_one_side_rejects_and_nothing_changes_for_the_firm(criteria, login, people):
    entry = admitted(people)
    decision = breaker.joint_decision_propose(
        actor=people.industry_gc, entry=entry, action="suspend", reason="整改不到位", effective_date=DAY
    )
    response = login(people.prevention_gc).post(
        reverse("whitelist:decision_reject", args=[decision.pk]),
        {"side": "prevention", "version": decision.version, "reason": "已整改到位"},
    )
    assert response.status_code == 302
    decision = fresh(decision)
    assert (decision.status, decision.rejection_reason) == (JointDecisionStatus.REJECTED, "已整改到位")
    assert fresh(entry).status == EntryStatus.ACTIVE


# --- entries -----------------------------------------------------------------------------------------------------


def test_the_reviewer_clears_a_re_review_and_renews(criteria, login, people):
    entry = admitted(people)
    services.entry_flag_review(enterprise=people.ent_a, changes={"headcount": [300, 150]})
    entry = fresh(entry)
    client = login(people.industry_gc)
    assert "Flagged for re-review" in page(client, reverse("whitelist:enterprise", args=[people.ent_a.pk]))
    assert page(client, LIST, needs_review="true").count(people.ent_a.name) >= 1
    response = client.post(
        reverse("whitelist:entry_review_clear", args=[entry.pk]), {"note": "人数变化不影响", "version": entry.version}
    )
    assert response.status_code == 302 and fresh(entry).needs_review is False
    entry = fresh(entry)
    Parameter.objects.create(region_id=GUANCHENG, key="whitelist.admission_months", value=24, effective_from=DAY)
    response = client.post(
        reverse("whitelist:entry_renew", args=[entry.pk]), {"valid_to": "2027-12-31", "version": entry.version}
    )
    assert response.status_code == 302
    assert fresh(entry).valid_to.isoformat() == "2027-12-31"
    # a stale version: the page says so and nothing changes
    before = State.now()
    response = client.post(
        reverse("whitelist:entry_renew", args=[entry.pk]), {"valid_to": "2028-01-31", "version": entry.version}
    )
    assert State.now() == before
    assert "Someone else changed this whitelist entry meanwhile" in page(client, response["Location"])


def test_the_list_filters(criteria, login, people):
    admitted(people)
    client = login(people.dispatcher_gc)

    def names(**params):
        return {e.enterprise.name for e in client.get(LIST, params).context["object_list"]}

    assert names() == {people.ent_a.name}
    assert names(status="active", sector="industry", region=GUANCHENG_STREET) == {people.ent_a.name}
    assert names(region=GUANCHENG_STREET_2) == set() and names(sector="commerce") == set()
    assert names(expiring="true") == set() and names(needs_review="true") == set()
    assert names() == set() or login(people.liaison_b).get(LIST).context["object_list"].count() == 0


def test_the_registry_page_links_to_the_whitelist_page(criteria, login, people):
    admitted(people)
    content = page(login(people.street_gc), reverse("enterprises:detail", args=[people.ent_a.pk]))
    assert reverse("whitelist:enterprise", args=[people.ent_a.pk]) in content and "Whitelisted" in content


# --- criteria ------------------------------------------------------------------------------------------------------


def test_a_sector_department_drafts_fills_and_publishes_criteria(people, login, client):
    client = login(people.industry_gc)
    response = client.post(
        reverse("whitelist:criteria_create"),
        {"region": GUANCHENG, "sector": "industry", "title": "管城区工业生产白名单标准", "note": "依据第二号通告"},
    )
    criteria_set = CriteriaSet.objects.get()
    assert response.status_code == 302 and criteria_set.status == CriteriaStatus.DRAFT
    add = reverse("whitelist:criterion_add", args=[criteria_set.pk])
    rule = {"kind": "automatic", "title": "规模以上", "fact": "output_value", "operator": "gte", "value": "2000"}
    assert client.post(add, rule).status_code == 302
    flag = {
        "kind": "automatic",
        "title": "城市运行保障",
        "fact": "city_operation_support",
        "operator": "eq",
        "value": "yes",
    }
    assert client.post(add, flag).status_code == 302
    judged = {"kind": "judged", "title": "防疫方案", "document_type": "prevention_plan", "fact": "headcount"}
    assert client.post(add, judged).status_code == 302  # the rule fields of a judged point are ignored
    wrong = {"kind": "automatic", "title": "错误", "fact": "headcount", "operator": "within", "value": "x"}
    response = client.post(add, wrong)
    assert response.status_code == 200 and "cannot be used with" in text(response)
    rows = list(Criterion.objects.filter(criteria_set=criteria_set).values_list("title", "fact", "operator", "value"))
    assert rows == [
        ("规模以上", "output_value", "gte", 2000),
        ("城市运行保障", "city_operation_support", "eq", True),
        ("防疫方案", "", "", None),
    ]
    removable = Criterion.objects.get(title="城市运行保障")
    assert client.post(reverse("whitelist:criterion_remove", args=[criteria_set.pk, removable.pk])).status_code == 302
    content = page(client, reverse("whitelist:criteria_detail", args=[criteria_set.pk]))
    assert "Annual output / investment (10k yuan) ≥ 2,000" in content and "城市运行保障" not in content

    publish = reverse("whitelist:criteria_publish", args=[criteria_set.pk])
    response = client.post(publish, {"effective_from": "2026-05-01"})
    assert response.status_code == 200 and "Criteria cannot take effect in the past." in text(response)
    assert client.post(publish, {"effective_from": DAY.isoformat()}).status_code == 302
    assert fresh(criteria_set).status == CriteriaStatus.PUBLISHED
    assert "管城区工业生产白名单标准" in page(client, reverse("whitelist:criteria_list"))
    public = page(signed_out(client), PUBLIC)
    assert "管城区工业生产白名单标准" in public and "依据第二号通告" in public and "防疫方案" in public


def test_only_reviewers_of_the_sector_edit_criteria(people, login):
    draft = services.criteria_set_create(actor=people.industry_gc, region_code=GUANCHENG, sector="industry", title="T")
    before = State.now()
    rule = {"kind": "automatic", "title": "x", "fact": "headcount", "operator": "gte", "value": "1"}
    for who in ("commerce_gc", "street_gc", "auditor_gc", "liaison_a"):
        client = login(getattr(people, who))
        assert client.post(reverse("whitelist:criterion_add", args=[draft.pk]), rule).status_code == 404, who
        publish = reverse("whitelist:criteria_publish", args=[draft.pk])
        assert client.post(publish, {"effective_from": DAY.isoformat()}).status_code == 404, who
    data = {"region": GUANCHENG, "sector": "industry", "title": "外来标准"}
    assert login(people.commerce_gc).post(reverse("whitelist:criteria_create"), data).status_code == 403
    assert login(people.street_gc).post(reverse("whitelist:criteria_create"), data).status_code == 404
    assert State.now() == before


# --- coverage ------------------------------------------------------------------------------------------------------


def test_coverage_per_sector_and_drill_down(criteria, login, people):
    admitted(people)  # ent_a: 12,000 of Guancheng's industry output
    make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="管城大厂有限公司", output_value=28000)
    client = login(people.dispatcher_gc)
    response = client.get(COVERAGE)
    assert response.context["region"].code == GUANCHENG  # the user's widest region by default
    content = text(response)
    assert "Industrial production" in content and "30.0%" in content and "70.0%" in content
    assert f"?region={GUANCHENG_STREET}&amp;sector=industry" in page(client, COVERAGE, sector="industry")
    street = client.get(COVERAGE, {"region": GUANCHENG_STREET, "sector": "industry"})
    assert street.status_code == 200 and "100.0%" in text(street)
    assert client.get(COVERAGE, {"region": "410802"}).status_code == 404  # not the dispatcher's to see
    gap = page(client, GAP, region=GUANCHENG, sector="industry")
    assert "管城大厂有限公司" in gap and "Not applied" in gap
    assert login(people.liaison_a).get(COVERAGE).status_code == 404


def test_the_gap_list_marks_firms_that_applied(criteria, login, people):
    services.application_submit(actor=people.liaison_a, enterprise=people.ent_a, documents=[plan()])
    gap = page(login(people.industry_gc), GAP, region=GUANCHENG, sector="industry")
    assert people.ent_a.name in gap and "Applied" in gap


# --- the public page --------------------------------------------------------------------------------------------


def test_the_public_page_needs_no_sign_in_and_shows_nothing_private(criteria, login, people, client):
    people.ent_a.contact_phone = "13912345678"
    people.ent_a.save()
    entry = admitted(people)
    services.entry_flag_review(enterprise=people.ent_a, changes={"headcount": [300, 150]})
    public = page(signed_out(client), PUBLIC)
    assert people.ent_a.name in public
    for private in (
        "13912345678",
        people.ent_a.credit_code,
        "plan.pdf",
        fresh(entry).review_reason,
        people.liaison_a.username,
        people.industry_gc.username,
    ):
        assert private not in public, private
    assert page(client, PUBLIC, sector="commerce").count(people.ent_a.name) == 0
    assert people.ent_a.name in page(client, PUBLIC, region=GUANCHENG, q="甲食品")
    assert client.post(PUBLIC).status_code == 405


# --- query counts ------------------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def _many_listed(cast, n: int) -> None:
    """n more enterprises on the whitelist, each with a pending joint decision and an open breaker case."""
    import datetime as dt

    for i in range(n):
        enterprise = make_enterprise(region=GUANCHENG_STREET if i % 2 else GUANCHENG_STREET_2, sector="industry")
        entry = Entry.objects.create(
            enterprise=enterprise, status=EntryStatus.ACTIVE, valid_from=DAY, valid_to=DAY + dt.timedelta(days=365)
        )
        JointDecision.objects.create(entry=entry, action="suspend", reason="r", effective_date=DAY)
        BreakerCase.objects.create(entry=entry, step=1, level="warning", rectify_by=DAY)
        services.application_submit(
            actor=cast.industry_gc, enterprise=make_enterprise(sector="industry"), documents=[plan()]
        )


@pytest.mark.parametrize(
    ("url", "most"), [(LIST, 7), (QUEUE, 6), (DECISIONS, 6), (BREAKER, 6), (PUBLIC, 11)], ids=lambda v: str(v)
)
def test_list_pages_take_a_fixed_number_of_queries(criteria, login, people, url, most):
    client = login(people.dispatcher_gc)
    _many_listed(people, 2)
    few = _queries(client, url)
    _many_listed(people, 12)
    assert _queries(client, url) == few
    assert few <= most, few


def test_the_public_page_takes_a_fixed_number_of_queries_for_the_public(criteria, people, client):
    _many_listed(people, 2)
    few = _queries(client, PUBLIC)
    _many_listed(people, 12)
    assert _queries(client, PUBLIC) == few == 7  # count and page of entries, removed, criteria (3), regions


def test_no_page_has_inline_script_or_style(criteria, login, people):
    entry = admitted(people)
    breaker.joint_decision_propose(
        actor=people.industry_gc, entry=entry, action="suspend", reason="r", effective_date=DAY
    )
    client = login(people.dispatcher_gc)
    urls = [
        LIST,
        QUEUE,
        DECISIONS,
        BREAKER,
        COVERAGE,
        GAP + "?sector=industry",
        PUBLIC,
        reverse("whitelist:enterprise", args=[people.ent_a.pk]),
        reverse("whitelist:apply", args=[people.ent_b.pk]),
        reverse("whitelist:application_detail", args=[entry.application_id]),
        reverse("whitelist:criteria_list"),
        reverse("whitelist:criteria_create"),
        reverse("whitelist:criteria_detail", args=[entry.criteria_set_id]),
    ]
    for url in urls:
        content = page(client, url)
        assert not re.search(r"<script(?![^>]*\bsrc=)", content), url
        assert " style=" not in content and "<style" not in content, url
