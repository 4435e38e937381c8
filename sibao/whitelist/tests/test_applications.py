"""Applications through the services: submission, documents, review, resubmission and withdrawal."""

import datetime as dt
import threading

import pytest
from django.db import close_old_connections, connection
from django.utils import translation

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.models import Notification
from sibao.enterprises.services import enterprise_update
from sibao.regions.models import Parameter
from sibao.testing import GUANCHENG, GUANCHENG_STREET, Cast, make_enterprise
from sibao.whitelist import services
from sibao.whitelist.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    CriterionResult,
    DocumentType,
    Entry,
    EntryStatus,
    Outcome,
    StatusChange,
)
from sibao.whitelist.tests.builders import (
    DAY,
    HEADCOUNT_RULE,
    PDF_BYTES,
    PLAN_POINT,
    ROSTER_POINT,
    State,
    clock,  # noqa: F401 (fixture)
    criteria_of,
    criteria_published,
    fresh,
    media,  # noqa: F401 (fixture)
    media_files,
    plan,
    refused,
    roster,
    upload,
)

pytestmark = pytest.mark.usefixtures("clock", "media")

MANUFACTURING = {"title": "Manufacturing", "fact": "industry_section", "operator": "in", "value": ["C"]}


@pytest.fixture
def criteria(cast):
    """Guancheng's industry criteria: headcount ≥ 100 (ent_a has 300), manufacturing, and a prevention plan."""
    return criteria_published(cast.industry_gc, automatic=[HEADCOUNT_RULE, MANUFACTURING], judged=[PLAN_POINT])


def submit(cast, actor=None, enterprise=None, documents=None, note="") -> Application:
    return services.application_submit(
        actor=actor or cast.liaison_a,
        enterprise=enterprise or cast.ent_a,
        documents=[plan()] if documents is None else documents,
        note=note,
    )


def decide(application, **by_title) -> dict:
    """Decisions keyed by criterion id from {title: (decision, reason)}."""
    titles = criteria_of(application.criteria_set)
    return {titles[title].pk: value for title, value in by_title.items()}


def approve_all(cast, application, actor=None) -> Application:
    application = fresh(application)
    return services.application_review(
        actor=actor or cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("approve", "")}),
        expected_version=application.version,
    )


def subjects(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("subject", flat=True))


# --- submission ---------------------------------------------------------------------------------------------


def test_a_liaison_applies_and_automatic_criteria_are_evaluated_at_once(cast, criteria):
    with translation.override("en"):
        application = submit(cast, note="我们申请纳入白名单")
    assert application.status == ApplicationStatus.SUBMITTED
    assert application.criteria_set == criteria
    assert application.submitted_by == cast.liaison_a and application.version == 1
    assert application.priority is False
    assert application.facts["headcount"] == 300 and application.facts["region"] == GUANCHENG_STREET
    results = {r.criterion.title: r for r in application.results.select_related("criterion")}
    assert (results["At least 100 staff"].outcome, results["At least 100 staff"].explanation) == (
        Outcome.PASSED,
        "Headcount 300 ≥ 100 ✓",
    )
    assert results["Manufacturing"].outcome == Outcome.PASSED
    assert (results[PLAN_POINT["title"]].outcome, results[PLAN_POINT["title"]].explanation) == (Outcome.PENDING, "")
    (document,) = application.documents.all()
    assert document.document_type == DocumentType.PREVENTION_PLAN
    assert document.original_name == "plan.pdf" and document.size == len(PDF_BYTES)
    assert document.uploaded_by == cast.liaison_a and len(document.sha256) == 64
    assert document.file.read() == PDF_BYTES
    assert media_files() == [document.file.name]
    (history,) = StatusChange.objects.filter(application=application)
    assert (history.action, history.from_status, history.to_status, history.actor) == (
        "submit",
        "",
        "submitted",
        cast.liaison_a,
    )
    assert Event.objects.for_object(cast.ent_a).filter(action="whitelist.application_submit").count() == 1


def test_reviewers_of_the_region_and_sector_are_told(cast, criteria):
    with translation.override("en"):
        submit(cast)
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"industry_gc", "dispatcher_gc"}
    note = Notification.objects.filter(recipient=cast.industry_gc).get()
    assert note.subject == f"New whitelist application: {cast.ent_a.name}"
    assert "Headcount 300 ≥ 100 ✓" in note.body
    assert note.object_type == "whitelist.application"


