"""Signing in and out, changing the password, and the lockout after repeated failures."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token

from sibao.audit.models import Event
from sibao.testing import PASSWORD

LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"


def sign_in(client, username, password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra})


def signed_in_as(client):
    return client.session.get("_auth_user_id")


def test_urls():
    assert reverse("accounts:login") == LOGIN
    assert reverse("api-token") == TOKEN


def test_the_login_page(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_sign_in_with_the_password_alone(client, cast):
    response = sign_in(client, "dispatcher_gc")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_as(client) == str(cast.dispatcher_gc.pk)


def test_sign_in_goes_to_next_but_never_to_another_site(client, cast):
    assert sign_in(client, "liaison_a", next="/enterprises/")["Location"] == "/enterprises/"
    client.logout()
    assert sign_in(client, "liaison_a", next="https://evil.example/")["Location"] == reverse("home")


def test_a_wrong_password_is_refused(client, cast):
    response = sign_in(client, "dispatcher_gc", "wrong-password")
    assert response.status_code == 200
    assert signed_in_as(client) is None
    assert sign_in(client, "nobody").status_code == 200
    assert signed_in_as(client) is None


def test_an_inactive_user_cannot_sign_in(client, cast):
    cast.dispatcher_gc.is_active = False
    cast.dispatcher_gc.save()
    assert sign_in(client, "dispatcher_gc").status_code == 200
    assert signed_in_as(client) is None


def test_pages_need_a_signed_in_user(client, db):
    response = client.get("/enterprises/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN + "?next=/enterprises/")


def test_sign_out(client, cast):
    sign_in(client, "dispatcher_gc")
    assert client.get("/accounts/logout/").status_code == 405  # only POST signs out (no CSRF-able GET)
    assert signed_in_as(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert signed_in_as(client) is None
    assert client.get("/enterprises/").status_code == 302


def test_password_change_is_audited(client, cast):
    sign_in(client, "liaison_a")
    new = "Another-pass-2026"
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 302
    cast.liaison_a.refresh_from_db()
    assert cast.liaison_a.check_password(new)
    assert signed_in_as(client) == str(cast.liaison_a.pk)  # the session survives its own password change
    event = Event.objects.get(action="account.password_change")
    assert event.actor == cast.liaison_a
    assert event.object_type == "accounts.user" and event.object_id == str(cast.liaison_a.pk)
    assert event.ip == "127.0.0.1"
    assert event.changes == {}


def test_password_change_with_a_wrong_old_password_changes_nothing(client, cast):
    sign_in(client, "liaison_a")
    new = "Another-pass-2026"
    response = client.post(
        "/accounts/password/", {"old_password": "not-it", "new_password1": new, "new_password2": new}
    )
    assert response.status_code == 200
    cast.liaison_a.refresh_from_db()
    assert cast.liaison_a.check_password(PASSWORD)
    assert not Event.objects.filter(action="account.password_change").exists()


def test_password_change_needs_a_strong_password(client, cast):
    sign_in(client, "liaison_a")
    response = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password1": "12345678", "new_password2": "12345678"}
    )
    assert response.status_code == 200
    cast.liaison_a.refresh_from_db()
    assert cast.liaison_a.check_password(PASSWORD)


# --- lockout (django-axes) ---------------------------------------------------------------------------


def fail_until_locked(client, username):
    responses = [sign_in(client, username, "wrong-password") for _ in range(settings.AXES_FAILURE_LIMIT)]
    assert [r.status_code for r in responses[:-1]] == [200] * (settings.AXES_FAILURE_LIMIT - 1)
    return responses[-1]


def test_repeated_failures_lock_the_account_out(client, cast):
    locked = fail_until_locked(client, "dispatcher_gc")
    assert locked.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in locked.templates]

    # While locked, even the right password is refused.
    response = sign_in(client, "dispatcher_gc")
    assert response.status_code == 429
    assert signed_in_as(client) is None

    # Other people signing in from the same address are not locked out.
    assert sign_in(client, "liaison_a").status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, cast):
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as traveller:
        assert fail_until_locked(client, "dispatcher_gc").status_code == 429
        traveller.shift(dt.timedelta(hours=settings.AXES_COOLOFF_TIME) - dt.timedelta(minutes=1))
        assert sign_in(client, "dispatcher_gc").status_code == 429
        # An attempt while locked starts the cool-off again.
        traveller.shift(dt.timedelta(hours=settings.AXES_COOLOFF_TIME) + dt.timedelta(minutes=1))
        assert sign_in(client, "dispatcher_gc").status_code == 302


def test_a_successful_sign_in_resets_the_failure_count(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "dispatcher_gc", "wrong-password")
    assert sign_in(client, "dispatcher_gc").status_code == 302
    client.logout()
    assert sign_in(client, "dispatcher_gc", "wrong-password").status_code == 200
    assert sign_in(client, "dispatcher_gc").status_code == 302


def test_the_token_endpoint_gives_a_token_for_the_right_password(client, cast):
    response = client.post(TOKEN, {"username": "dispatcher_gc", "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert Token.objects.get(user=cast.dispatcher_gc).key == token
    listed = client.get("/api/v1/enterprises/", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200


def test_the_token_endpoint_refuses_a_wrong_password_in_the_error_shape(client, cast):
    response = client.post(TOKEN, {"username": "dispatcher_gc", "password": "wrong-password"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "not_authenticated"
    assert set(error) == {"code", "message", "fields"}
    assert not Token.objects.exists()


def test_token_endpoint_failures_count_towards_the_lockout(client, cast):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(TOKEN, {"username": "dispatcher_gc", "password": "wrong"}).status_code == 401
    locked = client.post(TOKEN, {"username": "dispatcher_gc", "password": "wrong"})
    assert locked.status_code == 429
    assert locked["Content-Type"].startswith("application/json")
    error = locked.json()["error"]
    assert error["code"] == "locked_out"
    assert set(error) == {"code", "message", "fields"}

    refused = client.post(TOKEN, {"username": "dispatcher_gc", "password": PASSWORD})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "locked_out"
    assert not Token.objects.exists()
    # The web sign-in shares the count: the same person is locked out there too.
    assert sign_in(client, "dispatcher_gc").status_code == 429


def test_web_failures_lock_the_token_endpoint_too(client, cast):
    fail_until_locked(client, "dispatcher_gc")
    response = client.post(TOKEN, {"username": "dispatcher_gc", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked_out"


@pytest.mark.parametrize("payload", [{}, {"username": "dispatcher_gc"}])
def test_the_token_endpoint_validates_its_input(client, cast, payload):
    response = client.post(TOKEN, payload)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_behind_a_trusted_proxy_the_lockout_counts_per_client(client, cast, settings):
    settings.SIBAO_TRUST_X_FORWARDED_FOR = True
    first, second = {"HTTP_X_FORWARDED_FOR": "203.0.113.7"}, {"HTTP_X_FORWARDED_FOR": "203.0.113.8"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(LOGIN, {"username": "dispatcher_gc", "password": "wrong-password"}, **first)
    assert response.status_code == 429
    assert client.post(LOGIN, {"username": "dispatcher_gc", "password": PASSWORD}, **first).status_code == 429
    assert client.post(LOGIN, {"username": "dispatcher_gc", "password": PASSWORD}, **second).status_code == 302
