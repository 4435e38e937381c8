"""The whitelist API: scoped reads, writes through the services, conflicts, the breaker's joint decisions, coverage.

Every refusal comes in the one error shape and leaves the database as it was.
"""

import datetime as dt

import pytest
from django.urls import reverse

from sibao.api.tests.shape import assert_error
from sibao.testing import GUANCHENG, GUANCHENG_STREET, GUANCHENG_STREET_2, JIAOZUO, make_enterprise
from sibao.whitelist import breaker, services
from sibao.whitelist.models import (
    Application,
    ApplicationStatus,
    BreakerCase,
    CriteriaSet,
    CriteriaStatus,
    Entry,
    EntryStatus,
    JointDecision,
    JointDecisionStatus,
    SpotCheck,
)
from sibao.whitelist.tests.builders import (
    DAY,
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

pytestmark = pytest.mark.usefixtures("clock", "media")

ENTRIES = reverse("whitelist-entry-list")
APPLICATIONS = reverse("whitelist-application-list")
CRITERIA = reverse("whitelist-criteria-set-list")
SPOT_CHECKS = reverse("whitelist-spot-check-list")
CASES = reverse("whitelist-breaker-case-list")
DECISIONS = reverse("whitelist-joint-decision-list")
COVERAGE = reverse("whitelist-coverage-list")
GAP = reverse("whitelist-closing-the-gap-list")


@pytest.fixture
def api():
    """An API client signed in with a token, reading English: `api(cast.dispatcher_gc)`."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def client_for(user):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}", HTTP_ACCEPT_LANGUAGE="en")
        return client

    return client_for


@pytest.fixture
def people(cast):
    return cast


@pytest.fixture
def criteria(people):
    return criteria_published(people.industry_gc)


def url(name: str, obj, **kwargs) -> str:
    return reverse(f"whitelist-{name}", kwargs={"pk": obj.pk, **kwargs})


def plan_id(application) -> int:
    return criteria_of(application.criteria_set)[PLAN_POINT["title"]].pk


def submit(client, enterprise, **files):
    return client.post(APPLICATIONS, {"enterprise": enterprise.pk, "note": "申请", **files}, format="multipart")


def submitted(cast) -> Application:
    return services.application_submit(actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()])


def admitted(cast) -> Entry:
    application = submitted(cast)
    services.application_review(
        actor=cast.industry_gc,
        application=application,
        decisions={plan_id(application): ("approve", "")},
        expected_version=application.version,
    )
    return Entry.objects.get(enterprise=cast.ent_a)


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content[:300]
    return {row["id"] for row in response.json()["results"]}


# --- applications ------------------------------------------------------------------------------------------------


def test_the_liaison_submits_with_documents_and_gets_each_result_and_why(criteria, api, people):
    client = api(people.liaison_a)
    response = submit(client, people.ent_a, prevention_plan=upload("预案.pdf"))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "submitted" and body["enterprise_name"] == people.ent_a.name and body["version"] == 1
    results = {r["title"]: r for r in body["results"]}
    assert results["At least 100 staff"]["outcome"] == "passed"
    assert results["At least 100 staff"]["explanation"] == "Headcount 300 ≥ 100 ✓"
    assert results[PLAN_POINT["title"]]["outcome"] == "pending"
    (document,) = body["documents"]
    assert document["original_name"] == "预案.pdf" and document["document_type"] == "prevention_plan"

    download = client.get(document["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Disposition"].startswith("attachment")
    for who in ("liaison_b", "commerce_gc", "official_erqi"):
        assert_error(api(getattr(people, who)).get(document["download"]), 404, "not_found")
    assert api(people.industry_gc).get(document["download"]).status_code == 200


def test_a_refused_submission_is_in_the_one_shape_and_stores_nothing(criteria, api, people):
    before = State.now()
    error = assert_error(submit(api(people.liaison_a), people.ent_a), 400, "invalid")
    assert "The criteria ask for: Epidemic-prevention and emergency plan." in error["fields"]["documents"]
    error = assert_error(submit(api(people.liaison_a), people.ent_a, plan=upload()), 400, "invalid")
    assert "documents" in error["fields"]
    assert_error(submit(api(people.liaison_b), people.ent_a, prevention_plan=upload()), 404, "not_found")
    assert_error(submit(api(people.auditor_gc), people.ent_a, prevention_plan=upload()), 404, "not_found")
    assert_error(api(people.liaison_a).post(APPLICATIONS, {}, format="json"), 400, "invalid")
    assert State.now() == before


def test_the_reviewer_approves_and_the_firm_is_admitted(criteria, api, people):
    application = submitted(people)
    reviewer = api(people.industry_gc)
    detail = reviewer.get(url("application-detail", application))
    assert detail.status_code == 200 and detail.json()["version"] == application.version
    response = reviewer.post(
        url("application-review", application),
        {"decisions": {str(plan_id(application)): "approve"}, "version": application.version},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    entry = Entry.objects.get(enterprise=people.ent_a)
    assert entry.status == EntryStatus.ACTIVE
    listed = reviewer.get(ENTRIES).json()["results"]
    assert [(e["enterprise_name"], e["status"], e["criteria_version"]) for e in listed] == [
        (people.ent_a.name, "active", 1)
    ]


@pytest.mark.parametrize(
    ("decision", "status"),
    [({"decision": "reject", "reason": "预案不全"}, "rejected"), (["revise", "请补充"], "returned")],
)
def test_reject_and_revise_with_reasons(criteria, api, people, decision, status):
    application = submitted(people)
    response = api(people.industry_gc).post(
        url("application-review", application),
        {"decisions": {str(plan_id(application)): decision}, "version": application.version},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == status
    results = {r["title"]: r for r in response.json()["results"]}
    assert results[PLAN_POINT["title"]]["explanation"] in ("预案不全", "请补充")


def test_a_stale_version_is_a_conflict_and_changes_nothing(criteria, api, people):
    application = submitted(people)
    read = application.version
    services.application_review(
        actor=people.industry_gc,
        application=application,
        decisions={plan_id(application): ("revise", "请补充")},
        expected_version=read,
    )
    before = State.now()
    response = api(people.dispatcher_gc).post(
        url("application-review", application),
        {"decisions": {str(plan_id(application)): "approve"}, "version": read},
        format="json",
    )
    error = assert_error(response, 409, "conflict")
    assert "Someone else changed this application meanwhile" in error["message"]
    missing = api(people.dispatcher_gc).post(
        url("application-review", application), {"decisions": {str(plan_id(application)): "approve"}}, format="json"
    )
    assert_error(missing, 400, "invalid")
    assert State.now() == before


def test_review_is_for_reviewers_of_the_sector_and_place(criteria, api, people):
    application = submitted(people)
    body = {"decisions": {str(plan_id(application)): "approve"}, "version": application.version}
    before = State.now()
    for who in ("liaison_a", "street_gc", "commerce_gc", "official_erqi", "prevention_gc", "auditor_gc"):
        response = api(getattr(people, who)).post(url("application-review", application), body, format="json")
        assert response.status_code in (403, 404), who
        assert_error(response, response.status_code)
    assert State.now() == before


def test_the_liaison_resubmits_then_withdraws(criteria, api, people):
    application = submitted(people)
    services.application_review(
        actor=people.industry_gc,
        application=application,
        decisions={plan_id(application): ("revise", "请补充")},
        expected_version=application.version,
    )
    application = fresh(application)
    client = api(people.liaison_a)
    response = client.post(
        url("application-resubmit", application),
        {"version": application.version, "note": "已补充", "prevention_plan": upload("新预案.pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "submitted"
    assert [d["original_name"] for d in response.json()["documents"]] == ["新预案.pdf"]
    version = response.json()["version"]
    assert_error(client.post(url("application-withdraw", application), {"version": version - 1}), 409, "conflict")
    response = client.post(url("application-withdraw", application), {"version": version, "reason": "暂不申请"})
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert fresh(application).status == ApplicationStatus.WITHDRAWN


def test_application_lists_are_scoped_and_filtered(criteria, api, people):
    application = submitted(people)
    assert ids(api(people.industry_gc).get(APPLICATIONS)) == {application.pk}
    assert ids(api(people.liaison_a).get(APPLICATIONS)) == {application.pk}
    assert ids(api(people.liaison_b).get(APPLICATIONS)) == set()
    assert ids(api(people.commerce_gc).get(APPLICATIONS)) == set()
    assert ids(api(people.industry_gc).get(APPLICATIONS, {"status": "approved"})) == set()
    assert ids(api(people.industry_gc).get(APPLICATIONS, {"region": GUANCHENG_STREET_2})) == set()
    assert_error(api(people.liaison_b).get(url("application-detail", application)), 404, "not_found")


# --- criteria ------------------------------------------------------------------------------------------------------


def test_criteria_are_drafted_filled_and_published(people, api):
    client = api(people.industry_gc)
    response = client.post(
        CRITERIA, {"region": GUANCHENG, "sector": "industry", "title": "管城区工业白名单标准"}, format="json"
    )
    assert response.status_code == 201, response.content
    draft = CriteriaSet.objects.get(pk=response.json()["id"])
    rule = {"kind": "automatic", "title": "规模以上", "fact": "output_value", "operator": "gte", "value": 2000}
    response = client.post(url("criteria-set-add-criterion", draft), rule, format="json")
    assert response.status_code == 201 and response.json()["criteria"][0]["rule"].endswith("≥ 2,000")
    judged = {"kind": "judged", "title": "防疫方案", "document_type": "prevention_plan"}
    response = client.post(url("criteria-set-add-criterion", draft), judged, format="json")
    removable = response.json()["criteria"][1]["id"]
    wrong = {"kind": "automatic", "title": "x", "fact": "nonsense", "operator": "gte", "value": 1}
    assert (
        "fact"
        in assert_error(client.post(url("criteria-set-add-criterion", draft), wrong, format="json"), 400)["fields"]
    )
    response = client.delete(url("criteria-set-remove-criterion", draft, criterion_pk=removable))
    assert response.status_code == 204
    response = client.post(url("criteria-set-publish", draft), {"effective_from": DAY.isoformat()}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "published"
    assert [c["title"] for c in response.json()["criteria"]] == ["规模以上"]
    again = client.post(url("criteria-set-add-criterion", draft), judged, format="json")
    assert_error(again, 409, "conflict")  # published criteria are never changed
    assert [c["id"] for c in client.get(CRITERIA).json()["results"]] == [draft.pk]
    assert client.get(CRITERIA).json()["results"][0]["criteria"][0]["fact"] == "output_value"


def test_criteria_writes_are_for_reviewers_of_the_sector(people, api):
    draft = services.criteria_set_create(actor=people.industry_gc, region_code=GUANCHENG, sector="industry", title="T")
    before = State.now()
    body = {"region": GUANCHENG, "sector": "industry", "title": "外来"}
    assert_error(api(people.commerce_gc).post(CRITERIA, body, format="json"), 403, "forbidden")
    assert_error(api(people.street_gc).post(CRITERIA, body, format="json"), 403, "forbidden")
    for who in ("commerce_gc", "street_gc", "liaison_a"):
        response = api(getattr(people, who)).post(url("criteria-set-publish", draft), {"effective_from": "2026-05-04"})
        assert_error(response, 404, "not_found")
    assert State.now() == before
    assert fresh(draft).status == CriteriaStatus.DRAFT


# --- the breaker ---------------------------------------------------------------------------------------------------


def test_a_spot_check_opens_a_case_and_removal_needs_both_sides(criteria, api, people):
    entry = admitted(people)
    response = api(people.industry_gc).post(
        SPOT_CHECKS,
        {"enterprise": people.ent_a.pk, "checked_on": DAY.isoformat(), "passed": False, "findings": "未测温"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["spot_check"]["findings"] == "未测温" and body["case"]["level"] == "warning"
    assert body["decision"] is None
    assert ids(api(people.dispatcher_gc).get(CASES, {"status": "open"})) == {body["case"]["id"]}

    response = api(people.industry_gc).post(
        DECISIONS,
        {"entry": entry.pk, "action": "remove", "reason": "瞒报疫情", "effective_date": DAY.isoformat()},
        format="json",
    )
    assert response.status_code == 201, response.content
    decision = JointDecision.objects.get(pk=response.json()["id"])
    response = api(people.dispatcher_gc).post(
        url("joint-decision-approve", decision), {"side": "dispatch", "version": decision.version}, format="json"
    )
    assert response.status_code == 200 and response.json()["dispatch_approved"] is True
    assert fresh(entry).status == EntryStatus.ACTIVE
    decision = fresh(decision)
    response = api(people.prevention_gc).post(
        url("joint-decision-approve", decision), {"side": "prevention", "version": decision.version}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "approved"
    entry = fresh(entry)
    assert (entry.status, entry.removal_reason) == (EntryStatus.REMOVED, "瞒报疫情")
    assert BreakerCase.objects.get().status == "enforced"


def test_a_local_unit_cannot_approve_or_stop_and_nothing_changes(criteria, api, people):
    entry = admitted(people)
    decision = breaker.joint_decision_propose(
        actor=people.industry_gc, entry=entry, action="stop_production", reason="风险", effective_date=DAY
    )
    street = api(people.street_gc)
    assert ids(street.get(DECISIONS)) == {decision.pk}  # it sees the decision on its firm
    before = (State.now(), list(JointDecision.objects.values()), SpotCheck.objects.count())
    for side in ("dispatch", "prevention"):
        body = {"side": side, "version": decision.version, "reason": "x"}
        assert_error(street.post(url("joint-decision-approve", decision), body, format="json"), 403, "forbidden")
        assert_error(street.post(url("joint-decision-reject", decision), body, format="json"), 403, "forbidden")
    proposal = {"entry": entry.pk, "action": "stop_production", "reason": "自行决定", "effective_date": "2026-05-04"}
    assert_error(street.post(DECISIONS, proposal, format="json"), 403, "forbidden")
    check = {"enterprise": people.ent_a.pk, "checked_on": "2026-05-04", "passed": False, "findings": "x"}
    assert_error(street.post(SPOT_CHECKS, check, format="json"), 403, "forbidden")
    for who in ("official_erqi", "liaison_b", "commerce_gc"):
        body = {"side": "dispatch", "version": decision.version}
        assert_error(api(getattr(people, who)).post(url("joint-decision-approve", decision), body), 404, "not_found")
    assert (State.now(), list(JointDecision.objects.values()), SpotCheck.objects.count()) == before
    assert fresh(entry).production_stopped is False


def test_a_stale_joint_decision_and_one_person_for_both_sides(criteria, api, people):
    entry = admitted(people)
    decision = breaker.joint_decision_propose(
        actor=people.industry_gc, entry=entry, action="suspend", reason="整改不到位", effective_date=DAY
    )
    read = decision.version
    breaker.joint_decision_approve(actor=people.dispatcher_gc, decision=decision, side="dispatch")
    before = list(JointDecision.objects.values())
    body = {"side": "prevention", "version": read}
    assert_error(api(people.prevention_gc).post(url("joint-decision-approve", decision), body), 409, "conflict")
    assert_error(api(people.prevention_gc).post(url("joint-decision-approve", decision), {"side": "prevention"}), 400)
    assert list(JointDecision.objects.values()) == before
    response = api(people.prevention_gc).post(
        url("joint-decision-reject", decision),
        {"side": "prevention", "version": fresh(decision).version, "reason": "已整改"},
    )
    assert response.status_code == 200 and response.json()["status"] == JointDecisionStatus.REJECTED
    assert fresh(entry).status == EntryStatus.ACTIVE


def test_renewal_and_re_review_through_the_api(criteria, api, people):
    entry = admitted(people)
    services.entry_flag_review(enterprise=people.ent_a, changes={"headcount": [300, 150]})
    entry = fresh(entry)
    client = api(people.industry_gc)
    assert ids(client.get(ENTRIES, {"needs_review": "true"})) == {entry.pk}
    response = client.post(url("entry-clear-review", entry), {"note": "无影响", "version": entry.version})
    assert response.status_code == 200 and response.json()["needs_review"] is False
    assert_error(client.post(url("entry-renew", entry), {"valid_to": "2027-06-01", "version": 1}), 409, "conflict")
    assert_error(api(people.street_gc).post(url("entry-renew", entry), {"valid_to": "2027-06-01"}), 404)


# --- coverage ------------------------------------------------------------------------------------------------------


def test_coverage_per_sector_and_region(criteria, api, people):
    admitted(people)
    make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="管城大厂有限公司", output_value=28000)
    client = api(people.dispatcher_gc)
    body = client.get(COVERAGE).json()
    assert body["region"] == GUANCHENG
    sectors = {row["sector"]: row for row in body["sectors"]}
    assert sectors["industry"]["ratio"] == "0.3000" and sectors["industry"]["target"] == "0.7"
    assert sectors["industry"]["deadline"] == "2022-06-30"
    regions = {row["region"]: row for row in client.get(COVERAGE, {"sector": "industry"}).json()["regions"]}
    assert regions[GUANCHENG_STREET]["ratio"] == "1.0000" and regions[GUANCHENG_STREET_2]["ratio"] == "0.0000"
    street = client.get(COVERAGE, {"region": GUANCHENG_STREET, "sector": "industry"}).json()
    assert [row["sector"] for row in street["sectors"]] == ["industry"]
    assert_error(client.get(COVERAGE, {"region": JIAOZUO}), 404, "not_found")
    assert_error(client.get(COVERAGE, {"sector": "nonsense"}), 400, "invalid")
    assert_error(api(people.liaison_a).get(COVERAGE), 404, "not_found")
    assert api(people.commerce_gc).get(COVERAGE, {"sector": "industry"}).json()["sectors"] == []


def test_closing_the_gap_marks_applications(criteria, api, people):
    big = make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="管城大厂有限公司", output_value=28000)
    application = services.application_submit(actor=people.industry_gc, enterprise=big, documents=[plan()])
    body = api(people.industry_gc).get(GAP, {"sector": "industry"}).json()
    (industry,) = body["plans"]
    assert industry["sector"] == "industry" and industry["reached"] is True
    assert [(p["name"], p["applied"], p["application"]) for p in industry["picks"]] == [
        ("管城大厂有限公司", True, application.pk)
    ]
    assert [p["sector"] for p in api(people.dispatcher_gc).get(GAP).json()["plans"]] == ["industry", "commerce"]


# --- query counts ------------------------------------------------------------------------------------------------


def _many(cast, n: int) -> None:
    for i in range(n):
        enterprise = make_enterprise(region=GUANCHENG_STREET if i % 2 else GUANCHENG_STREET_2, sector="industry")
        entry = Entry.objects.create(
            enterprise=enterprise, status=EntryStatus.ACTIVE, valid_from=DAY, valid_to=DAY + dt.timedelta(days=365)
        )
        JointDecision.objects.create(entry=entry, action="suspend", reason="r", effective_date=DAY)
        BreakerCase.objects.create(entry=entry, step=1, level="warning", rectify_by=DAY)
        SpotCheck.objects.create(
            enterprise=enterprise, checked_on=DAY, passed=True, findings="f", checked_by=cast.industry_gc
        )
        applicant = make_enterprise(sector="industry")
        services.application_submit(actor=cast.industry_gc, enterprise=applicant, documents=[plan()])


@pytest.mark.parametrize(
    ("route", "most"),
    [(ENTRIES, 4), (APPLICATIONS, 7), (CRITERIA, 5), (SPOT_CHECKS, 4), (CASES, 4), (DECISIONS, 4)],
    ids=lambda v: str(v),
)
def test_list_routes_take_a_fixed_number_of_queries(criteria, api, people, route, most, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(people.dispatcher_gc)
    _many(people, 2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(route).status_code == 200
    _many(people, 10)
    with django_assert_max_num_queries(len(few)):
        assert client.get(route).status_code == 200
    assert len(few) <= most, len(few)