def test_city_operation_support_is_reviewed_first(cast, criteria):
    cast.ent_a.city_operation_support = True
    cast.ent_a.save()
    assert submit(cast).priority is True


@pytest.mark.parametrize("who", ["street_gc", "industry_gc", "dispatcher_gc"])
def test_an_official_who_may_change_the_enterprise_applies_for_it(cast, criteria, who):
    application = submit(cast, actor=getattr(cast, who))
    assert application.submitted_by == getattr(cast, who)


def test_the_official_who_applied_is_told_the_decision_too(cast, criteria):
    application = submit(cast, actor=cast.street_gc)
    Notification.objects.all().delete()
    approve_all(cast, application, actor=cast.industry_gc)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"liaison_a", "street_gc"}


def test_a_reviewer_who_applied_is_not_told_of_their_own_decision(cast, criteria):
    application = submit(cast, actor=cast.industry_gc)
    Notification.objects.all().delete()
    approve_all(cast, application, actor=cast.industry_gc)
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"liaison_a"}


@pytest.mark.parametrize("who", ["liaison_b", "liaison_jz", "official_erqi", "commerce_gc", "auditor_gc", "checkpoint"])
def test_others_cannot_apply_for_an_enterprise(cast, criteria, who):
    refused(
        services.application_submit,
        ErrorCode.FORBIDDEN,
        actor=getattr(cast, who),
        enterprise=cast.ent_a,
        documents=[plan()],
    )


def test_no_application_without_criteria_in_force(cast, criteria):
    error = refused(
        services.application_submit,
        ErrorCode.CONFLICT,
        actor=cast.liaison_b,
        enterprise=cast.ent_b,
        documents=[plan()],
    )
    assert "criteria" in error.message


def test_no_application_while_one_is_pending(cast, criteria):
    submit(cast)
    refused(
        services.application_submit, ErrorCode.CONFLICT, actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()]
    )


def test_no_application_while_one_is_sent_back(cast, criteria):
    application = submit(cast)
    services.application_review(
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("revise", "Add the night-shift plan.")}),
        expected_version=1,
    )
    refused(
        services.application_submit, ErrorCode.CONFLICT, actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()]
    )


def test_the_database_refuses_a_second_pending_application_as_a_conflict(cast, criteria, monkeypatch):
    """Two submissions racing past the check: the constraint decides, and the loser's files are removed."""
    submit(cast)
    monkeypatch.setattr(services, "pending_application", lambda enterprise: None)
    error = refused(
        services.application_submit, ErrorCode.CONFLICT, actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()]
    )
    assert error.http_status == 409


@pytest.mark.parametrize("status", [EntryStatus.ACTIVE, EntryStatus.SUSPENDED])
def test_a_listed_enterprise_cannot_apply(cast, criteria, status):
    Entry.objects.create(enterprise=cast.ent_a, status=status, valid_from=DAY, valid_to=DAY + dt.timedelta(days=30))
    refused(
        services.application_submit, ErrorCode.CONFLICT, actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()]
    )


@pytest.mark.parametrize("status", [EntryStatus.EXPIRED, EntryStatus.REMOVED])
def test_an_enterprise_whose_admission_ended_may_apply_again(cast, criteria, status):
    Entry.objects.create(enterprise=cast.ent_a, status=status, valid_from=DAY, valid_to=DAY)
    assert submit(cast).status == ApplicationStatus.SUBMITTED


def test_an_enterprise_covered_by_its_whitelisted_park_cannot_apply(cast, criteria):
    park = make_enterprise(region=GUANCHENG_STREET, kind="park", name="金岱产业园")
    Entry.objects.create(
        enterprise=park, status=EntryStatus.ACTIVE, valid_from=DAY, valid_to=DAY + dt.timedelta(days=9)
    )
    cast.ent_a.park = park
    cast.ent_a.save()
    error = refused(
        services.application_submit, ErrorCode.CONFLICT, actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()]
    )
    assert "金岱产业园" in error.message


# --- documents --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["plan.pdf", "PLAN.PDF", "scan.jpg", "scan.jpeg", "photo.png", "plan.docx", "plan.xlsx"]
)
def test_accepted_document_formats(cast, criteria, name):
    application = submit(cast, documents=[(DocumentType.PREVENTION_PLAN, upload(name))])
    assert application.documents.get().original_name == name


