"""Alerts raised by the compliance refresh: once per cause, again only after a resolution; who hears of them;
acknowledging and resolving through the pages, by those allowed, refused for the others with nothing changed."""

import datetime as dt

import pytest
from django.urls import reverse

from sibao.audit.models import Event
from sibao.core.errors import ServiceError
from sibao.core.models import Notification
from sibao.prevention.models import Alert, AlertCause, AlertStatus
from sibao.prevention.services.alerts import alert_acknowledge, alert_resolve
from sibao.prevention.services.compliance import compliance_refresh
from sibao.prevention.tests.compliance_builders import (
    clock,  # noqa: F401 (fixture)
    english_pages,  # noqa: F401 (fixture)
    mixed_roster,
    person,
    state,
)
from sibao.regions.models import Parameter
from sibao.testing import GUANCHENG

pytestmark = pytest.mark.usefixtures("english_pages", "clock")


@pytest.fixture
def roster(cast):
    return mixed_roster(cast.ent_a)


def low(enterprise):
    return Alert.objects.filter(enterprise=enterprise, cause=AlertCause.LOW_COMPLIANCE)


def test_low_compliance_raises_one_alert_however_often_it_is_computed(cast, roster):
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    compliance_refresh(enterprise_ids=[cast.ent_a.pk])
    compliance_refresh()
    alert = low(cast.ent_a).get()
    assert (alert.subject, alert.status, alert.staff_id) == ("", AlertStatus.OPEN, None)
    assert "2 of 7 staff" in alert.detail


def test_a_resolved_cause_that_recurs_raises_a_new_alert(cast, roster):
    compliance_refresh()
    first = low(cast.ent_a).get()
    alert_resolve(actor=cast.prevention_gc, alert=first, note="全员已补采")
    compliance_refresh()
    assert low(cast.ent_a).count() == 2
    assert low(cast.ent_a).exclude(pk=first.pk).get().status == AlertStatus.OPEN
    first.refresh_from_db()
    assert first.status == AlertStatus.RESOLVED and first.resolve_note == "全员已补采"  # kept as it was


def test_compliance_above_the_threshold_raises_nothing(cast):
    for _ in range(9):
        person(cast.ent_b, hours_ago=1)
    person(cast.ent_b)  # 9 of 10 within: at the default threshold of 90%, not below
    compliance_refresh()
    assert not low(cast.ent_b).exists()
    Parameter.objects.create(
        region_id=GUANCHENG, key="prevention.compliance_threshold", value=0.95, effective_from=dt.date(2026, 1, 1)
    )
    compliance_refresh()
    assert low(cast.ent_b).count() == 1


def test_an_overdue_static_period_raises_an_alert_about_that_person(cast, roster):
    compliance_refresh()
    alerts = Alert.objects.filter(cause=AlertCause.STATIC_OVERDUE)
    assert [(a.staff_id, a.subject) for a in alerts] == [(roster["static_over"].pk, str(roster["static_over"].pk))]
    compliance_refresh()
    assert alerts.count() == 1


def test_a_negative_test_since_starting_ends_the_static_period_quietly(cast):
    started = dt.date(2026, 5, 1)
    person(cast.ent_b, started=started, hours_ago=20)  # tested on 3 May, after starting
    compliance_refresh()
    assert not Alert.objects.filter(cause=AlertCause.STATIC_OVERDUE).exists()


def test_alerts_reach_the_liaison_the_local_unit_and_the_prevention_hq(cast, roster):
    compliance_refresh()
    alert = low(cast.ent_a).get()
    told = set(
        Notification.objects.filter(object_type="prevention.alert", object_id=str(alert.pk)).values_list(
            "recipient__username", flat=True
        )
    )
    assert {"liaison_a", "street_gc", "prevention_gc"} <= told
    assert not told & {"prevention_erqi", "dispatcher_gc", "industry_gc", "liaison_b"}


# --- handling ----------------------------------------------------------------------------------------------


@pytest.fixture
def alert(cast, roster):
    compliance_refresh()
    return low(cast.ent_a).get()


@pytest.mark.parametrize("who", ["prevention_gc", "street_gc", "liaison_a"])
def test_allowed_people_acknowledge_then_resolve_on_the_page(cast, alert, login, who):
    client = login(getattr(cast, who))
    page = reverse("prevention:alert_detail", args=[alert.pk])
    response = client.post(page, {"move": "acknowledge", "acknowledge-note": "已派人核查"})
    assert response.status_code == 302
    response = client.post(page, {"move": "resolve", "resolve-note": ""})
    assert response.status_code == 200 and b"Say how the alert was resolved" in response.content
    response = client.post(page, {"move": "resolve", "resolve-note": "已补采核酸"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.RESOLVED
    assert (alert.acknowledged_by.username, alert.acknowledge_note) == (who, "已派人核查")
    assert (alert.resolved_by.username, alert.resolve_note) == (who, "已补采核酸")
    assert Event.objects.filter(action__in=["alert.acknowledge", "alert.resolve"]).count() == 2
    shown = client.get(page).content.decode()
    assert "已派人核查" in shown and "已补采核酸" in shown and "Acknowledged" in shown


@pytest.mark.parametrize("who", ["dispatcher_gc", "industry_gc", "prevention_erqi", "liaison_b", "official_erqi"])
def test_others_cannot_see_or_handle_an_alert(cast, alert, login, who):
    before = state()
    client = login(getattr(cast, who))
    page = reverse("prevention:alert_detail", args=[alert.pk])
    assert client.get(page).status_code == 404
    assert client.post(page, {"move": "resolve", "resolve-note": "x"}).status_code == 404
    with pytest.raises(ServiceError):
        alert_acknowledge(actor=getattr(cast, who), alert=alert, note="x")
    assert state() == before
    listed = client.get(reverse("prevention:alert_list"))
    assert listed.status_code == 200 and cast.ent_a.name not in listed.content.decode()


def test_a_resolved_alert_cannot_move_again(cast, alert):
    alert_resolve(actor=cast.prevention_gc, alert=alert, note="done")
    before = state()
    with pytest.raises(ServiceError) as refused:
        alert_acknowledge(actor=cast.prevention_gc, alert=alert, note="late")
    assert refused.value.code == "conflict"
    assert state() == before


def test_the_alert_list_filters_by_status_and_cause(cast, alert, login):
    client = login(cast.prevention_gc)
    listing = reverse("prevention:alert_list")
    assert b"Test compliance below threshold" in client.get(listing, {"status": "open"}).content
    page = client.get(listing, {"status": "resolved"}).content.decode()
    assert "No alert." in page
    page = client.get(listing, {"cause": AlertCause.RED_CODE}).content.decode()
    assert "No alert." in page


def test_each_firm_is_judged_by_its_own_static_period(cast):
    """Refreshing everybody, the largest group's scan sees Jiaozuo's staff too; Jiaozuo's 7 days still apply."""
    Parameter.objects.create(
        region_id="410800", key="prevention.static_period_days", value=7, effective_from=dt.date(2026, 1, 1)
    )
    started = dt.date(2026, 4, 30)  # 4 days ago: over in Guancheng (3 days), not in Jiaozuo (7)
    in_jiaozuo = person(cast.ent_jz, started=started)
    in_guancheng = person(cast.ent_a, started=started)
    for _ in range(2):
        person(cast.ent_a, hours_ago=1)
    compliance_refresh()
    alerted = set(Alert.objects.filter(cause=AlertCause.STATIC_OVERDUE).values_list("staff_id", flat=True))
    assert alerted == {in_guancheng.pk}
    assert in_jiaozuo.pk not in alerted
