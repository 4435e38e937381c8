"""Mode-switch pages and API: the modes, the preview, the switch and its history; closed loop shown everywhere."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sibao.api.tests.shape import assert_error
from sibao.prevention.models import ModeSwitch
from sibao.prevention.tests.mode_builders import (
    State,
    admit,
    clock,  # noqa: F401 (fixture)
    modes_under,
    staff,
    told,
)
from sibao.regions.models import Mode
from sibao.testing import GUANCHENG, GUANCHENG_STREET, make_enterprise

pytestmark = pytest.mark.usefixtures("clock")

BADGE = "Closed-loop production"
REASON = "本土疫情，全区转入应急状态"


@pytest.fixture(autouse=True)
def english(client, settings):
    """Pages in English, whatever the catalogue holds (the assertions read English words)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def whitelisted(cast):
    admit(cast.dispatcher_gc, cast.ent_a)
    staff(cast.ent_a, general=3, mobile=2)
    return cast


def post_switch(client, to_mode=Mode.EMERGENCY, region=GUANCHENG, reason=REASON):
    return client.post(reverse("prevention:mode_switch"), {"region": region, "to_mode": to_mode, "reason": reason})


def text(response) -> str:
    return response.content.decode()


# --- pages ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["prevention_gc", "dispatcher_gc"])
def test_a_switch_and_back_through_the_pages(whitelisted, login, who):
    cast = whitelisted
    client = login(getattr(cast, who))
    page = client.get(reverse("prevention:mode"))
    assert page.status_code == 200 and reverse("prevention:mode_preview") in text(page)

    preview = client.get(reverse("prevention:mode_preview"), {"region": GUANCHENG, "to": Mode.EMERGENCY})
    assert preview.status_code == 200
    assert preview.context["preview"].firms == 1 and preview.context["preview"].staff == 5
    assert reverse("prevention:mode_switch") in text(preview)
    assert State.now().switches == 0

    done = post_switch(client)
    assert done.status_code == 302 and done.url == reverse("prevention:mode_history")
    assert modes_under(GUANCHENG) == {Mode.EMERGENCY}
    history = client.get(done.url)
    assert REASON in text(history) and history.context["paginator"].count == 1
    assert "Emergency mode" in text(client.get(reverse("prevention:mode")))  # the banner

    detail = client.get(reverse("enterprises:detail", args=[cast.ent_a.pk]))
    assert BADGE in text(detail)
    assert BADGE not in text(client.get(reverse("enterprises:detail", args=[cast.ent_b.pk])))

    back = post_switch(client, Mode.NORMAL, reason="解除应急状态")
    assert back.status_code == 302 and modes_under(GUANCHENG) == {Mode.NORMAL}
    assert BADGE not in text(client.get(reverse("enterprises:detail", args=[cast.ent_a.pk])))
    assert ModeSwitch.objects.count() == 2


def test_the_badge_shows_on_the_lists_and_whitelist_pages(whitelisted, login):
    cast = whitelisted
    post_switch(login(cast.prevention_gc))
    client = login(cast.dispatcher_gc)
    for name, args in (
        ("enterprises:list", []),
        ("whitelist:list", []),
        ("whitelist:enterprise", [cast.ent_a.pk]),
    ):
        assert BADGE in text(client.get(reverse(name, args=args))), name
    assert BADGE not in text(client.get(reverse("whitelist:enterprise", args=[cast.ent_b.pk])))
    # The liaison sees it on its own enterprise, with the banner.
    own = login(cast.liaison_a).get(reverse("enterprises:detail", args=[cast.ent_a.pk]))
    assert BADGE in text(own)


@pytest.mark.parametrize("page", ["enterprises:list", "whitelist:list"])
def test_list_pages_read_closed_loop_without_a_query_per_row(whitelisted, login, page):
    cast = whitelisted
    post_switch(login(cast.prevention_gc))
    client = login(cast.dispatcher_gc)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(page)).status_code == 200
        return len(captured)

    few = queries()
    for _n in range(4):
        admit(cast.dispatcher_gc, make_enterprise(region=GUANCHENG_STREET))
    assert queries() == few


def test_a_refused_switch_says_why_and_changes_nothing(whitelisted, login):
    cast = whitelisted
    client = login(cast.industry_gc)
    page = client.get(reverse("prevention:mode"))
    assert page.status_code == 200 and reverse("prevention:mode_switch") not in text(page)
    assert 'action="' + reverse("prevention:mode_preview") not in text(page)
    before = State.now()
    response = post_switch(client)
    assert response.status_code == 403
    assert "Only the epidemic-prevention HQ and the dispatch office" in text(response)
    assert client.get(reverse("prevention:mode_preview"), {"region": GUANCHENG, "to": "emergency"}).status_code == 403
    # An official of another district does not even see this one; a liaison sees no region.
    assert post_switch(login(cast.prevention_erqi)).status_code == 404
    assert post_switch(login(cast.liaison_a)).status_code == 404
    assert State.now() == before


