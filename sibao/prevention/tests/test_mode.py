"""The mode switch (平急转换): a switch to emergency and back, who may switch, the preview's figures, closed loop."""

import pytest

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.models import Notification
from sibao.prevention import selectors
from sibao.prevention.closed_loop import closed_loop_ids, emergency_regions, in_closed_loop
from sibao.prevention.models import ModeSwitch
from sibao.prevention.rules import Gap
from sibao.prevention.services.mode import mode_switch_apply, mode_switch_preview
from sibao.prevention.tests.mode_builders import (
    State,
    admit,
    clock,  # noqa: F401 (fixture)
    modes_under,
    staff,
    told,
)
from sibao.regions.models import Mode, Parameter, Region
from sibao.testing import ERQI, GUANCHENG, GUANCHENG_STREET, GUANCHENG_STREET_2, make_enterprise, make_user

pytestmark = pytest.mark.usefixtures("clock")


def region(code: str) -> Region:
    return Region.objects.get(code=code)


def fresh(enterprise):
    return type(enterprise).objects.select_related("region").get(pk=enterprise.pk)


@pytest.fixture
def whitelisted(cast):
    """ent_a whitelisted (with staff), ent_b not (with staff too)."""
    admit(cast.dispatcher_gc, cast.ent_a)
    staff(cast.ent_a, general=3, mobile=2, left=1)
    staff(cast.ent_b, general=4)
    return cast


def switch(actor, code: str = GUANCHENG, to_mode: str = Mode.EMERGENCY, reason: str = "本土疫情，全区转入应急状态"):
    return mode_switch_apply(actor=actor, region=region(code), to_mode=to_mode, reason=reason)


def refused(code: ErrorCode, call, *args, **kwargs) -> ServiceError:
    before = State.now()
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert State.now() == before
    return caught.value


# --- a switch to emergency and back --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["prevention_gc", "dispatcher_gc"])
def test_a_district_switches_to_emergency_and_back(whitelisted, who):
    cast = whitelisted
    actor = getattr(cast, who)

    first = switch(actor, reason="管城区出现本土病例")
    assert modes_under(GUANCHENG) == {Mode.EMERGENCY}
    assert modes_under(ERQI) == {Mode.NORMAL}
    assert region(GUANCHENG_STREET).mode_changed_at == first.at
    assert (first.region_id, first.to_mode, first.actor, first.reason) == (
        GUANCHENG,
        Mode.EMERGENCY,
        actor,
        "管城区出现本土病例",
    )
    assert (first.firms, first.staff, first.regions) == (1, 5, Region.objects.filter(code__startswith="410104").count())
    assert in_closed_loop(fresh(cast.ent_a)) and not in_closed_loop(fresh(cast.ent_b))
    event = Event.objects.get(action="prevention.mode_switch")
    assert event.actor == actor and event.region_code == GUANCHENG
    assert event.changes["mode"] == [Mode.NORMAL, Mode.EMERGENCY]

    # The whitelisted firm's liaison, the local unit and the prevention HQ covering it are told; nobody else.
    assert len(told(cast.liaison_a)) == 1 and "Emergency mode in" in told(cast.liaison_a)[0]
    assert told(cast.liaison_b) == [] and told(cast.liaison_jz) == []
    assert len(told(cast.street_gc)) == 1 and len(told(cast.prevention_gc)) == 1
    assert told(cast.prevention_erqi) == [] and told(cast.industry_gc) == []

    back = switch(actor, to_mode=Mode.NORMAL, reason="风险区解封，恢复常态")
    assert modes_under(GUANCHENG) == {Mode.NORMAL}
    assert not in_closed_loop(fresh(cast.ent_a))
    history = list(ModeSwitch.objects.values_list("to_mode", "reason"))
    assert history == [(Mode.NORMAL, "风险区解封，恢复常态"), (Mode.EMERGENCY, "管城区出现本土病例")]
    assert back.regions == first.regions
    assert len(told(cast.liaison_a)) == 2 and "Normal mode restored" in told(cast.liaison_a)[1]
    assert told(cast.liaison_b) == []


