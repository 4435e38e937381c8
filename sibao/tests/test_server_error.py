"""An unexpected failure answers in the API's error shape under /api/, and with the plain page elsewhere."""

import json

from django.test import RequestFactory

from sibao.views import server_error


def test_api_500_uses_the_error_shape():
    response = server_error(RequestFactory().get("/api/v1/enterprises/"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"


def test_page_500_is_html():
    response = server_error(RequestFactory().get("/enterprises/"))
    assert response.status_code == 500
    assert b"<html" in response.content.lower() or b"<!doctype" in response.content.lower()
