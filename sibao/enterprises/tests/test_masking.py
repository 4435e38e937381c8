"""Contact phones are personal data: shown in full only to who may change the enterprise, masked elsewhere."""

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook
from rest_framework.test import APIClient

from sibao.enterprises import services
from sibao.testing import make_user

PHONE = "13812345678"
MASKED = "138****5678"


@pytest.fixture
def phoned(cast):
    services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"contact_phone": PHONE})
    cast.cadre_gc = make_user("cadre_gc", role="cadre", region="410104")
    return cast


@pytest.mark.parametrize("who, full", [("dispatcher_gc", True), ("liaison_a", True), ("cadre_gc", False)])
def test_detail_page_and_its_history(phoned, login, who, full):
    page = login(getattr(phoned, who)).get(reverse("enterprises:detail", args=[phoned.ent_a.pk])).content.decode()
    assert (PHONE in page) is full
    assert (MASKED in page) is not full


@pytest.mark.parametrize("who, full", [("dispatcher_gc", True), ("cadre_gc", False)])
def test_api(phoned, who, full):
    client = APIClient()
    client.force_authenticate(getattr(phoned, who))
    listed = client.get("/api/v1/enterprises/", {"q": phoned.ent_a.name}).json()["results"][0]
    single = client.get(f"/api/v1/enterprises/{phoned.ent_a.pk}/").json()
    assert listed["contact_phone"] == single["contact_phone"] == (PHONE if full else MASKED)


def test_export_masks_for_a_reader(phoned, login):
    phoned.auditor_gc.refresh_from_db()
    content = login(phoned.auditor_gc).get(reverse("enterprises:export")).content
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    cells = {str(c) for row in rows for c in row}
    assert MASKED in cells and PHONE not in cells
