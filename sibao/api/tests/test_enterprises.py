"""The registry API: scoped reads, writes through the services, version conflicts, imports, supply links."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from sibao.api.tests.shape import assert_error
from sibao.audit.models import Event
from sibao.core.models import ImportBatch
from sibao.enterprises.models import Enterprise, SupplyLink
from sibao.enterprises.tests.files import HEADER, State, csv_file, raw_file, row, xlsx_file
from sibao.testing import GUANCHENG_STREET, GUANCHENG_STREET_2, JIAOZUO_STREET, make_enterprise

LIST = reverse("enterprise-list")
IMPORT = reverse("enterprise-import-file")
LINKS = reverse("supply-link-list")


def detail(enterprise) -> str:
    return reverse("enterprise-detail", args=[enterprise.pk])


def names(response) -> set[str]:
    assert response.status_code == 200, response.content[:300]
    return {e["name"] for e in response.json()["results"]}


def fresh(enterprise) -> Enterprise:
    return Enterprise.objects.get(pk=enterprise.pk)


# --- reading -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("dispatcher_gc", {"ent_a", "ent_b"}),
        ("industry_gc", {"ent_a"}),
        ("street_gc", {"ent_a"}),
        ("official_erqi", set()),
        ("dispatcher_jz", {"ent_jz"}),
        ("checkpoint", set()),
        ("liaison_b", {"ent_b"}),
    ],
)
def test_list_is_scoped(cast, api, who, expected):
    assert names(api(getattr(cast, who)).get(LIST)) == {getattr(cast, e).name for e in expected}


def test_list_filters(cast, api):
    client = api(cast.dispatcher_gc)
    assert names(client.get(LIST, {"q": "乙商贸"})) == {cast.ent_b.name}
    assert names(client.get(LIST, {"q": cast.ent_a.credit_code.lower()})) == {cast.ent_a.name}
    assert names(client.get(LIST, {"sector": "industry"})) == {cast.ent_a.name}
    assert names(client.get(LIST, {"region": "410104"})) == {cast.ent_a.name, cast.ent_b.name}
    assert names(client.get(LIST, {"region": "410100"})) == {cast.ent_a.name, cast.ent_b.name}
    assert names(client.get(LIST, {"region": GUANCHENG_STREET})) == {cast.ent_a.name}
    assert names(client.get(LIST, {"region": "410800"})) == set()  # never wider than one's scope
    assert names(client.get(LIST, {"region": "410104", "sector": "commerce"})) == {cast.ent_b.name}


def test_list_filter_with_a_bad_choice_is_400(cast, api):
    error = assert_error(api(cast.dispatcher_gc).get(LIST, {"sector": "mining"}), 400, "invalid")
    assert "sector" in error["fields"]


def test_list_row_shape(cast, api):
    (item,) = api(cast.liaison_a).get(LIST).json()["results"]
    assert item["credit_code"] == cast.ent_a.credit_code
    assert item["region"] == GUANCHENG_STREET
    assert item["region_name"] == "北下街街道"
    assert Decimal(item["output_value"]) == Decimal("12000.00")
    assert item["version"] == 1


def test_list_is_paginated(cast, api):
    for _ in range(55):
        make_enterprise(region=GUANCHENG_STREET)
    body = api(cast.dispatcher_gc).get(LIST).json()
    assert body["count"] == 57
    assert len(body["results"]) == 50
    assert body["next"]


def _list_queries(client) -> int:
    """Queries of one list request (the cast's enterprises make the list non-empty)."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(LIST).status_code == 200
    return len(queries)


def test_list_query_count_does_not_grow_with_rows(cast, api, django_assert_max_num_queries):
    client = api(cast.dispatcher_gc)
    few = _list_queries(client)
    for n in range(30):
        make_enterprise(region=GUANCHENG_STREET if n % 2 else GUANCHENG_STREET_2)
    assert _list_queries(client) == few
    with django_assert_max_num_queries(5):
        client.get(LIST)


def test_supply_link_list_query_count_does_not_grow_with_rows(cast, api, django_assert_max_num_queries):
    client = api(cast.dispatcher_gc)
    SupplyLink.objects.create(
        enterprise=cast.ent_a, direction="customer", partner_name="客户", partner_region_id=GUANCHENG_STREET
    )
    with CaptureQueriesContext(connection) as few:
        client.get(LINKS)
    for n in range(20):
        SupplyLink.objects.create(
            enterprise=cast.ent_a if n % 2 else cast.ent_b,
            direction="supplier",
            partner_name=f"供应商{n}",
            partner=cast.ent_jz,
            partner_region_id=JIAOZUO_STREET,
        )
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(LINKS).json()["results"]) == 21
    assert len(many) == len(few)
    with django_assert_max_num_queries(5):
        client.get(LINKS)


