"""The OpenAPI schema and the interactive docs, served from this server alone (no CDN)."""

import json
import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.validation import validate_schema

SCHEMA = reverse("api-schema")
DOCS = reverse("api-docs")


@pytest.fixture
def schema(client, db) -> dict:
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert "openapi" in response["Content-Type"] or "yaml" in response["Content-Type"]
    return yaml.safe_load(response.content)


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema


def test_schema_as_json(client, db):
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    validate_schema(document)


def test_schema_has_the_registry_paths(schema):
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/enterprises/"])
    assert {"get", "patch"} <= set(paths["/api/v1/enterprises/{id}/"])
    assert "delete" not in paths["/api/v1/enterprises/{id}/"]
    assert "post" in paths["/api/v1/enterprises/import/"]
    assert "post" in paths["/api/v1/auth/token/"]
    assert {"get", "post"} <= set(paths["/api/v1/supply-links/"])
    assert {"get", "delete"} <= set(paths["/api/v1/supply-links/{id}/"])


def test_schema_documents_filters_and_the_upload(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/enterprises/"]["get"]["parameters"]}
    assert {"q", "sector", "region", "page"} <= parameters
    upload = schema["paths"]["/api/v1/enterprises/import/"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in upload


def test_schema_documents_token_authentication(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer" for s in schemes.values()) or any(
        s.get("type") == "apiKey" and s.get("in") == "header" for s in schemes.values()
    )


DOCS_SCRIPT = DOCS + "?script="  # the page's own start-up script, served by the docs view (no inline script)


def _asset_urls(html: str) -> list[str]:
    """The static files the docs page loads (its start-up script comes from the docs view itself)."""
    return [url for url in re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html) if url != DOCS_SCRIPT]


def test_docs_start_up_script_is_served_from_this_site(client, db):
    assert DOCS_SCRIPT in client.get(DOCS).content.decode()
    response = client.get(DOCS_SCRIPT)
    assert response.status_code == 200 and b"SwaggerUIBundle" in response.content


def test_docs_page_uses_only_local_assets(client, db, settings):
    response = client.get(DOCS)
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert not re.search(r"https?://", html), re.findall(r"https?://[^\s\"']+", html)
    assert "//cdn" not in html and "unpkg" not in html and "jsdelivr" not in html
    urls = _asset_urls(html)
    assert urls, "the page loads its scripts and styles from somewhere"
    for url in urls:
        assert url.startswith(settings.STATIC_URL), url


def test_docs_assets_exist_and_are_served(client, db, settings):
    html = client.get(DOCS).content.decode()
    for url in _asset_urls(html):
        path = url.removeprefix(settings.STATIC_URL)
        assert finders.find(path), f"{path} is not among the static files"
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert body


def test_docs_and_schema_need_no_sign_in(client, db):
    assert client.get(DOCS).status_code == 200
    assert client.get(SCHEMA).status_code == 200
