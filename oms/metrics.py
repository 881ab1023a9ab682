"""Prometheus metrics (prometheus_client) that stay right across processes and machines.

Counters and histograms are added up in the shared cache (Redis in production, where INCRBY is atomic), so
the web process answering /metrics sees what every Celery worker counted, on any machine; they reset
when Redis does, which Prometheus' rate() takes in its stride. Gauges, and the imported-orders counter,
are read from the database at scrape time. No process keeps metrics in memory, so neither gunicorn's
workers nor Celery's pool processes need prometheus_client's multiprocess directory.

On the embedded default (a file-system cache) an increment is a read and a write, so two processes
counting the same thing at the same instant can lose one; good enough for one small shop on one machine.
"""

import logging
import time
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.utils import floatToGoString

logger = logging.getLogger(__name__)

KEY_PREFIX = "oms:metrics"
UNKNOWN = "unknown"
ERROR_REASONS = ("timeout", "connection", "server", "auth", "body")
TASK_STATES = ("success", "failure", "retry")


def _backend():
    from django.core.cache import caches

    return caches["default"]


def _atomic(backend) -> bool:
    from django.core.cache.backends.locmem import LocMemCache
    from django.core.cache.backends.redis import RedisCache

    return isinstance(backend, RedisCache | LocMemCache)


def _add(key: str, amount: int) -> None:
    """Add to a counter in the shared cache; never raises (a metric must not fail the work it counts)."""
    try:
        backend = _backend()
        if _atomic(backend):
            try:
                backend.incr(key, amount)
            except ValueError:  # not there yet; if another process creates it first, add fails: incr again
                if not backend.add(key, amount, timeout=None):
                    backend.incr(key, amount)
        else:
            backend.set(key, int(backend.get(key) or 0) + amount, timeout=None)
    except Exception:
        logger.debug("metrics store unavailable; %s not counted", key)


def _read(keys: list[str]) -> dict[str, int]:
    return _backend().get_many(keys) if keys else {}


@dataclass(frozen=True)
class SharedCounter:
    name: str  # without _total
    documentation: str
    labels: tuple[str, ...]

    def key(self, values: tuple[str, ...]) -> str:
        return f"{KEY_PREFIX}:{self.name}:{'|'.join(values)}"

    def inc(self, *values: str, amount: int = 1) -> None:
        _add(self.key(values), amount)

    def family(self, label_sets: list[tuple[str, ...]]) -> CounterMetricFamily:
        family = CounterMetricFamily(self.name, self.documentation, labels=list(self.labels))
        stored = _read([self.key(values) for values in label_sets])
        for values in label_sets:
            if self.key(values) in stored:
                family.add_metric(list(values), stored[self.key(values)])
        return family


