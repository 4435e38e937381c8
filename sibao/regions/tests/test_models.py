"""Division codes as prefixes: a subtree is one prefix, ancestors come from the code."""

import pytest

from sibao.regions.models import Level, Region, code_prefix


@pytest.mark.parametrize(
    ("code", "level", "prefix"),
    [
        ("410000", Level.PROVINCE, "41"),
        ("410100", Level.CITY, "4101"),
        ("410104", Level.COUNTY, "410104"),
        ("410104001", Level.STREET, "410104001"),
        ("410871", Level.COUNTY, "410871"),
        ("419000", Level.CITY, "4190"),
    ],
)
def test_code_prefix(code, level, prefix):
    assert code_prefix(code, level) == prefix


def test_the_stored_prefix_follows_the_level(db):
    codes = ["410000", "410100", "410104", "410104001"]
    prefixes = dict(Region.objects.filter(code__in=codes).values_list("code", "prefix"))
    assert prefixes == {"410000": "41", "410100": "4101", "410104": "410104", "410104001": "410104001"}
    for region in Region.objects.all():
        assert region.prefix == code_prefix(region.code, region.level)
        if region.parent_id:
            assert region.code.startswith(region.parent.prefix), region.code


def test_contains(db):
    henan, zhengzhou, guancheng, street = (
        Region.objects.get(code=c) for c in ("410000", "410100", "410104", "410104001")
    )
    assert henan.contains("410802001")
    assert zhengzhou.contains("410104001") and zhengzhou.contains("410100")
    assert not zhengzhou.contains("410800") and not zhengzhou.contains("410802001")
    assert guancheng.contains("410104") and guancheng.contains("410104012")
    assert not guancheng.contains("410103") and not guancheng.contains("410103001")
    assert street.contains("410104001") and not street.contains("410104002")
    assert not street.contains("410104")


def test_ancestors_run_from_the_province_down(db):
    street = Region.objects.get(code="410104001")
    assert [r.code for r in street.ancestors()] == ["410000", "410100", "410104"]
    assert [r.code for r in Region.objects.get(code="410104").ancestors()] == ["410000", "410100"]
    assert [r.code for r in Region.objects.get(code="410100").ancestors()] == ["410000"]
    assert Region.objects.get(code="410000").ancestors() == []
    assert [r.code for r in Region.objects.get(code="410871060").ancestors()] == ["410000", "410800", "410871"]
    assert [r.code for r in Region.objects.get(code="419001").ancestors()] == ["410000", "419000"]


def test_ancestors_agree_with_the_parent_chain(db):
    for region in Region.objects.select_related("parent"):
        chain, node = [], region.parent
        while node is not None:
            chain.insert(0, node.code)
            node = node.parent
        assert [r.code for r in region.ancestors()] == chain, region.code


def test_full_name(db):
    assert Region.objects.get(code="410104001").full_name == "郑州市管城回族区北下街街道"
    assert Region.objects.get(code="410100").full_name == "郑州市"


def test_a_subtree_is_one_prefix_filter(db):
    guancheng = Region.objects.get(code="410104")
    subtree = set(Region.objects.filter(code__startswith=guancheng.prefix).values_list("code", flat=True))
    children = set(guancheng.children.values_list("code", flat=True))
    assert subtree == children | {"410104"}
