"""Who sees what: one mechanism, `visible_to`, for every scoped model (DESIGN §4)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from sibao.accounts.models import Grant
from sibao.accounts.roles import Action, Role
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.regions.models import Region
from sibao.regions.scoping import get_visible_or_404, holds_action_somewhere, may_act_at, visible_regions
from sibao.testing import ERQI, GUANCHENG, GUANCHENG_STREET, make_enterprise, make_user


def names(user, model=Enterprise, action=Action.VIEW) -> set[str]:
    return {str(obj) for obj in model.objects.visible_to(user, action)}


@pytest.fixture
def world(cast):
    """The cast plus an industry firm in Erqi, a firm in a Jiaozuo park and a supply link of each Guancheng firm."""
    cast.ent_erqi = make_enterprise(region=ERQI, sector="industry", name="二七丁工业有限公司")
    cast.ent_park = make_enterprise(region="410871060", sector="industry", name="示范区戊科技有限公司")
    cast.link_a = SupplyLink.objects.create(
        enterprise=cast.ent_a, direction="supplier", partner_name="甲的供应商", partner_region_id="410102"
    )
    cast.link_b = SupplyLink.objects.create(
        enterprise=cast.ent_b, direction="customer", partner_name="乙的客户", partner_region_id="410102"
    )
    return cast


GC_NAMES = {"管城甲食品有限公司", "管城乙商贸有限公司"}


def test_a_sector_official_sees_only_its_sector_in_its_region(world):
    assert names(world.industry_gc) == {world.ent_a.name}
    assert names(world.commerce_gc) == {world.ent_b.name}
    assert names(world.industry_gc, SupplyLink) == {str(world.link_a)}


def test_a_street_official_sees_only_its_street(world):
    assert names(world.street_gc) == {world.ent_a.name}
    assert names(world.street_gc, SupplyLink) == {str(world.link_a)}


def test_a_district_official_sees_its_whole_district(world):
    assert names(world.dispatcher_gc) == GC_NAMES
    assert names(world.dispatcher_gc, SupplyLink) == {str(world.link_a), str(world.link_b)}


def test_a_city_official_sees_its_whole_city(world):
    zhengzhou = make_user("dispatcher_zz", role=Role.DISPATCHER, region="410100")
    assert names(zhengzhou) == GC_NAMES | {world.ent_erqi.name}
    jiaozuo = world.dispatcher_jz
    assert names(jiaozuo) == {world.ent_jz.name, world.ent_park.name}


def test_a_province_official_sees_the_province(world):
    henan = make_user("dispatcher_ha", role=Role.DISPATCHER, region="410000")
    assert names(henan) == set(Enterprise.objects.values_list("name", flat=True))


def test_a_park_official_sees_only_the_park(world):
    park = make_user("park_official", role=Role.LOCAL_OFFICIAL, region="410871")
    assert names(park) == {world.ent_park.name}


def test_an_official_of_another_district_sees_none_of_guanchengs_rows(world):
    assert names(world.official_erqi) == {world.ent_erqi.name}
    assert names(world.official_erqi, SupplyLink) == set()
    assert not names(world.dispatcher_jz) & GC_NAMES
    assert names(world.dispatcher_jz, SupplyLink) == set()
    for action in Action:
        assert not Enterprise.objects.visible_to(world.official_erqi, action).filter(region__code__startswith=GUANCHENG)


def test_a_liaison_sees_only_its_own_enterprise(world):
    assert names(world.liaison_a) == {world.ent_a.name}
    assert names(world.liaison_a, SupplyLink) == {str(world.link_a)}
    assert names(world.liaison_b) == {world.ent_b.name}
    assert names(world.liaison_jz) == {world.ent_jz.name}
    assert names(world.liaison_jz, SupplyLink) == set()


def test_a_liaison_may_change_but_not_create_or_import(world):
    assert names(world.liaison_a, action=Action.CHANGE) == {world.ent_a.name}
    for action in (Action.CREATE, Action.IMPORT, Action.AUDIT, Action.MANAGE_USERS):
        assert names(world.liaison_a, action=action) == set()
    assert not holds_action_somewhere(world.liaison_a, Action.CREATE)


def test_a_superuser_sees_everything(world):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    assert names(root) == set(Enterprise.objects.values_list("name", flat=True))
    assert may_act_at(root, Action.CHANGE, "410802001")


def test_nobody_else_sees_anything(world):
    assert names(AnonymousUser()) == set()
    assert names(make_user("no_grants")) == set()
    # A checkpoint officer verifies passes; it reads nothing of the registry.
    assert names(world.checkpoint) == set()
    inactive = make_user("inactive", role=Role.DISPATCHER, region=GUANCHENG)
    inactive.is_active = False
    inactive.save()
    assert names(inactive) == set()
    assert not may_act_at(inactive, Action.VIEW, GUANCHENG_STREET, "industry")
    assert not holds_action_somewhere(inactive, Action.CREATE)
    assert not visible_regions(inactive).exists()


def test_roles_limit_actions(world):
    cadre = make_user("cadre_gc", role=Role.CADRE, region=GUANCHENG)
    prevention = world.prevention_gc
    assert names(cadre) == GC_NAMES
    assert names(cadre, action=Action.CHANGE) == set()
    assert names(prevention, action=Action.EXPORT) == GC_NAMES
    assert names(prevention, action=Action.CHANGE) == set()
    assert names(world.auditor_gc) == GC_NAMES
    assert names(world.auditor_gc, action=Action.CHANGE) == set()
    assert names(world.dispatcher_gc, action=Action.AUDIT) == set()
    assert names(world.admin_gc, action=Action.AUDIT) == GC_NAMES


def test_grants_add_up(world):
    Grant.objects.create(user=world.industry_gc, role=Role.SECTOR_OFFICIAL, region_id=ERQI, sector="industry")
    world.industry_gc.refresh_from_db()
    world.industry_gc.__dict__.pop("_sibao_grants", None)
    assert names(world.industry_gc) == {world.ent_a.name, world.ent_erqi.name}


def test_may_act_at(world):
    industry, street = world.industry_gc, world.street_gc
    assert may_act_at(industry, Action.CREATE, GUANCHENG_STREET, "industry")
    assert may_act_at(industry, Action.CREATE, GUANCHENG, "industry")
    assert not may_act_at(industry, Action.CREATE, GUANCHENG_STREET, "commerce")
    # A sector grant does not allow an action that concerns the whole region (no sector).
    assert not may_act_at(industry, Action.CHANGE, GUANCHENG, None)
    assert not may_act_at(industry, Action.CHANGE, GUANCHENG, "")
    assert not may_act_at(industry, Action.CREATE, ERQI, "industry")
    assert may_act_at(world.dispatcher_gc, Action.CHANGE, GUANCHENG, None)
    assert may_act_at(world.dispatcher_gc, Action.IMPORT, GUANCHENG_STREET, "transport")
    assert may_act_at(street, Action.CREATE, GUANCHENG_STREET, "commerce")
    assert not may_act_at(street, Action.CREATE, "410104002", "commerce")
    assert not may_act_at(street, Action.CREATE, GUANCHENG, None)
    assert not may_act_at(world.auditor_gc, Action.CHANGE, GUANCHENG_STREET, "industry")
    assert may_act_at(world.auditor_gc, Action.AUDIT, GUANCHENG_STREET, None)
    assert not may_act_at(world.official_erqi, Action.VIEW, GUANCHENG_STREET, "industry")
    assert not may_act_at(world.liaison_a, Action.VIEW, GUANCHENG_STREET, "industry")
    assert not may_act_at(AnonymousUser(), Action.VIEW, GUANCHENG_STREET, "industry")
    assert not may_act_at(world.checkpoint, Action.VIEW, GUANCHENG_STREET, None)


def test_get_visible_or_404_hides_what_is_not_yours_like_what_does_not_exist(world):
    assert get_visible_or_404(Enterprise, world.dispatcher_gc, pk=world.ent_a.pk) == world.ent_a
    for user, lookup in [
        (world.official_erqi, {"pk": world.ent_a.pk}),
        (world.liaison_b, {"pk": world.ent_a.pk}),
        (world.dispatcher_gc, {"pk": 10**9}),
        (world.dispatcher_gc, {"pk": "not-a-number"}),
        (AnonymousUser(), {"pk": world.ent_a.pk}),
    ]:
        with pytest.raises(Http404):
            get_visible_or_404(Enterprise, user, **lookup)
    with pytest.raises(Http404):
        get_visible_or_404(Enterprise, world.auditor_gc, Action.CHANGE, pk=world.ent_a.pk)
    links = SupplyLink.objects.filter(enterprise=world.ent_a)
    with pytest.raises(Http404):
        get_visible_or_404(links, world.dispatcher_gc, pk=world.link_b.pk)


def test_visible_regions(world):
    assert set(visible_regions(world.street_gc).values_list("code", flat=True)) == {GUANCHENG_STREET}
    gc = set(visible_regions(world.dispatcher_gc).values_list("code", flat=True))
    assert GUANCHENG in gc and "410104012" in gc and ERQI not in gc and "410100" not in gc
    assert not visible_regions(world.liaison_a).exists()
    assert not visible_regions(AnonymousUser()).exists()


def test_holds_action_somewhere(world):
    assert holds_action_somewhere(world.dispatcher_gc, Action.CREATE)
    assert holds_action_somewhere(world.industry_gc, Action.IMPORT)
    assert not holds_action_somewhere(world.auditor_gc, Action.CREATE)
    assert not holds_action_somewhere(world.checkpoint, Action.CREATE)
    assert not holds_action_somewhere(AnonymousUser(), Action.CREATE)


def test_visible_to_is_one_query(world, django_assert_num_queries):
    user = world.industry_gc.__class__.objects.get(pk=world.industry_gc.pk)
    with django_assert_num_queries(2):  # the grants once, then the rows
        list(Enterprise.objects.visible_to(user))
    with django_assert_num_queries(1):
        list(Enterprise.objects.visible_to(user))


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("410000", "41"),
        ("410100", "4101"),
        (GUANCHENG, "410104"),
        (GUANCHENG_STREET, "410104001"),
        ("410871", "410871"),
    ],
)
def test_a_grant_scopes_by_the_prefix_of_its_region(db, region, prefix):
    user = make_user(f"official_{region}", role=Role.DISPATCHER, region=region)
    grant = user.grants.get()
    assert grant.region_prefix == prefix
    assert set(visible_regions(user).values_list("code", flat=True)) == set(
        Region.objects.filter(code__startswith=prefix).values_list("code", flat=True)
    )
