"""Shipping tables: carriers, shipments (one per parcel, with its tracking number), picking batches, label exports."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Carrier(models.Model):
    class Code(models.TextChoices):
        YAMATO = "yamato", "ヤマト運輸"
        SAGAWA = "sagawa", "佐川急便"
        JAPANPOST = "japanpost", "日本郵便"

    code = models.CharField(_("code"), max_length=16, choices=Code.choices, unique=True)
    name = models.CharField(_("name"), max_length=64)
    tracking_url_template = models.CharField(
        _("tracking URL"),
        max_length=255,
        blank=True,
        help_text=_("{number} is replaced by the tracking number"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("carrier")
        verbose_name_plural = _("carriers")

    def __str__(self) -> str:
        return self.name

    def tracking_url(self, number: str) -> str:
        return self.tracking_url_template.replace("{number}", number) if self.tracking_url_template else ""


class Shipment(models.Model):
    """One parcel of an order; an order shipped in several parcels has several."""

    order = models.ForeignKey("orders.Order", on_delete=models.CASCADE, related_name="shipments")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="shipments")
    # The ship-to (楽天 送付先) the parcel went to, when the label named it (shipping.labels.refs); empty means
    # the order's first. The shop is told the tracking number for this ship-to. Not indexed: nothing looks
    # parcels up by ship-to, and an index on this large table would be built under a lock.
    ship_to = models.ForeignKey(
        "orders.ShipTo",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="shipments",
        db_index=False,
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Reporting the parcel to the shop (Rakuten updateOrderShipping, Yahoo orderShipStatusChange, Amazon
    # confirmShipment): retried until the shop accepts it; its answer is kept for the order's timeline.
    pushed_at = models.DateTimeField(_("reported to the shop at"), null=True, blank=True)
    push_attempts = models.PositiveIntegerField(default=0)
    # When the next try is due; empty when none is scheduled (not tried yet, reported, or given up). The
    # safety-net sweep (shipping.tasks.push_pending_shipments) re-sends only a try that is long overdue.
    push_retry_at = models.DateTimeField(null=True, blank=True)
    push_error = models.TextField(_("last error reporting to the shop"), blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [models.Index(fields=["tracking_number"])]

    def __str__(self) -> str:
        return f"{self.carrier_id} {self.tracking_number}"


class PickingBatch(models.Model):
    """Orders picked together (ピッキング): one picking list, the orders moved to 印刷済み."""

    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.CharField(max_length=150)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("picking batch")
        verbose_name_plural = _("picking batches")

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d %H:%M}"


class LabelExport(models.Model):
    """One label CSV export (送り状データ出力): when, by whom, for which carrier, and the orders in the file.

    An export holds up to thousands of orders, so it is one row rather than an event per order: `orders`
    maps each exported order ("o" + its id, see
    shipping.labels.history.order_key) to what the export noted about it beyond the usual — "labels"
    when it had other than one label, the Shift_JIS "replacements" and the "notices" — usually nothing.
    Each order's timeline shows the export through shipping.labels.history (a GIN index on PostgreSQL
    finds an order's exports; migration 0003)."""

    carrier = models.CharField(_("carrier"), max_length=16, choices=Carrier.Code.choices)
    actor = models.CharField(_("actor"), max_length=150)
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True, db_index=True)
    order_count = models.PositiveIntegerField(_("orders"))
    label_count = models.PositiveIntegerField(_("labels"))
    orders = models.JSONField(default=dict)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("label export")
        verbose_name_plural = _("label exports")

    def __str__(self) -> str:
        return f"#{self.pk} {self.carrier} {self.created_at:%Y-%m-%d %H:%M}"
