"""The API's one error shape, asserted the same way by every test."""


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The response is a refusal in the API's one error shape; returns its `error` object."""
    assert response.status_code == status, (response.status_code, getattr(response, "content", b"")[:500])
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in error["fields"].values())
    if code is not None:
        assert error["code"] == code, error
    return error
