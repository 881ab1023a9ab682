"""/metrics: Prometheus text with the OMS's metrics, counted across processes through the shared cache, and
behind a bearer token when one is set."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from prometheus_client.parser import text_string_to_metric_families

from channels.adapters.base import TransientError
from channels.adapters.http import HttpClient
from oms import metrics
from orders.models import Hold
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True, params=["redis", "locmem", "filebased"])
def own_cache(request, settings, tmp_path):
    """Each kind of cache the counters live in: Redis (atomic INCRBY, production), locmem (atomic) and the
    file system (read, then write). A cache of the test's own: another run may clear the shared var/ one."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("set REDIS_URL to count in Redis")
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    elif request.param == "locmem":
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": str(tmp_path)}
    else:
        backend = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path),
        }
    settings.CACHES = {"default": backend}
    from django.core.cache import cache

    cache.clear()


NAMES = {
    "oms_orders_imported",
    "oms_orders",
    "oms_holds_active",
    "oms_outbox_backlog",
    "oms_stock_push_pending",
    "oms_quarantine_open",
    "oms_failed_tasks_open",
    "oms_channel_healthy",
    "oms_channel_last_poll_age_seconds",
    "oms_marketplace_errors",
    "oms_marketplace_throttles",
    "oms_stock_push_latency_seconds",
    "oms_task_duration_seconds",
}


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def samples(family, name: str | None = None) -> dict:
    return {
        tuple(sorted(sample.labels.items())): sample.value
        for sample in family.samples
        if name is None or sample.name == name
    }


def test_metrics_lists_every_oms_metric(client):
    shop = ChannelFactory(name="rakuten")
    order = OrderFactory(channel=shop)
    OrderFactory(channel=shop)
    Hold.objects.create(order=order, code="remarks", message="備考")
    metrics.stock_push_observed("rakuten", 0.7)
    metrics.task_observed("channels.tasks.push_channel_stock", "success", 0.2)

    families = scrape(client)

    assert families.keys() >= NAMES
    assert samples(families["oms_orders_imported"]) == {(("channel", "rakuten"),): 2.0}
    assert samples(families["oms_holds_active"]) == {(("code", "remarks"),): 1.0}
    assert samples(families["oms_outbox_backlog"]) == {
        (("status", "queued"),): 0.0,
        (("status", "sending"),): 0.0,
        (("status", "failed"),): 0.0,
    }
    latency = samples(families["oms_stock_push_latency_seconds"], "oms_stock_push_latency_seconds_bucket")
    assert latency[(("channel", "rakuten"), ("le", "0.5"))] == 0
    assert latency[(("channel", "rakuten"), ("le", "1.0"))] == 1
    durations = samples(families["oms_task_duration_seconds"], "oms_task_duration_seconds_count")
    assert durations[(("state", "success"), ("task", "channels.tasks.push_channel_stock"))] == 1


def test_an_eager_task_run_is_timed(client):
    from inventory.tasks import stock_reconcile

    stock_reconcile.apply()

    durations = samples(scrape(client)["oms_task_duration_seconds"], "oms_task_duration_seconds_count")
    assert durations[(("state", "success"), ("task", "inventory.tasks.stock_reconcile"))] == 1


class _Shop(BaseHTTPRequestHandler):
    """Answers 503 to /broken and 429 (Retry-After: 0) to /busy."""

    def do_GET(self):
        self.send_response(503 if self.path == "/broken" else 429)
        self.send_header("Retry-After", "0")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def shop_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_marketplace_errors_and_throttles_are_counted_by_channel(client, shop_url, settings):
    settings.OMS_CLIENT_RATE_LIMITS = False
    ChannelFactory(name="yahoo-shop")
    http = HttpClient(
        base_url=shop_url, scope="test", channel="yahoo-shop", max_attempts=2, backoff_base=0.01
    )

    with pytest.raises(TransientError):
        http.request("GET", "/broken")
    with pytest.raises(TransientError):
        http.request("GET", "/busy")

    families = scrape(client)
    assert samples(families["oms_marketplace_errors"])[(("channel", "yahoo-shop"), ("reason", "server"))] == 2
    assert samples(families["oms_marketplace_throttles"]) == {(("channel", "yahoo-shop"),): 2}


def test_metrics_refuse_a_scrape_without_the_token(client, settings):
    settings.OMS_METRICS_TOKEN = "scrape-token-0123456789"

    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert "oms_orders_imported" in scrape(client, HTTP_AUTHORIZATION="Bearer scrape-token-0123456789")


def test_a_metric_store_outage_never_fails_the_work(monkeypatch):
    def broken():
        raise ConnectionError("redis is down")

    monkeypatch.setattr(metrics, "_backend", broken)

    metrics.marketplace_error("rakuten", "timeout")  # no exception
