"""The staff pages and the test ingest page, as a liaison and the officials use them.

ID numbers appear masked on every page; the full number only on the response to a permitted reveal.
"""

import re

import pytest
from django.conf import settings
from django.urls import reverse

from sibao.audit.models import Event
from sibao.core.models import ImportBatch
from sibao.core.personal import decrypt
from sibao.prevention.models import HeldResult, StaffMember
from sibao.prevention.services.credentials import credential_record
from sibao.prevention.services.tests import test_results_ingest as ingest
from sibao.prevention.tests.staff_builders import (
    RESULT_HEADER,
    STAFF_HEADER,
    clock,  # noqa: F401 (fixture)
    csv_upload,
    id_number,
    person,
    state,
)

pytestmark = pytest.mark.usefixtures("clock", "english")

INGEST = reverse("prevention:test_ingest")
HELD = reverse("prevention:held_results")
ID_PATTERN = re.compile(r"\b\d{17}[\dX]\b")


@pytest.fixture
def english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def member(cast):
    return person(cast.liaison_a, cast.ent_a, name="甲")


def full_numbers(response) -> list[str]:
    return ID_PATTERN.findall(response.content.decode())


def test_roster_shows_masked_ids_standing_and_colour(cast, login, member):
    ingest(
        actor=cast.liaison_a,
        upload=csv_upload(RESULT_HEADER, [[decrypt(member.id_cipher), "2026-05-04 08:00", "金域", "阴性"]]),
    )
    credential_record(
        actor=cast.liaison_a, staff=member, outcome="green", source="豫康码", checked_at="2026-05-04 09:00"
    )
    for user in (cast.liaison_a, cast.prevention_gc, cast.street_gc):
        response = login(user).get(reverse("prevention:staff_list", args=[cast.ent_a.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert member.id_masked in page and "Tested within cycle" in page and "Green" in page
        assert not full_numbers(response)


@pytest.mark.parametrize("who", ["liaison_b", "industry_gc", "prevention_erqi", "dispatcher_gc"])
def test_roster_and_staff_pages_are_404_for_others(cast, login, member, who):
    client = login(getattr(cast, who))
    assert client.get(reverse("prevention:staff_list", args=[cast.ent_a.pk])).status_code == 404
    assert client.get(reverse("prevention:staff_detail", args=[member.pk])).status_code == 404
    before = state()
    assert client.post(reverse("prevention:staff_edit", args=[member.pk]), {"name": "x"}).status_code == 404
    assert client.post(reverse("prevention:staff_reveal", args=[member.pk])).status_code == 404
    assert client.post(reverse("prevention:staff_leave", args=[member.pk])).status_code == 404
    assert state() == before


def test_add_a_member_through_the_page(cast, login):
    client = login(cast.liaison_a)
    url = reverse("prevention:staff_create", args=[cast.ent_a.pk])
    assert client.get(url).status_code == 200
    number = id_number()
    data = {"name": "新人", "id_number": number.lower(), "post_type": "mobile", "start_date": "2026-05-03"}
    response = client.post(url, data)
    added = StaffMember.objects.get(name="新人")
    assert response.status_code == 302 and response.url == reverse("prevention:staff_detail", args=[added.pk])
    page = client.get(response.url)
    assert "In static period" in page.content.decode() and not full_numbers(page)
    refused = client.post(url, {**data, "id_number": "123"})
    assert refused.status_code == 200 and "must have 18 characters" in refused.content.decode()


def test_a_stale_edit_is_refused_and_changes_nothing(cast, login, member):
    client = login(cast.liaison_a)
    url = reverse("prevention:staff_edit", args=[member.pk])
    form = {"name": "甲", "id_number": "", "post_type": "general", "start_date": "2026-04-01", "version": "1"}
    assert client.post(url, {**form, "phone": "13800000000"}).status_code == 302
    before = state()
    response = client.post(url, {**form, "phone": "13900000000"})
    assert response.status_code == 200 and "Someone else changed" in response.content.decode()
    assert state() == before
    assert StaffMember.objects.get(pk=member.pk).id_hash == member.id_hash  # the empty ID number kept it


def test_reveal_shows_the_number_once_and_is_audited(cast, login, member):
    number = decrypt(member.id_cipher)
    client = login(cast.prevention_gc)
    detail = client.get(reverse("prevention:staff_detail", args=[member.pk]))
    assert "Reveal the full ID number" in detail.content.decode() and number not in detail.content.decode()
    response = client.post(reverse("prevention:staff_reveal", args=[member.pk]))
    assert response.status_code == 200 and number in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert Event.objects.filter(action="staff.reveal_id", actor=cast.prevention_gc).count() == 1
    assert number not in client.get(reverse("prevention:staff_detail", args=[member.pk])).content.decode()


def test_a_liaison_may_not_reveal(cast, login, member):
    client = login(cast.liaison_a)
    assert (
        "Reveal the full ID number"
        not in client.get(reverse("prevention:staff_detail", args=[member.pk])).content.decode()
    )
    before = state()
    response = client.post(reverse("prevention:staff_reveal", args=[member.pk]), follow=True)
    assert decrypt(member.id_cipher) not in response.content.decode()
    assert "may not reveal" in response.content.decode()
    assert state() == before


def test_leave_and_record_a_credential_check(cast, login, member):
    client = login(cast.liaison_a)
    url = reverse("prevention:staff_credential", args=[member.pk])
    bad = client.post(url, {"outcome": "red", "source": "", "checked_at": "2026-05-04T09:00"})
    assert bad.status_code == 400
    response = client.post(url, {"outcome": "red", "source": "豫康码", "checked_at": "2026-05-04T09:00"}, follow=True)
    assert "Red" in response.content.decode()
    client.post(reverse("prevention:staff_leave", args=[member.pk]))
    assert StaffMember.objects.get(pk=member.pk).left_on is not None


def test_ingest_page_reports_counts_and_held_results_to_their_ingester(cast, login, member):
    stranger = id_number()
    rows = [
        [decrypt(member.id_cipher), "2026-05-04 08:00", "金域", "阴性"],
        [stranger, "2026-05-04 08:00", "金域", "阴性"],
        ["bad", "2026-05-04 08:00", "金域", "阴性"],
    ]
    client = login(cast.liaison_a)
    assert client.get(INGEST).status_code == 200
    response = client.post(INGEST, {"file": csv_upload(RESULT_HEADER, rows)})
    batch = ImportBatch.objects.get(kind="test_results")
    assert response.status_code == 302 and response.url == reverse("imports:report", args=[batch.pk])
    report = client.get(response.url).content.decode()
    assert "Held apart" in report and "Duplicate" in report and "Stored" in report
    held = client.get(HELD + f"?batch={batch.pk}")
    assert HeldResult.objects.get().id_masked in held.content.decode() and not full_numbers(held)
    assert HeldResult.objects.get().id_masked not in login(cast.liaison_b).get(HELD).content.decode()


def test_ingest_page_is_404_for_roles_without_health_data(cast, login):
    assert login(cast.industry_gc).get(INGEST).status_code == 404


def test_roster_import_page_redirects_to_the_report(cast, login):
    client = login(cast.liaison_a)
    url = reverse("prevention:staff_import", args=[cast.ent_a.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("prevention:staff_import_template", args=[cast.ent_a.pk])).status_code == 200
    number = id_number()
    row = ["王五", number, "", "一般岗位", "", "", "", "", "2026-04-01"]
    response = client.post(url, {"file": csv_upload(STAFF_HEADER, [row, ["李四", "12", "", "", "", "", "", "", "x"]])})
    batch = ImportBatch.objects.get(kind="staff")
    assert response.status_code == 302 and response.url.endswith(f"?enterprise={cast.ent_a.pk}")
    report = client.get(response.url)
    assert "Back to the roster" in report.content.decode() and not full_numbers(report)
    assert batch.created == 1 and batch.rejected == 1
    assert login(cast.liaison_b).post(url, {"file": csv_upload(STAFF_HEADER, [row])}).status_code == 404