def test_retrieve(cast, api):
    response = api(cast.liaison_a).get(detail(cast.ent_a))
    assert response.status_code == 200
    assert response.json()["name"] == cast.ent_a.name


@pytest.mark.parametrize("who", ["liaison_b", "official_erqi", "dispatcher_jz", "commerce_gc", "checkpoint"])
def test_retrieve_outside_ones_scope_is_404(cast, api, who):
    assert_error(api(getattr(cast, who)).get(detail(cast.ent_a)), 404, "not_found")


def test_retrieve_missing_is_404(cast, api):
    assert_error(api(cast.admin_gc).get(reverse("enterprise-detail", args=[987654])), 404, "not_found")


# --- create --------------------------------------------------------------------------------------


def test_create(cast, api):
    data = row(region=GUANCHENG_STREET_2)
    response = api(cast.industry_gc).post(LIST, data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["credit_code"] == data["credit_code"]
    assert body["version"] == 1
    enterprise = Enterprise.objects.get(pk=body["id"])
    assert enterprise.created_by == cast.industry_gc
    assert Event.objects.for_object(enterprise).get().action == "enterprise.create"


def test_create_accepts_json_numbers_and_booleans(cast, api):
    data = {**row(), "output_value": 1234.5, "headcount": 12, "key_project": True, "city_operation_support": False}
    response = api(cast.dispatcher_gc).post(LIST, data, format="json")
    assert response.status_code == 201, response.json()
    enterprise = Enterprise.objects.get(pk=response.json()["id"])
    assert (enterprise.output_value, enterprise.headcount, enterprise.key_project) == (Decimal("1234.50"), 12, True)


def test_create_invalid_is_400_naming_every_field(cast, api):
    before = State.now()
    data = row(credit_code="91410104MA0000001Q", output_value="-1", region="419999999")
    del data["name"]
    error = assert_error(api(cast.dispatcher_gc).post(LIST, data, format="json"), 400, "invalid")
    assert set(error["fields"]) == {"credit_code", "output_value", "region", "name"}
    assert State.now() == before


@pytest.mark.parametrize(
    ("who", "sector", "region"),
    [
        ("industry_gc", "commerce", GUANCHENG_STREET),
        ("industry_gc", "industry", JIAOZUO_STREET),
        ("official_erqi", "industry", GUANCHENG_STREET),
        ("liaison_a", "industry", GUANCHENG_STREET),
        ("auditor_gc", "industry", GUANCHENG_STREET),
    ],
)
def test_create_outside_ones_grants_is_403(cast, api, who, sector, region):
    before = State.now()
    response = api(getattr(cast, who)).post(LIST, row(sector=sector, region=region), format="json")
    assert_error(response, 403, "forbidden")
    assert State.now() == before


def test_create_duplicate_is_409(cast, api):
    before = State.now()
    response = api(cast.dispatcher_gc).post(LIST, row(credit_code=cast.ent_a.credit_code.lower()), format="json")
    error = assert_error(response, 409, "conflict")
    assert "credit_code" in error["fields"]
    assert State.now() == before


@pytest.mark.parametrize("body", ['["a", "b"]', '"text"', "42", "{not json"])
def test_create_with_a_body_that_is_not_an_object_is_400(cast, api, body):
    before = State.now()
    response = api(cast.dispatcher_gc).post(LIST, body, content_type="application/json")
    assert_error(response, 400, "invalid")
    assert State.now() == before


# --- update --------------------------------------------------------------------------------------


def test_patch_with_the_current_version(cast, api):
    response = api(cast.liaison_a).patch(detail(cast.ent_a), {"headcount": "333", "version": 1}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["headcount"], response.json()["version"]) == (333, 2)
    assert Event.objects.for_object(cast.ent_a).get().action == "enterprise.update"


def test_patch_without_a_version_is_accepted(cast, api):
    response = api(cast.dispatcher_gc).patch(detail(cast.ent_a), {"name": "管城甲食品集团有限公司"}, format="json")
    assert response.status_code == 200
    assert fresh(cast.ent_a).name == "管城甲食品集团有限公司"


def test_put_is_not_offered_partial_updates_use_patch(cast, api):
    response = api(cast.dispatcher_gc).put(detail(cast.ent_a), {"headcount": "340", "version": "1"}, format="json")
    assert response.status_code == 405
    assert fresh(cast.ent_a).headcount == cast.ent_a.headcount


def test_two_edits_from_the_same_version_the_second_is_409(cast, api):
    first, second = api(cast.dispatcher_gc), api(cast.liaison_a)
    version = first.get(detail(cast.ent_a)).json()["version"]
    assert second.get(detail(cast.ent_a)).json()["version"] == version
    assert first.patch(detail(cast.ent_a), {"headcount": "350", "version": version}, format="json").status_code == 200
    before = State.now()
    response = second.patch(detail(cast.ent_a), {"headcount": "280", "version": version}, format="json")
    error = assert_error(response, 409, "conflict")
    assert error["fields"] == {}
    assert State.now() == before
    saved = fresh(cast.ent_a)
    assert (saved.headcount, saved.version) == (350, version + 1)


@pytest.mark.parametrize("version", [0, "0", 5])
def test_any_version_but_the_current_one_is_409(cast, api, version):
    before = State.now()
    response = api(cast.dispatcher_gc).patch(detail(cast.ent_a), {"headcount": "1", "version": version}, format="json")
    assert_error(response, 409, "conflict")
    assert State.now() == before


@pytest.mark.parametrize("version", ["abc", "1.5", True, [1]])
def test_a_version_that_is_not_a_number_is_400(cast, api, version):
    before = State.now()
    response = api(cast.dispatcher_gc).patch(detail(cast.ent_a), {"headcount": "1", "version": version}, format="json")
    error = assert_error(response, 400, "invalid")
    assert "version" in error["fields"]
    assert State.now() == before


def test_patch_invalid_is_400(cast, api):
    before = State.now()
    response = api(cast.dispatcher_gc).patch(detail(cast.ent_a), {"output_value": "-5"}, format="json")
    error = assert_error(response, 400, "invalid")
    assert list(error["fields"]) == ["output_value"]
    assert State.now() == before


def test_patch_credit_code_is_400(cast, api):
    before = State.now()
    response = api(cast.dispatcher_gc).patch(detail(cast.ent_a), {"credit_code": "garbage"}, format="json")
    assert "credit_code" in assert_error(response, 400, "invalid")["fields"]
    assert State.now() == before


def test_liaison_cannot_move_its_enterprise(cast, api):
    before = State.now()
    response = api(cast.liaison_a).patch(detail(cast.ent_a), {"region": GUANCHENG_STREET_2}, format="json")
    assert_error(response, 403, "forbidden")
    assert State.now() == before


def test_official_cannot_move_an_enterprise_out_of_its_jurisdiction(cast, api):
    before = State.now()
    response = api(cast.industry_gc).patch(detail(cast.ent_a), {"region": JIAOZUO_STREET}, format="json")
    assert_error(response, 403, "forbidden")
    assert State.now() == before


@pytest.mark.parametrize(
    ("who", "target"), [("liaison_a", "ent_b"), ("official_erqi", "ent_a"), ("auditor_gc", "ent_a")]
)
def test_patch_outside_ones_scope_is_404(cast, api, who, target):
    before = State.now()
    response = api(getattr(cast, who)).patch(detail(getattr(cast, target)), {"name": "X有限公司"}, format="json")
    assert_error(response, 404, "not_found")
    assert State.now() == before


def test_delete_is_not_offered(cast, api):
    before = State.now()
    assert_error(api(cast.admin_gc).delete(detail(cast.ent_a)), 405, "method_not_allowed")
    assert State.now() == before


# --- import --------------------------------------------------------------------------------------


@pytest.mark.parametrize("make_file", [xlsx_file, csv_file], ids=["xlsx", "csv"])
def test_import(cast, api, make_file):
    client = api(cast.dispatcher_gc)
    rows = [row(), row(output_value="-3"), row(region="１２３")]
    response = client.post(IMPORT, {"file": make_file(rows)}, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["rows"], body["created"], body["updated"], body["unchanged"], body["rejected"]) == (3, 1, 0, 0, 2)
    assert [e["row"] for e in body["errors"]] == [3, 4]
    assert {e["value"] for e in body["errors"]} == {"-3", "123"}
    assert ImportBatch.objects.get(pk=body["id"]).actor == cast.dispatcher_gc
    # the same file again changes nothing
    before = State.now()
    again = client.post(IMPORT, {"file": make_file(rows)}, format="multipart").json()
    assert (again["created"], again["updated"], again["unchanged"], again["rejected"]) == (0, 0, 1, 2)
    after = State.now()
    assert (after.enterprises, after.events, after.versions) == (before.enterprises, before.events, before.versions)


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "enterprises.xlsx"),
        (b"%PDF-1.5\n" + bytes(100), "enterprises.csv"),
        (b"", "empty.csv"),
    ],
    ids=["png", "pdf", "empty"],
)
def test_import_of_a_file_that_is_not_a_table_is_400(cast, api, content, name):
    before = State.now()
    response = api(cast.dispatcher_gc).post(IMPORT, {"file": raw_file(content, name)}, format="multipart")
    assert_error(response, 400)
    assert State.now() == before


