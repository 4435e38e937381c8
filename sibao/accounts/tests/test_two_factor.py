"""Two-factor sign-in (TOTP) for officials when SIBAO_REQUIRE_2FA is on."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from sibao.audit.models import Event
from sibao.testing import PASSWORD

TWO_FACTOR = "/accounts/two-factor/"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def required(settings):
    settings.SIBAO_REQUIRE_2FA = True


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def code(device: TOTPDevice, offset: int = 0) -> str:
    """The code an authenticator app shows for this device now (offset: steps later)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0 - offset * device.step, digits=device.digits)
    return f"{value:0{device.digits}d}"


def sign_in(client, username):
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response
    return response


def confirmed_device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def test_an_official_is_sent_to_the_second_factor_until_verified(client, cast, required, clock):
    sign_in(client, "dispatcher_gc")
    response = client.get("/enterprises/?sector=industry&page=1")
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == TWO_FACTOR
    assert parse_qs(target.query)["next"] == ["/enterprises/?sector=industry&page=1"]
    for path in ("/", "/audit/", f"/enterprises/{cast.ent_a.pk}/", "/accounts/password/", "/accounts/users/"):
        assert client.get(path)["Location"].startswith(TWO_FACTOR), path

    # Set-up: the page shows the key once; a pending device exists until a code confirms it.
    page = client.get(TWO_FACTOR + "?next=/enterprises/")
    assert page.status_code == 200
    assert page.context["setting_up"] is True
    device = TOTPDevice.objects.get(user=cast.dispatcher_gc)
    assert not device.confirmed
    assert page.context["secret"] == device.bin_key.hex()
    assert client.get(TWO_FACTOR).status_code == 200
    assert TOTPDevice.objects.filter(user=cast.dispatcher_gc).count() == 1

    response = client.post(TWO_FACTOR, {"token": code(device), "next": "/enterprises/"})
    assert response.status_code == 302
    assert response["Location"] == "/enterprises/"
    device.refresh_from_db()
    assert device.confirmed
    event = Event.objects.get(action="account.two_factor_enabled")
    assert event.actor == cast.dispatcher_gc
    assert event.object_id == str(cast.dispatcher_gc.pk)
    assert event.ip == "127.0.0.1"
    assert client.get("/enterprises/").status_code == 200
    assert client.get("/").status_code == 200


def test_a_wrong_code_is_refused(client, cast, required, clock):
    sign_in(client, "dispatcher_gc")
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=cast.dispatcher_gc)
    right = code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(TWO_FACTOR, {"token": wrong})
    assert response.status_code == 200
    assert response.context["error"]
    device.refresh_from_db()
    assert not device.confirmed
    assert not Event.objects.filter(action="account.two_factor_enabled").exists()
    assert client.get("/enterprises/")["Location"].startswith(TWO_FACTOR)
    assert client.post(TWO_FACTOR, {"token": ""}).status_code == 200
    assert client.post(TWO_FACTOR, {"token": code(device, offset=5)}).status_code == 200

    # After the throttle's pause the right code works.
    clock.shift(dt.timedelta(minutes=2))
    assert client.post(TWO_FACTOR, {"token": code(device)}).status_code == 302
    assert client.get("/enterprises/").status_code == 200


def test_the_next_sign_in_asks_for_the_code_of_the_confirmed_device(client, cast, required, clock):
    device = confirmed_device(cast.dispatcher_gc)
    sign_in(client, "dispatcher_gc")
    assert client.get("/enterprises/")["Location"].startswith(TWO_FACTOR)
    page = client.get(TWO_FACTOR)
    assert page.context["setting_up"] is False
    assert "secret" not in page.context
    assert TOTPDevice.objects.filter(user=cast.dispatcher_gc).count() == 1  # no second key is handed out
    assert client.post(TWO_FACTOR, {"token": code(device), "next": "https://evil.example/"})["Location"] == "/"
    assert client.get("/enterprises/").status_code == 200
    assert not Event.objects.filter(action="account.two_factor_enabled").exists()

    # Signing out ends the verification too.
    client.post("/accounts/logout/")
    sign_in(client, "dispatcher_gc")
    assert client.get("/enterprises/")["Location"].startswith(TWO_FACTOR)


def test_a_code_cannot_be_used_twice(client, cast, required, clock):
    device = confirmed_device(cast.dispatcher_gc)
    sign_in(client, "dispatcher_gc")
    used = code(device)
    assert client.post(TWO_FACTOR, {"token": used}).status_code == 302
    client.post("/accounts/logout/")
    sign_in(client, "dispatcher_gc")
    assert client.post(TWO_FACTOR, {"token": used}).status_code == 200


def test_liaisons_are_not_forced(client, cast, required):
    sign_in(client, "liaison_a")
    assert client.get("/enterprises/").status_code == 200
    assert client.get(f"/enterprises/{cast.ent_a.pk}/").status_code == 200
    assert not TOTPDevice.objects.exists()


def test_nobody_is_forced_when_the_setting_is_off(client, cast, settings):
    settings.SIBAO_REQUIRE_2FA = False
    sign_in(client, "dispatcher_gc")
    assert client.get("/enterprises/").status_code == 200


def test_pages_before_the_second_factor_stay_open(client, cast, required):
    sign_in(client, "dispatcher_gc")
    assert client.get(TWO_FACTOR).status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post("/accounts/logout/").status_code == 302


def test_the_api_needs_the_second_factor_too(client, cast, required, clock):
    sign_in(client, "dispatcher_gc")
    response = client.get("/api/v1/enterprises/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"

    device = confirmed_device(cast.dispatcher_gc)
    assert client.post(TWO_FACTOR, {"token": code(device)}).status_code == 302
    assert client.get("/api/v1/enterprises/").status_code == 200


def test_the_token_endpoint_asks_officials_for_the_code(client, cast, required, clock):
    url = "/api/v1/auth/token/"
    refused = client.post(url, {"username": "dispatcher_gc", "password": PASSWORD})
    assert refused.status_code == 401
    assert "otp_token" in refused.json()["error"]["fields"]
    device = confirmed_device(cast.dispatcher_gc)
    wrong = f"{(int(code(device)) + 1) % 1_000_000:06d}"
    assert client.post(url, {"username": "dispatcher_gc", "password": PASSWORD, "otp_token": wrong}).status_code == 401
    assert not Token.objects.exists()
    clock.shift(dt.timedelta(minutes=2))
    granted = client.post(url, {"username": "dispatcher_gc", "password": PASSWORD, "otp_token": code(device)})
    assert granted.status_code == 200
    assert granted.json()["token"] == Token.objects.get(user=cast.dispatcher_gc).key
    # Liaisons are not asked.
    assert client.post(url, {"username": "liaison_a", "password": PASSWORD}).status_code == 200
