"""The prevention overview and an enterprise's prevention page: what insiders see, what others do not."""

import pytest
from django.urls import reverse

from sibao.prevention.services.compliance import compliance_refresh
from sibao.prevention.tests.compliance_builders import (
    clock,  # noqa: F401 (fixture)
    compute_world,
    english_pages,  # noqa: F401 (fixture)
    person,
)
from sibao.testing import ERQI, make_enterprise

pytestmark = pytest.mark.usefixtures("clock", "english_pages")

HOME = reverse("prevention:home")


@pytest.fixture
def computed(cast):
    return compute_world(cast)


def page(enterprise) -> str:
    return reverse("prevention:enterprise", args=[enterprise.pk])


def test_the_overview_shows_the_jurisdiction_by_region_sector_and_alerts(computed, login):
    html = login(computed.prevention_gc).get(HOME).content.decode()
    assert "管城回族区" in html and "北下街街道" in html and "西大街街道" in html
    assert "Industrial production" in html and "Commerce and distribution" in html
    assert "Test compliance below threshold" in html and computed.ent_a.name in html
    assert "焦作" not in html


def test_the_overview_of_another_district_shows_nothing_of_guancheng(computed, login):
    make_enterprise(region=ERQI)
    client = login(computed.prevention_erqi)
    html = client.get(HOME).content.decode()
    assert computed.ent_a.name not in html and "北下街街道" not in html
    assert client.get(HOME, {"region": "410104"}).status_code == 404


def test_a_liaison_is_taken_to_its_own_enterprise(computed, login):
    response = login(computed.liaison_a).get(HOME)
    assert response.status_code == 302 and response.url == page(computed.ent_a)


def test_dispatchers_see_the_shares_without_names_or_alerts(computed, login):
    html = login(computed.dispatcher_gc).get(HOME).content.decode()
    assert "北下街街道" in html and "Test compliance below threshold" not in html
    html = login(computed.dispatcher_gc).get(page(computed.ent_a)).content.decode()
    assert "28.6%" in html  # 2 of 7 within cycle
    assert computed.roster["never_tested"].name not in html and "Alerts" not in html


@pytest.mark.parametrize("who", ["prevention_gc", "street_gc", "liaison_a"])
def test_health_roles_see_the_overdue_list_and_alerts(computed, login, who):
    html = login(getattr(computed, who)).get(page(computed.ent_a)).content.decode()
    assert "28.6%" in html
    for key in ("never_tested", "general_overdue", "positive", "static_over"):
        assert computed.roster[key].name in html
    for key in ("general_within", "newcomer", "left"):
        assert computed.roster[key].name not in html
    assert computed.roster["never_tested"].id_masked in html
    assert "Static period over without a negative test" in html


@pytest.mark.parametrize("who", ["liaison_b", "official_erqi", "prevention_erqi", "dispatcher_jz", "checkpoint"])
def test_outsiders_get_404_for_an_enterprise(computed, login, who):
    assert login(getattr(computed, who)).get(page(computed.ent_a)).status_code == 404


def test_the_page_takes_a_fixed_number_of_queries(cast, login, django_assert_max_num_queries):
    """A few thousand staff or a few dozen: the overdue list is paginated, the page's queries stay the same."""
    client = login(cast.prevention_gc)
    for _ in range(60):
        person(cast.ent_a)
    compliance_refresh()
    client.get(page(cast.ent_a))
    with django_assert_max_num_queries(18) as few:
        response = client.get(page(cast.ent_a))
    assert response.status_code == 200 and "Page 1 of 2" in response.content.decode()
    for _ in range(120):
        person(cast.ent_a)
    compliance_refresh()
    with django_assert_max_num_queries(len(few)):
        response = client.get(page(cast.ent_a), {"page": 3})
    assert "Page 3 of 4" in response.content.decode()
