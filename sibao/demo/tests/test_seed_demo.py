from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import transaction

from sibao.accounts.models import Grant, Organization, User
from sibao.accounts.roles import Role
from sibao.audit.models import Event
from sibao.core.identifiers import credit_code_is_valid
from sibao.demo import builders, data
from sibao.enterprises.models import Enterprise, EnterpriseKind, SupplyLink
from sibao.regions.models import Region


def seed_demo(*args) -> str:
    """The command, without the whitelist story (test_whitelist_demo.py covers that part)."""
    out = StringIO()
    call_command("seed_demo", "--without-whitelist", *args, stdout=out)
    return out.getvalue()


def state() -> dict:
    """Counts and contents that any write would change."""
    return {
        "enterprises": list(Enterprise.objects.order_by("id").values_list("id", "credit_code", "version")),
        "links": SupplyLink.objects.count(),
        "users": list(User.objects.order_by("id").values_list("id", "username", "password", "last_login")),
        "grants": Grant.objects.count(),
        "organizations": Organization.objects.count(),
        "events": Event.objects.count(),
    }


def prefix(jur) -> str:
    region = Region.objects.get(code=jur.region)
    return region.prefix


def test_second_run_with_if_empty_changes_nothing(db):
    first = seed_demo("--if-empty")
    assert "Seeded demo data" in first and data.DEMO_PASSWORD in first
    before = state()
    second = seed_demo("--if-empty")
    assert "nothing seeded" in second
    assert "Seeded" not in second and data.DEMO_PASSWORD in second  # the logins are shown again
    assert state() == before


def test_without_if_empty_refuses_a_database_with_data(db):
    seed_demo()
    before = state()
    with pytest.raises(CommandError):
        seed_demo()
    assert state() == before


def test_if_empty_skips_when_only_a_user_exists(db):
    User.objects.create_user("someone", password=data.DEMO_PASSWORD)
    assert "nothing seeded" in seed_demo("--if-empty")
    assert not Enterprise.objects.exists()


