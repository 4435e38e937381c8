import pytest


@pytest.fixture
def api():
    """An API client signed in with a token: `api(cast.dispatcher_gc)`; `api(None)` is anonymous."""
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    def client_for(user, keyword: str = "Bearer"):
        client = APIClient()
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"{keyword} {token.key}")
        return client

    return client_for
