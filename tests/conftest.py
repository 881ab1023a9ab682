"""Fixtures shared by the whole suite."""

import pytest
from django.db import connection

# The marketplace simulators as subprocesses, for every test that talks to a shop over HTTP.
from tests.channels.simulators.conftest import start_simulator  # noqa: F401


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """The test client speaks plain HTTP (production's HTTPS redirect would answer 301), and stock changes
    do not start background pushes unless a test runs a worker and turns them on."""
    settings.SECURE_SSL_REDIRECT = False
    settings.OMS_SYNC_TRIGGERS = False
    settings.OMS_MAIL_TRIGGERS = False


@pytest.fixture(autouse=True)
def _clean_cache():
    from django.core.cache import cache

    cache.clear()
    yield


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


SERIAL_FILES = (
    "tests/e2e/",
    "tests/oms/test_celery_processes.py",
    "tests/dashboard/test_browser.py",
    "tests/dashboard/test_browser_inbox.py",
)


def pytest_collection_modifyitems(items):
    """Tests that run real Celery workers share one broker: `make test` runs them in a serial pass."""
    for item in items:
        path = str(item.path).replace("\\", "/")
        if any(part in path for part in SERIAL_FILES):
            item.add_marker(pytest.mark.serial)
