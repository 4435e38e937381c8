"""Every refusal of the API in the one shape: {"error": {"code", "message", "fields"}}."""

from django.core.management import call_command
from django.urls import reverse

from sibao.api.tests.shape import assert_error
from sibao.enterprises.tests.files import State, raw_file, row
from sibao.testing import JIAOZUO_STREET

LIST = reverse("enterprise-list")
IMPORT = reverse("enterprise-import-file")


def detail(enterprise) -> str:
    return reverse("enterprise-detail", args=[enterprise.pk])


def test_the_catalogue_of_refusals(cast, api):
    """One request for each status the API refuses with; each in the same shape, none changing anything."""
    dispatcher = api(cast.dispatcher_gc)
    before = State.now()

    error = assert_error(dispatcher.post(LIST, row(output_value="-1"), format="json"), 400, "invalid")
    assert error["fields"] == {"output_value": [error["fields"]["output_value"][0]]}

    assert_error(api(None).get(LIST), 401, "not_authenticated")
    assert_error(api(cast.industry_gc).post(LIST, row(region=JIAOZUO_STREET), format="json"), 403, "forbidden")
    assert_error(dispatcher.get(detail(cast.ent_jz)), 404, "not_found")
    assert_error(dispatcher.delete(detail(cast.ent_a)), 405, "method_not_allowed")
    assert State.now() == before

    assert dispatcher.patch(detail(cast.ent_a), {"headcount": "301", "version": 1}, format="json").status_code == 200
    before = State.now()
    assert_error(
        dispatcher.patch(detail(cast.ent_a), {"headcount": "302", "version": 1}, format="json"), 409, "conflict"
    )

    huge = raw_file(b"credit_code\n" + b"0" * (50 * 1024 * 1024), "huge.csv")
    assert_error(dispatcher.post(IMPORT, {"file": huge}, format="multipart"), 413, "file_too_large")
    assert State.now() == before


def test_unknown_api_path_is_404_in_the_shape(cast, api):
    assert_error(api(cast.dispatcher_gc).get("/api/v1/no-such-thing/"), 404, "not_found")
    assert_error(api(None).post("/api/v1/enterprises/1/nothing/", {}), 404, "not_found")


def test_missing_trailing_slash_redirects_like_the_site(cast, api):
    response = api(cast.dispatcher_gc).get("/api/v1/enterprises", {"sector": "industry"})
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/enterprises/?sector=industry"


def test_malformed_json_is_400(cast, api):
    response = api(cast.dispatcher_gc).post(LIST, "{oops", content_type="application/json")
    assert_error(response, 400, "invalid")


def test_unsupported_media_type_is_415(cast, api):
    response = api(cast.dispatcher_gc).post(LIST, "<xml/>", content_type="application/xml")
    assert_error(response, 415)


def test_not_acceptable_is_406(cast, api):
    response = api(cast.dispatcher_gc).get(LIST, HTTP_ACCEPT="application/xml")
    assert_error(response, 406)


def test_schema_generates_without_warnings(tmp_path):
    """drf-spectacular fails on any warning: every view's request and response is documented."""
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3")
