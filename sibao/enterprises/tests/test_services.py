"""Registry writes through the services: who may write where, conflicts, and the audit event in the same transaction."""

from decimal import Decimal

import pytest

from sibao.audit.models import Event
from sibao.core.errors import ErrorCode, ServiceError
from sibao.enterprises import services
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.enterprises.tests.files import State, row
from sibao.testing import ERQI, GUANCHENG_STREET, GUANCHENG_STREET_2, JIAOZUO_STREET


def refused(call, code: ErrorCode, **kwargs) -> ServiceError:
    """Run a service call that must be refused with `code`, and check that nothing changed."""
    before = State.now()
    with pytest.raises(ServiceError) as caught:
        call(**kwargs)
    assert caught.value.code == code, caught.value.as_dict()
    assert State.now() == before
    return caught.value


def fresh(enterprise: Enterprise) -> Enterprise:
    return Enterprise.objects.get(pk=enterprise.pk)


# --- create --------------------------------------------------------------------------------------


def test_sector_official_creates_in_its_sector_and_region(cast):
    data = row(sector="industry", region=GUANCHENG_STREET_2)
    enterprise = services.enterprise_create(actor=cast.industry_gc, data=data)
    assert enterprise.credit_code == data["credit_code"]
    assert enterprise.region_id == GUANCHENG_STREET_2
    assert enterprise.output_value == Decimal("12000.00")
    assert enterprise.headcount == 320
    assert enterprise.version == 1
    assert enterprise.created_by == cast.industry_gc
    (event,) = Event.objects.for_object(enterprise)
    assert event.action == "enterprise.create"
    assert event.actor == cast.industry_gc
    assert event.region_code == GUANCHENG_STREET_2
    assert event.changes["name"] == [None, data["name"]]


@pytest.mark.parametrize(
    ("who", "sector", "region"),
    [
        ("industry_gc", "commerce", GUANCHENG_STREET),  # other sector
        ("industry_gc", "industry", JIAOZUO_STREET),  # other city
        ("industry_gc", "industry", ERQI),  # other district
        ("street_gc", "industry", GUANCHENG_STREET_2),  # other street
        ("official_erqi", "industry", GUANCHENG_STREET),  # another district's official
        ("dispatcher_jz", "industry", GUANCHENG_STREET),  # another city's official
        ("auditor_gc", "industry", GUANCHENG_STREET),  # reads only
        ("checkpoint", "industry", GUANCHENG_STREET),
        ("liaison_a", "industry", GUANCHENG_STREET),
    ],
)
def test_create_outside_ones_grants_is_refused(cast, who, sector, region):
    error = refused(
        services.enterprise_create,
        ErrorCode.FORBIDDEN,
        actor=getattr(cast, who),
        data=row(sector=sector, region=region),
    )
    assert error.http_status == 403


@pytest.mark.parametrize(("who", "region"), [("admin_gc", GUANCHENG_STREET), ("street_gc", GUANCHENG_STREET)])
def test_create_within_grants(cast, who, region):
    enterprise = services.enterprise_create(actor=getattr(cast, who), data=row(region=region, sector="commerce"))
    assert Event.objects.for_object(enterprise).count() == 1


def test_duplicate_credit_code_is_a_conflict(cast):
    error = refused(
        services.enterprise_create,
        ErrorCode.CONFLICT,
        actor=cast.admin_gc,
        data=row(credit_code=cast.ent_a.credit_code),
    )
    assert error.http_status == 409
    assert "credit_code" in error.fields


def test_duplicate_credit_code_written_differently_is_a_conflict(cast):
    written = " " + "".join(chr(ord(c) + 0xFEE0) for c in cast.ent_a.credit_code.lower()) + " "
    refused(services.enterprise_create, ErrorCode.CONFLICT, actor=cast.admin_gc, data=row(credit_code=written))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("credit_code", "91410104MA40XK2N7"),  # 17 characters
        ("credit_code", "91410104MA40XK2NOO"),  # O is not in the alphabet
        ("credit_code", "91410104MA0000001Q"),  # wrong check character
        ("region", "419999001"),
        ("output_value", "-1"),
        ("output_value", "十万"),
        ("headcount", "many"),
        ("sector", "mining"),
        ("industry_division", "99"),
        ("contact_phone", "call me"),
    ],
)
def test_invalid_values_are_refused_naming_the_field(cast, field, value):
    error = refused(services.enterprise_create, ErrorCode.INVALID, actor=cast.admin_gc, data=row(**{field: value}))
    assert error.http_status == 400
    assert list(error.fields) == [field]


def test_every_bad_field_is_reported_at_once(cast):
    data = row(credit_code="bad", output_value="-5", headcount="x")
    del data["name"]
    error = refused(services.enterprise_create, ErrorCode.INVALID, actor=cast.admin_gc, data=data)
    assert set(error.fields) == {"credit_code", "output_value", "headcount", "name"}


