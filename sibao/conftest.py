"""Fixtures shared by every app's tests."""

import pytest

from sibao.testing import Cast


def pytest_configure(config):
    """Every test builds users; a fast password hasher keeps the suite quick (never used outside tests)."""
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Transactional tests empty every table when they end; put the division tree back for the next test.

    A hook rather than a fixture: it runs after every fixture's teardown, the database flush included,
    whether the test asked for `transactional_db`, `live_server` or `@pytest.mark.django_db(transaction=True)`.
    """
    result = yield
    marker = item.get_closest_marker("django_db")
    flushed = (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
        getattr(item, "fixturenames", ())
    )
    # After the session's last test the test database is gone (and the settings point at the real one again).
    if flushed and nextitem is not None:
        from pytest_django.plugin import blocking_manager_key

        with item.config.stash[blocking_manager_key].unblock():
            _ensure_regions()
    return result


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
