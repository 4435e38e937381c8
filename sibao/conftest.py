"""Fixtures shared by every app's tests."""

import pytest

from sibao.testing import Cast


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the division tree once per test database."""
    from sibao.regions.loader import load_divisions

    with django_db_blocker.unblock():
        load_divisions()


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
