"""The compliance, alert and closed-loop plan API: scoped reads, writes through the services, the one error shape."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sibao.api.tests.shape import assert_error
from sibao.prevention.models import Alert, AlertCause, AlertStatus
from sibao.prevention.tests.compliance_builders import (
    PDF_BYTES,
    clock,  # noqa: F401 (fixture)
    compute_world,
    media,  # noqa: F401 (fixture)
    state,
)

pytestmark = pytest.mark.usefixtures("clock", "media")

COMPLIANCE = reverse("prevention-compliance-list")
ROLLUP = reverse("prevention-compliance-rollup")
ALERTS = reverse("prevention-alert-list")


@pytest.fixture
def api():
    """An API client acting as `user`, reading English: `api(cast.prevention_gc)`."""
    from rest_framework.test import APIClient

    def client_for(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(user)
        return client

    return client_for


@pytest.fixture
def computed(cast):
    return compute_world(cast)


def plan_url(enterprise) -> str:
    return reverse("prevention-closed-loop-plan-detail", args=[enterprise.pk])


def test_compliance_lists_each_visible_enterprises_latest_row(computed, api):
    rows = api(computed.prevention_gc).get(COMPLIANCE).json()["results"]
    assert {row["enterprise"] for row in rows} == {computed.ent_a.pk, computed.ent_b.pk}
    a = next(row for row in rows if row["enterprise"] == computed.ent_a.pk)
    assert (a["staff"], a["newcomers"], a["counted"], a["within"], a["cycle_general_hours"]) == (9, 2, 7, 2, 48)
    assert a["share"] == pytest.approx(2 / 7)
    only = api(computed.prevention_gc).get(COMPLIANCE, {"sector": "commerce"}).json()["results"]
    assert [row["enterprise"] for row in only] == [computed.ent_b.pk]
    street = api(computed.prevention_gc).get(COMPLIANCE, {"region": computed.ent_a.region_id}).json()["results"]
    assert [row["enterprise"] for row in street] == [computed.ent_a.pk]
    assert api(computed.prevention_erqi).get(COMPLIANCE).json()["results"] == []
    assert_error(api(computed.prevention_gc).get(COMPLIANCE, {"sector": "bogus"}), 400, "invalid")


def test_the_rollup_by_region_and_sector(computed, api):
    body = api(computed.prevention_gc).get(ROLLUP, {"region": "410104"}).json()
    assert body["region"] == "410104" and body["by_region"]["total"]["staff"] == 10
    assert [row["key"] for row in body["by_sector"]["rows"]] == ["industry", "commerce"]
    assert body["by_region"]["as_of"].startswith("2026-05-04")
    assert_error(api(computed.prevention_erqi).get(ROLLUP, {"region": "410104"}), 404, "not_found")


def test_alerts_are_listed_acknowledged_and_resolved(computed, api):
    client = api(computed.prevention_gc)
    rows = client.get(ALERTS, {"cause": AlertCause.LOW_COMPLIANCE}).json()["results"]
    assert [row["enterprise"] for row in rows] == [computed.ent_a.pk]
    alert = rows[0]["id"]
    acknowledged = client.post(reverse("prevention-alert-acknowledge", args=[alert]), {"note": "在查"}, format="json")
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_by"] == "prevention_gc"
    assert_error(client.post(reverse("prevention-alert-resolve", args=[alert]), {}, format="json"), 400, "invalid")
    resolved = client.post(reverse("prevention-alert-resolve", args=[alert]), {"note": "已补采"}, format="json")
    assert resolved.json()["status"] == AlertStatus.RESOLVED
    again = client.post(reverse("prevention-alert-acknowledge", args=[alert]), {"note": "x"}, format="json")
    assert_error(again, 409, "conflict")


@pytest.mark.parametrize("who", ["dispatcher_gc", "prevention_erqi", "liaison_b"])
def test_others_neither_see_nor_handle_alerts(computed, api, who):
    alert = Alert.objects.filter(enterprise=computed.ent_a).first()
    before = state()
    client = api(getattr(computed, who))
    assert client.get(ALERTS).json()["results"] == []
    assert_error(client.get(reverse("prevention-alert-detail", args=[alert.pk])), 404)
    assert_error(client.post(reverse("prevention-alert-resolve", args=[alert.pk]), {"note": "x"}, format="json"), 404)
    assert state() == before


def test_the_plan_is_read_with_its_gaps_and_changed_by_the_liaison(computed, api):
    client = api(computed.liaison_a)
    body = client.get(plan_url(computed.ent_a)).json()
    assert body["version"] == 0 and "plan_document" in [gap["code"] for gap in body["gaps"]]
    changed = client.patch(
        plan_url(computed.ent_a),
        {
            "version": "0",
            "lodging": "宿舍",
            "receiving_point": "东门",
            "observation_places": "1",
            "lead_name": "王强",
            "lead_phone": "13800000000",
            "plan_document": SimpleUploadedFile("plan.pdf", PDF_BYTES),
        },
        format="multipart",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["version"] == 1 and changed.json()["has_plan_document"]
    assert [gap["code"] for gap in changed.json()["gaps"]] == ["units"]  # the static-period newcomer has no unit
    stale = client.patch(plan_url(computed.ent_a), {"version": 0, "lodging": "别处"}, format="json")
    assert_error(stale, 409, "conflict")
    bad = client.patch(
        plan_url(computed.ent_a), {"plan_document": SimpleUploadedFile("plan.txt", b"hello")}, format="multipart"
    )
    assert_error(bad, 400, "unsupported_file")


@pytest.mark.parametrize("who", ["prevention_gc", "liaison_b", "official_erqi"])
def test_others_cannot_change_the_plan(computed, api, who):
    before = state()
    response = api(getattr(computed, who)).patch(plan_url(computed.ent_a), {"lodging": "x"}, format="json")
    assert_error(response, 404)
    assert state() == before
    seen = api(getattr(computed, who)).get(plan_url(computed.ent_a))
    assert seen.status_code == (200 if who == "prevention_gc" else 404)
