"""Criteria through the services: drafts, versions, publication, immutability, and which set is in force."""

import datetime as dt

import pytest

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode
from sibao.testing import GUANCHENG, JIAOZUO
from sibao.whitelist import services
from sibao.whitelist.models import CriteriaStatus, CriterionKind, DocumentType
from sibao.whitelist.selectors import criteria_in_force
from sibao.whitelist.tests.builders import (
    DAY,
    HEADCOUNT_RULE,
    PLAN_POINT,
    clock,  # noqa: F401 (fixture)
    criteria_draft,
    criteria_published,
    fresh,
    media,  # noqa: F401 (fixture)
    refused,
)

pytestmark = pytest.mark.usefixtures("clock", "media")
ZHENGZHOU = "410100"


# --- drafts -----------------------------------------------------------------------------------------------


def test_a_sector_official_starts_numbered_drafts_for_its_jurisdiction(cast):
    first = services.criteria_set_create(
        actor=cast.industry_gc, region_code=GUANCHENG, sector="industry", title="工业企业遴选标准"
    )
    second = services.criteria_set_create(actor=cast.industry_gc, region_code=GUANCHENG, sector="industry", title="v2")
    other = services.criteria_set_create(actor=cast.commerce_gc, region_code=GUANCHENG, sector="commerce", title="c")
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.status == CriteriaStatus.DRAFT
    (event,) = Event.objects.for_object(first)
    assert event.action == "whitelist.criteria_create" and event.actor == cast.industry_gc
    assert event.region_code == GUANCHENG


def test_a_new_draft_can_copy_a_version(cast):
    published = criteria_published(cast.industry_gc)
    draft = services.criteria_set_create(
        actor=cast.industry_gc, region_code=GUANCHENG, sector="industry", title="v2", based_on=published
    )
    copied = [(c.title, c.kind, c.fact, c.operator, c.value, c.document_type) for c in draft.criteria.all()]
    original = [(c.title, c.kind, c.fact, c.operator, c.value, c.document_type) for c in published.criteria.all()]
    assert copied == original and len(copied) == 2


@pytest.mark.parametrize(
    ("who", "region", "sector"),
    [
        ("commerce_gc", GUANCHENG, "industry"),  # another sector's department
        ("industry_gc", ZHENGZHOU, "industry"),  # above its jurisdiction
        ("official_erqi", GUANCHENG, "industry"),  # another district
        ("dispatcher_jz", GUANCHENG, "industry"),  # another city
        ("street_gc", GUANCHENG, "industry"),  # a local unit does not set criteria
        ("auditor_gc", GUANCHENG, "industry"),
        ("admin_gc", GUANCHENG, "industry"),  # administers users, not the whitelist
        ("liaison_a", GUANCHENG, "industry"),
        ("liaison_a", "999999", "industry"),  # no reviewer anywhere: refused before the input is looked at
    ],
)
def test_only_reviewers_of_the_jurisdiction_and_sector_draft_criteria(cast, who, region, sector):
    refused(
        services.criteria_set_create,
        ErrorCode.FORBIDDEN,
        actor=getattr(cast, who),
        region_code=region,
        sector=sector,
        title="x",
    )


def test_dispatch_office_drafts_for_any_sector_of_its_district(cast):
    draft = services.criteria_set_create(actor=cast.dispatcher_gc, region_code=GUANCHENG, sector="transport", title="t")
    assert draft.sector == "transport"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"region_code": "999999"}, "region"),
        ({"sector": "mining"}, "sector"),
        ({"title": "  "}, "title"),
    ],
)
def test_draft_input_is_checked(cast, values, field):
    data = {"region_code": GUANCHENG, "sector": "industry", "title": "ok", **values}
    error = refused(services.criteria_set_create, ErrorCode.INVALID, actor=cast.dispatcher_gc, **data)
    assert field in error.fields


def test_copying_from_another_jurisdiction_is_refused(cast):
    jiaozuo = criteria_published(cast.dispatcher_jz, region=JIAOZUO)
    error = refused(
        services.criteria_set_create,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        region_code=GUANCHENG,
        sector="industry",
        title="x",
        based_on=jiaozuo,
    )
    assert "based_on" in error.fields


# --- criteria in a draft ------------------------------------------------------------------------------------