def test_import_of_a_truncated_workbook_is_400(cast, api):
    content = xlsx_file([row() for _ in range(100)]).read()
    before = State.now()
    response = api(cast.dispatcher_gc).post(
        IMPORT, {"file": raw_file(content[: len(content) // 2])}, format="multipart"
    )
    assert_error(response, 400, "unsupported_file")
    assert State.now() == before


def test_import_with_unknown_and_missing_columns_names_them(cast, api):
    header = [h for h in HEADER if h != "headcount"] + ["colour"]
    before = State.now()
    response = api(cast.dispatcher_gc).post(
        IMPORT, {"file": csv_file([{**row(), "colour": "red"}], header=header)}, format="multipart"
    )
    error = assert_error(response, 400, "invalid")
    assert error["fields"]["unknown_columns"] == ["colour"]
    assert "missing_columns" in error["fields"]
    assert "colour" in error["message"]
    assert State.now() == before


def test_import_of_a_50_mb_file_is_413(cast, api):
    content = b"credit_code,name\n" + b"x" * (50 * 1024 * 1024)
    before = State.now()
    response = api(cast.dispatcher_gc).post(IMPORT, {"file": raw_file(content, "huge.csv")}, format="multipart")
    assert_error(response, 413, "file_too_large")
    assert State.now() == before


def test_import_of_a_50_mb_file_is_refused_before_the_body_is_parsed(cast, api, monkeypatch):
    from rest_framework.parsers import MultiPartParser

    def must_not_parse(self, *args, **kwargs):
        raise AssertionError("an oversized upload must be refused from its declared length")

    monkeypatch.setattr(MultiPartParser, "parse", must_not_parse)
    content = b"credit_code,name\n" + b"x" * (50 * 1024 * 1024)
    response = api(cast.dispatcher_gc).post(IMPORT, {"file": raw_file(content, "huge.csv")}, format="multipart")
    assert_error(response, 413, "file_too_large")
    assert not ImportBatch.objects.exists()


def test_import_just_over_the_limit_is_413(cast, api, settings):
    settings.SIBAO_IMPORT_MAX_BYTES = 1024 * 1024
    content = b"credit_code,name\n" + b"x" * (1024 * 1024)
    before = State.now()
    response = api(cast.dispatcher_gc).post(IMPORT, {"file": raw_file(content, "big.csv")}, format="multipart")
    assert_error(response, 413, "file_too_large")
    assert State.now() == before


def test_import_without_a_file_is_400(cast, api):
    error = assert_error(api(cast.dispatcher_gc).post(IMPORT, {}, format="multipart"), 400, "invalid")
    assert "file" in error["fields"]


def test_import_as_json_is_refused(cast, api):
    response = api(cast.dispatcher_gc).post(IMPORT, {"file": "x"}, format="json")
    assert_error(response, 415)


@pytest.mark.parametrize("who", ["liaison_a", "auditor_gc", "checkpoint"])
def test_import_without_import_rights_is_403(cast, api, who):
    before = State.now()
    response = api(getattr(cast, who)).post(IMPORT, {"file": xlsx_file([row()])}, format="multipart")
    assert_error(response, 403, "forbidden")
    assert State.now() == before


def test_import_needs_authentication(cast, api):
    before = State.now()
    assert_error(api(None).post(IMPORT, {"file": xlsx_file([row()])}, format="multipart"), 401, "not_authenticated")
    assert State.now() == before


# --- supply links --------------------------------------------------------------------------------


def link_body(enterprise, **values) -> dict:
    return {
        "enterprise": enterprise.pk,
        "direction": "supplier",
        "partner_name": "焦作丙机械有限公司",
        "partner_credit_code": "",
        "partner_region": JIAOZUO_STREET,
        "is_key": True,
        **values,
    }


def test_supply_links_are_scoped(cast, api):
    own = SupplyLink.objects.create(
        enterprise=cast.ent_a, direction="supplier", partner_name="甲的供应商", partner_region_id=GUANCHENG_STREET
    )
    other = SupplyLink.objects.create(
        enterprise=cast.ent_b, direction="customer", partner_name="乙的客户", partner_region_id=GUANCHENG_STREET
    )
    response = api(cast.liaison_a).get(LINKS)
    assert [item["id"] for item in response.json()["results"]] == [own.pk]
    assert api(cast.liaison_a).get(reverse("supply-link-detail", args=[own.pk])).status_code == 200
    assert_error(api(cast.liaison_a).get(reverse("supply-link-detail", args=[other.pk])), 404, "not_found")
    both = {item["id"] for item in api(cast.dispatcher_gc).get(LINKS).json()["results"]}
    assert both == {own.pk, other.pk}
    filtered = api(cast.dispatcher_gc).get(LINKS, {"enterprise": cast.ent_b.pk}).json()["results"]
    assert [item["id"] for item in filtered] == [other.pk]


def test_supply_link_create_and_delete(cast, api):
    client = api(cast.liaison_a)
    response = client.post(LINKS, link_body(cast.ent_a, partner_credit_code=cast.ent_jz.credit_code), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["enterprise"], body["partner_credit_code"], body["is_key"]) == (
        cast.ent_a.pk,
        cast.ent_jz.credit_code,
        True,
    )
    assert "partner" not in body  # the id of an enterprise the liaison cannot see is not shown
    assert SupplyLink.objects.get().partner == cast.ent_jz
    response = client.delete(reverse("supply-link-detail", args=[body["id"]]))
    assert response.status_code == 204
    assert not SupplyLink.objects.exists()
    actions = list(Event.objects.for_object(cast.ent_a).order_by("id").values_list("action", flat=True))
    assert actions == ["enterprise.supply_link_add", "enterprise.supply_link_remove"]


def test_supply_link_duplicate_is_409(cast, api):
    client = api(cast.liaison_a)
    assert client.post(LINKS, link_body(cast.ent_a), format="json").status_code == 201
    before = State.now()
    assert_error(client.post(LINKS, link_body(cast.ent_a), format="json"), 409, "conflict")
    assert State.now() == before


def test_supply_link_invalid_is_400(cast, api):
    before = State.now()
    response = api(cast.liaison_a).post(LINKS, link_body(cast.ent_a, direction="sideways"), format="json")
    assert "direction" in assert_error(response, 400, "invalid")["fields"]
    response = api(cast.liaison_a).post(LINKS, {"direction": "supplier"}, format="json")
    assert "enterprise" in assert_error(response, 400, "invalid")["fields"]
    assert State.now() == before


def test_supply_link_on_someone_elses_enterprise_is_404(cast, api):
    link = SupplyLink.objects.create(
        enterprise=cast.ent_b, direction="customer", partner_name="乙的客户", partner_region_id=GUANCHENG_STREET
    )
    before = State.now()
    client = api(cast.liaison_a)
    assert_error(client.post(LINKS, link_body(cast.ent_b), format="json"), 404, "not_found")
    assert_error(client.post(LINKS, {**link_body(cast.ent_a), "enterprise": "x"}, format="json"), 404, "not_found")
    assert_error(client.delete(reverse("supply-link-detail", args=[link.pk])), 404, "not_found")
    assert_error(api(cast.auditor_gc).delete(reverse("supply-link-detail", args=[link.pk])), 404, "not_found")
    assert State.now() == before


def test_supply_link_cannot_be_patched(cast, api):
    link = SupplyLink.objects.create(
        enterprise=cast.ent_a, direction="customer", partner_name="甲的客户", partner_region_id=GUANCHENG_STREET
    )
    response = api(cast.liaison_a).patch(reverse("supply-link-detail", args=[link.pk]), {"note": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")
