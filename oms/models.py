"""API keys for integrations (3PL warehouses, CS agencies, the seller's scripts): stored hashed, scoped, revocable."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What an API key may do; one scope per area and access (read, write)."""

    ORDERS_READ = "orders:read", _("read orders")
    ORDERS_WRITE = "orders:write", _("change orders (holds, status, cancel, payment)")
    SHIPMENTS_WRITE = "shipments:write", _("claim and ship orders (3PL)")
    STOCK_READ = "stock:read", _("read stock")
    STOCK_WRITE = "stock:write", _("adjust and count stock")
    PRODUCTS_READ = "products:read", _("read products and SKUs")
    CHANNELS_READ = "channels:read", _("read channel health")
    INQUIRIES_READ = "inquiries:read", _("read buyer inquiries")
    INQUIRIES_WRITE = "inquiries:write", _("answer buyer inquiries")
    WEBHOOKS_MANAGE = "webhooks:manage", _("manage webhook subscriptions and read their deliveries")


class ApiKey(models.Model):
    """One integration's key. Only a SHA-256 hash of the key is kept; the key itself is shown once.

    A key reads `oms_<prefix>_<secret>`: the prefix finds the row (and names the key in logs and the
    admin), the hash of the whole key proves it."""

    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True, editable=False)
    key_hash = models.CharField(_("key hash (SHA-256)"), max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class FailedTask(models.Model):
    """Dead letter: a Celery task that failed for good (no retry left), for a person to look at or run again.

    Tasks take ids, and only ids are kept of the arguments (oms.failed_tasks). The same call failing again
    adds to the open row instead of a new one, so a marketplace outage is one row per call, not thousands."""

    task_name = models.CharField(_("task"), max_length=200, db_index=True)
    task_id = models.CharField(_("last task id"), max_length=64)
    args = models.JSONField(_("arguments"), default=list)
    kwargs = models.JSONField(_("keyword arguments"), default=dict)
    # SHA-256 of the task name and arguments: one open row per call.
    fingerprint = models.CharField(max_length=64, editable=False)
    exception = models.TextField(_("exception"))
    traceback = models.TextField(_("traceback"), blank=True)
    failures = models.PositiveIntegerField(_("failures"), default=1)
    first_failed_at = models.DateTimeField(_("first failed at"))
    failed_at = models.DateTimeField(_("last failed at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.CharField(_("resolution"), max_length=20, blank=True)

    class Meta:
        ordering = ["-failed_at", "-pk"]
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")
        constraints = [
            models.UniqueConstraint(
                fields=["fingerprint"],
                condition=models.Q(resolved_at__isnull=True),
                name="failedtask_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class BulkJob(models.Model):
    """A bulk action on orders ticked in the dashboard's order list, run by a Celery task: how far it got,
    what went wrong per order, and the file it made (picking list PDF, label CSV), for the page that follows
    its progress. The task (oms.tasks.bulk_job_run) writes `done` as it goes; the page polls it."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("confirm orders")
        RELEASE_HOLD = "release_hold", _("release a hold")
        STATUS = "status", _("change status")
        PICKING = "picking", _("picking list")
        LABELS = "labels", _("label export")

    class State(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("action"), max_length=16, choices=Kind.choices)
    # What the action needs besides the orders: {"hold": code}, {"status": status}, {"carrier": code}.
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    # The ticked orders' ids; null = every order the action applies to (label export of all waiting orders).
    order_ids = models.JSONField(_("orders"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    # [{"order": shop order number, "message": why}] for each order the action could not be applied to.
    errors = models.JSONField(_("errors"), default=list, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    result_name = models.CharField(_("result file name"), max_length=100, blank=True)
    result_content_type = models.CharField(max_length=100, blank=True)
    result = models.BinaryField(_("result file"), null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("bulk job")
        verbose_name_plural = _("bulk jobs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.done}/{self.total}"

    @property
    def finished(self) -> bool:
        return self.state in {self.State.DONE, self.State.FAILED}

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return min(100, self.done * 100 // self.total) if self.total else 0


class ShipmentClaim(models.Model):
    """A 3PL worker's claim on a ready order (shipping.claims): while it lasts, no other claim gets the order.

    One row per order; an expired row is taken over by the next claim (an upsert that only overwrites
    expired rows), so a worker that died never keeps orders for longer than the claim's lifetime."""

    order = models.OneToOneField("orders.Order", on_delete=models.CASCADE, related_name="shipment_claim")
    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    claimed_by = models.CharField(_("claimed by"), max_length=150)
    claimed_at = models.DateTimeField(_("claimed at"))
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        ordering = ["expires_at", "pk"]
        verbose_name = _("shipment claim")
        verbose_name_plural = _("shipment claims")

    def __str__(self) -> str:
        return f"{self.order_id} by {self.claimed_by}"


class IdempotencyKey(models.Model):
    """An `Idempotency-Key` a caller sent with a write, with the first answer: the same key and body replay
    it; the same key with another body is refused (oms.api.idempotency)."""

    owner = models.CharField(_("caller"), max_length=150)
    key = models.CharField(_("key"), max_length=255)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotencykey_unique_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner}: {self.key}"


# Webhook tables live in their own module; importing them here makes them part of this app.
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription  # noqa: E402, F401
