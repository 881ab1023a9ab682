"""Fixtures shared by the whole suite."""

import pytest
from django.db import connection


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production's HTTPS redirect would turn every answer into a 301."""
    settings.SECURE_SSL_REDIRECT = False


@pytest.fixture
def on_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


@pytest.fixture
def warehouse(db):
    from tests.factories import WarehouseFactory

    return WarehouseFactory(code="MAIN")


@pytest.fixture
def channel(db):
    from tests.factories import ChannelFactory

    return ChannelFactory()
