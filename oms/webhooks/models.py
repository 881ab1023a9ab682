"""Webhook tables: subscriptions, the outbox of deliveries (one row per subscription and event) and each attempt.

Defined here and imported by oms.models, so they belong to the `oms` app and its migrations.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    ORDER_CREATED = "order.created", _("an order was imported")
    ORDER_HELD = "order.held", _("an order got a hold")
    ORDER_SHIPPED = "order.shipped", _("an order was shipped")
    STOCK_CHANGED = "stock.changed", _("a SKU's stock changed")


class WebhookSubscription(models.Model):
    """A receiver URL and the events it wants. The signing secret is stored encrypted (channels.crypto) and
    shown once, when the subscription is made or its secret rotated."""

    name = models.CharField(_("name"), max_length=100, blank=True)
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    secret_encrypted = models.TextField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=150, blank=True, editable=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return self.name or self.url


class WebhookDelivery(models.Model):
    """One event for one subscription: written in the transaction of the change (the outbox), then POSTed
    by oms.webhooks.tasks until the receiver answers 2xx or the attempts run out.

    `attempts` is the fencing token of the claim (like notifications' mail outbox): a task message carries
    the count it expects, so of two copies of one message only one can claim the row."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        DELIVERING = "delivering", _("delivering")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("failed")

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(_("event"), max_length=40, choices=WebhookEvent.choices)
    payload = models.JSONField(_("payload"))
    # stock.changed: "<sku id>:<transaction id>", so a transaction that changes a SKU many times writes
    # one row (the last state wins). Empty for other events.
    dedupe_key = models.CharField(max_length=64, blank=True, editable=False)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    # While `delivering`: the claim's lease; a row still delivering after it belongs to a dead worker.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="webhookdelivery_one_per_dedupe_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "delivering"]),
                name="webhookdelivery_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk}"


class WebhookAttempt(models.Model):
    """One POST of a delivery: the receiver's status code and (the start of) its answer, or the error."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    response_body = models.TextField(_("response (truncated)"), blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["delivery", "number", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"#{self.delivery_id}/{self.number}: {self.status_code or self.error[:40]}"