def test_a_street_switch_leaves_the_rest_of_the_district(whitelisted):
    cast = whitelisted
    admit(cast.dispatcher_gc, cast.ent_b)
    switch(cast.prevention_gc, GUANCHENG_STREET)
    assert modes_under(GUANCHENG_STREET) == {Mode.EMERGENCY}
    assert region(GUANCHENG).mode == Mode.NORMAL and region(GUANCHENG_STREET_2).mode == Mode.NORMAL
    assert in_closed_loop(fresh(cast.ent_a)) and not in_closed_loop(fresh(cast.ent_b))
    assert told(cast.liaison_b) == []
    # The district above it may still switch: some of its regions are not in emergency yet.
    switch(cast.prevention_gc)
    assert in_closed_loop(fresh(cast.ent_b))


def test_a_firm_admitted_during_the_emergency_is_in_closed_loop_at_once(whitelisted):
    cast = whitelisted
    switch(cast.prevention_gc)
    assert not in_closed_loop(fresh(cast.ent_b))
    admit(cast.dispatcher_gc, cast.ent_b)
    assert in_closed_loop(fresh(cast.ent_b))
    switch(cast.prevention_gc, to_mode=Mode.NORMAL)
    assert not in_closed_loop(fresh(cast.ent_b))


def test_a_park_member_is_in_closed_loop_through_its_whitelisted_park(cast):
    park = make_enterprise(region=GUANCHENG_STREET, kind="park", name="管城园区")
    member = make_enterprise(region=GUANCHENG_STREET, park=park)
    admit(cast.dispatcher_gc, park)
    switch(cast.prevention_gc)
    assert in_closed_loop(fresh(member)) and not in_closed_loop(fresh(cast.ent_a))


def test_closed_loop_ids_for_a_page_costs_one_query_at_most(whitelisted, django_assert_num_queries):
    cast = whitelisted
    firms = [fresh(cast.ent_a), fresh(cast.ent_b), fresh(cast.ent_jz)]
    with django_assert_num_queries(0):
        assert closed_loop_ids(firms) == set()
    switch(cast.prevention_gc)
    firms = [fresh(cast.ent_a), fresh(cast.ent_b), fresh(cast.ent_jz)]
    with django_assert_num_queries(1):
        assert closed_loop_ids(firms) == {cast.ent_a.pk}


def test_the_emergency_regions_of_a_user_are_the_tops_of_switched_subtrees(whitelisted):
    cast = whitelisted
    switch(cast.prevention_gc, GUANCHENG_STREET)
    assert [r.code for r in emergency_regions(cast.prevention_gc)] == [GUANCHENG_STREET]
    assert [r.code for r in emergency_regions(cast.liaison_a)] == [GUANCHENG_STREET]
    assert emergency_regions(cast.liaison_b) == [] and emergency_regions(cast.prevention_erqi) == []
    switch(cast.prevention_gc)
    assert [r.code for r in emergency_regions(cast.street_gc)] == [GUANCHENG]


# --- refusals --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["industry_gc", "street_gc", "auditor_gc", "liaison_a", "admin_gc", "checkpoint"])
def test_other_roles_may_not_switch(whitelisted, who):
    actor = getattr(whitelisted, who)
    refused(ErrorCode.FORBIDDEN, switch, actor)
    refused(ErrorCode.FORBIDDEN, mode_switch_preview, actor=actor, region=region(GUANCHENG), to_mode=Mode.EMERGENCY)


def test_an_official_of_another_district_may_not_switch_this_one(whitelisted):
    refused(ErrorCode.FORBIDDEN, switch, whitelisted.prevention_erqi)
    refused(ErrorCode.FORBIDDEN, switch, whitelisted.official_erqi)
    refused(ErrorCode.FORBIDDEN, switch, whitelisted.dispatcher_jz)
    # ... nor the city above it, though its own district lies inside.
    refused(ErrorCode.FORBIDDEN, switch, whitelisted.prevention_gc, "410100")


def test_a_switch_needs_a_reason_and_a_known_mode(whitelisted):
    error = refused(ErrorCode.INVALID, switch, whitelisted.prevention_gc, reason="  ")
    assert "reason" in error.fields
    error = refused(ErrorCode.INVALID, switch, whitelisted.prevention_gc, to_mode="lockdown")
    assert "to_mode" in error.fields


def test_a_switch_to_the_mode_the_subtree_has_is_refused(whitelisted):
    refused(ErrorCode.CONFLICT, switch, whitelisted.prevention_gc, to_mode=Mode.NORMAL)
    switch(whitelisted.prevention_gc)
    refused(ErrorCode.CONFLICT, switch, whitelisted.dispatcher_gc)
    refused(ErrorCode.CONFLICT, switch, whitelisted.dispatcher_gc, GUANCHENG_STREET)


