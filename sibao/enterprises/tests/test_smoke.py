from sibao.enterprises.models import Enterprise


def test_sector_official_sees_only_its_sector_in_its_region(cast):
    visible = set(Enterprise.objects.visible_to(cast.industry_gc).values_list("name", flat=True))
    assert visible == {cast.ent_a.name}


def test_liaison_sees_only_its_enterprise(cast):
    assert list(Enterprise.objects.visible_to(cast.liaison_b)) == [cast.ent_b]