def test_counts_and_places(db):
    seed_demo()
    for jur in data.JURISDICTIONS:
        firms = Enterprise.objects.filter(region__code__startswith=prefix(jur))
        assert firms.count() == jur.enterprise_count
        assert set(firms.values_list("sector", flat=True)) == set(data.SECTORS)
        assert firms.filter(headcount__gt=1000).count() >= 3
        assert firms.filter(city_operation_support=True).exists()
        assert firms.filter(key_project=True, kind=EnterpriseKind.PROJECT).exists()
        # A few large firms dominate: the top tenth holds over a third of the output.
        values = sorted(firms.values_list("output_value", flat=True), reverse=True)
        assert sum(values[: len(values) // 10]) > sum(values) / 3
    guancheng_streets = set(
        Enterprise.objects.filter(region__code__startswith="410104").values_list("region_id", flat=True)
    )
    assert guancheng_streets == {unit.region for unit in data.GUANCHENG.local_units}
    for firm in Enterprise.objects.all():
        expected = {
            "industry": {"C", "D"},
            "commerce": {"F", "H"},
            "transport": {"G"},
            "culture_tourism": {"R", "H"},
            "key_project": {"E"},
        }[firm.sector]
        assert firm.industry_section in expected, firm
        assert (firm.kind == EnterpriseKind.PROJECT) == (firm.sector == "key_project")
        assert len(firm.contact_phone) == 11 and firm.contact_phone[:2] in ("13", "15", "18")


def test_every_credit_code_is_valid_and_unique(db):
    seed_demo()
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(codes) == len(set(codes))
    assert all(credit_code_is_valid(code) for code in codes)
    assert all(code[:2] == "91" for code in codes)
    assert all(code[2:8] == region[:6] for code, region in Enterprise.objects.values_list("credit_code", "region_id"))
    partner_codes = SupplyLink.objects.exclude(partner_credit_code="").values_list("partner_credit_code", flat=True)
    assert all(credit_code_is_valid(code) for code in partner_codes)


def test_supply_links_cross_the_two_jurisdictions(db):
    seed_demo()
    gc, jz = (prefix(jur) for jur in data.JURISDICTIONS)
    key_suppliers = SupplyLink.objects.filter(direction="supplier", is_key=True, partner__isnull=False)
    assert key_suppliers.filter(enterprise__region__code__startswith=gc, partner__region__code__startswith=jz).exists()
    assert key_suppliers.filter(enterprise__region__code__startswith=jz, partner__region__code__startswith=gc).exists()
    for link in SupplyLink.objects.filter(partner__isnull=False).select_related("partner"):
        assert link.partner_credit_code == link.partner.credit_code
        assert link.partner_region_id == link.partner.region_id
        assert link.partner_name == link.partner.name


def test_every_role_has_a_user_in_both_jurisdictions(db):
    seed_demo()
    for jur in data.JURISDICTIONS:
        grants = Grant.objects.filter(region__code__startswith=prefix(jur)).select_related("user__organization")
        assert {g.role for g in grants} == set(Role)
        sectors = {g.sector for g in grants if g.role == Role.SECTOR_OFFICIAL}
        assert sectors == set(data.SECTORS)
        local = {g.region_id for g in grants if g.role == Role.LOCAL_OFFICIAL}
        assert local == {unit.region for unit in jur.local_units}
        for grant in grants:
            org = grant.user.organization
            assert org is not None and org.region_id.startswith(prefix(jur))
            assert grant.region_prefix == grant.region.prefix
            if grant.role == Role.SECTOR_OFFICIAL:
                assert org.sector == grant.sector and org.kind == "sector_department"
    assert User.objects.get(username="admin").is_superuser
    assert Organization.objects.get(region_id="410104012").name == "金岱产业集聚区管委会"
    assert Organization.objects.get(region_id="410871").name == "市城乡一体化示范区管委会"


def test_liaisons_see_only_their_enterprise(db):
    seed_demo()
    liaisons = User.objects.filter(enterprise__isnull=False)
    for jur in data.JURISDICTIONS:
        assert liaisons.filter(enterprise__region__code__startswith=prefix(jur)).count() >= 3
    for liaison in liaisons:
        assert list(Enterprise.objects.visible_to(liaison)) == [liaison.enterprise]
        assert not liaison.grants.exists()


def test_sector_official_sees_its_sector_in_its_jurisdiction(db):
    seed_demo()
    official = User.objects.get(username="gc_industry")
    visible = Enterprise.objects.visible_to(official)
    assert visible.exists()
    assert set(visible.values_list("sector", flat=True)) == {"industry"}
    assert all(code.startswith("410104") for code in visible.values_list("region_id", flat=True))


def test_demo_password_passes_the_validators():
    validate_password(data.DEMO_PASSWORD, user=User(username="gc_dispatch", display_name="张伟"))


def test_the_same_run_gives_the_same_data(db):
    plan = builders.demo_plan()
    assert plan.digest() == builders.demo_plan().digest()
    assert plan.digest() != builders.demo_plan(seed=data.SEED + 100).digest()
    empty = transaction.savepoint()
    first = builders.seed(whitelist=False)
    codes = list(Enterprise.objects.order_by("id").values_list("credit_code", flat=True))
    assert codes == [firm.credit_code for firm in plan.firms]
    # Back to the empty database (audit events and whitelist history cannot be deleted, only rolled back).
    transaction.savepoint_rollback(empty)
    second = builders.seed(whitelist=False)
    assert second.digest == first.digest
    assert list(Enterprise.objects.order_by("id").values_list("credit_code", flat=True)) == codes


def test_one_audit_event_per_run(db):
    result = builders.seed(whitelist=False)
    event = Event.objects.get(action="demo.seed")
    assert event.actor is None and event.actor_label == "system"
    assert event.changes["enterprises"] == [0, result.enterprises]


def test_demo_logins_reads_the_table_without_writing(db):
    seed_demo()
    before = state()
    out = StringIO()
    call_command("demo_logins", stdout=out)
    text = out.getvalue()
    assert state() == before
    for username in User.objects.values_list("username", flat=True):
        assert username in text
    assert data.DEMO_PASSWORD in text
    lines = text.splitlines()
    assert lines[3].split()[0] == "admin"
    # An account whose password was changed is no longer a demo login.
    user = User.objects.get(username="jz_checkpoint")
    user.set_password("another-Secret-2026")
    user.save()
    assert "jz_checkpoint" not in {row.username for row in builders.demo_logins()}


def test_demo_logins_on_an_empty_database(db):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "No account" in out.getvalue()


def test_province_generator_covers_every_county_with_valid_codes():
    demo = builders.demo_plan()
    taken = {firm.credit_code for firm in demo.firms}
    divisions = builders.Divisions()
    plan = builders.province_plan(400, divisions=divisions, taken_codes=set(taken))
    assert len(plan.firms) == 400
    codes = [firm.credit_code for firm in plan.firms]
    assert len(set(codes)) == 400 and not set(codes) & taken
    assert all(credit_code_is_valid(code) for code in codes)
    assert {firm.region_id[:6] for firm in plan.firms} == set(divisions.counties)
    again = builders.province_plan(400, divisions=divisions, taken_codes=set(taken))
    assert again.digest() == plan.digest()


def test_province_scale_adds_to_the_demo_set(db):
    out = seed_demo("--scale", "province", "--count", "200")
    assert "Seeded province data" in out
    demo_size = sum(jur.enterprise_count for jur in data.JURISDICTIONS)
    assert Enterprise.objects.count() == demo_size + 200
    codes = list(Enterprise.objects.values_list("credit_code", flat=True))
    assert len(set(codes)) == len(codes)


def test_organisation_code_check_character():
    # Organisation codes inside two published credit codes: 91110000710925462X and 91110000600037341L.
    assert builders.organisation_code("71092546") == "710925462"
    assert builders.organisation_code("60003734") == "600037341"
    assert builders.credit_code_build("9", "1", "110000", builders.organisation_code("71092546")) == (
        "91110000710925462X"
    )
    assert builders.organisation_code("00000006")[-1] == "X"
    assert builders.organisation_code("00000000")[-1] == "0"
