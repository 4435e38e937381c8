"""User administration: an administrator manages the users of its own area, and nobody else's."""

import pytest
from django.urls import reverse

from sibao.accounts.models import Grant, User
from sibao.audit.models import Event
from sibao.testing import JIAOZUO, make_organization

NEW_PASSWORD = "Another-strong-pass-2026"


@pytest.fixture
def street_office(db):
    return make_organization("西大街街道办事处", region="410104001")


def test_admin_creates_an_official_and_grants_a_role(cast, login, street_office):
    client = login(cast.admin_gc)
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "new_street", "display_name": "王五", "organization": street_office.pk, "password": NEW_PASSWORD},
    )
    user = User.objects.get(username="new_street")
    assert response.status_code == 302
    assert user.check_password(NEW_PASSWORD)
    client.post(
        reverse("accounts:user_detail", args=[user.pk]),
        {"op": "grant_add", "role": "local_official", "region": "410104001", "sector": ""},
    )
    assert list(user.grants.values_list("role", "region_id")) == [("local_official", "410104001")]
    assert set(Event.objects.for_object(user).values_list("action", flat=True)) == {
        "account.user_create",
        "account.grant_add",
    }


def test_admin_creates_a_liaison_by_credit_code(cast, login):
    client = login(cast.admin_gc)
    client.post(
        reverse("accounts:user_create"),
        {"username": "liaison_new", "enterprise_code": cast.ent_a.credit_code.lower(), "password": NEW_PASSWORD},
    )
    assert User.objects.get(username="liaison_new").enterprise == cast.ent_a


def test_admin_cannot_bind_a_liaison_to_an_enterprise_elsewhere(cast, login):
    client = login(cast.admin_gc)
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "liaison_x", "enterprise_code": cast.ent_jz.credit_code, "password": NEW_PASSWORD},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="liaison_x").exists()


def test_weak_password_is_refused_and_nothing_is_created(cast, login, street_office):
    client = login(cast.admin_gc)
    response = client.post(
        reverse("accounts:user_create"),
        {"username": "weak", "organization": street_office.pk, "password": "12345678"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="weak").exists()


def test_admin_cannot_grant_roles_outside_its_area(cast, login):
    client = login(cast.admin_gc)
    before = Grant.objects.count()
    client.post(
        reverse("accounts:user_detail", args=[cast.street_gc.pk]),
        {"op": "grant_add", "role": "dispatcher", "region": JIAOZUO, "sector": ""},
    )
    assert Grant.objects.count() == before


def test_admin_cannot_touch_a_user_who_also_works_elsewhere(cast, login):
    Grant.objects.create(user=cast.street_gc, role="dispatcher", region_id=JIAOZUO)
    client = login(cast.admin_gc)
    client.post(reverse("accounts:user_detail", args=[cast.street_gc.pk]), {"op": "deactivate"})
    cast.street_gc.refresh_from_db()
    assert cast.street_gc.is_active


def test_deactivated_user_cannot_sign_in(cast, login, client):
    login(cast.admin_gc).post(reverse("accounts:user_detail", args=[cast.street_gc.pk]), {"op": "deactivate"})
    client.logout()
    response = client.post(reverse("accounts:login"), {"username": "street_gc", "password": "Sibao-test-2026"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("who", ["dispatcher_gc", "official_erqi", "liaison_a", "auditor_gc"])
def test_non_administrators_get_404(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("accounts:user_list")).status_code == 404
    assert client.get(reverse("accounts:user_create")).status_code == 404
    assert client.get(reverse("accounts:user_detail", args=[cast.street_gc.pk])).status_code == 404


def test_admin_of_another_city_cannot_see_guancheng_users(cast, login):
    Grant.objects.create(user=cast.dispatcher_jz, role="admin", region_id=JIAOZUO)
    client = login(cast.dispatcher_jz)
    listed = client.get(reverse("accounts:user_list")).context["object_list"]
    assert cast.street_gc not in listed
    assert client.get(reverse("accounts:user_detail", args=[cast.street_gc.pk])).status_code == 404
