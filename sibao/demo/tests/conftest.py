"""Seeding the demo stores the whitelist applications' documents: in tests, in a fresh directory, never var/media."""

import pytest


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