@dataclass(frozen=True)
class SharedHistogram:
    """Bucket counts are stored per bucket (not cumulative) and added up at scrape; the sum in milliseconds."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...]

    def key(self, values: tuple[str, ...], part: str) -> str:
        return f"{KEY_PREFIX}:{self.name}:{'|'.join(values)}:{part}"

    def observe(self, *values: str, seconds: float) -> None:
        bucket = next((str(i) for i, bound in enumerate(self.buckets) if seconds <= bound), "inf")
        _add(self.key(values, bucket), 1)
        _add(self.key(values, "sum_ms"), round(max(seconds, 0.0) * 1000))

    def family(self, label_sets: list[tuple[str, ...]]) -> HistogramMetricFamily:
        family = HistogramMetricFamily(self.name, self.documentation, labels=list(self.labels))
        parts = [*(str(i) for i in range(len(self.buckets))), "inf", "sum_ms"]
        stored = _read([self.key(values, part) for values in label_sets for part in parts])
        for values in label_sets:
            if not any(self.key(values, part) in stored for part in parts):
                continue
            cumulative, buckets = 0, []
            for i, bound in enumerate(self.buckets):
                cumulative += stored.get(self.key(values, str(i)), 0)
                buckets.append((floatToGoString(bound), cumulative))
            buckets.append(("+Inf", cumulative + stored.get(self.key(values, "inf"), 0)))
            family.add_metric(list(values), buckets, stored.get(self.key(values, "sum_ms"), 0) / 1000)
        return family


MARKETPLACE_ERRORS = SharedCounter(
    "oms_marketplace_errors",
    "Failed calls to a shop's API, each attempt (timeout, connection, server = 5xx, auth, body = broken answer)",
    ("channel", "reason"),
)
MARKETPLACE_THROTTLES = SharedCounter(
    "oms_marketplace_throttles", "Calls a shop's API answered with its throttling response", ("channel",)
)
STOCK_PUSH_LATENCY = SharedHistogram(
    "oms_stock_push_latency_seconds",
    "From a stock push falling due (enqueued, after its debounce) to the shop having been told",
    ("channel",),
    (0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)
TASK_DURATION = SharedHistogram(
    "oms_task_duration_seconds",
    "Run time of Celery tasks",
    ("task", "state"),
    (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)


# --- what the code calls --------------------------------------------------------------------------------


def marketplace_error(channel: str, reason: str) -> None:
    MARKETPLACE_ERRORS.inc(channel or UNKNOWN, reason)


def marketplace_throttled(channel: str) -> None:
    MARKETPLACE_THROTTLES.inc(channel or UNKNOWN)


def stock_push_observed(channel: str, seconds: float) -> None:
    STOCK_PUSH_LATENCY.observe(channel or UNKNOWN, seconds=seconds)


def task_observed(task: str, state: str, seconds: float) -> None:
    TASK_DURATION.observe(task, state, seconds=seconds)


# --- scrape ---------------------------------------------------------------------------------------------


def _task_names() -> list[str]:
    from oms.celery import app

    app.loader.import_default_modules()  # the web process has not imported every tasks module
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def _counts(queryset, field: str) -> list[tuple[str, int]]:
    from django.db.models import Count

    rows = queryset.order_by().values_list(field).annotate(n=Count("pk"))
    return [(str(value), n) for value, n in rows]


class OmsCollector:
    """Builds every family at scrape time: database reads and the shared counters."""

    def collect(self):
        from channels.models import Channel, Listing, QuarantinedPayload
        from notifications.models import OutboundMail
        from oms.models import FailedTask
        from orders.models import Hold, Order

        channels = list(
            Channel.objects.order_by("name").values_list("pk", "name", "healthy", "last_polled_at")
        )
        names = {pk: name for pk, name, _healthy, _polled in channels}
        label_channels = [*(name for _pk, name, _h, _p in channels), UNKNOWN]

        imported = CounterMetricFamily(
            "oms_orders_imported",
            "Orders imported from each shop (every order the OMS holds)",
            labels=["channel"],
        )
        for channel_id, n in _counts(Order.objects.all(), "channel_id"):
            imported.add_metric([names.get(int(channel_id), UNKNOWN)], n)
        yield imported

        by_status = GaugeMetricFamily("oms_orders", "Orders by status", labels=["status"])
        for status, n in _counts(Order.objects.all(), "status"):
            by_status.add_metric([status], n)
        yield by_status

        holds = GaugeMetricFamily(
            "oms_holds_active", "Active holds by code (確認待ち reasons)", labels=["code"]
        )
        for code, n in _counts(Hold.objects.filter(resolved_at__isnull=True), "code"):
            holds.add_metric([code], n)
        yield holds

        backlog = GaugeMetricFamily(
            "oms_outbox_backlog", "Customer mails not sent yet (queued, sending, failed)", labels=["status"]
        )
        waiting = (OutboundMail.Status.QUEUED, OutboundMail.Status.SENDING, OutboundMail.Status.FAILED)
        counted = dict(_counts(OutboundMail.objects.filter(status__in=waiting), "status"))
        for status in waiting:
            backlog.add_metric([status], counted.get(status, 0))
        yield backlog

        pending = GaugeMetricFamily(
            "oms_stock_push_pending",
            "Listings whose new quantity the shop has not been told",
            labels=["channel"],
        )
        for channel_id, n in _counts(Listing.objects.filter(needs_push=True), "channel_id"):
            pending.add_metric([names.get(int(channel_id), UNKNOWN)], n)
        yield pending

        quarantine = GaugeMetricFamily(
            "oms_quarantine_open",
            "Shop orders that could not be imported and wait for a fix",
            labels=["channel"],
        )
        for channel_id, n in _counts(
            QuarantinedPayload.objects.filter(resolved_at__isnull=True), "channel_id"
        ):
            quarantine.add_metric([names.get(int(channel_id), UNKNOWN)], n)
        yield quarantine

        failed = GaugeMetricFamily(
            "oms_failed_tasks_open",
            "Tasks that failed for good and wait for a person (dead letters)",
            labels=["task"],
        )
        for task, n in _counts(FailedTask.objects.filter(resolved_at__isnull=True), "task_name"):
            failed.add_metric([task], n)
        yield failed

        healthy = GaugeMetricFamily(
            "oms_channel_healthy", "1 when the shop's last call succeeded", labels=["channel"]
        )
        poll_age = GaugeMetricFamily(
            "oms_channel_last_poll_age_seconds",
            "Seconds since the last successful order poll",
            labels=["channel"],
        )
        now = time.time()
        for _pk, name, is_healthy, polled in channels:
            healthy.add_metric([name], 1 if is_healthy else 0)
            if polled is not None:
                poll_age.add_metric([name], max(now - polled.timestamp(), 0.0))
        yield healthy
        yield poll_age

        yield MARKETPLACE_ERRORS.family(
            [(name, reason) for name in label_channels for reason in ERROR_REASONS]
        )
        yield MARKETPLACE_THROTTLES.family([(name,) for name in label_channels])
        yield STOCK_PUSH_LATENCY.family([(name,) for name in label_channels])
        yield TASK_DURATION.family([(task, state) for task in _task_names() for state in TASK_STATES])


def metrics_render() -> bytes:
    """The Prometheus text exposition of every metric above."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(OmsCollector())
    return generate_latest(registry)
