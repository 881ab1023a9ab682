"""End-to-end fixtures: a real Celery worker and beat, as separate processes, on the test database."""

import os
import time

import pytest
from django.db import connection

from channels.models import Channel
from channels.services import channel_schedule_sync
from channels.sync import channel_push_stock
from oms.demo import demo_seed
from oms.processes import CeleryProcesses
from tests.channels.conftest import base_order
from tests.notifications.smtp_server import CollectingHandler, smtp_server

KINDS = ("rakuten", "yahoo", "amazon")
SHOP_FROM = "さくら堂 楽天市場店 <shop@sakura-do.example.jp>"


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
        OMS_HTTP_READ_TIMEOUT="1",
        # The simulators here run without rate limits; pacing ourselves at Amazon's real 0.5 getOrderItems/s
        # would only slow the tests down (test_a_throttled_marketplace_is_slowed_down covers pacing).
        OMS_CLIENT_RATE_LIMITS="0",
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
    raise AssertionError(f"timed out after {timeout}s: {message() if callable(message) else message}")


@pytest.fixture
def smtp(celery_processes, settings):
    """The SMTP server, and the worker environment pointed at it."""
    if celery_processes.env["REDIS_URL"] != settings.CELERY_BROKER_URL:
        pytest.skip("the test process must publish to the worker's broker: set REDIS_URL")
    settings.DEFAULT_FROM_EMAIL = SHOP_FROM
    settings.OMS_MAIL_TRIGGERS = True
    with smtp_server(CollectingHandler()) as (handler, port):
        celery_processes.env.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(port),
            EMAIL_USE_TLS="0",
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_TIMEOUT="10",
            DEFAULT_FROM_EMAIL=SHOP_FROM,
            OMS_MAIL_TRIGGERS="1",
        )
        yield handler


def canonical_order(sku: str, quantity: int = 1, **changes) -> dict:
    """The simulators' sample order with one line of `sku`, sent to someone else at an office, paid on
    delivery (代引); `changes` replace whole top-level keys."""
    order = base_order(items=[{"sku": sku, "quantity": quantity, "price": 2980}], payment="cod", remarks="")
    order["ship_to"] |= {"name": "山田 花子", "address2": "皇居外苑ビル 3F", "phone": "03-1234-5678"}
    return order | changes


@pytest.fixture
def shops(start_simulator, on_postgres, tmp_path, monkeypatch):
    """The demo shop (catalogue, stock, three channels) pointed at three fresh simulators."""
    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    monkeypatch.setenv("AMAZON_SIM_PENDING_SECONDS", "0")
    sims = {kind: start_simulator(kind, seed=7, rate_limits="off") for kind in KINDS}
    demo_seed()
    for kind, sim in sims.items():
        Channel.objects.filter(kind=kind).update(base_url=sim.url, poll_interval_seconds=2, stock_buffer=0)
    for channel in Channel.objects.all():
        channel_schedule_sync(channel=channel)  # beat polls every 2 s
    return sims


def shown(sim, sku: str) -> int | None:
    answer = sim.control("GET", f"/_sim/listings/{sku}")
    return answer.json()["quantity"] if answer.status_code == 200 else None


def push_all() -> None:
    for channel in Channel.objects.all():
        result = channel_push_stock(channel=channel)
        assert not result.error, result.error
