"""The demo's whitelist: every state the pages show, reached through the services, the same on every run.

The demo is seeded once for the module (twice, in fact: the first run is rolled back, to compare the two), in a
transaction rolled back at the end, so the tests share one seeding.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.db import transaction
from django.test import override_settings

from sibao.accounts.models import User
from sibao.audit.models import Event
from sibao.core.clock import today
from sibao.core.models import Notification
from sibao.demo import builders
from sibao.demo.data import SECTOR_SLUGS, SECTORS
from sibao.enterprises.models import Enterprise, EnterpriseKind
from sibao.regions.parameters import parameter_value
from sibao.whitelist.coverage import ratio
from sibao.whitelist.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    BreakerCase,
    BreakerLevel,
    CoverageSnapshot,
    CriteriaSet,
    CriteriaStatus,
    CriterionKind,
    Entry,
    EntryStatus,
    JointDecision,
    JointDecisionStatus,
    StatusChange,
)
from sibao.whitelist.selectors import chain_proposals, coverage_table, covered_by_park, review_queue

GUANCHENG, JIAOZUO = "410104", "410800"


@pytest.fixture(scope="module")
def seeded_media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def media_root(settings, seeded_media):
    """The module's one seeding stored its documents here (replaces the per-test directory of conftest.py)."""
    settings.MEDIA_ROOT = seeded_media
    return seeded_media


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, seeded_media):
    """(first run's result, second run's result); the second run's data stays until the module ends."""
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(seeded_media)), transaction.atomic():
        empty = transaction.savepoint()
        first = builders.seed()
        transaction.savepoint_rollback(empty)
        second = builders.seed()
        yield first, second
        transaction.set_rollback(True)


@pytest.fixture
def result(seeded, db):
    return seeded[1].whitelist


def user(username: str) -> User:
    return User.objects.get(username=username)


def test_every_application_and_entry_status_occurs(result):
    assert set(Application.objects.values_list("status", flat=True)) == set(ApplicationStatus.values)
    assert set(Entry.objects.values_list("status", flat=True)) == set(EntryStatus.values)
    assert result.entries == {s: Entry.objects.filter(status=s).count() for s in EntryStatus.values}
    assert result.pending_applications == Application.objects.filter(status__in=("submitted", "returned")).count()
    assert "entries" in result.summary() and "pending applications" in result.summary()


def test_seeding_is_deterministic(seeded, db):
    first, second = (run.whitelist for run in seeded)
    assert first.digest == second.digest
    assert (first.entries, first.applications, first.breaker_cases) == (
        second.entries,
        second.applications,
        second.breaker_cases,
    )
    assert first.documents == second.documents


def test_everything_went_through_the_services(result):
    # Each entry and application has its history; the services' audit events and notifications are there.
    for entry in Entry.objects.all():
        assert StatusChange.objects.filter(entry=entry, action="admit").exists(), entry
    for application in Application.objects.all():
        assert StatusChange.objects.filter(application=application, action="submit").exists(), application
    actions = set(Event.objects.values_list("action", flat=True))
    for action in (
        "whitelist.criteria_publish",
        "whitelist.criteria_retire",
        "whitelist.application_submit",
        "whitelist.admit",
        "whitelist.renew",
        "whitelist.expire",
        "whitelist.review_flag",
        "whitelist.review_clear",
        "whitelist.spot_check",
        "whitelist.breaker_open",
        "whitelist.joint_approve",
        "whitelist.joint_reject",
        "whitelist.remove",
    ):
        assert action in actions, action
    assert Notification.objects.filter(recipient__username="gc_industry").exists()
    # History is dated in the past, over months; nothing after today.
    dates = list(StatusChange.objects.values_list("effective_date", flat=True))
    assert min(dates) < today() - dt.timedelta(days=180) and max(dates) <= today()


def test_criteria_per_sector_and_a_retired_version(result):
    for region, prefix in ((GUANCHENG, "gc"), (JIAOZUO, "jz")):
        for sector in SECTORS:
            published = CriteriaSet.objects.get(region_id=region, sector=sector, status=CriteriaStatus.PUBLISHED)
            assert published.published_by.username == f"{prefix}_{SECTOR_SLUGS[sector]}"
            kinds = list(published.criteria.values_list("kind", flat=True))
            assert 2 <= kinds.count(CriterionKind.AUTOMATIC) <= 4
            assert 2 <= kinds.count(CriterionKind.JUDGED) <= 3
            assert all(published.criteria.filter(kind=CriterionKind.JUDGED).values_list("document_type", flat=True))
    retired = CriteriaSet.objects.get(status=CriteriaStatus.RETIRED)
    assert (retired.region_id, retired.sector, retired.version) == (GUANCHENG, "industry", 1)
    assert Entry.objects.filter(criteria_set=retired).exists()  # admitted under the old version


def test_parameters_of_both_plans(result):
    assert parameter_value(GUANCHENG, "whitelist.coverage_target").value == 0.7
    assert parameter_value(JIAOZUO, "whitelist.coverage_target").value == 0.8
    assert parameter_value("410104012", "whitelist.coverage_deadline").value == "2022-06-30"
    assert parameter_value(GUANCHENG, "whitelist.admission_months").value == 6
    assert parameter_value("410823", "whitelist.admission_months").value == 12
    steps = parameter_value(GUANCHENG, "whitelist.breaker_steps").value
    assert [s["level"] for s in steps] == ["warning", "suspension", "removal"]


