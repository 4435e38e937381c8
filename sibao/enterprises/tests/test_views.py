"""Registry pages: what each user sees, what they may write, and what a refusal leaves unchanged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sibao.audit.models import Event
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.enterprises.tests.files import State, row
from sibao.testing import GUANCHENG_STREET, GUANCHENG_STREET_2, JIAOZUO_STREET, make_enterprise

LIST = reverse("enterprises:list")


def listed(client, **params) -> set[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200
    return {e.name for e in response.context["object_list"]}


def edit_data(enterprise: Enterprise, **changes) -> dict:
    """What the edit form posts for an enterprise as it is now, with some fields changed."""
    data = {
        "name": enterprise.name,
        "kind": enterprise.kind,
        "sector": enterprise.sector,
        "industry_section": enterprise.industry_section,
        "industry_division": enterprise.industry_division,
        "region": enterprise.region_id,
        "address": enterprise.address,
        "output_value": str(enterprise.output_value),
        "headcount": str(enterprise.headcount),
        "legal_representative": enterprise.legal_representative,
        "contact_name": enterprise.contact_name,
        "contact_phone": enterprise.contact_phone,
        "version": str(enterprise.version),
        **changes,
    }
    for flag in ("city_operation_support", "key_project"):
        if getattr(enterprise, flag) and flag not in changes:
            data[flag] = "on"
    return data


# --- list and detail -----------------------------------------------------------------------------


def test_list_needs_a_sign_in(client, cast):
    response = client.get(LIST)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin_gc", {"ent_a", "ent_b"}),
        ("dispatcher_gc", {"ent_a", "ent_b"}),
        ("industry_gc", {"ent_a"}),
        ("commerce_gc", {"ent_b"}),
        ("street_gc", {"ent_a"}),
        ("auditor_gc", {"ent_a", "ent_b"}),
        ("official_erqi", set()),
        ("dispatcher_jz", {"ent_jz"}),
        ("checkpoint", set()),
        ("liaison_a", {"ent_a"}),
        ("liaison_b", {"ent_b"}),
    ],
)
def test_list_shows_exactly_what_the_user_may_see(cast, login, who, expected):
    client = login(getattr(cast, who))
    assert listed(client) == {getattr(cast, e).name for e in expected}


def test_list_filters(cast, login):
    client = login(cast.dispatcher_gc)
    assert listed(client, q="甲食品") == {cast.ent_a.name}
    assert listed(client, q=cast.ent_b.credit_code.lower()) == {cast.ent_b.name}
    assert listed(client, q=cast.ent_b.credit_code[:8]) == {cast.ent_a.name, cast.ent_b.name}  # a prefix
    assert listed(client, sector="commerce") == {cast.ent_b.name}
    assert listed(client, region=GUANCHENG_STREET_2) == {cast.ent_b.name}
    assert listed(client, region="410104") == {cast.ent_a.name, cast.ent_b.name}
    assert listed(client, region="410100") == {cast.ent_a.name, cast.ent_b.name}
    assert listed(client, region=JIAOZUO_STREET) == set()  # a filter never widens what one may see
    assert listed(client, region="999999") == set()


def test_list_page_shows_names_and_actions(cast, login):
    response = login(cast.dispatcher_gc).get(LIST)
    content = response.content.decode()
    assert cast.ent_a.name in content and cast.ent_b.name in content
    assert cast.ent_jz.name not in content
    assert reverse("enterprises:create") in content and reverse("enterprises:import") in content


def test_list_page_hides_write_actions_from_readers(cast, login):
    content = login(cast.auditor_gc).get(LIST).content.decode()
    assert reverse("enterprises:create") not in content
    assert reverse("enterprises:import") not in content


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_list_page_query_count_does_not_grow_with_rows(cast, login, django_assert_max_num_queries):
    client = login(cast.dispatcher_gc)
    few = _list_queries(client)
    for n in range(40):
        make_enterprise(region=GUANCHENG_STREET if n % 2 else GUANCHENG_STREET_2, sector="industry")
    many = _list_queries(client)
    assert many == few
    with django_assert_max_num_queries(7):
        client.get(LIST)


@pytest.mark.parametrize("who", ["dispatcher_gc", "liaison_a", "industry_gc", "street_gc"])
def test_detail_page(cast, login, who):
    response = login(getattr(cast, who)).get(reverse("enterprises:detail", args=[cast.ent_a.pk]))
    assert response.status_code == 200
    assert cast.ent_a.credit_code in response.content.decode()


@pytest.mark.parametrize(
    "who", ["official_erqi", "dispatcher_jz", "liaison_b", "liaison_jz", "commerce_gc", "checkpoint"]
)
def test_detail_of_an_enterprise_one_may_not_see_is_404(cast, login, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("enterprises:detail", args=[cast.ent_a.pk])).status_code == 404
    assert client.get(reverse("enterprises:edit", args=[cast.ent_a.pk])).status_code == 404


def test_detail_of_a_missing_enterprise_is_404(cast, login):
    assert login(cast.admin_gc).get(reverse("enterprises:detail", args=[999999])).status_code == 404


def test_detail_page_query_count_is_bounded(cast, login, django_assert_max_num_queries):
    client = login(cast.dispatcher_gc)
    url = reverse("enterprises:edit", args=[cast.ent_a.pk])
    for n in range(5):
        client.post(url, edit_data(Enterprise.objects.get(pk=cast.ent_a.pk), headcount=str(301 + n)))
    assert Event.objects.for_object(cast.ent_a).count() == 5
    with django_assert_max_num_queries(10):
        assert client.get(reverse("enterprises:detail", args=[cast.ent_a.pk])).status_code == 200


# --- create --------------------------------------------------------------------------------------


def test_create_page_registers_an_enterprise(cast, login):
    client = login(cast.industry_gc)
    assert client.get(reverse("enterprises:create")).status_code == 200
    data = row()
    data.pop("city_operation_support")
    data["key_project"] = "on"
    response = client.post(reverse("enterprises:create"), data)
    enterprise = Enterprise.objects.get(credit_code=data["credit_code"])
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:detail", args=[enterprise.pk])
    assert enterprise.key_project and not enterprise.city_operation_support
    assert Event.objects.for_object(enterprise).get().action == "enterprise.create"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"credit_code": "91410104MA0000001Q"}, "credit_code"),
        ({"output_value": "-1"}, "output_value"),
        ({"region": "419999999"}, "region"),
        ({"headcount": "lots"}, "headcount"),
    ],
)
def test_create_page_shows_errors_and_stores_nothing(cast, login, changes, field):
    client = login(cast.dispatcher_gc)
    before = State.now()
    response = client.post(reverse("enterprises:create"), row(**changes))
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert State.now() == before


def test_create_page_refuses_a_duplicate(cast, login):
    client = login(cast.dispatcher_gc)
    before = State.now()
    response = client.post(reverse("enterprises:create"), row(credit_code=cast.ent_a.credit_code))
    assert response.status_code == 200
    assert "credit_code" in response.context["form"].errors
    assert State.now() == before


def test_create_page_refuses_a_place_outside_ones_grants(cast, login):
    client = login(cast.industry_gc)
    before = State.now()
    response = client.post(reverse("enterprises:create"), row(sector="commerce"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert State.now() == before


@pytest.mark.parametrize("who", ["liaison_a", "auditor_gc", "checkpoint"])
def test_create_page_is_not_there_for_those_who_may_not_create(cast, login, who):
    client = login(getattr(cast, who))
    before = State.now()
    assert client.get(reverse("enterprises:create")).status_code == 404
    assert client.post(reverse("enterprises:create"), row()).status_code == 404
    assert State.now() == before


# --- edit ----------------------------------------------------------------------------------------


def test_liaison_edits_its_enterprise_on_the_page(cast, login):
    client = login(cast.liaison_a)
    response = client.get(reverse("enterprises:edit", args=[cast.ent_a.pk]))
    assert response.status_code == 200
    assert [c for c, _label in response.context["form"].fields["region"].choices] == [GUANCHENG_STREET]
    response = client.post(
        reverse("enterprises:edit", args=[cast.ent_a.pk]), edit_data(cast.ent_a, contact_phone="13900000000")
    )
    assert response.status_code == 302
    saved = Enterprise.objects.get(pk=cast.ent_a.pk)
    assert (saved.contact_phone, saved.version) == ("13900000000", 2)


def test_liaison_cannot_move_its_enterprise_on_the_page(cast, login):
    client = login(cast.liaison_a)
    before = State.now()
    response = client.post(
        reverse("enterprises:edit", args=[cast.ent_a.pk]), edit_data(cast.ent_a, region=GUANCHENG_STREET_2)
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert State.now() == before


def test_posting_to_an_enterprise_one_may_not_change_is_404(cast, login):
    before = State.now()
    for who, target in [("liaison_a", "ent_b"), ("official_erqi", "ent_a"), ("auditor_gc", "ent_a")]:
        client = login(getattr(cast, who))
        enterprise = getattr(cast, target)
        response = client.post(reverse("enterprises:edit", args=[enterprise.pk]), edit_data(enterprise, name="X公司"))
        assert response.status_code == 404
    assert State.now() == before


def test_two_edits_from_the_same_version_the_second_sees_a_conflict(cast):
    from django.test import Client

    first, second = Client(), Client()
    first.force_login(cast.dispatcher_gc)
    second.force_login(cast.liaison_a)
    url = reverse("enterprises:edit", args=[cast.ent_a.pk])
    form_first = first.get(url).context["form"]
    form_second = second.get(url).context["form"]
    assert form_first.initial["version"] == form_second.initial["version"] == 1

    assert first.post(url, edit_data(cast.ent_a, headcount="350")).status_code == 302
    before = State.now()
    response = second.post(url, edit_data(cast.ent_a, headcount="280"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors
    assert "Someone else changed this enterprise" in errors[0]
    assert "Someone else changed this enterprise" in response.content.decode()
    assert State.now() == before
    saved = Enterprise.objects.get(pk=cast.ent_a.pk)
    assert (saved.headcount, saved.version) == (350, 2)


# --- supply links --------------------------------------------------------------------------------


def test_supply_link_pages(cast, login):
    client = login(cast.liaison_a)
    response = client.post(
        reverse("enterprises:link_add", args=[cast.ent_a.pk]),
        {"direction": "customer", "partner_name": "郑州某超市", "partner_region": GUANCHENG_STREET_2},
    )
    assert response.status_code == 302
    link = SupplyLink.objects.get()
    assert (link.enterprise, link.direction) == (cast.ent_a, "customer")
    response = client.post(reverse("enterprises:link_remove", args=[cast.ent_a.pk, link.pk]))
    assert response.status_code == 302
    assert not SupplyLink.objects.exists()
    assert Event.objects.filter(action__startswith="enterprise.supply_link").count() == 2


def test_supply_link_pages_refuse_outsiders(cast, login):
    link = SupplyLink.objects.create(
        enterprise=cast.ent_a, direction="supplier", partner_name="某供应商", partner_region_id=GUANCHENG_STREET
    )
    client = login(cast.liaison_b)
    before = State.now()
    data = {"direction": "customer", "partner_name": "X", "partner_region": GUANCHENG_STREET}
    assert client.post(reverse("enterprises:link_add", args=[cast.ent_a.pk]), data).status_code == 404
    assert client.post(reverse("enterprises:link_remove", args=[cast.ent_a.pk, link.pk])).status_code == 404
    # a link of one's own enterprise is addressed through it, never through another
    own = login(cast.liaison_a)
    assert own.post(reverse("enterprises:link_remove", args=[cast.ent_b.pk, link.pk])).status_code == 404
    assert State.now() == before


def test_supply_link_pages_only_accept_post(cast, login):
    client = login(cast.liaison_a)
    assert client.get(reverse("enterprises:link_add", args=[cast.ent_a.pk])).status_code == 405
