"""End-to-end fixtures: a real Celery worker and beat, as separate processes, on the test database."""

import os
import time

import pytest
from django.db import connection

from oms.processes import CeleryProcesses


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def celery_processes(tmp_path, on_postgres):
    """Start nothing yet; gives a handle to start worker(s) and beat against the test database and Redis."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    from django.conf import settings

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG"}}
    # Same keys as this process, or the worker could not read the channel credentials the test stored.
    env["OMS_ENCRYPTION_KEYS"] = ",".join(settings.OMS_ENCRYPTION_KEYS)
    env["SECRET_KEY"] = settings.SECRET_KEY
    env.update(
        DATABASE_URL=_database_url(),
        REDIS_URL=redis_url,
        OMS_VAR_DIR=str(tmp_path),
        OMS_SYNC_TRIGGERS="1",
        PYTHONUNBUFFERED="1",
        CONN_MAX_AGE="0",
        OMS_HTTP_READ_TIMEOUT="3",
    )
    handle = CeleryProcesses(env=env, logs=tmp_path)
    yield handle
    handle.stop_all()


def wait_until(predicate, timeout: float, interval: float = 0.25, message: str = ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s: {message}")
