"""Builders for whitelist tests: published criteria, uploaded documents, and a snapshot for "nothing changed"."""

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from sibao.audit.models import Event
from sibao.core.errors import ServiceError
from sibao.core.models import Notification
from sibao.testing import GUANCHENG
from sibao.whitelist import services
from sibao.whitelist.models import (
    Application,
    ApplicationDocument,
    CriteriaSet,
    Criterion,
    CriterionKind,
    CriterionResult,
    DocumentType,
    Entry,
    StatusChange,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 5, 4)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    """Today is DAY (Asia/Shanghai, mid-morning) until the test moves it."""
    with time_machine.travel(at(DAY), tick=False) as traveller:
        yield traveller


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- criteria -------------------------------------------------------------------------------------------

HEADCOUNT_RULE = {"title": "At least 100 staff", "fact": "headcount", "operator": "gte", "value": 100}
PLAN_POINT = {"title": "Prevention and emergency plan", "document_type": DocumentType.PREVENTION_PLAN}
ROSTER_POINT = {"title": "Staff list", "document_type": DocumentType.STAFF_LIST}


def criteria_draft(actor, *, region: str = GUANCHENG, sector: str = "industry", automatic=(), judged=(), title=""):
    """A draft criteria set with the given automatic rules and judged points (dicts of criterion fields)."""
    draft = services.criteria_set_create(
        actor=actor, region_code=region, sector=sector, title=title or f"{sector} criteria {region}"
    )
    for rule in automatic:
        services.criterion_add(actor=actor, criteria_set=draft, kind=CriterionKind.AUTOMATIC, **rule)
    for point in judged:
        services.criterion_add(actor=actor, criteria_set=draft, kind=CriterionKind.JUDGED, **point)
    return draft


def criteria_published(
    actor,
    *,
    region: str = GUANCHENG,
    sector: str = "industry",
    automatic=(HEADCOUNT_RULE,),
    judged=(PLAN_POINT,),
    effective_from: dt.date | None = None,
):
    """A published criteria set, in force from `effective_from` (today by default)."""
    from sibao.core.clock import today

    draft = criteria_draft(actor, region=region, sector=sector, automatic=automatic, judged=judged)
    return services.criteria_set_publish(actor=actor, criteria_set=draft, effective_from=effective_from or today())


def criteria_of(criteria_set) -> dict[str, Criterion]:
    """The criteria of a set by title."""
    return {c.title: c for c in criteria_set.criteria.all()}


# --- documents ------------------------------------------------------------------------------------------

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 32 + b"\xff\xd9"


def _office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml" if kind == "docx" else "xl/workbook.xml", "<x/>")
    return buffer.getvalue()


def upload(name: str = "plan.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    """An uploaded file whose bytes match its extension unless `content` is given."""
    if content is None:
        extension = name.rsplit(".", 1)[-1].lower()
        content = {
            "pdf": PDF_BYTES,
            "png": PNG_BYTES,
            "jpg": JPEG_BYTES,
            "jpeg": JPEG_BYTES,
            "docx": _office("docx"),
            "xlsx": _office("xlsx"),
        }.get(extension, b"plain text")
    return SimpleUploadedFile(name, content)


def plan(name: str = "plan.pdf", content: bytes | None = None) -> tuple[str, SimpleUploadedFile]:
    return (DocumentType.PREVENTION_PLAN, upload(name, content))


def roster(name: str = "staff.xlsx", content: bytes | None = None) -> tuple[str, SimpleUploadedFile]:
    return (DocumentType.STAFF_LIST, upload(name, content))


def media_files() -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- "nothing changed" ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """Everything a refused whitelist action must leave as it was."""

    applications: tuple
    results: tuple
    documents: tuple
    entries: tuple
    history: int
    events: int
    notifications: int
    criteria_sets: tuple
    criteria: tuple
    files: tuple

    @classmethod
    def now(cls) -> "State":
        return cls(
            applications=tuple(Application.objects.order_by("pk").values_list("pk", "status", "version", "note")),
            results=tuple(
                CriterionResult.objects.order_by("pk").values_list("pk", "outcome", "explanation", "decided_by")
            ),
            documents=tuple(ApplicationDocument.objects.order_by("pk").values_list("pk", "file", "sha256")),
            entries=tuple(
                Entry.objects.order_by("pk").values_list(
                    "pk", "status", "version", "valid_to", "needs_review", "review_reason"
                )
            ),
            history=StatusChange.objects.count(),
            events=Event.objects.count(),
            notifications=Notification.objects.count(),
            criteria_sets=tuple(
                CriteriaSet.objects.order_by("pk").values_list("pk", "status", "version", "effective_from")
            ),
            criteria=tuple(Criterion.objects.order_by("pk").values_list("pk", "title", "fact", "operator")),
            files=tuple(media_files()),
        )


def refused(call, code, **kwargs) -> ServiceError:
    """Run a service call that must be refused with `code`; check that nothing at all changed."""
    before = State.now()
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert State.now() == before
    return caught.value


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)
