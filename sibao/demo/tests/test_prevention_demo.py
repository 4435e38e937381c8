"""The demo's prevention data: rosters, compliant and non-compliant firms, alerts, plans, a past mode switch.

Seeded once for the module, in a transaction rolled back at the end. The compliance figures come from
`compliance_refresh`, so these tests pass only with the compliance service built.
"""

import datetime as dt

import pytest
from django.db import transaction
from django.test import override_settings

from sibao.core.clock import today
from sibao.core.identifiers import resident_id_validate
from sibao.core.personal import decrypt
from sibao.demo import builders
from sibao.enterprises.models import Enterprise
from sibao.prevention import selectors
from sibao.prevention.models import (
    Alert,
    AlertCause,
    AlertStatus,
    ClosedLoopPlan,
    ComplianceDay,
    LoopKind,
    ModeSwitch,
    PostType,
    StaffMember,
)
from sibao.prevention.models import TestResult as Result  # not "Test…": pytest would try to collect it
from sibao.regions.models import Mode
from sibao.whitelist.selectors import WHITELISTED


@pytest.fixture(scope="module")
def seeded_media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def media_root(settings, seeded_media):
    settings.MEDIA_ROOT = seeded_media
    return seeded_media


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker, seeded_media):
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=str(seeded_media)), transaction.atomic():
        result = builders.seed()
        yield result
        transaction.set_rollback(True)


@pytest.fixture
def result(seeded, db):
    return seeded.prevention


def test_the_whitelisted_firms_have_rosters_of_every_kind(result):
    firms = set(Enterprise.objects.filter(WHITELISTED).exclude(kind="park").values_list("pk", flat=True))
    staffed = set(StaffMember.objects.values_list("enterprise_id", flat=True))
    assert firms and firms == staffed
    assert result.staff == StaffMember.objects.count() > 1000
    assert set(StaffMember.objects.values_list("post_type", flat=True)) == set(PostType.values)
    assert {LoopKind.BUBBLE, LoopKind.TWO_POINT} <= set(StaffMember.objects.values_list("loop_kind", flat=True))
    assert StaffMember.objects.filter(start_date__gt=today() - dt.timedelta(days=3)).exists()
    assert StaffMember.objects.filter(left_on__isnull=False).exists()


def test_id_numbers_are_valid_stored_encrypted_and_shown_masked(result):
    for member in StaffMember.objects.order_by("id")[:50]:
        number = decrypt(member.id_cipher)
        assert resident_id_validate(number) == number
        assert member.id_masked == f"{number[:3]}{'*' * 11}{number[-4:]}"
        assert number not in member.id_cipher


def test_test_results_cover_the_last_days(result):
    assert Result.objects.count() == result.results > result.staff
    assert StaffMember.objects.filter(last_sampled_at__isnull=False).count() > result.staff * 0.8


def test_some_firms_are_compliant_and_some_are_not(result):
    days = list(ComplianceDay.objects.filter(day=today(), staff__gt=0))
    assert days
    shares = [d.share for d in days if d.share is not None]
    assert any(share == 1 for share in shares), "some firms have every member tested within cycle"
    assert any(share < 0.9 for share in shares), "some firms fall below the threshold"


def test_a_positive_result_and_a_red_code_raised_alerts(result):
    for cause in (AlertCause.POSITIVE, AlertCause.RED_CODE, AlertCause.LOW_COMPLIANCE):
        alert = Alert.objects.filter(cause=cause).first()
        assert alert is not None, cause
        assert alert.status == AlertStatus.OPEN
    positive = Alert.objects.get(cause=AlertCause.POSITIVE)
    assert positive.staff.last_result == "positive"
    assert Alert.objects.get(cause=AlertCause.RED_CODE).staff.code_outcome == "red"


def test_most_firms_have_a_closed_loop_plan_and_some_have_gaps(result):
    firms = list(Enterprise.objects.filter(WHITELISTED).exclude(kind="park").values_list("pk", flat=True))
    plans = ClosedLoopPlan.objects.filter(enterprise_id__in=firms).count()
    assert plans == result.plans and plans > len(firms) * 0.7
    gaps = selectors.readiness_by_enterprise(firms)
    not_ready = [pk for pk in firms if gaps.get(pk)]
    assert 0 < len(not_ready) < len(firms)


def test_a_street_was_switched_to_emergency_and_back(result):
    back, first = ModeSwitch.objects.select_related("region", "actor").order_by("-at")
    assert (first.to_mode, back.to_mode) == (Mode.EMERGENCY, Mode.NORMAL)
    assert first.region == back.region and first.region.level == "street"
    assert first.actor.username == "gc_prevention" and first.reason and first.firms > 0
    assert first.at.date() < back.at.date() < today()
    first.region.refresh_from_db()
    assert first.region.mode == Mode.NORMAL


def test_the_prevention_official_signs_in_with_the_demo_password(result):
    logins = {login.username: login for login in builders.demo_logins()}
    assert logins["gc_prevention"].role == "prevention_official"
    assert logins["jz_prevention"].role == "prevention_official"