def test_several_documents_are_stored_each_with_its_type(cast):
    criteria_published(cast.industry_gc, automatic=[HEADCOUNT_RULE], judged=[PLAN_POINT, ROSTER_POINT])
    application = submit(cast, documents=[plan(), roster(), (DocumentType.OTHER, upload("licence.png"))])
    assert sorted(application.documents.values_list("document_type", flat=True)) == [
        "other",
        "prevention_plan",
        "staff_list",
    ]
    assert len(media_files()) == 3


@pytest.mark.parametrize(
    ("documents", "code", "words"),
    [
        ([], ErrorCode.INVALID, "ask for"),  # the plan the criteria ask for is missing
        ([roster()], ErrorCode.INVALID, "ask for"),
        ([plan("plan.exe", PDF_BYTES)], ErrorCode.UNSUPPORTED_FILE, "only PDF"),
        ([plan("plan", PDF_BYTES)], ErrorCode.UNSUPPORTED_FILE, "only PDF"),
        ([plan("plan.pdf", b"\x89PNG\r\n\x1a\n....")], ErrorCode.UNSUPPORTED_FILE, "does not match"),
        ([plan("plan.pdf", b"MZ\x90\x00 not a pdf")], ErrorCode.UNSUPPORTED_FILE, "does not match"),
        ([plan("plan.docx", b"PK\x03\x04 broken zip")], ErrorCode.UNSUPPORTED_FILE, "does not match"),
        ([plan("plan.xlsx", None)], None, None),  # control: a real xlsx passes
        ([plan("plan.docx", None), plan("x.pdf", b"")], ErrorCode.UNSUPPORTED_FILE, "does not match"),
        ([("selfie", upload("me.png"))], ErrorCode.INVALID, "unknown document type"),
        ([("prevention_plan",)], ErrorCode.INVALID, "give a document type and a file"),
    ],
)
def test_documents_are_checked_and_nothing_is_stored_when_one_is_wrong(cast, criteria, documents, code, words):
    if code is None:
        assert submit(cast, documents=documents).documents.count() == 1
        return
    error = refused(services.application_submit, code, actor=cast.liaison_a, enterprise=cast.ent_a, documents=documents)
    assert any(words.lower() in message.lower() for message in error.fields["documents"]), error.fields
    assert media_files() == []


def test_an_xlsx_named_docx_is_refused(cast, criteria):
    xlsx = upload("staff.xlsx").read()
    refused(
        services.application_submit,
        ErrorCode.UNSUPPORTED_FILE,
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        documents=[plan("plan.docx", xlsx)],
    )


def test_a_document_over_the_size_limit_is_refused(cast, criteria, settings):
    settings.SIBAO_DOCUMENT_MAX_BYTES = len(PDF_BYTES) - 1
    error = refused(
        services.application_submit,
        ErrorCode.FILE_TOO_LARGE,
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        documents=[plan()],
    )
    assert error.http_status == 413


def test_every_problem_is_listed_at_once(cast, criteria):
    error = refused(
        services.application_submit,
        ErrorCode.UNSUPPORTED_FILE,
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        documents=[roster("staff.csv", b"a,b"), (DocumentType.OTHER, upload("x.pdf", b"nope"))],
    )
    assert len(error.fields["documents"]) == 3  # two bad files and the missing plan


def test_files_written_before_a_later_failure_are_deleted(cast, criteria, monkeypatch):
    def broken(actor, application):
        raise RuntimeError("disk full while writing the history")

    monkeypatch.setattr(services, "_record_creation", broken)
    before = State.now()
    with pytest.raises(RuntimeError):
        submit(cast, documents=[plan(), (DocumentType.OTHER, upload("a.png"))])
    assert State.now() == before
    assert media_files() == []


# --- review ------------------------------------------------------------------------------------------------------


