"""The staff, test-result and credential-check API: masked ID numbers, the audited reveal, bulk ingests,
and every refusal in the one error shape with nothing changed."""

import pytest
from django.urls import reverse

from sibao.api.tests.shape import assert_error
from sibao.audit.models import Event
from sibao.core.personal import decrypt
from sibao.prevention.models import Alert, AlertCause, StaffMember
from sibao.prevention.tests.staff_builders import (
    STAFF_HEADER,
    clock,  # noqa: F401 (fixture)
    csv_upload,
    id_number,
    person,
    state,
)

pytestmark = pytest.mark.usefixtures("clock")

STAFF = reverse("prevention-staff-list")
RESULTS = reverse("prevention-test-result-list")
CHECKS = reverse("prevention-credential-check-list")


@pytest.fixture
def api():
    """An API client signed in with a token, reading English: `api(cast.liaison_a)`."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def client_for(user):
        client = APIClient()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.key}", HTTP_ACCEPT_LANGUAGE="en")
        return client

    return client_for


@pytest.fixture
def member(cast):
    return person(cast.liaison_a, cast.ent_a, name="甲")


def detail(member, name: str = "detail") -> str:
    return reverse(f"prevention-staff-{name}", args=[member.pk])


def test_staff_are_listed_masked_to_those_who_keep_them(cast, api, member):
    number = decrypt(member.id_cipher)
    for user in (cast.liaison_a, cast.prevention_gc):
        response = api(user).get(STAFF, {"enterprise": cast.ent_a.pk})
        assert response.status_code == 200
        assert [r["id_number"] for r in response.json()["results"]] == [member.id_masked]
        assert number not in response.content.decode()
    assert api(cast.liaison_b).get(STAFF).json()["count"] == 0
    assert_error(api(cast.liaison_b).get(detail(member)), 404, "not_found")


def test_create_and_update_with_conflict(cast, api, member):
    number = id_number()
    created = api(cast.liaison_a).post(
        STAFF,
        {"enterprise": cast.ent_a.pk, "name": "乙", "id_number": number, "start_date": "2026-04-01"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["id_number"] != number
    patch = api(cast.liaison_a).patch(detail(member), {"phone": "13800000000", "version": 1}, format="json")
    assert patch.status_code == 200 and patch.json()["version"] == 2
    before = state()
    stale = api(cast.prevention_gc).patch(detail(member), {"phone": "13900000000", "version": 1}, format="json")
    assert_error(stale, 409, "conflict")
    refused = api(cast.liaison_b).post(
        STAFF, {"enterprise": cast.ent_a.pk, "name": "丙", "id_number": id_number(), "start_date": "2026-04-01"}
    )
    assert_error(refused, 404, "not_found")
    invalid = api(cast.liaison_a).post(STAFF, {"enterprise": cast.ent_a.pk, "name": "丁", "id_number": "123"})
    assert set(assert_error(invalid, 400, "invalid")["fields"]) == {"id_number", "start_date"}
    assert state() == before


def test_reveal_for_prevention_officials_only_and_audited(cast, api, member):
    number = decrypt(member.id_cipher)
    before = state()
    assert_error(api(cast.liaison_a).post(detail(member, "reveal")), 403, "forbidden")
    assert_error(api(cast.street_gc).post(detail(member, "reveal")), 403, "forbidden")
    assert state() == before
    response = api(cast.prevention_gc).post(detail(member, "reveal"))
    assert response.status_code == 200 and response.json() == {"id_number": number}
    event = Event.objects.get(action="staff.reveal_id")
    assert event.actor == cast.prevention_gc and number not in str(event.changes)


def test_leave(cast, api, member):
    response = api(cast.liaison_a).post(detail(member, "leave"), {"left_on": "2026-05-02"}, format="json")
    assert response.status_code == 200 and response.json()["left_on"] == "2026-05-02"
    assert_error(api(cast.liaison_a).post(detail(member, "leave")), 409, "conflict")


def test_roster_import(cast, api):
    row = ["王五", id_number(), "", "一般岗位", "", "", "", "", "2026-04-01"]
    url = reverse("prevention-staff-import-file")
    response = api(cast.liaison_a).post(url, {"enterprise": cast.ent_a.pk, "file": csv_upload(STAFF_HEADER, [row])})
    assert response.status_code == 201 and response.json()["created"] == 1
    assert_error(api(cast.liaison_a).post(url, {"enterprise": cast.ent_a.pk}), 400, "invalid")
    refused = api(cast.liaison_b).post(url, {"enterprise": cast.ent_a.pk, "file": csv_upload(STAFF_HEADER, [row])})
    assert_error(refused, 404, "not_found")


def test_bulk_test_results(cast, api, member):
    rows = [
        {
            "id_number": decrypt(member.id_cipher),
            "sampled_at": "2026-05-04 08:00",
            "institution": "金域",
            "result": "阳性",
        },
        {"id_number": id_number(), "sampled_at": "2026-05-04 08:00", "institution": "金域", "result": "negative"},
        {
            "id_number": decrypt(member.id_cipher),
            "sampled_at": "2026-05-09 08:00",
            "institution": "金域",
            "result": "阴性",
        },
    ]
    response = api(cast.liaison_a).post(RESULTS, rows, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["held"], body["rejected"], body["unchanged"]) == (1, 1, 1, 0)
    assert body["errors"][0]["reason"] == "is in the future"
    again = api(cast.liaison_a).post(RESULTS, rows, format="json").json()
    assert (again["created"], again["unchanged"]) == (0, 2)
    assert Alert.objects.filter(cause=AlertCause.POSITIVE).count() == 1
    before = state()
    assert_error(api(cast.liaison_a).post(RESULTS, {"id_number": "x"}, format="json"), 400, "invalid")
    assert_error(api(cast.industry_gc).post(RESULTS, rows, format="json"), 403, "forbidden")
    assert state() == before


def test_bulk_credential_checks(cast, api, member):
    rows = [
        {"id_number": decrypt(member.id_cipher), "outcome": "green", "source": "API", "checked_at": "2026-05-04 08:00"},
        {"id_number": id_number(), "outcome": "green", "source": "API", "checked_at": "2026-05-04 08:00"},
    ]
    response = api(cast.liaison_a).post(CHECKS, rows, format="json")
    assert response.status_code == 201
    assert (response.json()["recorded"], response.json()["unknown"]) == (1, 1)
    assert StaffMember.objects.get(pk=member.pk).code_outcome == "green"
    assert_error(api(cast.industry_gc).post(CHECKS, rows, format="json"), 403, "forbidden")
