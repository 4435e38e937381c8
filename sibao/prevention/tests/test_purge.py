"""`sibao purge_health_data --before DATE`: health data past retention goes, the aggregates stay."""

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from sibao.audit.models import Event
from sibao.prevention.models import ComplianceDay, CredentialCheck, HeldResult, StaffMember
from sibao.prevention.models import TestResult as Result
from sibao.prevention.services.credentials import credential_record
from sibao.prevention.services.tests import test_results_ingest as ingest
from sibao.prevention.tests.staff_builders import (  # noqa: F401
    RESULT_HEADER,
    clock,
    csv_upload,
    id_number,
    person,
)

pytestmark = pytest.mark.usefixtures("clock")


def test_purge_removes_old_health_data_and_keeps_the_aggregates(cast):
    from sibao.core.personal import decrypt

    old, recent = person(cast.liaison_a, cast.ent_a, name="旧"), person(cast.liaison_a, cast.ent_a, name="新")
    rows = [
        [decrypt(old.id_cipher), "2026-04-20 08:00", "机构", "阴性"],
        [decrypt(recent.id_cipher), "2026-04-20 08:00", "机构", "阴性"],
        [decrypt(recent.id_cipher), "2026-05-03 08:00", "机构", "阴性"],
        [id_number(), "2026-04-20 08:00", "机构", "阴性"],  # held apart
    ]
    ingest(actor=cast.liaison_a, upload=csv_upload(RESULT_HEADER, rows))
    credential_record(
        actor=cast.liaison_a,
        staff=old,
        outcome="green",
        itinerary_risk=False,
        source="码",
        checked_at="2026-04-20 09:00",
    )
    credential_record(actor=cast.liaison_a, staff=recent, outcome="green", source="码", checked_at="2026-05-04 09:00")
    ComplianceDay.objects.create(
        enterprise=cast.ent_a,
        day=dt.date(2026, 4, 20),
        computed_at=dt.datetime(2026, 4, 20, 12, tzinfo=dt.UTC),
        region_code=cast.ent_a.region_id,
        sector="industry",
        staff=2,
        newcomers=0,
        within=2,
        overdue=0,
        cycle_general_hours=48,
        cycle_mobile_hours=24,
        static_days=3,
    )
    days = ComplianceDay.objects.count()
    out = io.StringIO()
    call_command("purge_health_data", "--before", "2026-05-01", stdout=out)
    assert "test_results: 2" in out.getvalue() and "held_results: 1" in out.getvalue()
    assert Result.objects.count() == 1 and not HeldResult.objects.exists()
    assert list(CredentialCheck.objects.values_list("staff", flat=True)) == [recent.pk]
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.last_sampled_at, old.last_result, old.code_outcome, old.itinerary_risk) == (None, "", "", None)
    assert recent.last_sampled_at is not None and recent.code_outcome == "green"
    assert ComplianceDay.objects.count() == days
    event = Event.objects.get(action="prevention.purge_health_data")
    assert event.changes["test_results"] == [None, 2] and event.changes["credential_checks"] == [None, 1]
    assert StaffMember.objects.count() == 2


def test_purge_refuses_a_future_or_malformed_date(cast):
    for value in ("2026-06-01", "May"):
        with pytest.raises(CommandError):
            call_command("purge_health_data", "--before", value)