def test_a_switch_without_a_reason_is_shown_on_the_form(whitelisted, login):
    client = login(whitelisted.prevention_gc)
    before = State.now()
    response = post_switch(client, reason="")
    assert response.status_code == 400 and "This field is required." in text(response)
    assert State.now() == before


def test_a_switch_to_the_mode_in_force_is_told_and_changes_nothing(whitelisted, login):
    client = login(whitelisted.prevention_gc)
    preview = client.get(reverse("prevention:mode_preview"), {"region": GUANCHENG, "to": Mode.NORMAL})
    assert "there is nothing to switch" in text(preview) and reverse("prevention:mode_switch") not in text(preview)
    before = State.now()
    response = post_switch(client, Mode.NORMAL)
    assert response.status_code == 302 and response.url == reverse("prevention:mode")
    assert State.now() == before
    assert "in Normal mode already" in text(client.get(response.url))


def test_the_history_is_scoped(whitelisted, login):
    post_switch(login(whitelisted.prevention_gc))
    assert login(whitelisted.auditor_gc).get(reverse("prevention:mode_history")).context["paginator"].count == 1
    assert login(whitelisted.prevention_erqi).get(reverse("prevention:mode_history")).context["paginator"].count == 0
    assert login(whitelisted.liaison_a).get(reverse("prevention:mode_history")).context["paginator"].count == 0


# --- API -------------------------------------------------------------------------------------------------------


@pytest.fixture
def api():
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def client_for(user):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}")
        return client

    return client_for


URL = "/api/v1/prevention/mode-switches/"


@pytest.mark.parametrize("who", ["prevention_gc", "dispatcher_gc"])
def test_the_api_previews_switches_and_lists(whitelisted, api, who):
    cast = whitelisted
    client = api(getattr(cast, who))
    preview = client.get(URL + "preview/", {"region": GUANCHENG, "to_mode": "emergency"})
    assert preview.status_code == 200, preview.content
    body = preview.json()
    assert (body["firms"], body["staff"], body["general"], body["mobile"], body["tests_per_day"]) == (1, 5, 3, 2, 4)
    assert ModeSwitch.objects.count() == 0

    made = client.post(URL, {"region": GUANCHENG, "to_mode": "emergency", "reason": REASON}, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["firms"] == 1 and made.json()["reason"] == REASON
    assert modes_under(GUANCHENG) == {Mode.EMERGENCY} and len(told(cast.liaison_a)) == 1
    back = client.post(URL, {"region": GUANCHENG, "to_mode": "normal", "reason": "解除"}, format="json")
    assert back.status_code == 201 and modes_under(GUANCHENG) == {Mode.NORMAL}

    listed = client.get(URL).json()
    assert [row["to_mode"] for row in listed["results"]] == ["normal", "emergency"]
    one = client.get(f"{URL}{made.json()['id']}/").json()
    assert one["actor"] == getattr(cast, who).username and one["region_name"]


@pytest.mark.parametrize(
    ("who", "where"), [("industry_gc", GUANCHENG), ("street_gc", GUANCHENG_STREET), ("auditor_gc", GUANCHENG)]
)
def test_the_api_refuses_other_roles(whitelisted, api, who, where):
    client = api(getattr(whitelisted, who))
    before = State.now()
    assert_error(client.post(URL, {"region": where, "to_mode": "emergency", "reason": REASON}), 403, "forbidden")
    assert_error(client.get(URL + "preview/", {"region": where, "to_mode": "emergency"}), 403, "forbidden")
    assert State.now() == before


def test_the_api_refuses_unknown_regions_missing_reasons_and_no_change(whitelisted, api):
    before = State.now()
    assert_error(
        api(whitelisted.prevention_erqi).post(URL, {"region": GUANCHENG, "to_mode": "emergency", "reason": "x"}),
        404,
        "not_found",
    )
    assert_error(
        api(whitelisted.liaison_a).post(URL, {"region": GUANCHENG, "to_mode": "emergency", "reason": "x"}), 404
    )
    client = api(whitelisted.prevention_gc)
    error = assert_error(client.post(URL, {"region": GUANCHENG, "to_mode": "emergency"}), 400, "invalid")
    assert "reason" in error["fields"]
    assert_error(client.post(URL, {"region": GUANCHENG, "to_mode": "normal", "reason": "x"}), 409, "conflict")
    assert_error(client.get(URL + "preview/", {"region": GUANCHENG}), 400, "invalid")
    assert State.now() == before


def test_no_mode_page_has_inline_script_or_style(whitelisted, login):
    client = login(whitelisted.prevention_gc)
    post_switch(client)
    urls = [
        reverse("prevention:mode"),
        reverse("prevention:mode_history"),
        reverse("prevention:mode_preview") + "?region=410104&to=normal",
        reverse("enterprises:detail", args=[whitelisted.ent_a.pk]),
    ]
    for url in urls:
        content = text(client.get(url))
        assert "<script>" not in content and not re.search(r"<script(?![^>]*\bsrc=)", content), url
        assert " style=" not in content and "<style" not in content, url