def test_the_breaker(result):
    assert set(BreakerCase.objects.values_list("level", flat=True)) == set(BreakerLevel.values)
    # A suspension the dispatch office approved and the epidemic-prevention HQ has not decided yet.
    waiting = JointDecision.objects.get(
        status=JointDecisionStatus.PROPOSED, entry__enterprise__region__code__startswith=GUANCHENG
    )
    assert waiting.dispatch_approved_by.username == "gc_dispatch" and waiting.prevention_approved_by is None
    assert waiting.entry.status == EntryStatus.ACTIVE
    # Removed entries say why, publicly; one after an outbreak spread from the firm.
    removed = Entry.objects.filter(status=EntryStatus.REMOVED)
    assert removed.count() >= 2 and all(e.removal_reason for e in removed)
    outbreak = BreakerCase.objects.get(spot_check__outbreak_spread=True)
    assert outbreak.level == BreakerLevel.REMOVAL and outbreak.entry.status == EntryStatus.REMOVED
    assert outbreak.entry.removal_reason
    # Suspended, production stopped, a rectified case, a case escalated by the nightly job, a rejected proposal.
    assert Entry.objects.filter(status=EntryStatus.SUSPENDED).exists()
    assert Entry.objects.filter(status=EntryStatus.ACTIVE, production_stopped=True).exists()
    assert BreakerCase.objects.filter(status="rectified", level=BreakerLevel.SUSPENSION).exists()
    assert JointDecision.objects.filter(action="reinstate", status=JointDecisionStatus.APPROVED).exists()
    assert JointDecision.objects.filter(proposed_by__isnull=True, status=JointDecisionStatus.APPROVED).exists()
    assert JointDecision.objects.filter(status=JointDecisionStatus.REJECTED).exists()


def test_lifecycle_of_admissions(result):
    day = today()
    assert not Entry.objects.filter(status__in=("active", "suspended"), valid_to__lt=day).exists()
    assert all(e.valid_to < day for e in Entry.objects.filter(status=EntryStatus.EXPIRED))
    assert StatusChange.objects.filter(action="renew").exists()
    assert Entry.objects.filter(status=EntryStatus.ACTIVE, valid_to__lte=day + dt.timedelta(days=30)).exists()
    flagged = Entry.objects.filter(needs_review=True)
    assert flagged.exists() and all(e.review_reason for e in flagged)
    direct = Entry.objects.filter(application__isnull=True, status=EntryStatus.ACTIVE)  # "dynamic adjustment"
    assert 0 < direct.count() < Entry.objects.filter(application__isnull=False).count()
    # An expired firm applying again.
    assert Application.objects.filter(
        status=ApplicationStatus.SUBMITTED, enterprise__whitelist_entry__status=EntryStatus.EXPIRED
    ).exists()


def test_review_queue_and_chain(result):
    queue = list(review_queue(user("gc_commerce")))
    assert len(queue) >= 3
    assert queue[0].priority and not queue[-1].priority
    assert queue[0].submitted_at > queue[-1].submitted_at  # sent later, reviewed first
    assert Application.objects.filter(status=ApplicationStatus.SUBMITTED, proposed_by_chain__isnull=False).exists()
    assert any(chain_proposals(e) for e in Entry.objects.filter(status=EntryStatus.ACTIVE))


def test_documents_are_stored(result, seeded_media):
    documents = ApplicationDocument.objects.all()
    assert documents.count() == result.documents > 0
    names = [d.original_name for d in documents]
    assert any(n.endswith(".xlsx") for n in names) and any(n.endswith(".pdf") for n in names)
    pdf = documents.filter(original_name__endswith=".pdf").first()
    with pdf.file.open("rb") as handle:
        content = handle.read()
    assert content.startswith(b"%PDF-1.4") and content.rstrip().endswith(b"%%EOF")
    assert Path(pdf.file.path).is_relative_to(seeded_media) and len(content) == pdf.size


def test_a_park_covers_its_members(result):
    park = Enterprise.objects.get(kind=EnterpriseKind.PARK)
    assert park.region_id.startswith(GUANCHENG) and park.whitelist_entry.status == EntryStatus.ACTIVE
    members = list(park.park_members.all())
    assert len(members) >= 2 and all(covered_by_park(m) for m in members)


def test_guancheng_coverage_is_short_of_full_in_every_sector(result):
    table = coverage_table(user("gc_dispatch"), GUANCHENG)
    shares = {row.sector: ratio(row.figures.whitelisted_output, row.figures.total_output) for row in table.rows}
    assert set(shares) == set(SECTORS)
    assert all(0 < share < 1 for share in shares.values()), shares
    # Some sectors reach the 70% target, some do not: "closing the gap" has content.
    assert any(share >= table.total.target for share in shares.values())
    assert any(share < table.total.target for share in shares.values())


def test_coverage_history(result):
    days = sorted(set(CoverageSnapshot.objects.filter(region_id=GUANCHENG, sector="").values_list("date", flat=True)))
    assert len(days) >= 2 and days[-1] == today()
    assert days[0] == today() - dt.timedelta(days=len(days) - 1)  # one snapshot a day
    history = CoverageSnapshot.objects.filter(region_id=GUANCHENG, sector="").order_by("date")
    assert len({(s.firms_whitelisted, s.whitelisted_output) for s in history}) > 1  # the statuses of each day
