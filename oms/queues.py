"""Celery queues by kind of work, the routes that send each task to one, and each queue's time limits.

A worker started without -Q consumes every queue below (settings.CELERY_TASK_QUEUES); production runs one
worker group per queue (docker-compose.yml), so a slow or throttled marketplace fills only `polling`
and never delays another shop's stock push, a mail or a PDF.
"""

from celery.app.routes import MapRoute
from kombu import Queue

DEFAULT_QUEUE = "celery"
QUEUES = {
    "polling": "calls to the shops that may be slow or throttled: order polls, shipment reports, drift checks",
    "stock": "stock pushes to the shops (latency matters: a sale must reach every shop within seconds)",
    "mail": "customer mails, replies to buyer messages and webhooks",
    "heavy": "long jobs: PDFs, exports, dashboard bulk actions, the personal-data retention job",
    DEFAULT_QUEUE: "everything else: allocation, release, reconciliation, sweeps",
}

# Celery tries the exact names first, then the patterns in this order (celery.app.routes.MapRoute).
TASK_ROUTES = {
    "channels.tasks.poll_channel": {"queue": "polling"},
    "channels.tasks.check_listing_drift": {"queue": "polling"},
    "channels.tasks.push_*": {"queue": "stock"},
    "shipping.tasks.push_*": {"queue": "polling"},
    # Buyer messages (問い合わせ): replies are mail; reading and closing threads are calls to the shop.
    "channels.inquiry_tasks.send_*": {"queue": "mail"},
    "channels.inquiry_tasks.*": {"queue": "polling"},
    "notifications.*": {"queue": "mail"},
    "oms.webhooks.*": {"queue": "mail"},  # webhook deliveries and their sweep
    "oms.tasks.bulk_job_run": {"queue": "heavy"},  # picking list PDFs, label exports over many orders
    "oms.tasks.prune_idempotency_keys": {"queue": "heavy"},
    "*.tasks.*_pdf*": {"queue": "heavy"},
    "*.tasks.export_*": {"queue": "heavy"},
    "orders.tasks.personal_data_*": {"queue": "heavy"},
}

# (soft, hard) seconds. The soft limit raises SoftTimeLimitExceeded inside the task, so its leases and
# transactions unwind; the hard one kills the process. A stock push stays under its 60 s channel lease
# (channels.sync.channel_push_stock), so a killed push never overlaps the next one; what it did not send
# stays pending and goes with the next push.
TIME_LIMITS = {
    "polling": (240, 300),
    "stock": (50, 58),
    "mail": (60, 90),
    "heavy": (1800, 1900),
    DEFAULT_QUEUE: (540, 600),
}

_router = MapRoute(TASK_ROUTES)


def task_queues() -> list[Queue]:
    return [Queue(name, routing_key=name) for name in QUEUES]


def queue_for(task_name: str) -> str:
    route = _router(task_name) or {}
    return route.get("queue", DEFAULT_QUEUE)


class QueueTimeLimits:
    """Celery task annotation (settings.CELERY_TASK_ANNOTATIONS): each task gets its queue's time limits,
    unless the task sets its own."""

    def annotate(self, task) -> dict | None:
        conf = task.app.conf
        own = (task.soft_time_limit, task.time_limit) not in {
            (None, None),
            (conf.task_soft_time_limit, conf.task_time_limit),
        }
        if task.name.startswith("celery.") or own:
            return None
        soft, hard = TIME_LIMITS[queue_for(task.name)]
        return {"soft_time_limit": soft, "time_limit": hard}
