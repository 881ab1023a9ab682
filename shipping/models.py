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


class PreparedLabel(models.Model):
    """An order's labels built ahead of the export, while it waits in 印刷待ち (shipping.labels.prepared): the
    checks, the Shift_JIS rule and the carrier's columns are done as orders arrive, so that exporting thousands
    of orders only assembles the file.

    Used only while `version` equals the order's label_version (database triggers bump it whenever what the
    labels are built from changes), `carrier` is still the order's carrier and `code` is the label code's own
    fingerprint; otherwise the export builds the order's labels afresh. The shop's sender and the ship date
    are not in it: the export adds them."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, primary_key=True, related_name="prepared_label"
    )
    carrier = models.CharField(max_length=16, choices=Carrier.Code.choices)
    version = models.BigIntegerField()
    code = models.CharField(max_length=40)
    customer_ref = models.CharField(max_length=64)
    # Each label's column values in line order, joined by U+001F, labels joined by U+001E ("" = no label).
    labels = models.TextField(blank=True)
    # JSON of the refs, replacements, notices and problems of shipping.labels.OrderLabels; "" when none.
    report = models.TextField(blank=True)
    prepared_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("prepared label")
        verbose_name_plural = _("prepared labels")

    def __str__(self) -> str:
        return f"{self.order_id} {self.carrier} v{self.version}"