def test_section_must_match_division(cast):
    error = refused(
        services.enterprise_create,
        ErrorCode.INVALID,
        actor=cast.admin_gc,
        data=row(industry_section="A", industry_division="14"),
    )
    assert list(error.fields) == ["industry_section"]


def test_section_is_filled_from_division(cast):
    data = row(industry_division="54")
    del data["industry_section"]
    assert services.enterprise_create(actor=cast.admin_gc, data=data).industry_section == "G"


def test_full_width_and_padded_values_are_normalised(cast):
    code = row()["credit_code"]
    data = row(
        credit_code=" " + code.lower() + "\u3000",
        output_value="１２３４５",
        headcount="３２０",
        region=" 410104001 ",
        sector=" Industrial production ",  # a label is accepted as well as the value
    )
    enterprise = services.enterprise_create(actor=cast.admin_gc, data=data)
    assert enterprise.credit_code == code
    assert enterprise.output_value == Decimal("12345.00")
    assert enterprise.headcount == 320
    assert enterprise.region_id == GUANCHENG_STREET


def test_create_is_undone_when_the_audit_event_fails(cast, monkeypatch):
    """The row and its event are one transaction: no event, no row."""

    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "event_record", broken)
    before = State.now()
    with pytest.raises(RuntimeError):
        services.enterprise_create(actor=cast.admin_gc, data=row())
    assert State.now() == before


# --- update --------------------------------------------------------------------------------------


def test_liaison_edits_its_own_enterprise(cast):
    enterprise = services.enterprise_update(
        actor=cast.liaison_a, enterprise=cast.ent_a, data={"contact_phone": "13800000000", "headcount": "310"}
    )
    assert enterprise.version == 2
    saved = fresh(cast.ent_a)
    assert (saved.contact_phone, saved.headcount, saved.version) == ("13800000000", 310, 2)
    (event,) = Event.objects.for_object(cast.ent_a).filter(action="enterprise.update")
    assert event.actor == cast.liaison_a
    assert event.changes == {"contact_phone": ["", "13800000000"], "headcount": [300, 310]}


@pytest.mark.parametrize(
    "data",
    [
        {"region": GUANCHENG_STREET_2},
        {"region": JIAOZUO_STREET},
        {"sector": "commerce"},
    ],
)
def test_liaison_may_not_move_its_enterprise(cast, data):
    refused(services.enterprise_update, ErrorCode.FORBIDDEN, actor=cast.liaison_a, enterprise=cast.ent_a, data=data)


def test_liaison_may_repeat_region_and_sector(cast):
    """A form posts every field: an unchanged region and sector are not a move."""
    services.enterprise_update(
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        data={"region": GUANCHENG_STREET, "sector": "industry", "name": "管城甲食品股份有限公司"},
    )
    assert fresh(cast.ent_a).name == "管城甲食品股份有限公司"


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("liaison_a", "ent_b"),
        ("liaison_jz", "ent_a"),
        ("official_erqi", "ent_a"),
        ("dispatcher_jz", "ent_a"),
        ("industry_gc", "ent_b"),  # commerce
        ("street_gc", "ent_b"),  # the other street
        ("auditor_gc", "ent_a"),
        ("dispatcher_gc", "ent_jz"),
    ],
)
def test_update_outside_ones_grants_is_refused(cast, who, target):
    refused(
        services.enterprise_update,
        ErrorCode.FORBIDDEN,
        actor=getattr(cast, who),
        enterprise=getattr(cast, target),
        data={"name": "改名有限公司"},
    )


def test_official_of_another_district_cannot_pull_an_enterprise_into_its_own(cast):
    refused(
        services.enterprise_update,
        ErrorCode.FORBIDDEN,
        actor=cast.official_erqi,
        enterprise=cast.ent_a,
        data={"region": ERQI},
    )


def test_sector_official_moves_within_its_region_but_not_out(cast):
    services.enterprise_update(actor=cast.industry_gc, enterprise=cast.ent_a, data={"region": GUANCHENG_STREET_2})
    assert fresh(cast.ent_a).region_id == GUANCHENG_STREET_2
    refused(
        services.enterprise_update,
        ErrorCode.FORBIDDEN,
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        data={"region": JIAOZUO_STREET},
    )
    refused(
        services.enterprise_update,
        ErrorCode.FORBIDDEN,
        actor=cast.industry_gc,
        enterprise=cast.ent_a,
        data={"sector": "commerce"},
    )


def test_stale_version_is_a_conflict_and_changes_nothing(cast):
    services.enterprise_update(
        actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "301"}, expected_version=1
    )
    error = refused(
        services.enterprise_update,
        ErrorCode.CONFLICT,
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        data={"headcount": "999"},
        expected_version=1,
    )
    assert error.http_status == 409
    saved = fresh(cast.ent_a)
    assert (saved.headcount, saved.version) == (301, 2)


