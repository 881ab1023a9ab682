"""Fixtures shared by the whole suite."""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

# The marketplace simulators as subprocesses, for every test that talks to a shop over HTTP.
from tests.channels.simulators.conftest import start_simulator  # noqa: F401


def _worker_redis_url(url: str) -> str:
    """Each pytest-xdist worker its own Redis database below the configured one (gw0: one below, gw1: two
    below): every test starts by clearing the cache, which must not empty the other worker's cache."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base - 1 - int(worker[2:])) % 16}"))


@pytest.fixture(autouse=True)
def _test_settings(settings):
    """The test client speaks plain HTTP (production's HTTPS redirect would answer 301), and stock changes
    do not start background pushes unless a test runs a worker and turns them on."""
    settings.SECURE_SSL_REDIRECT = False
    settings.OMS_SYNC_TRIGGERS = False
    settings.OMS_MAIL_TRIGGERS = False
    redis_url = _worker_redis_url(settings.REDIS_URL)
    if redis_url != settings.REDIS_URL:
        settings.REDIS_URL = redis_url
        settings.CACHES = {"default": {**settings.CACHES["default"], "LOCATION": redis_url}}


@pytest.fixture(autouse=True)
def _clean_cache(_test_settings):
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