def test_approving_every_point_admits_at_once(cast, criteria):
    application = submit(cast)
    Notification.objects.all().delete()
    with translation.override("en"):
        approve_all(cast, application)
    application = fresh(application)
    assert application.status == ApplicationStatus.APPROVED and application.version == 2
    assert application.decided_by == cast.industry_gc and application.decided_at is not None
    result = application.results.get(criterion__title=PLAN_POINT["title"])
    assert (result.outcome, result.decided_by) == (Outcome.APPROVED, cast.industry_gc)
    entry = Entry.objects.get(enterprise=cast.ent_a)
    assert entry.status == EntryStatus.ACTIVE
    assert (entry.valid_from, entry.valid_to) == (DAY, dt.date(2027, 5, 4))
    assert entry.criteria_set == criteria and entry.application == application
    assert entry.facts == application.facts
    assert entry.parameters["whitelist.admission_months"]["value"] == 12
    assert entry.parameters["whitelist.admission_months"]["parameter_id"] is None  # the default
    moves = list(StatusChange.objects.filter(enterprise=cast.ent_a).order_by("id").values_list("action", "to_status"))
    assert moves == [("submit", "submitted"), ("approve", "approved"), ("admit", "active")]
    assert subjects(cast.liaison_a) == [f"Admitted to the whitelist: {cast.ent_a.name}"]


def test_the_admission_term_is_the_jurisdictions_parameter(cast, criteria):
    parameter = Parameter.objects.create(
        region_id=GUANCHENG, key="whitelist.admission_months", value=6, effective_from=DAY - dt.timedelta(days=30)
    )
    approve_all(cast, submit(cast))
    entry = Entry.objects.get(enterprise=cast.ent_a)
    assert entry.valid_to == dt.date(2026, 11, 4)
    assert entry.parameters["whitelist.admission_months"]["parameter_id"] == parameter.pk


def test_a_rejected_point_rejects_the_application_with_the_reason(cast, criteria):
    application = submit(cast)
    with translation.override("en"):
        services.application_review(
            actor=cast.dispatcher_gc,
            application=application,
            decisions=decide(application, **{PLAN_POINT["title"]: ("reject", "No isolation area in the plan.")}),
            expected_version=1,
        )
    application = fresh(application)
    assert application.status == ApplicationStatus.REJECTED
    assert not Entry.objects.exists()
    history = StatusChange.objects.get(application=application, action="reject")
    assert "No isolation area in the plan." in history.reason
    assert subjects(cast.liaison_a) == [f"Whitelist application rejected: {cast.ent_a.name}"]
    assert Notification.objects.get(recipient=cast.liaison_a).body == history.reason


def test_a_failed_automatic_criterion_rejects_even_when_every_point_is_approved(cast, criteria):
    cast.ent_a.headcount = 40
    cast.ent_a.save()
    with translation.override("en"):
        application = submit(cast)
        approve_all(cast, application)
    assert fresh(application).status == ApplicationStatus.REJECTED
    history = StatusChange.objects.get(application=application, action="reject")
    assert "Headcount 40 < 100 ✗" in history.reason
    assert not Entry.objects.exists()


def test_a_point_to_revise_sends_the_application_back(cast, criteria):
    application = submit(cast)
    services.application_review(
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("revise", "Add the night-shift plan.")}),
        expected_version=1,
    )
    application = fresh(application)
    assert application.status == ApplicationStatus.RETURNED
    result = application.results.get(criterion__title=PLAN_POINT["title"])
    assert (result.outcome, result.explanation) == (Outcome.REVISE, "Add the night-shift plan.")
    assert len(subjects(cast.liaison_a)) == 1


def test_an_unknown_automatic_result_blocks_admission_and_sends_it_back(cast, criteria):
    type(cast.ent_a).objects.filter(pk=cast.ent_a.pk).update(industry_section="")
    application = submit(cast)
    assert application.results.get(criterion__title="Manufacturing").outcome == Outcome.UNKNOWN
    approve_all(cast, application)
    assert fresh(application).status == ApplicationStatus.RETURNED
    assert not Entry.objects.exists()


@pytest.mark.parametrize("who", ["commerce_gc", "official_erqi", "dispatcher_jz", "street_gc", "liaison_a", "admin_gc"])
def test_only_reviewers_of_the_region_and_sector_review(cast, criteria, who):
    application = submit(cast)
    refused(
        services.application_review,
        ErrorCode.FORBIDDEN,
        actor=getattr(cast, who),
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("approve", "")}),
        expected_version=1,
    )


