"""The committed division file: what it holds, and that loading it again changes nothing."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sibao.regions.loader import load_divisions, read_divisions
from sibao.regions.models import Kind, Level, Mode, Region


def test_every_city_and_county_of_henan_is_loaded(db):
    assert Region.objects.get(code="410000").level == Level.PROVINCE
    cities = Region.objects.filter(level=Level.CITY)
    # 17 prefecture-level cities plus 419000, the grouping row of the directly administered 济源市.
    assert cities.count() == 18
    city_names = set(cities.values_list("name", flat=True))
    assert {"郑州市", "焦作市", "洛阳市", "驻马店市", "省直辖县级行政区划"} <= city_names
    assert Region.objects.filter(level=Level.COUNTY, kind=Kind.ADMIN).count() >= 157
    assert Region.objects.get(code="419001").parent_id == "419000"
    assert Region.objects.filter(level=Level.COUNTY, parent__isnull=True).count() == 0
    assert Region.objects.filter(level=Level.CITY).exclude(parent_id="410000").count() == 0


def test_the_loaded_tree_matches_the_file(db):
    rows = read_divisions()
    assert Region.objects.count() == len(rows)
    assert len({row["code"] for row in rows}) == len(rows)
    by_code = {row["code"]: row for row in rows}
    for row in rows:
        if row["parent"]:
            assert row["parent"] in by_code, row


def test_guancheng_and_its_streets(db):
    guancheng = Region.objects.get(code="410104")
    assert guancheng.name == "管城回族区"
    assert guancheng.parent_id == "410100"
    streets = set(guancheng.children.values_list("name", flat=True))
    assert {"北下街街道", "南曹街道", "金岱街道", "圃田乡", "商都路街道"} <= streets
    assert guancheng.children.count() >= 14
    assert set(guancheng.children.values_list("level", flat=True)) == {Level.STREET}


def test_jiaozuo_demonstration_zone_is_a_park(db):
    zone = Region.objects.get(code="410871")
    assert "城乡一体化示范区" in zone.name
    assert zone.kind == Kind.PARK
    assert zone.level == Level.COUNTY
    assert zone.parent_id == "410800"
    assert zone.children.exists()
    assert all(code.startswith("410871") for code in zone.children.values_list("code", flat=True))


def test_every_region_has_a_mode_normal_by_default(db):
    assert not Region.objects.filter(mode="").exists()
    assert set(Region.objects.values_list("mode", flat=True)) == {Mode.NORMAL}
    assert Region(code="419999", name="x", level=Level.COUNTY).mode == Mode.NORMAL


def test_loading_twice_changes_nothing_and_keeps_modes(db):
    guancheng = Region.objects.get(code="410104")
    guancheng.mode = Mode.EMERGENCY
    guancheng.mode_changed_at = timezone.now()
    guancheng.save()
    before = list(Region.objects.order_by("code").values())

    assert load_divisions() == len(read_divisions())
    load_divisions()

    assert list(Region.objects.order_by("code").values()) == before
    assert Region.objects.get(code="410104").mode == Mode.EMERGENCY


def test_loading_again_writes_nothing(db):
    with CaptureQueriesContext(connection) as queries:
        load_divisions()
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_loading_restores_a_changed_region_and_adds_a_missing_one(db):
    Region.objects.filter(code="410103").update(name="旧名")
    Region.objects.filter(code="410871").update(kind=Kind.ADMIN, parent_id="410100")
    street = Region.objects.get(code="410104012")
    street.delete()

    load_divisions()

    assert Region.objects.get(code="410103").name == "二七区"
    zone = Region.objects.get(code="410871")
    assert (zone.kind, zone.parent_id) == (Kind.PARK, "410800")
    restored = Region.objects.get(code="410104012")
    assert (restored.name, restored.parent_id, restored.prefix) == ("金岱街道", "410104", "410104012")


def test_the_load_regions_command_is_idempotent(db):
    from io import StringIO

    from django.core.management import call_command

    before = Region.objects.count()
    out = StringIO()
    call_command("load_regions", stdout=out)
    assert Region.objects.count() == before
    assert str(before) in out.getvalue()
