"""Tokens: username and password in, token out; `Bearer` and `Token` both accepted; every refusal in one shape."""

import pytest
from django.conf import settings
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from sibao.api.tests.shape import assert_error
from sibao.testing import PASSWORD

TOKEN = reverse("api-token")
LIST = reverse("enterprise-list")


def token_for(username: str, password: str = PASSWORD):
    return APIClient().post(TOKEN, {"username": username, "password": password}, format="json")


def test_username_and_password_give_a_token(cast):
    response = token_for("dispatcher_gc")
    assert response.status_code == 200
    key = response.json()["token"]
    assert Token.objects.get(key=key).user == cast.dispatcher_gc
    assert token_for("dispatcher_gc").json()["token"] == key  # the same token until it is revoked


def test_token_request_may_be_a_form(cast):
    response = APIClient().post(TOKEN, {"username": "liaison_a", "password": PASSWORD})
    assert response.status_code == 200


@pytest.mark.parametrize("keyword", ["Bearer", "Token", "bearer", "token"])
def test_both_header_keywords_work(cast, keyword):
    key = token_for("dispatcher_gc").json()["token"]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"{keyword} {key}")
    response = client.get(LIST)
    assert response.status_code == 200
    assert {e["name"] for e in response.json()["results"]} == {cast.ent_a.name, cast.ent_b.name}


def test_wrong_password_is_401_in_the_one_shape(cast):
    response = token_for("dispatcher_gc", "not-the-password")
    error = assert_error(response, 401, "not_authenticated")
    assert error["fields"] == {}
    assert response.has_header("WWW-Authenticate")
    assert not Token.objects.exists()


def test_unknown_user_is_401(cast):
    assert_error(token_for("nobody"), 401, "not_authenticated")


def test_inactive_user_gets_no_token(cast):
    cast.dispatcher_gc.is_active = False
    cast.dispatcher_gc.save()
    assert_error(token_for("dispatcher_gc"), 401, "not_authenticated")


def test_missing_credentials_are_400_naming_the_fields(cast):
    error = assert_error(APIClient().post(TOKEN, {}, format="json"), 400, "invalid")
    assert set(error["fields"]) == {"username", "password"}


def test_token_endpoint_only_accepts_post(cast):
    assert_error(APIClient().get(TOKEN), 405, "method_not_allowed")


def test_no_credentials_is_401(cast):
    response = APIClient().get(LIST)
    assert_error(response, 401, "not_authenticated")
    assert response.has_header("WWW-Authenticate")


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Token 0000", "Bearer", "Bearer a b"])
def test_bad_token_is_401(cast, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    assert_error(client.get(LIST), 401, "not_authenticated")


def test_token_of_a_deactivated_user_is_401(cast):
    key = token_for("dispatcher_gc").json()["token"]
    cast.dispatcher_gc.is_active = False
    cast.dispatcher_gc.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert_error(client.get(LIST), 401, "not_authenticated")


def test_repeated_failures_lock_the_account_out(cast):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        token_for("dispatcher_gc", "wrong-password")
    response = token_for("dispatcher_gc")  # even the right password, while locked out
    assert_error(response, 429, "locked_out")
    assert not Token.objects.exists()


def test_session_sign_in_works_for_the_browsable_client(cast, login):
    client = login(cast.liaison_a)
    response = client.get(LIST)
    assert response.status_code == 200
    assert [e["name"] for e in response.json()["results"]] == [cast.ent_a.name]