def test_current_version_is_accepted(cast):
    services.enterprise_update(
        actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "301"}, expected_version=1
    )
    services.enterprise_update(
        actor=cast.liaison_a, enterprise=cast.ent_a, data={"headcount": "302"}, expected_version=2
    )
    assert fresh(cast.ent_a).version == 3


def test_stale_object_without_expected_version_still_saves_on_the_locked_row(cast):
    stale = fresh(cast.ent_a)
    services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "301"})
    services.enterprise_update(actor=cast.dispatcher_gc, enterprise=stale, data={"name": "新名称有限公司"})
    saved = fresh(cast.ent_a)
    assert (saved.headcount, saved.name, saved.version) == (301, "新名称有限公司", 3)


def test_update_without_changes_records_nothing(cast):
    before = State.now()
    services.enterprise_update(
        actor=cast.dispatcher_gc,
        enterprise=cast.ent_a,
        data={"name": cast.ent_a.name, "output_value": "12000.00", "headcount": "300"},
    )
    assert State.now() == before


def test_invalid_update_changes_nothing(cast):
    error = refused(
        services.enterprise_update,
        ErrorCode.INVALID,
        actor=cast.dispatcher_gc,
        enterprise=cast.ent_a,
        data={"output_value": "-3", "headcount": "300"},
    )
    assert list(error.fields) == ["output_value"]


def test_credit_code_cannot_change(cast):
    other = row()["credit_code"]
    error = refused(
        services.enterprise_update,
        ErrorCode.INVALID,
        actor=cast.dispatcher_gc,
        enterprise=cast.ent_a,
        data={"credit_code": other},
    )
    assert list(error.fields) == ["credit_code"]


def test_invalid_credit_code_in_an_update_is_a_validation_error(cast):
    error = refused(
        services.enterprise_update,
        ErrorCode.INVALID,
        actor=cast.dispatcher_gc,
        enterprise=cast.ent_a,
        data={"credit_code": "not a code"},
    )
    assert list(error.fields) == ["credit_code"]


def test_credit_code_may_be_repeated_in_another_spelling(cast):
    services.enterprise_update(
        actor=cast.dispatcher_gc,
        enterprise=cast.ent_a,
        data={"credit_code": cast.ent_a.credit_code.lower(), "headcount": "305"},
    )
    assert fresh(cast.ent_a).headcount == 305


def test_update_is_undone_when_the_audit_event_fails(cast, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "event_record", broken)
    before = State.now()
    with pytest.raises(RuntimeError):
        services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "1"})
    assert State.now() == before
    assert fresh(cast.ent_a).headcount == 300


# --- supply links --------------------------------------------------------------------------------


def link_data(**values) -> dict:
    return {
        "direction": "supplier",
        "partner_name": "焦作丙机械有限公司",
        "partner_credit_code": "",
        "partner_region": JIAOZUO_STREET,
        "is_key": "on",
        "note": "",
        **values,
    }


def test_supply_link_add_and_remove_are_audited(cast):
    link = services.supply_link_add(
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        data=link_data(partner_credit_code=cast.ent_jz.credit_code),
    )
    assert link.partner == cast.ent_jz
    assert link.is_key
    services.supply_link_remove(actor=cast.liaison_a, link=link)
    assert not SupplyLink.objects.exists()
    actions = list(Event.objects.for_object(cast.ent_a).order_by("id").values_list("action", flat=True))
    assert actions == ["enterprise.supply_link_add", "enterprise.supply_link_remove"]


def test_supply_link_duplicate_is_a_conflict(cast):
    services.supply_link_add(actor=cast.liaison_a, enterprise=cast.ent_a, data=link_data())
    refused(services.supply_link_add, ErrorCode.CONFLICT, actor=cast.liaison_a, enterprise=cast.ent_a, data=link_data())


def test_supply_link_invalid_is_refused(cast):
    error = refused(
        services.supply_link_add,
        ErrorCode.INVALID,
        actor=cast.liaison_a,
        enterprise=cast.ent_a,
        data=link_data(partner_region="999999", direction="sideways"),
    )
    assert set(error.fields) == {"partner_region", "direction"}


def test_supply_link_services_refuse_an_outsider_and_change_nothing(cast):
    from sibao.core.errors import ServiceError
    from sibao.enterprises import services
    from sibao.enterprises.models import SupplyLink

    data = {"direction": "supplier", "partner_name": "某供应商", "partner_region": "410802"}
    link = services.supply_link_add(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data=data)
    for outsider in (cast.official_erqi, cast.liaison_b, cast.auditor_gc):
        with pytest.raises(ServiceError):
            services.supply_link_add(actor=outsider, enterprise=cast.ent_a, data={**data, "partner_name": "别的"})
        with pytest.raises(ServiceError):
            services.supply_link_remove(actor=outsider, link=link)
    assert list(SupplyLink.objects.values_list("partner_name", flat=True)) == ["某供应商"]
