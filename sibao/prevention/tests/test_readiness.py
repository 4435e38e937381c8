"""Closed-loop readiness: gaps from the plan, the roster and the jurisdiction's observation ratio; the plan
kept through the service and the page form (document checks, versions, who may), refusals changing nothing."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sibao.audit.models import Event
from sibao.core.errors import ServiceError
from sibao.prevention.models import ClosedLoopPlan
from sibao.prevention.selectors import readiness_by_enterprise
from sibao.prevention.services.readiness import closed_loop_plan_update
from sibao.prevention.tests.compliance_builders import (
    PDF_BYTES,
    PNG_BYTES,
    clock,  # noqa: F401 (fixture)
    english_pages,  # noqa: F401 (fixture)
    media,  # noqa: F401 (fixture)
    person,
    state,
)
from sibao.regions.models import Parameter
from sibao.testing import GUANCHENG

pytestmark = pytest.mark.usefixtures("english_pages", "clock", "media")

FULL = {
    "lodging": "厂区宿舍2号楼",
    "lodging_beds": "120",
    "receiving_point": "东门物资接收点",
    "observation_places": "3",
    "lead_name": "王强",
    "lead_phone": "13800000000",
}


def codes(enterprise) -> list[str]:
    return [gap.code for gap in readiness_by_enterprise([enterprise.pk])[enterprise.pk]]


def pdf(name: str = "plan.pdf", content: bytes = PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_an_enterprise_without_plan_or_staff_lacks_everything(cast):
    assert codes(cast.ent_a) == ["plan_document", "staff", "lodging", "receiving_point", "lead"]


def test_a_complete_plan_leaves_only_what_the_roster_lacks(cast):
    for _ in range(150):
        person(cast.ent_a)
    person(cast.ent_a, loop_kind="")
    closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data=FULL, document=pdf())
    gaps = readiness_by_enterprise([cast.ent_a.pk])[cast.ent_a.pk]
    assert [gap.code for gap in gaps] == ["units"]  # 151 staff need 2 places at 1 per 100; 3 are planned
    assert "1 of 151 staff" in gaps[0].message


def test_the_observation_ratio_is_the_jurisdictions(cast):
    for _ in range(10):
        person(cast.ent_a)
    closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data=FULL, document=pdf())
    assert codes(cast.ent_a) == []
    Parameter.objects.create(
        region_id=GUANCHENG,
        key="prevention.observation_places_per_staff",
        value=0.5,
        effective_from=dt.date(2026, 1, 1),
    )
    assert codes(cast.ent_a) == ["observation"]  # 10 staff at 0.5 need 5 places


def test_readiness_of_many_enterprises_takes_four_queries(cast, django_assert_max_num_queries):
    person(cast.ent_a)
    with django_assert_max_num_queries(4):
        gaps = readiness_by_enterprise([cast.ent_a.pk, cast.ent_b.pk, cast.ent_jz.pk, 999_999])
    assert set(gaps) == {cast.ent_a.pk, cast.ent_b.pk, cast.ent_jz.pk}


def test_the_plan_is_saved_with_an_event_and_a_version(cast):
    plan = closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={**FULL, "version": "0"})
    assert (plan.version, plan.lodging_beds, plan.lead_name) == (1, 120, "王强")
    plan = closed_loop_plan_update(
        actor=cast.street_gc, enterprise=cast.ent_a, data={"lead_phone": "13900000000", "version": 1}
    )
    assert (plan.version, plan.lead_phone, plan.lodging) == (2, "13900000000", "厂区宿舍2号楼")
    events = Event.objects.filter(action="prevention.closed_loop_plan_update").order_by("id")
    assert [e.actor.username for e in events] == ["liaison_a", "street_gc"]
    assert events[1].changes == {"lead_phone": ["13800000000", "13900000000"]}


@pytest.mark.parametrize(
    ("who", "data", "document", "code"),
    [
        ("prevention_gc", FULL, None, "forbidden"),  # sees the firm, may not change it
        ("liaison_b", FULL, None, "forbidden"),
        ("official_erqi", FULL, None, "forbidden"),
        ("liaison_a", {**FULL, "version": "7"}, None, "conflict"),
        ("liaison_a", {"lodging_beds": "很多"}, None, "invalid"),
        ("liaison_a", {"observation_places": "-1"}, None, "invalid"),
        ("liaison_a", FULL, SimpleUploadedFile("plan.exe", b"MZ\x90\x00"), "unsupported_file"),
        ("liaison_a", FULL, SimpleUploadedFile("plan.pdf", PNG_BYTES), "unsupported_file"),
        ("liaison_a", FULL, SimpleUploadedFile("plan.docx", b"PK\x03\x04 not a zip"), "unsupported_file"),
    ],
)
def test_refusals_change_nothing(cast, who, data, document, code):
    closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={"lodging": "原宿舍"})
    before = state()
    with pytest.raises(ServiceError) as refused:
        closed_loop_plan_update(actor=getattr(cast, who), enterprise=cast.ent_a, data=data, document=document)
    assert refused.value.code == code
    assert state() == before


def test_a_document_over_the_size_limit_is_refused(cast, settings):
    settings.SIBAO_DOCUMENT_MAX_BYTES = 10
    with pytest.raises(ServiceError) as refused:
        closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={}, document=pdf())
    assert refused.value.code == "file_too_large" and not ClosedLoopPlan.objects.exists()


def test_word_and_image_documents_are_accepted(cast):
    ole = SimpleUploadedFile("plan.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64)
    plan = closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data={}, document=ole)
    assert plan.plan_document.name.endswith(".doc")
    plan = closed_loop_plan_update(
        actor=cast.liaison_a, enterprise=cast.ent_a, data={}, document=SimpleUploadedFile("scan.png", PNG_BYTES)
    )
    assert plan.plan_document.name.endswith(".png") and plan.version == 2


# --- the page form ------------------------------------------------------------------------------------------


def test_the_liaison_keeps_the_plan_through_the_page(cast, login):
    client = login(cast.liaison_a)
    page = reverse("prevention:enterprise", args=[cast.ent_a.pk])
    assert b"No emergency plan" in client.get(page).content
    response = client.post(
        reverse("prevention:plan_edit", args=[cast.ent_a.pk]), {**FULL, "version": "0", "plan_document": pdf()}
    )
    assert response.status_code == 302
    shown = client.get(page).content.decode()
    assert "东门物资接收点" in shown and "No emergency plan" not in shown
    download = client.get(reverse("prevention:plan_document", args=[cast.ent_a.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES


def test_a_bad_document_on_the_page_is_shown_on_the_form(cast, login):
    client = login(cast.liaison_a)
    response = client.post(
        reverse("prevention:plan_edit", args=[cast.ent_a.pk]),
        {**FULL, "version": "0", "plan_document": SimpleUploadedFile("plan.txt", b"hello")},
    )
    assert response.status_code == 200
    assert b"Only PDF, DOC, DOCX, JPG and PNG files are accepted." in response.content
    assert not ClosedLoopPlan.objects.exists()


@pytest.mark.parametrize("who", ["prevention_gc", "liaison_b", "official_erqi", "dispatcher_jz"])
def test_others_cannot_post_the_plan_or_download_a_foreign_one(cast, login, who):
    closed_loop_plan_update(actor=cast.liaison_a, enterprise=cast.ent_a, data=FULL, document=pdf())
    before = state()
    client = login(getattr(cast, who))
    assert client.post(reverse("prevention:plan_edit", args=[cast.ent_a.pk]), FULL).status_code == 404
    assert state() == before
    download = client.get(reverse("prevention:plan_document", args=[cast.ent_a.pk])).status_code
    assert download == (200 if who == "prevention_gc" else 404)