@pytest.mark.parametrize(
    ("decisions", "field_of"),
    [
        (lambda app, ids: {ids[PLAN_POINT["title"]]: ("reject", "")}, PLAN_POINT["title"]),  # no reason
        (lambda app, ids: {ids[PLAN_POINT["title"]]: ("revise", "  ")}, PLAN_POINT["title"]),  # blank reason
        (lambda app, ids: {ids[PLAN_POINT["title"]]: ("accept", "ok")}, PLAN_POINT["title"]),  # no such decision
        (lambda app, ids: {ids[PLAN_POINT["title"]]: 5}, PLAN_POINT["title"]),  # not a decision at all
        (lambda app, ids: {}, PLAN_POINT["title"]),  # a pending point left undecided
        (lambda app, ids: {ids["At least 100 staff"]: ("approve", "")}, "At least 100 staff"),  # automatic
        (lambda app, ids: {999999: ("approve", "")}, None),  # not a criterion of this application
        (lambda app, ids: {"abc": ("approve", "")}, None),
    ],
)
def test_wrong_decisions_are_refused_and_nothing_changes(cast, criteria, decisions, field_of):
    application = submit(cast)
    ids = {title: c.pk for title, c in criteria_of(criteria).items()}
    error = refused(
        services.application_review,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        application=application,
        decisions=decisions(application, ids),
        expected_version=1,
    )
    if field_of:
        assert f"criterion_{ids[field_of]}" in error.fields, error.fields


def test_a_stale_version_is_a_conflict(cast, criteria):
    application = submit(cast)
    error = refused(
        services.application_review,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("approve", "")}),
        expected_version=7,
    )
    assert error.http_status == 409


def test_the_second_of_two_reviewers_gets_a_conflict_and_changes_nothing(cast, criteria):
    application = submit(cast)
    seen = fresh(application).version
    services.application_review(
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("approve", "")}),
        expected_version=seen,
    )
    refused(
        services.application_review,
        ErrorCode.CONFLICT,
        actor=cast.dispatcher_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("reject", "Too late")}),
        expected_version=seen,
    )
    assert fresh(application).status == ApplicationStatus.APPROVED


def test_a_decided_application_cannot_be_reviewed_again(cast, criteria):
    application = approve_all(cast, submit(cast))
    refused(
        services.application_review,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("approve", "")}),
        expected_version=fresh(application).version,
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_reviewers_at_the_same_moment_one_wins(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    cast = Cast()
    criteria = criteria_published(cast.industry_gc, automatic=[HEADCOUNT_RULE], judged=[PLAN_POINT])
    application = submit(cast)
    point = criteria_of(criteria)[PLAN_POINT["title"]].pk
    barrier = threading.Barrier(2)
    outcomes = []

    def review(user, decision):
        try:
            barrier.wait()
            services.application_review(
                actor=user, application=application, decisions={point: decision}, expected_version=1
            )
            outcomes.append("done")
        except ServiceError as exc:
            outcomes.append(exc.code)
        finally:
            close_old_connections()
            connection.close()

    threads = [
        threading.Thread(target=review, args=(cast.industry_gc, ("approve", ""))),
        threading.Thread(target=review, args=(cast.dispatcher_gc, ("reject", "No plan."))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(map(str, outcomes)) == ["conflict", "done"]
    decided = fresh(application)
    assert decided.version == 2
    assert StatusChange.objects.filter(application=application).exclude(action="submit").count() == 1
    assert CriterionResult.objects.filter(application=application, decided_by__isnull=False).count() == 1


# --- resubmission and withdrawal ------------------------------------------------------------------------------------


def returned(cast, criteria) -> Application:
    application = submit(cast)
    services.application_review(
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("revise", "Add the night-shift plan.")}),
        expected_version=1,
    )
    return fresh(application)


def test_resubmission_replaces_documents_and_reopens_points_to_revise(
    cast, criteria, django_capture_on_commit_callbacks
):
    application = returned(cast, criteria)
    (old,) = application.documents.all()
    old_file = old.file.name
    enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "350"})
    application = fresh(application)
    assert application.version == 2  # same outcome with the new figure: nobody has to reload
    Notification.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):  # the old file goes once the replacement commits
        services.application_resubmit(
            actor=cast.liaison_a,
            application=application,
            documents=[plan("plan-v2.pdf")],
            note="Night shifts added.",
            expected_version=application.version,
        )
    application = fresh(application)
    assert application.status == ApplicationStatus.SUBMITTED and application.note == "Night shifts added."
    (new,) = application.documents.all()
    assert new.original_name == "plan-v2.pdf"
    assert not ApplicationDocument.objects.filter(pk=old.pk).exists()
    point = application.results.get(criterion__title=PLAN_POINT["title"])
    assert (point.outcome, point.explanation, point.decided_by) == (Outcome.PENDING, "", None)
    assert application.facts["headcount"] == 350
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"industry_gc", "dispatcher_gc"}
    assert StatusChange.objects.filter(application=application, action="resubmit").count() == 1
    assert new.file.name in media_files()
    assert old_file not in media_files()


