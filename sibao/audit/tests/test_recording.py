"""What an event records, and that it is written in the same transaction as the change."""

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction

from sibao.accounts import services as account_services
from sibao.audit import services as audit_services
from sibao.audit.models import Event
from sibao.core.errors import ServiceError
from sibao.enterprises import services as enterprise_services
from sibao.enterprises.models import Enterprise
from sibao.testing import PASSWORD

AT = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def api_patch(client, enterprise, **fields):
    return client.patch(
        f"/api/v1/enterprises/{enterprise.pk}/", fields, content_type="application/json", REMOTE_ADDR="10.1.2.3"
    )


def test_an_event_records_who_what_which_how_when_and_from_where(cast, login):
    client = login(cast.dispatcher_gc)
    with time_machine.travel(AT, tick=False):
        response = api_patch(client, cast.ent_a, headcount="450", contact_phone="13800000001")
    assert response.status_code == 200, response.content
    event = Event.objects.get(action="enterprise.update")
    assert event.actor == cast.dispatcher_gc
    assert event.actor_label == "dispatcher_gc"
    assert (event.object_type, event.object_id, event.object_repr) == (
        "enterprises.enterprise",
        str(cast.ent_a.pk),
        cast.ent_a.name,
    )
    assert event.changes == {"headcount": [300, 450], "contact_phone": ["", "13800000001"]}
    assert event.at == AT
    assert event.ip == "10.1.2.3"
    assert len(event.request_id) == 16
    assert event.region_code == cast.ent_a.region_id


def test_each_request_has_its_own_request_id(cast, login):
    client = login(cast.dispatcher_gc)
    api_patch(client, cast.ent_a, headcount="401")
    api_patch(client, cast.ent_a, headcount="402")
    ids = list(Event.objects.values_list("request_id", flat=True))
    assert len(ids) == 2 and len(set(ids)) == 2


def test_the_forwarded_address_is_ignored_unless_trusted(cast, login, settings):
    client = login(cast.dispatcher_gc)
    client.patch(
        f"/api/v1/enterprises/{cast.ent_a.pk}/",
        {"headcount": "401"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="6.6.6.6",
    )
    assert Event.objects.get().ip == "10.0.0.9"

    settings.SIBAO_TRUST_X_FORWARDED_FOR = True
    client.patch(
        f"/api/v1/enterprises/{cast.ent_a.pk}/",
        {"headcount": "402"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
        # What the client sent, then what the trusted proxy appended.
        HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7",
    )
    assert Event.objects.first().ip == "203.0.113.7"

    client.patch(
        f"/api/v1/enterprises/{cast.ent_a.pk}/",
        {"headcount": "403"},
        content_type="application/json",
        REMOTE_ADDR="10.0.0.9",
        HTTP_X_FORWARDED_FOR="not-an-address",
    )
    latest = Event.objects.first()
    assert latest.changes == {"headcount": [402, 403]}
    assert latest.ip is None


def test_outside_a_request_no_address_is_recorded(cast):
    enterprise_services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "500"})
    event = Event.objects.get()
    assert event.ip is None and event.request_id == ""


def test_an_event_of_the_system_has_no_actor(cast):
    event = audit_services.event_record(actor=None, action="system.purge", obj=cast.ent_a)
    assert event.actor is None and event.actor_label == "system"


def test_account_events_belong_to_the_users_region(cast, login):
    client = login(cast.liaison_a)
    new = "Another-pass-2026"
    client.post("/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    event = Event.objects.get(action="account.password_change")
    assert event.region_code == cast.ent_a.region_id


def test_snapshot_and_diff():
    assert audit_services.diff({"a": 1, "b": "x"}, {"a": 1, "b": "y", "c": None}) == {"b": ["x", "y"]}
    assert audit_services.diff({}, {"a": 1}) == {"a": [None, 1]}


# --- one transaction ---------------------------------------------------------------------------------


class Boom(Exception):
    pass


def _state(enterprise):
    return (
        Enterprise.objects.filter(pk=enterprise.pk).values().get(),
        Event.objects.count(),
    )


@pytest.mark.django_db(transaction=True)
def test_events_are_written_inside_the_changes_transaction(monkeypatch, cast):
    seen = []
    real = audit_services.event_record

    def watching(**kwargs):
        seen.append(connection.in_atomic_block)
        return real(**kwargs)

    monkeypatch.setattr(enterprise_services, "event_record", watching)
    monkeypatch.setattr(account_services, "event_record", watching)
    enterprise_services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "501"})
    account_services.password_changed(actor=cast.liaison_a)
    assert seen == [True, True]


@pytest.mark.django_db(transaction=True)
def test_when_the_event_cannot_be_written_the_change_is_undone(monkeypatch, cast):
    before = _state(cast.ent_a)

    def failing(**kwargs):
        raise Boom

    monkeypatch.setattr(enterprise_services, "event_record", failing)
    with pytest.raises(Boom):
        enterprise_services.enterprise_update(
            actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "777", "name": "改名有限公司"}
        )
    assert _state(cast.ent_a) == before


@pytest.mark.django_db(transaction=True)
def test_when_the_service_fails_after_the_event_neither_is_kept(monkeypatch, cast):
    before = _state(cast.ent_a)
    real = audit_services.event_record

    def record_then_fail(**kwargs):
        real(**kwargs)
        assert Event.objects.count() == before[1] + 1
        raise Boom

    monkeypatch.setattr(enterprise_services, "event_record", record_then_fail)
    with pytest.raises(Boom):
        enterprise_services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "7"})
    assert _state(cast.ent_a) == before

    user_before = cast.street_gc.__class__.objects.filter(pk=cast.street_gc.pk).values().get()
    monkeypatch.setattr(account_services, "event_record", record_then_fail)
    with pytest.raises(Boom):
        account_services.user_set_active(actor=cast.admin_gc, user=cast.street_gc, active=False)
    assert cast.street_gc.__class__.objects.filter(pk=cast.street_gc.pk).values().get() == user_before
    assert Event.objects.count() == before[1]


@pytest.mark.django_db(transaction=True)
def test_a_password_change_whose_event_fails_is_undone(monkeypatch, cast, login):
    def failing(**kwargs):
        raise Boom

    monkeypatch.setattr(account_services, "event_record", failing)
    client = login(cast.liaison_a)
    client.raise_request_exception = False
    new = "Another-pass-2026"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 500
    cast.liaison_a.refresh_from_db()
    assert cast.liaison_a.check_password(PASSWORD)
    assert not Event.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_request_leaves_neither_change_nor_event(monkeypatch, cast, login):
    before = _state(cast.ent_a)

    def failing(**kwargs):
        raise Boom

    monkeypatch.setattr(enterprise_services, "event_record", failing)
    client = login(cast.dispatcher_gc)
    client.raise_request_exception = False
    response = api_patch(client, cast.ent_a, headcount="888")
    assert response.status_code == 500
    assert _state(cast.ent_a) == before


@pytest.mark.django_db(transaction=True)
def test_a_refused_change_records_nothing(cast):
    before = _state(cast.ent_a)
    with pytest.raises(ServiceError):
        enterprise_services.enterprise_update(actor=cast.official_erqi, enterprise=cast.ent_a, data={"headcount": "9"})
    with pytest.raises(ServiceError), transaction.atomic():
        enterprise_services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "-1"})
    assert _state(cast.ent_a) == before
