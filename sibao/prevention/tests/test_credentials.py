"""Health credentials (两码一证) through the service: status, newer-only, red-code alerts, bulk by ID number."""

import datetime as dt

import pytest

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.core.personal import decrypt
from sibao.prevention.models import Alert, AlertCause, CredentialCheck, StaffMember, Verification
from sibao.prevention.services.credentials import credential_checks_ingest, credential_record
from sibao.prevention.tests.staff_builders import SHANGHAI, clock, id_number, person, state  # noqa: F401

pytestmark = pytest.mark.usefixtures("clock")


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.fixture
def member(cast):
    return person(cast.liaison_a, cast.ent_a, name="甲")


def test_a_check_sets_the_status_and_an_older_one_does_not(cast, member):
    credential_record(
        actor=cast.liaison_a,
        staff=member,
        outcome="green",
        itinerary_risk=False,
        source="豫康码",
        checked_at="2026-05-04 08:00",
    )
    credential_record(
        actor=cast.liaison_a,
        staff=member,
        outcome="黄码",
        itinerary_risk=True,
        source="豫康码",
        checked_at="2026-05-03 08:00",
    )
    member.refresh_from_db()
    assert (member.code_outcome, member.code_checked_at, member.code_source) == (
        "green",
        at("2026-05-04T08:00"),
        "豫康码",
    )
    assert (member.itinerary_risk, member.itinerary_checked_at) == (False, at("2026-05-04T08:00"))
    assert CredentialCheck.objects.filter(staff=member).count() == 2
    assert Event.objects.filter(action="staff.credential_check").count() == 2


def test_a_red_code_raises_one_alert_at_once(cast, member):
    for hour in (8, 9):
        credential_record(
            actor=cast.prevention_gc,
            staff=member,
            outcome=Verification.RED,
            source="豫康码",
            checked_at=at(f"2026-05-04T0{hour}:00"),
        )
    alert = Alert.objects.get(cause=AlertCause.RED_CODE)
    assert (alert.enterprise, alert.staff) == (cast.ent_a, member)


def test_checks_refused_for_another_firm_and_bad_values_change_nothing(cast, member):
    before = state()
    with pytest.raises(ServiceError) as refused:
        credential_record(
            actor=cast.liaison_b, staff=member, outcome="green", source="x", checked_at="2026-05-04 08:00"
        )
    assert refused.value.code == ErrorCode.FORBIDDEN
    with pytest.raises(ServiceError) as invalid:
        credential_record(
            actor=cast.liaison_a, staff=member, outcome="purple", source="", checked_at="2026-05-05 08:00"
        )
    assert set(invalid.value.fields) == {"outcome", "source", "checked_at"}
    assert state() == before


def test_bulk_checks_by_id_number_report_unknown_people(cast, member):
    stranger = id_number()
    result = credential_checks_ingest(
        actor=cast.liaison_a,
        rows=[
            {
                "id_number": decrypt(member.id_cipher).lower(),
                "outcome": "red",
                "source": "API",
                "checked_at": "2026-05-04 09:00",
            },
            {"id_number": stranger, "outcome": "green", "source": "API", "checked_at": "2026-05-04 09:00"},
            {"id_number": "123", "outcome": "green", "source": "API", "checked_at": "2026-05-04 09:00"},
            {
                "id_number": decrypt(member.id_cipher),
                "outcome": "blue",
                "source": "API",
                "checked_at": "2026-05-04 09:00",
            },
        ],
    )
    assert (result["recorded"], result["unknown"], result["rejected"]) == (1, 1, 2)
    assert stranger not in str(result["errors"])
    assert StaffMember.objects.get(pk=member.pk).code_outcome == Verification.RED
    assert Alert.objects.filter(cause=AlertCause.RED_CODE).count() == 1