def test_resubmission_without_new_documents_keeps_those_on_file(cast, criteria):
    application = returned(cast, criteria)
    services.application_resubmit(actor=cast.liaison_a, application=application)
    assert fresh(application).documents.count() == 1
    assert fresh(application).status == ApplicationStatus.SUBMITTED


def test_resubmission_re_evaluates_automatic_criteria(cast, criteria):
    application = returned(cast, criteria)
    type(cast.ent_a).objects.filter(pk=cast.ent_a.pk).update(headcount=50)
    with translation.override("en"):
        services.application_resubmit(actor=cast.liaison_a, application=application)
    result = fresh(application).results.get(criterion__title="At least 100 staff")
    assert (result.outcome, result.explanation) == (Outcome.FAILED, "Headcount 50 < 100 ✗")


def test_resubmission_refusals(cast, criteria):
    pending = submit(cast)
    refused(services.application_resubmit, ErrorCode.CONFLICT, actor=cast.liaison_a, application=pending)
    services.application_review(
        actor=cast.industry_gc,
        application=pending,
        decisions=decide(pending, **{PLAN_POINT["title"]: ("revise", "Again")}),
        expected_version=1,
    )
    application = fresh(pending)
    refused(services.application_resubmit, ErrorCode.FORBIDDEN, actor=cast.liaison_b, application=application)
    refused(services.application_resubmit, ErrorCode.FORBIDDEN, actor=cast.official_erqi, application=application)
    refused(
        services.application_resubmit,
        ErrorCode.CONFLICT,
        actor=cast.liaison_a,
        application=application,
        expected_version=application.version - 1,
    )
    refused(
        services.application_resubmit,
        ErrorCode.UNSUPPORTED_FILE,
        actor=cast.liaison_a,
        application=application,
        documents=[plan("plan.pdf", b"not a pdf")],
    )


def test_withdrawal_of_a_pending_application(cast, criteria):
    application = submit(cast)
    refused(services.application_withdraw, ErrorCode.FORBIDDEN, actor=cast.liaison_b, application=application)
    refused(services.application_withdraw, ErrorCode.FORBIDDEN, actor=cast.official_erqi, application=application)
    services.application_withdraw(actor=cast.liaison_a, application=application, reason="Changed our mind.")
    application = fresh(application)
    assert application.status == ApplicationStatus.WITHDRAWN
    assert StatusChange.objects.get(application=application, action="withdraw").reason == "Changed our mind."
    refused(services.application_withdraw, ErrorCode.CONFLICT, actor=cast.liaison_a, application=application)
    assert submit(cast).status == ApplicationStatus.SUBMITTED  # free to apply again


# --- the registry changes while an application waits ----------------------------------------------------------------


def test_a_registry_change_re_evaluates_a_pending_application(cast, criteria):
    application = submit(cast)
    with translation.override("en"):
        enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "80"})
    application = fresh(application)
    assert application.version == 2 and application.facts["headcount"] == 80
    result = application.results.get(criterion__title="At least 100 staff")
    assert (result.outcome, result.explanation) == (Outcome.FAILED, "Headcount 80 < 100 ✗")
    # A reviewer who looked at the old results must reload.
    refused(
        services.application_review,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        application=application,
        decisions=decide(application, **{PLAN_POINT["title"]: ("approve", "")}),
        expected_version=1,
    )


def test_a_change_the_criteria_do_not_use_leaves_the_application_as_it_was(cast, criteria):
    application = submit(cast)
    enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"address": "航海东路 1 号"})
    assert fresh(application).version == 1


def test_the_liaison_gets_the_decision_by_e_mail_once_it_is_committed(
    cast, criteria, mailoutbox, django_capture_on_commit_callbacks
):
    cast.liaison_a.email = "liaison@example.com"
    cast.liaison_a.save()
    application = submit(cast)
    with django_capture_on_commit_callbacks(execute=False) as pending, translation.override("en"):
        approve_all(cast, application)
    assert mailoutbox == []  # nothing leaves before the decision is committed
    for callback in pending:
        callback()
    (mail,) = mailoutbox
    assert mail.to == ["liaison@example.com"]
    assert mail.subject == f"Admitted to the whitelist: {cast.ent_a.name}"
