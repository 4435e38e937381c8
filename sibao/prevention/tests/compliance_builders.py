"""Builders for the compliance, alert and readiness tests: a clock, staff rows with a status, a snapshot."""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings

from sibao.audit.models import Event
from sibao.core.masking import mask_id_number
from sibao.core.models import Notification
from sibao.core.personal import encrypt, lookup_hash
from sibao.prevention.models import (
    Alert,
    ClosedLoopPlan,
    ComplianceDay,
    LoopKind,
    PostType,
    StaffMember,
    TestOutcome,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 5, 4)
NOW = dt.datetime(2026, 5, 4, 10, tzinfo=SHANGHAI)
_serial = itertools.count(1)

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def clock():
    """Now is DAY, 10:00 in Asia/Shanghai, until the test moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a fresh directory per test."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def person(
    enterprise,
    *,
    post: str = PostType.GENERAL,
    started: dt.date | None = None,
    hours_ago: float | None = None,
    result: str = TestOutcome.NEGATIVE,
    left_on: dt.date | None = None,
    loop_kind: str = LoopKind.BUBBLE,
    name: str = "",
) -> StaffMember:
    """One member of staff, started 30 days ago by default; tested `hours_ago` before NOW (None: never)."""
    serial = next(_serial)
    number = f"4101041990{serial:08d}"
    return StaffMember.objects.create(
        enterprise=enterprise,
        name=name or f"员工{serial}",
        id_hash=lookup_hash(number),
        id_cipher=encrypt(number),
        id_masked=mask_id_number(number),
        post_type=post,
        loop_kind=loop_kind,
        loop_unit="A" if loop_kind else "",
        start_date=started or DAY - dt.timedelta(days=30),
        left_on=left_on,
        last_sampled_at=None if hours_ago is None else NOW - dt.timedelta(hours=hours_ago),
        last_result="" if hours_ago is None else result,
    )


def mixed_roster(enterprise) -> dict[str, StaffMember]:
    """Nine active staff and one who left, at default cycles (48 h / 24 h, static 3 days):
    2 within cycle, 4 overdue, 1 positive, 2 newcomers."""
    return {
        "general_within": person(enterprise, hours_ago=47),
        "general_overdue": person(enterprise, hours_ago=49),
        "mobile_within": person(enterprise, post=PostType.MOBILE, hours_ago=23),
        "mobile_overdue": person(enterprise, post=PostType.MOBILE, hours_ago=25),
        "never_tested": person(enterprise),
        "positive": person(enterprise, hours_ago=2, result=TestOutcome.POSITIVE),
        "newcomer": person(enterprise, started=DAY - dt.timedelta(days=1)),
        "newcomer_positive": person(
            enterprise, started=DAY - dt.timedelta(days=2), hours_ago=5, result=TestOutcome.POSITIVE
        ),
        "static_over": person(enterprise, started=DAY - dt.timedelta(days=3), loop_kind=""),
        "left": person(enterprise, hours_ago=100, left_on=DAY - dt.timedelta(days=5)),
    }


def state() -> dict:
    """What a refused action must leave as it was."""
    return {
        "alerts": list(Alert.objects.order_by("pk").values()),
        "plans": list(ClosedLoopPlan.objects.order_by("pk").values()),
        "days": list(ComplianceDay.objects.order_by("pk").values()),
        "events": Event.objects.count(),
        "notifications": Notification.objects.count(),
    }


@pytest.fixture
def english_pages(client):
    """Pages in English, whatever the catalogue holds (the assertions read English words)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def compute_world(cast):
    """Today's compliance computed: firm A's mixed roster (`cast.roster`), one tested member each at B and Jiaozuo."""
    from sibao.prevention.services.compliance import compliance_refresh

    cast.roster = mixed_roster(cast.ent_a)
    person(cast.ent_b, hours_ago=1)
    person(cast.ent_jz, hours_ago=1)
    compliance_refresh()
    return cast
