"""Admission and its life: renewal, expiry, direct admission, re-review, chain protection, parks, queue, history."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode
from sibao.core.models import Notification
from sibao.enterprises.models import LinkDirection, SupplyLink
from sibao.enterprises.services import enterprise_update
from sibao.testing import GUANCHENG_STREET, GUANCHENG_STREET_2, make_enterprise, make_user
from sibao.whitelist import services
from sibao.whitelist.models import ApplicationStatus, Entry, EntryStatus, Outcome, StatusChange
from sibao.whitelist.selectors import (
    chain_proposals,
    covered_by_park,
    enterprise_history,
    is_whitelisted,
    results_explained,
    review_queue,
)
from sibao.whitelist.tests.builders import (
    DAY,
    HEADCOUNT_RULE,
    PLAN_POINT,
    State,
    clock,  # noqa: F401 (fixture)
    criteria_of,
    criteria_published,
    fresh,
    media,  # noqa: F401 (fixture)
    plan,
    refused,
)

pytestmark = pytest.mark.usefixtures("clock", "media")
YEAR_LATER = dt.date(2027, 5, 4)


@pytest.fixture
def criteria(cast):
    return criteria_published(cast.industry_gc, automatic=[HEADCOUNT_RULE], judged=[PLAN_POINT])


def admitted(cast, enterprise=None, liaison=None):
    """Apply and approve: the enterprise (ent_a by default) is admitted today."""
    enterprise = enterprise or cast.ent_a
    application = services.application_submit(
        actor=liaison or cast.liaison_a, enterprise=enterprise, documents=[plan()]
    )
    point = criteria_of(application.criteria_set)[PLAN_POINT["title"]]
    services.application_review(
        actor=cast.dispatcher_gc,
        application=application,
        decisions={point.pk: ("approve", "")},
        expected_version=application.version,
    )
    return Entry.objects.get(enterprise=enterprise)


def subjects(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("subject", flat=True))


# --- expiry ---------------------------------------------------------------------------------------------------


def test_an_admission_expires_the_day_after_its_term(cast, criteria, clock):  # noqa: F811 (the fixture)
    entry = admitted(cast)
    assert entry.valid_to == YEAR_LATER
    assert services.entries_expire(on=YEAR_LATER) == []  # its last day: still listed
    clock.move_to(dt.datetime(2027, 5, 5, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    with translation.override("en"):
        (expired,) = services.entries_expire()
    assert expired.status == EntryStatus.EXPIRED
    change = StatusChange.objects.get(entry=entry, action="expire")
    assert (change.actor, change.from_status, change.effective_date) == (None, "active", dt.date(2027, 5, 5))
    event = Event.objects.for_object(cast.ent_a).get(action="whitelist.expire")
    assert event.actor is None and event.actor_label == "system"
    assert subjects(cast.liaison_a)[-1] == f"Whitelist admission expired: {cast.ent_a.name}"
    assert not is_whitelisted(cast.ent_a)


def test_expiry_is_safe_to_run_again(cast, criteria):
    admitted(cast)
    later = YEAR_LATER + dt.timedelta(days=1)
    assert len(services.entries_expire(on=later)) == 1
    before = State.now()
    assert services.entries_expire(on=later) == []
    assert services.entries_expire(on=later + dt.timedelta(days=30)) == []
    assert State.now() == before


def test_a_suspended_entry_expires_too(cast, criteria):
    entry = admitted(cast)
    Entry.objects.filter(pk=entry.pk).update(status=EntryStatus.SUSPENDED)
    (expired,) = services.entries_expire(on=YEAR_LATER + dt.timedelta(days=1))
    assert expired.status == EntryStatus.EXPIRED


def test_the_command_expires_as_of_today_or_a_given_day(cast, criteria, clock):  # noqa: F811 (the fixture)
    admitted(cast)
    out = io.StringIO()
    call_command("expire_whitelist", stdout=out)
    assert "0 whitelist admission(s) expired" in out.getvalue()
    call_command("expire_whitelist", "--date", "2027-05-05", stdout=out)
    assert "1 whitelist admission(s) expired as of 2027-05-05" in out.getvalue()
    assert fresh(Entry.objects.get(enterprise=cast.ent_a)).status == EntryStatus.EXPIRED
    with pytest.raises(CommandError):
        call_command("expire_whitelist", "--date", "tomorrow")


def test_an_expired_firm_applies_again_and_its_entry_is_reused(cast, criteria):
    entry = admitted(cast)
    services.entries_expire(on=YEAR_LATER + dt.timedelta(days=1))
    again = admitted(cast)
    assert again.pk == entry.pk and again.status == EntryStatus.ACTIVE
    assert list(StatusChange.objects.filter(entry=entry).order_by("id").values_list("action", flat=True)) == [
        "admit",
        "expire",
        "admit",
    ]


# --- renewal ----------------------------------------------------------------------------------------------------


def test_a_reviewer_renews_an_active_admission(cast, criteria, clock):  # noqa: F811 (the fixture)
    entry = admitted(cast)
    clock.shift(dt.timedelta(days=60))  # two months on, the term can reach two months further
    entry = services.entry_renew(actor=cast.industry_gc, entry=entry, valid_to=dt.date(2027, 6, 4))
    entry = services.entry_renew(
        actor=cast.industry_gc, entry=entry, valid_to=dt.date(2027, 7, 3), expected_version=entry.version
    )
    assert entry.valid_to == dt.date(2027, 7, 3) and entry.status == EntryStatus.ACTIVE
    assert entry.valid_from == DAY
    assert StatusChange.objects.filter(entry=entry, action="renew").count() == 2
    assert len(subjects(cast.liaison_a)) == 3  # admitted, renewed, renewed


def test_renewal_refusals(cast, criteria, clock):  # noqa: F811 (the fixture)
    entry = admitted(cast)
    clock.shift(dt.timedelta(days=30))
    for who in ("commerce_gc", "official_erqi", "liaison_a", "street_gc"):
        refused(
            services.entry_renew,
            ErrorCode.FORBIDDEN,
            actor=getattr(cast, who),
            entry=entry,
            valid_to=YEAR_LATER + dt.timedelta(days=10),
        )
    error = refused(services.entry_renew, ErrorCode.INVALID, actor=cast.industry_gc, entry=entry, valid_to=YEAR_LATER)
    assert "valid_to" in error.fields  # not later than the current end
    error = refused(
        services.entry_renew,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        entry=entry,
        valid_to=dt.date(2027, 6, 4) + dt.timedelta(days=1),
    )
    assert "valid_to" in error.fields  # more than one term from today
    refused(
        services.entry_renew,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        entry=entry,
        valid_to=dt.date(2027, 6, 1),
        expected_version=entry.version - 1,
    )
    Entry.objects.filter(pk=entry.pk).update(needs_review=True, review_reason="x")
    refused(services.entry_renew, ErrorCode.CONFLICT, actor=cast.industry_gc, entry=entry, valid_to=dt.date(2027, 6, 1))
    Entry.objects.filter(pk=entry.pk).update(needs_review=False, status=EntryStatus.SUSPENDED)
    refused(services.entry_renew, ErrorCode.CONFLICT, actor=cast.industry_gc, entry=entry, valid_to=dt.date(2027, 6, 1))


# --- direct admission (dynamic adjustment "add") ---------------------------------------------------------------------


def test_a_reviewer_admits_a_qualifying_firm_directly_with_a_reason(cast, criteria):
    entry = services.entry_admit_directly(
        actor=cast.industry_gc, enterprise=cast.ent_a, reason="保供企业，经研究纳入", effective_date=DAY
    )
    assert entry.status == EntryStatus.ACTIVE and entry.application is None
    assert entry.criteria_set == criteria and entry.facts["headcount"] == 300
    assert (entry.valid_from, entry.valid_to) == (DAY, YEAR_LATER)
    change = StatusChange.objects.get(entry=entry)
    assert (change.action, change.reason, change.actor) == ("admit", "保供企业，经研究纳入", cast.industry_gc)
    assert len(subjects(cast.liaison_a)) == 1


def test_a_direct_admission_may_date_back(cast, criteria):
    entry = services.entry_admit_directly(
        actor=cast.industry_gc, enterprise=cast.ent_a, reason="Decided at the weekly dispatch", effective_date=DAY
    )
    assert entry.valid_from == DAY


def test_direct_admission_refusals(cast, criteria):
    for who in ("commerce_gc", "official_erqi", "liaison_a", "street_gc", "auditor_gc"):
        refused(
            services.entry_admit_directly,
            ErrorCode.FORBIDDEN,
            actor=getattr(cast, who),
            enterprise=cast.ent_a,
            reason="r",
            effective_date=DAY,
        )
    error = refused(
        services.entry_admit_directly,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        reason=" ",
        effective_date=DAY + dt.timedelta(days=1),
    )
    assert set(error.fields) == {"reason", "effective_date"}
    error = refused(
        services.entry_admit_directly,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        reason="r",
        effective_date=DAY - dt.timedelta(days=400),
    )
    assert "effective_date" in error.fields  # its term would already be over
    refused(
        services.entry_admit_directly,
        ErrorCode.CONFLICT,
        actor=cast.commerce_gc,
        enterprise=cast.ent_b,
        reason="r",
        effective_date=DAY,
    )  # no commerce criteria in force


def test_a_firm_below_the_criteria_cannot_be_admitted_directly(cast, criteria):
    cast.ent_a.headcount = 20
    cast.ent_a.save()
    with translation.override("en"):
        error = refused(
            services.entry_admit_directly,
            ErrorCode.INVALID,
            actor=cast.industry_gc,
            enterprise=cast.ent_a,
            reason="r",
            effective_date=DAY,
        )
    assert error.fields["criteria"] == ["Headcount 20 < 100 ✗"]


def test_a_listed_or_applying_firm_is_not_admitted_directly(cast, criteria):
    services.application_submit(actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()])
    refused(
        services.entry_admit_directly,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        reason="r",
        effective_date=DAY,
    )
    other = make_enterprise(region=GUANCHENG_STREET)
    services.entry_admit_directly(actor=cast.industry_gc, enterprise=other, reason="r", effective_date=DAY)
    refused(
        services.entry_admit_directly,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        enterprise=other,
        reason="again",
        effective_date=DAY,
    )


# --- re-review when the registry changes ------------------------------------------------------------------------------


def test_a_change_to_a_fact_the_admission_relied_on_flags_it(cast, criteria):
    entry = admitted(cast)
    Notification.objects.all().delete()
    with translation.override("en"):
        enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "1200"})
    entry = fresh(entry)
    assert entry.needs_review is True and entry.status == EntryStatus.ACTIVE
    assert entry.review_reason == "Headcount changed 300 → 1,200"
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"industry_gc", "dispatcher_gc"}
    event = Event.objects.for_object(cast.ent_a).get(action="whitelist.review_flag")
    assert event.actor is None


def test_the_reason_says_when_a_criterion_is_no_longer_met(cast, criteria):
    entry = admitted(cast)
    with translation.override("en"):
        enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "80"})
    assert fresh(entry).review_reason == "Headcount changed 300 → 80; no longer met: Headcount 80 < 100 ✗"


def test_further_changes_add_to_the_reason(cast, criteria):
    entry = admitted(cast)
    with translation.override("en"):
        enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "400"})
        enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"output_value": "15000"})
    assert fresh(entry).review_reason == (
        "Headcount changed 300 → 400; Annual output / investment (10k yuan) changed 12,000 → 15,000"
    )


def test_a_change_to_other_data_does_not_flag(cast, criteria):
    entry = admitted(cast)
    version = fresh(entry).version
    enterprise_update(
        actor=cast.liaison_a, enterprise=cast.ent_a, data={"address": "航海东路 1 号", "contact_name": "王"}
    )
    assert (fresh(entry).needs_review, fresh(entry).version) == (False, version)


def test_only_facts_the_admission_relied_on_count(cast, criteria):
    """An entry that stored no facts is flagged only for the facts its criteria test."""
    entry = admitted(cast)
    Entry.objects.filter(pk=entry.pk).update(facts={})
    enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"key_project": "true"})
    assert fresh(entry).needs_review is False
    enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "350"})
    assert fresh(entry).needs_review is True


def test_an_unlisted_firm_is_not_flagged(cast, criteria):
    entry = admitted(cast)
    services.entries_expire(on=YEAR_LATER + dt.timedelta(days=1))
    before = fresh(entry).version
    enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "50"})
    assert (fresh(entry).needs_review, fresh(entry).version) == (False, before)


def test_a_reviewer_clears_the_flag_and_the_new_facts_become_the_basis(cast, criteria):
    entry = admitted(cast)
    enterprise_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "1200"})
    entry = fresh(entry)
    for who in ("commerce_gc", "official_erqi", "liaison_a"):
        refused(services.entry_review_clear, ErrorCode.FORBIDDEN, actor=getattr(cast, who), entry=entry, note="ok")
    refused(services.entry_review_clear, ErrorCode.INVALID, actor=cast.industry_gc, entry=entry, note="")
    refused(
        services.entry_review_clear,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        entry=entry,
        note="ok",
        expected_version=entry.version - 1,
    )
    cleared = services.entry_review_clear(
        actor=cast.industry_gc, entry=entry, note="Checked the payroll.", expected_version=entry.version
    )
    assert (cleared.needs_review, cleared.review_reason, cleared.facts["headcount"]) == (False, "", 1200)
    event = Event.objects.for_object(cast.ent_a).get(action="whitelist.review_clear")
    assert event.changes["note"] == [None, "Checked the payroll."]
    refused(services.entry_review_clear, ErrorCode.CONFLICT, actor=cast.industry_gc, entry=cleared, note="again")


def test_a_registry_import_flags_changed_firms_too(cast, criteria):
    from sibao.enterprises.services import enterprise_import
    from sibao.enterprises.tests.files import csv_file, row

    entry = admitted(cast)
    e = cast.ent_a
    batch = enterprise_import(
        actor=cast.industry_gc,
        upload=csv_file([row(credit_code=e.credit_code, name=e.name, region=e.region_id, headcount="900")]),
    )
    assert batch.updated == 1, batch.errors
    assert fresh(entry).needs_review is True


# --- chain protection and parks ---------------------------------------------------------------------------------


def supplier_of(enterprise, partner, *, key=True, direction=LinkDirection.SUPPLIER):
    return SupplyLink.objects.create(
        enterprise=enterprise,
        direction=direction,
        partner_name=partner.name,
        partner_credit_code=partner.credit_code,
        partner=partner,
        partner_region_id=partner.region_id,
        is_key=key,
    )


def test_key_suppliers_not_yet_listed_are_proposed_and_told(cast, criteria):
    supplier = make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="关键供应商")
    minor = make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="普通供应商")
    customer = make_enterprise(region=GUANCHENG_STREET_2, sector="commerce", name="下游客户")
    listed = make_enterprise(region=GUANCHENG_STREET_2, sector="industry", name="已入名单供应商")
    supplier_liaison = make_user("liaison_supplier", enterprise=supplier)
    supplier_of(cast.ent_a, supplier)
    supplier_of(cast.ent_a, minor, key=False)
    supplier_of(cast.ent_a, customer, direction=LinkDirection.CUSTOMER)
    supplier_of(cast.ent_a, listed)
    services.entry_admit_directly(actor=cast.industry_gc, enterprise=listed, reason="r", effective_date=DAY)
    Notification.objects.all().delete()
    with translation.override("en"):
        entry = admitted(cast)
    proposals = chain_proposals(entry)
    assert [(p.partner, p.has_pending_application) for p in proposals] == [(supplier, False)]
    told = {n.recipient.username: n.subject for n in Notification.objects.filter(object_id=str(supplier.pk))}
    assert set(told) == {"industry_gc", "dispatcher_gc", "liaison_supplier"}
    assert told["liaison_supplier"] == "Chain protection: 关键供应商 supplies a whitelisted firm"
    # The supplier applies: the proposal shows it, and the application says which admission it came with.
    application = services.application_submit(actor=supplier_liaison, enterprise=supplier, documents=[plan()])
    assert [p.has_pending_application for p in chain_proposals(entry)] == [True]
    assert application.proposed_by_chain == entry.application


def test_a_whitelisted_park_covers_the_firms_registered_in_it(cast, criteria):
    park = make_enterprise(region=GUANCHENG_STREET, kind="park", name="金岱产业集聚区")
    cast.ent_a.park = park
    cast.ent_a.save()
    assert covered_by_park(cast.ent_a) is None and not is_whitelisted(cast.ent_a)
    park_entry = services.entry_admit_directly(
        actor=cast.industry_gc, enterprise=park, reason="园区整体纳入", effective_date=DAY
    )
    assert covered_by_park(cast.ent_a) == park_entry
    assert is_whitelisted(cast.ent_a) and is_whitelisted(park)
    assert not is_whitelisted(cast.ent_b)
    refused(
        services.entry_admit_directly,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        reason="r",
        effective_date=DAY,
    )
    Entry.objects.filter(pk=park_entry.pk).update(status=EntryStatus.SUSPENDED)
    assert covered_by_park(cast.ent_a) is None  # only an active park covers its firms


# --- review queue and history -----------------------------------------------------------------------------------


def test_review_queue_shows_city_operation_support_first_then_the_oldest(cast, criteria, clock):  # noqa: F811 (the fixture)
    criteria_published(cast.commerce_gc, sector="commerce", automatic=[HEADCOUNT_RULE], judged=[PLAN_POINT])
    older = services.application_submit(actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()])
    clock.shift(dt.timedelta(hours=1))
    urgent_firm = make_enterprise(region=GUANCHENG_STREET_2, city_operation_support=True)
    urgent = services.application_submit(actor=cast.industry_gc, enterprise=urgent_firm, documents=[plan()])
    clock.shift(dt.timedelta(hours=1))
    newer_firm = make_enterprise(region=GUANCHENG_STREET)
    newer = services.application_submit(actor=cast.industry_gc, enterprise=newer_firm, documents=[plan()])
    commerce = services.application_submit(actor=cast.liaison_b, enterprise=cast.ent_b, documents=[plan()])
    services.application_withdraw(actor=cast.industry_gc, application=newer)
    assert list(review_queue(cast.industry_gc)) == [urgent, older]
    assert list(review_queue(cast.dispatcher_gc)) == [urgent, older, commerce]
    assert list(review_queue(cast.commerce_gc)) == [commerce]
    for outsider in ("official_erqi", "street_gc", "liaison_a", "auditor_gc", "dispatcher_jz"):
        assert list(review_queue(getattr(cast, outsider))) == []


def test_history_lists_every_move_newest_first_for_those_who_see_it(cast, criteria):
    entry = admitted(cast)
    services.entries_expire(on=YEAR_LATER + dt.timedelta(days=1))
    rows = list(enterprise_history(cast.ent_a, cast.liaison_a))
    assert [r.action for r in rows] == ["expire", "admit", "approve", "submit"]
    assert rows[0].entry == entry and rows[-1].application is not None
    assert list(enterprise_history(cast.ent_a, cast.official_erqi)) == []
    assert list(enterprise_history(cast.ent_a, cast.liaison_b)) == []
    assert len(enterprise_history(cast.ent_a)) == 4


def test_results_are_explained_in_the_readers_language(cast, criteria):
    with translation.override("zh-hans"):
        application = services.application_submit(actor=cast.liaison_a, enterprise=cast.ent_a, documents=[plan()])
    stored = application.results.get(criterion__title=HEADCOUNT_RULE["title"])
    assert stored.explanation == "员工人数 300 ≥ 100 ✓"
    with translation.override("en"):
        explained = results_explained(application)
    assert [(e.result.outcome, e.explanation) for e in explained] == [
        (Outcome.PASSED, "Headcount 300 ≥ 100 ✓"),
        (Outcome.PENDING, ""),
    ]
    assert fresh(application).status == ApplicationStatus.SUBMITTED
