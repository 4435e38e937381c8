"""Builders for the mode-switch tests: whitelisted firms, staff rows, and a snapshot for "nothing changed"."""

import datetime as dt
import itertools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from stdnum.cn import ric

from sibao.audit.models import Event
from sibao.core.masking import mask_id_number
from sibao.core.models import Notification
from sibao.core.personal import encrypt, lookup_hash
from sibao.prevention.models import ModeSwitch, PostType, StaffMember
from sibao.regions.models import Region
from sibao.whitelist.models import Entry
from sibao.whitelist.services import entry_move

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 5, 4)
_serial = itertools.count(1)


@pytest.fixture
def clock():
    """Today is DAY, mid-morning in Asia/Shanghai."""
    with time_machine.travel(dt.datetime(2026, 5, 4, 10, tzinfo=SHANGHAI), tick=False) as traveller:
        yield traveller


def admit(actor, enterprise) -> Entry:
    """The enterprise is on the whitelist (an active entry), as the whitelist's own tests admit one."""
    with transaction.atomic():
        return entry_move(
            actor=actor,
            entry=None,
            enterprise=enterprise,
            action="admit",
            effective_date=DAY,
            valid_from=DAY,
            valid_to=DAY + dt.timedelta(days=365),
        )


def id_number(region: str = "410104") -> str:
    """A valid resident ID number, different on each call."""
    body = f"{region[:6]}1990{(next(_serial) % 12) + 1:02d}01{next(_serial) % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")  # it skips the last character


def staff(enterprise, *, general: int = 0, mobile: int = 0, left: int = 0) -> list[StaffMember]:
    """`general` and `mobile` active staff on the roster, and `left` who have left (not counted)."""
    rows = []
    kinds = [PostType.GENERAL] * general + [PostType.MOBILE] * mobile + [PostType.GENERAL] * left
    for n, post_type in enumerate(kinds):
        number = id_number(enterprise.region_id)
        rows.append(
            StaffMember(
                enterprise=enterprise,
                name=f"员工{n}",
                id_hash=lookup_hash(number),
                id_cipher=encrypt(number),
                id_masked=mask_id_number(number),
                post_type=post_type,
                start_date=DAY - dt.timedelta(days=100),
                left_on=DAY - dt.timedelta(days=1) if n >= general + mobile else None,
            )
        )
    return StaffMember.objects.bulk_create(rows)


@dataclass(frozen=True)
class State:
    """Everything a refused switch must leave as it was."""

    modes: tuple
    switches: int
    notifications: int
    events: int

    @classmethod
    def now(cls) -> "State":
        return cls(
            modes=tuple(Region.objects.order_by("code").values_list("code", "mode", "mode_changed_at")),
            switches=ModeSwitch.objects.count(),
            notifications=Notification.objects.count(),
            events=Event.objects.count(),
        )


def modes_under(prefix: str) -> set[str]:
    return set(Region.objects.filter(code__startswith=prefix).values_list("mode", flat=True))


def told(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("subject", flat=True))