def test_an_inactive_official_is_not_told(whitelisted):
    cast = whitelisted
    cast.street_gc.is_active = False
    cast.street_gc.save()
    switch(cast.prevention_gc)
    assert told(cast.street_gc) == []


# --- the preview -------------------------------------------------------------------------------------------------


def test_the_preview_counts_whitelisted_firms_active_staff_and_tests_at_their_cycles(whitelisted):
    cast = whitelisted
    other = make_enterprise(region=GUANCHENG_STREET_2)
    admit(cast.dispatcher_gc, other)
    staff(other, general=2, mobile=3)
    # The second street tests every 24 h (general) and 12 h (mobile posts).
    Parameter.objects.create(
        region_id=GUANCHENG_STREET_2,
        key="prevention.test_cycle_hours",
        value={"general": 24, "mobile": 12},
        effective_from="2026-01-01",
    )
    before = State.now()
    preview = mode_switch_preview(actor=cast.prevention_gc, region=region(GUANCHENG), to_mode=Mode.EMERGENCY)
    assert State.now() == before
    assert (preview.firms, preview.general, preview.mobile, preview.staff) == (2, 5, 5, 10)
    # ent_a at 48 h / 24 h: 3 * 24/48 + 2 * 24/24 = 3.5 -> 4; the other at 24 h / 12 h: 2 * 1 + 3 * 2 = 8.
    assert preview.tests_per_day == 12
    by_code = {a.code: a for a in preview.areas}
    assert (by_code[GUANCHENG_STREET].firms, by_code[GUANCHENG_STREET].tests_per_day) == (1, 4)
    assert (by_code[GUANCHENG_STREET_2].firms, by_code[GUANCHENG_STREET_2].staff) == (1, 5)
    assert preview.regions == preview.changing == Region.objects.filter(code__startswith="410104").count()
    # A street only: its own firm.
    street = mode_switch_preview(actor=cast.dispatcher_gc, region=region(GUANCHENG_STREET_2), to_mode=Mode.EMERGENCY)
    assert (street.firms, street.staff, street.tests_per_day, street.regions) == (1, 5, 8, 1)


def test_the_preview_lists_firms_not_ready_with_their_gaps_and_the_switch_keeps_the_count(whitelisted, monkeypatch):
    cast = whitelisted
    gaps = [Gap("lodging", "No lodging named"), Gap("lead", "No prevention lead with a phone number")]
    asked = []

    def readiness(ids):
        asked.append(sorted(ids))
        return {cast.ent_a.pk: gaps}

    monkeypatch.setattr(selectors, "readiness_by_enterprise", readiness)
    preview = mode_switch_preview(actor=cast.prevention_gc, region=region(GUANCHENG), to_mode=Mode.EMERGENCY)
    assert asked == [[cast.ent_a.pk]]  # the whitelisted firms only, in one call
    assert [(f.enterprise_id, f.name, f.gaps) for f in preview.not_ready] == [(cast.ent_a.pk, cast.ent_a.name, gaps)]
    assert switch(cast.prevention_gc).not_ready == 1


def test_the_preview_of_a_city_takes_a_fixed_number_of_queries(whitelisted, django_assert_max_num_queries):
    cast = whitelisted
    for _n in range(5):
        firm = make_enterprise(region=GUANCHENG_STREET_2)
        admit(cast.dispatcher_gc, firm)
        staff(firm, general=2, mobile=1)
    city = make_user("prevention_zz", role="prevention_official", region="410100")
    zhengzhou = region("410100")
    # Six of the preview's own, the rest the readiness selector's (a few, whatever the number of firms).
    with django_assert_max_num_queries(12):
        preview = mode_switch_preview(actor=city, region=zhengzhou, to_mode=Mode.EMERGENCY)
    assert preview.firms == 6 and preview.staff == 20


def test_notifications_of_a_switch_are_a_fixed_number_of_queries(whitelisted, django_assert_max_num_queries):
    cast = whitelisted
    for _n in range(5):
        firm = make_enterprise(region=GUANCHENG_STREET_2)
        admit(cast.dispatcher_gc, firm)
        make_user(f"liaison_{firm.pk}", enterprise=firm)
    with django_assert_max_num_queries(25):
        switch(cast.prevention_gc)
    assert Notification.objects.filter(recipient__enterprise__isnull=False).count() == 6
