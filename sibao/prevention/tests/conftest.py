"""The prevention tests read messages in English (the translation tests cover the Chinese wording)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield
