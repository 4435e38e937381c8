"""Fixtures shared by every app's tests."""

import pytest

from sibao.testing import Cast


def _ensure_regions() -> None:
    from sibao.regions.loader import load_divisions
    from sibao.regions.models import Region

    if not Region.objects.exists():
        load_divisions()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the division tree once per test database."""
    with django_db_blocker.unblock():
        _ensure_regions()


@pytest.fixture(autouse=True)
def _regions_after_flush(request, django_db_blocker):
    """Transactional tests empty every table when they end; put the division tree back for the next test."""
    yield
    marker = request.node.get_closest_marker("django_db")
    flushed = (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if flushed:
        with django_db_blocker.unblock():
            _ensure_regions()


@pytest.fixture
def cast(db):
    return Cast()


@pytest.fixture
def login(client):
    """Sign a user in on the test client: `login(cast.dispatcher_gc)`."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