def test_criteria_are_added_and_removed_in_order_on_a_draft(cast):
    draft = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE], judged=[PLAN_POINT])
    rule, point = draft.criteria.all()
    assert (rule.order, rule.kind, rule.fact, rule.operator, rule.value) == (1, "automatic", "headcount", "gte", 100)
    assert (point.order, point.kind, point.document_type) == (2, "judged", DocumentType.PREVENTION_PLAN)
    added = Event.objects.for_object(draft).filter(action="whitelist.criterion_add").order_by("id").first()
    assert added.changes["rule"] == [None, "headcount gte 100"]
    services.criterion_remove(actor=cast.industry_gc, criterion=rule)
    assert list(draft.criteria.all()) == [point]
    assert Event.objects.for_object(draft).filter(action="whitelist.criterion_remove").count() == 1


def test_rule_values_are_stored_normalised(cast):
    draft = criteria_draft(cast.industry_gc)
    criterion = services.criterion_add(
        actor=cast.industry_gc,
        criteria_set=draft,
        title="Manufacturing",
        kind=CriterionKind.AUTOMATIC,
        fact="industry_section",
        operator="in",
        value="c, d",
    )
    assert criterion.value == ["C", "D"]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": CriterionKind.AUTOMATIC, "fact": "staff", "operator": "gte", "value": 1}, "fact"),
        ({"kind": CriterionKind.AUTOMATIC, "fact": "headcount", "operator": "like", "value": 1}, "operator"),
        ({"kind": CriterionKind.AUTOMATIC, "fact": "headcount", "operator": "gte", "value": "many"}, "value"),
        ({"kind": CriterionKind.AUTOMATIC, "fact": "region", "operator": "within", "value": ["419999"]}, "value"),
        (
            {"kind": CriterionKind.AUTOMATIC, "fact": "headcount", "operator": "gte", "value": 1, "document_type": "x"},
            "document_type",
        ),
        (
            {
                "kind": CriterionKind.AUTOMATIC,
                "fact": "headcount",
                "operator": "gte",
                "value": 1,
                "document_type": DocumentType.STAFF_LIST,
            },
            "document_type",
        ),
        ({"kind": CriterionKind.JUDGED, "fact": "headcount"}, "fact"),
        ({"kind": CriterionKind.JUDGED, "document_type": "selfie"}, "document_type"),
        ({"kind": "magic"}, "kind"),
        ({"kind": CriterionKind.JUDGED, "title": ""}, "title"),
    ],
)
def test_a_wrong_criterion_is_refused_with_its_field(cast, values, field):
    draft = criteria_draft(cast.industry_gc)
    error = refused(
        services.criterion_add,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        criteria_set=draft,
        **{"title": "t", **values},
    )
    assert field in error.fields, error.fields


def test_outsiders_cannot_edit_a_draft(cast):
    draft = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    for who in ("commerce_gc", "official_erqi", "liaison_a", "street_gc"):
        refused(
            services.criterion_add,
            ErrorCode.FORBIDDEN,
            actor=getattr(cast, who),
            criteria_set=draft,
            kind=CriterionKind.JUDGED,
            title="t",
        )
        refused(
            services.criterion_remove, ErrorCode.FORBIDDEN, actor=getattr(cast, who), criterion=draft.criteria.first()
        )


# --- publication ---------------------------------------------------------------------------------------------


def test_publishing_fixes_the_effective_date_and_the_publisher(cast):
    draft = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    published = services.criteria_set_publish(
        actor=cast.industry_gc, criteria_set=draft, effective_from=DAY + dt.timedelta(days=3)
    )
    stored = fresh(published)
    assert stored.status == CriteriaStatus.PUBLISHED
    assert stored.effective_from == DAY + dt.timedelta(days=3)
    assert stored.published_by == cast.industry_gc and stored.published_at is not None
    assert Event.objects.for_object(draft).filter(action="whitelist.criteria_publish").count() == 1


def test_published_criteria_are_immutable(cast):
    published = criteria_published(cast.industry_gc)
    criterion = published.criteria.first()
    refused(
        services.criterion_add,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        criteria_set=published,
        kind=CriterionKind.JUDGED,
        title="t",
    )
    refused(services.criterion_remove, ErrorCode.CONFLICT, actor=cast.industry_gc, criterion=criterion)
    refused(
        services.criteria_set_publish,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        criteria_set=published,
        effective_from=DAY,
    )


