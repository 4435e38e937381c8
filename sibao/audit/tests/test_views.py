"""Where events are shown: the enterprise's history, and /audit/ for auditors of the region only."""

import pytest

from sibao.accounts.roles import Role
from sibao.audit.models import Event
from sibao.audit.services import event_record
from sibao.enterprises import services as enterprise_services
from sibao.testing import ERQI, make_enterprise, make_user


@pytest.fixture
def events(cast):
    ent_erqi = make_enterprise(region=ERQI, name="二七丁工业有限公司")
    for who, enterprise, headcount in [
        (cast.dispatcher_gc, cast.ent_a, "301"),
        (cast.commerce_gc, cast.ent_b, "302"),
        (cast.dispatcher_jz, cast.ent_jz, "303"),
        (cast.official_erqi, ent_erqi, "304"),
    ]:
        enterprise_services.enterprise_update(actor=who, enterprise=enterprise, data={"headcount": headcount})
    return {e.object_repr: e for e in Event.objects.filter(action="enterprise.update")}


def shown(client, **params) -> set[str]:
    response = client.get("/audit/", params)
    assert response.status_code == 200
    return {e.object_repr for e in response.context["object_list"]}


def test_an_auditor_sees_the_events_of_its_region(cast, events, login):
    client = login(cast.auditor_gc)
    assert shown(client) == {cast.ent_a.name, cast.ent_b.name}
    page = client.get("/audit/").content.decode()
    assert cast.ent_a.name in page and "dispatcher_gc" in page
    assert cast.ent_jz.name not in page and "二七丁工业有限公司" not in page and "dispatcher_jz" not in page


def test_events_about_a_region_belong_to_it(cast, login):
    from sibao.regions.models import Region

    event_record(actor=cast.dispatcher_gc, action="region.mode_switch", obj=Region.objects.get(code="410104"))
    event_record(actor=cast.dispatcher_jz, action="region.mode_switch", obj=Region.objects.get(code="410800"))
    event_record(actor=None, action="system.maintenance", obj=Region.objects.get(code="410000"))
    assert shown(login(cast.auditor_gc)) == {"管城回族区"}
    assert Event.objects.get(object_repr="管城回族区").region_code == "410104"


def test_auditors_of_other_places_see_theirs(cast, events, login):
    auditor_jz = make_user("auditor_jz", role=Role.AUDITOR, region="410800")
    assert shown(login(auditor_jz)) == {cast.ent_jz.name}
    auditor_zz = make_user("auditor_zz", role=Role.AUDITOR, region="410100")
    assert shown(login(auditor_zz)) == {cast.ent_a.name, cast.ent_b.name, "二七丁工业有限公司"}
    auditor_street = make_user("auditor_street", role=Role.AUDITOR, region="410104002")
    assert shown(login(auditor_street)) == {cast.ent_b.name}


def test_the_administrator_of_the_region_may_read_the_log(cast, events, login):
    assert shown(login(cast.admin_gc)) == {cast.ent_a.name, cast.ent_b.name}


def test_a_superuser_sees_every_event(cast, events, login):
    root = make_user("root")
    root.is_superuser = True
    root.save()
    assert len(shown(login(root))) == Event.objects.count()


@pytest.mark.parametrize(
    "who", ["dispatcher_gc", "industry_gc", "street_gc", "liaison_a", "official_erqi", "dispatcher_jz", "checkpoint"]
)
def test_everybody_else_gets_404(cast, events, login, who):
    assert login(getattr(cast, who)).get("/audit/").status_code == 404


def test_anonymous_is_sent_to_sign_in(client, events):
    response = client.get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_filters(cast, events, login):
    client = login(cast.auditor_gc)
    assert shown(client, actor="commerce_gc") == {cast.ent_b.name}
    assert shown(client, action="enterprise.") == {cast.ent_a.name, cast.ent_b.name}
    assert shown(client, action="account.") == set()
    assert shown(client, object_type="enterprises.enterprise", object_id=str(cast.ent_a.pk)) == {cast.ent_a.name}
    assert shown(client, since="2000-01-01", until="2999-12-31") == {cast.ent_a.name, cast.ent_b.name}
    assert shown(client, until="2000-01-01") == set()


def test_the_enterprise_page_shows_its_history(cast, events, login):
    enterprise_services.enterprise_update(
        actor=cast.street_gc, enterprise=cast.ent_a, data={"contact_phone": "13800000002"}
    )
    for who in ("dispatcher_gc", "liaison_a", "street_gc"):
        response = login(getattr(cast, who)).get(f"/enterprises/{cast.ent_a.pk}/")
        assert response.status_code == 200
        history = list(response.context["history"])
        assert [e.action for e in history] == ["enterprise.update", "enterprise.update"]
        assert {e.object_id for e in history} == {str(cast.ent_a.pk)}
        page = response.content.decode()
        assert "13800000002" in page
        assert "street_gc" in page


def test_the_enterprise_page_of_someone_elses_enterprise_shows_no_history(cast, events, login):
    for who in ("official_erqi", "liaison_b", "dispatcher_jz"):
        assert login(getattr(cast, who)).get(f"/enterprises/{cast.ent_a.pk}/").status_code == 404


def test_the_audit_list_query_count_does_not_grow_with_events(cast, login):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(cast.auditor_gc)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/audit/").status_code == 200
        return len(captured)

    actors = [cast.dispatcher_gc, cast.street_gc, cast.industry_gc]
    for n in range(3):
        event_record(actor=actors[n], action="enterprise.update", obj=cast.ent_a, changes={"headcount": [n, n + 1]})
    few = queries()
    for n in range(30):
        event_record(actor=actors[n % 3], action="enterprise.update", obj=cast.ent_b, changes={"name": ["a", "b"]})
    assert queries() == few


def test_a_sector_auditor_reads_only_its_sector(cast, login):
    from sibao.enterprises import services
    from sibao.testing import make_user

    services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_a, data={"headcount": "301"})
    services.enterprise_update(actor=cast.dispatcher_gc, enterprise=cast.ent_b, data={"headcount": "302"})
    auditor = make_user("auditor_commerce", role="auditor", region="410104", sector="commerce")
    listed = login(auditor).get("/audit/").context["object_list"]
    assert {e.object_id for e in listed} == {str(cast.ent_b.pk)}