def test_publication_refusals(cast):
    empty = criteria_draft(cast.industry_gc)
    error = refused(
        services.criteria_set_publish, ErrorCode.INVALID, actor=cast.industry_gc, criteria_set=empty, effective_from=DAY
    )
    assert "criteria" in error.fields
    draft = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    error = refused(
        services.criteria_set_publish,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        criteria_set=draft,
        effective_from=DAY - dt.timedelta(days=1),
    )
    assert "effective_from" in error.fields
    for who in ("commerce_gc", "official_erqi", "street_gc", "liaison_a"):
        refused(
            services.criteria_set_publish,
            ErrorCode.FORBIDDEN,
            actor=getattr(cast, who),
            criteria_set=draft,
            effective_from=DAY,
        )


def test_a_new_version_retires_the_old_from_its_effective_date(cast):
    v1 = criteria_published(cast.industry_gc)
    later = DAY + dt.timedelta(days=10)
    v2 = criteria_published(cast.industry_gc, automatic=[{**HEADCOUNT_RULE, "value": 500}], effective_from=later)
    assert fresh(v1).status == CriteriaStatus.RETIRED
    retired = Event.objects.for_object(v1).get(action="whitelist.criteria_retire")
    assert retired.changes["retired_from"] == [None, later.isoformat()]
    # The old version still answers for the days before the new one takes effect.
    assert criteria_in_force("410104001", "industry", DAY) == v1
    assert criteria_in_force("410104001", "industry", later - dt.timedelta(days=1)) == v1
    assert criteria_in_force("410104001", "industry", later) == v2
    assert criteria_in_force("410104001", "industry", later + dt.timedelta(days=400)) == v2


def test_a_new_version_cannot_take_effect_before_the_one_in_force(cast):
    criteria_published(cast.industry_gc, effective_from=DAY + dt.timedelta(days=10))
    draft = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    error = refused(
        services.criteria_set_publish,
        ErrorCode.INVALID,
        actor=cast.industry_gc,
        criteria_set=draft,
        effective_from=DAY + dt.timedelta(days=5),
    )
    assert "effective_from" in error.fields


def test_an_older_draft_cannot_be_published_over_a_newer_version(cast):
    old_draft = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    criteria_published(cast.industry_gc)  # version 2
    refused(
        services.criteria_set_publish,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        criteria_set=old_draft,
        effective_from=DAY,
    )


# --- which criteria are in force ----------------------------------------------------------------------------------


def test_the_deepest_jurisdiction_with_criteria_in_force_wins(cast):
    from sibao.testing import make_user

    city_official = make_user("industry_zz", role="sector_official", region=ZHENGZHOU, sector="industry")
    city = criteria_published(city_official, region=ZHENGZHOU)
    district = criteria_published(cast.industry_gc, region=GUANCHENG)
    assert criteria_in_force("410104001", "industry", DAY) == district  # Guancheng street: the district's
    assert criteria_in_force("410103", "industry", DAY) == city  # Erqi has none of its own: the city's
    assert criteria_in_force("410802001", "industry", DAY) is None  # Jiaozuo: none
    assert criteria_in_force("410104001", "commerce", DAY) is None  # other sector: none


def test_drafts_and_future_versions_are_not_in_force(cast):
    criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    assert criteria_in_force("410104001", "industry", DAY) is None
    future = criteria_published(cast.industry_gc, effective_from=DAY + dt.timedelta(days=2))
    assert criteria_in_force("410104001", "industry", DAY) is None
    assert criteria_in_force("410104001", "industry", DAY + dt.timedelta(days=2)) == future


def test_criteria_in_force_defaults_to_today(cast, clock):  # noqa: F811 (the fixture)
    published = criteria_published(cast.industry_gc, effective_from=DAY + dt.timedelta(days=1))
    assert criteria_in_force("410104001", "industry") is None
    clock.shift(dt.timedelta(days=1))
    assert criteria_in_force("410104001", "industry") == published


def test_publishing_over_a_version_replaced_meanwhile_is_a_conflict(cast, monkeypatch):
    """Two drafts published at once: the second sees the version it replaces already retired."""
    v1 = criteria_published(cast.industry_gc)
    draft_a = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    draft_b = criteria_draft(cast.industry_gc, automatic=[HEADCOUNT_RULE])
    services.criteria_set_publish(actor=cast.industry_gc, criteria_set=draft_a, effective_from=DAY)
    monkeypatch.setattr(services, "criteria_latest_published", lambda region, sector: v1)  # read before a's commit
    refused(
        services.criteria_set_publish,
        ErrorCode.CONFLICT,
        actor=cast.industry_gc,
        criteria_set=draft_b,
        effective_from=DAY,
    )
