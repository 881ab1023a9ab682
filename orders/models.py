"""Order tables: Order, ShipTo (送付先), OrderLine, Hold, OrderEvent (audit trail)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# Buyers read Japanese: mails, packing slips and replies to them are written in it whatever language the
# person at the dashboard uses (in_japanese).
CUSTOMER_LANGUAGE = "ja"


def in_japanese(text) -> str:
    """A lazily translated text (a choice label, a message), or what a function such as
    order.get_status_display returns, in Japanese: for a buyer, or inside a Japanese sentence."""
    with translation.override(CUSTOMER_LANGUAGE):
        return str(text() if callable(text) else text)


class OrderStatus(models.TextChoices):
    """The common Japanese OMS workflow (DESIGN.md)."""

    NEW = "new", pgettext_lazy("order status", "New")
    ON_HOLD = "on_hold", pgettext_lazy("order status", "On hold")
    AWAITING_STOCK = "awaiting_stock", pgettext_lazy("order status", "Awaiting stock")
    AWAITING_PAYMENT = "awaiting_payment", pgettext_lazy("order status", "Awaiting payment")
    SCHEDULED = "scheduled", pgettext_lazy("order status", "Awaiting print date")
    READY = "ready", pgettext_lazy("order status", "Ready to print")
    PRINTED = "printed", pgettext_lazy("order status", "Printed")
    SHIPPED = "shipped", pgettext_lazy("order status", "Shipped")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")


class PaymentMethod(models.TextChoices):
    CREDIT_CARD = "credit_card", pgettext_lazy("payment method", "Credit card")
    COD = "cod", pgettext_lazy("payment method", "Cash on delivery")
    BANK_TRANSFER = "bank_transfer", pgettext_lazy("payment method", "Bank transfer")
    CONVENIENCE_STORE = "convenience_store", pgettext_lazy("payment method", "Convenience store")
    DEFERRED = "deferred", pgettext_lazy("payment method", "Pay later")
    POINTS = "points", pgettext_lazy("payment method", "Points")
    OTHER = "other", pgettext_lazy("payment method", "Other")


class DeliveryTime(models.TextChoices):
    """Canonical delivery time slots; each marketplace's and carrier's codes map to these."""

    NONE = "", pgettext_lazy("time slot", "No preference")
    MORNING = "08-12", pgettext_lazy("time slot", "Morning (8–12)")
    H12_14 = "12-14", pgettext_lazy("time slot", "12:00–14:00")
    H14_16 = "14-16", pgettext_lazy("time slot", "14:00–16:00")
    H16_18 = "16-18", pgettext_lazy("time slot", "16:00–18:00")
    H18_20 = "18-20", pgettext_lazy("time slot", "18:00–20:00")
    H19_21 = "19-21", pgettext_lazy("time slot", "19:00–21:00")
    H18_21 = "18-21", pgettext_lazy("time slot", "18:00–21:00")
    H20_21 = "20-21", pgettext_lazy("time slot", "20:00–21:00")


class Order(models.Model):
    channel = models.ForeignKey("channels.Channel", on_delete=models.PROTECT, related_name="orders")
    external_id = models.CharField(_("shop order number"), max_length=128)
    status = models.CharField(
        _("status"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.NEW
    )
    ordered_at = models.DateTimeField(_("ordered at"))
    buyer_name = models.CharField(_("buyer name"), max_length=255, blank=True)
    buyer_kana = models.CharField(_("buyer kana"), max_length=255, blank=True)
    buyer_email = models.EmailField(_("buyer e-mail"), max_length=255, blank=True)
    buyer_phone = models.CharField(_("buyer phone"), max_length=32, blank=True)
    subtotal = models.IntegerField(_("goods total"), default=0)
    shipping_fee = models.IntegerField(_("shipping fee"), default=0)
    payment_fee = models.IntegerField(_("payment fee"), default=0)
    discount = models.IntegerField(_("discount"), default=0)
    total = models.IntegerField(_("total"), default=0)
    payment_method = models.CharField(
        _("payment method"), max_length=20, choices=PaymentMethod.choices, default=PaymentMethod.OTHER
    )
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    remarks = models.TextField(_("remarks (備考)"), blank=True)
    is_gift = models.BooleanField(_("gift"), default=False)
    delivery_date = models.DateField(_("wished delivery date"), null=True, blank=True)
    delivery_time = models.CharField(
        _("wished time slot"),
        max_length=8,
        choices=DeliveryTime.choices,
        blank=True,
        default=DeliveryTime.NONE,
    )
    carrier = models.ForeignKey(
        "shipping.Carrier", on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    picking_batch = models.ForeignKey(
        "shipping.PickingBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    # 検品 (scan-to-verify) finished: every unit scanned against the order.
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    # 印刷日待ち: the day a far-future order moves on to 印刷待ち so it still arrives on the wished date.
    print_on = models.DateField(_("print on"), null=True, blank=True, db_index=True)
    raw_payload = models.JSONField(_("shop data"), default=dict, blank=True)
    # Hash of what the shop says about the order (not its bookkeeping fields): a re-fetch with the same
    # fingerprint changes nothing, even when the shop's own version counter moved.
    source_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Normalised buyer name + address + phone: open orders sharing it are merge candidates (同梱候補).
    merge_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_from", editable=False
    )
    split_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="split_into", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by database triggers (shipping migration 0006) whenever what the order's labels are built from
    # changes: its label columns, its ship-tos and lines, their SKUs, or its return to 印刷待ち/印刷済み. A label
    # prepared ahead of the export (shipping.labels.prepared) is used only while this is unchanged.
    label_version = models.BigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-ordered_at", "-pk"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"], name="order_unique_channel_external_id"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-ordered_at"]),
            models.Index(fields=["-ordered_at"]),
            models.Index(fields=["delivery_date"]),
            models.Index(fields=["buyer_phone"]),
        ]

    def __str__(self) -> str:
        return self.external_id


class ShipTo(models.Model):
    """A delivery address of an order; Rakuten orders can have several (送付先, one per basketId)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="ship_tos")
    external_id = models.CharField(_("shop address id"), max_length=64, blank=True)
    name = models.CharField(_("name"), max_length=255)
    kana = models.CharField(_("kana"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8)
    prefecture = models.CharField(_("prefecture"), max_length=8)
    city = models.CharField(_("city"), max_length=64)
    address1 = models.CharField(_("address 1"), max_length=255)
    address2 = models.CharField(_("address 2"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("ship-to address")
        verbose_name_plural = _("ship-to addresses")

    def __str__(self) -> str:
        return f"〒{self.postal_code} {self.prefecture}{self.city}{self.address1} {self.name}"


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    ship_to = models.ForeignKey(
        ShipTo, on_delete=models.SET_NULL, null=True, blank=True, related_name="lines"
    )
    sku = models.ForeignKey(
        "inventory.SKU", on_delete=models.PROTECT, null=True, blank=True, related_name="lines"
    )
    # The shop order the line was bought on, when a merge (同梱) or a split (分割) moved it to another order
    # of ours; empty for a line still on its own. Shipping is reported to the shop under that order's number.
    bought_on = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # a partial index (orders/migrations/0008): most lines have none
        verbose_name=_("bought on (shop order)"),
    )
    external_line_id = models.CharField(_("shop line id"), max_length=64, blank=True)
    external_item_id = models.CharField(_("shop item id"), max_length=255, blank=True)
    name = models.CharField(_("item name"), max_length=255)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.IntegerField(_("unit price (tax incl.)"), default=0)
    # Kept equal to the line's allocations by inventory.services (in units of this line's SKU).
    allocated_quantity = models.PositiveIntegerField(_("allocated"), default=0)
    shipped_quantity = models.PositiveIntegerField(_("shipped"), default=0)
    verified_quantity = models.PositiveIntegerField(_("verified (検品)"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(allocated_quantity__lte=models.F("quantity")),
                name="orderline_allocated_within_quantity",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity}× {self.sku_id or self.external_item_id}"


class Hold(models.Model):
    """A reason the order waits (DESIGN.md hold codes). Active while resolved_at is empty."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="holds")
    code = models.CharField(_("code"), max_length=40)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A person accepted the order as it is: the checks do not raise this code again on a re-check.
    released_by_person = models.BooleanField(default=False)
    # The one-click fix the check proposes, e.g. {"ship_to": 12, "prefecture": "東京都", "city": "千代田区"}.
    suggestion = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("hold")
        verbose_name_plural = _("holds")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "code"],
                condition=Q(resolved_at__isnull=True),
                name="hold_one_active_per_code",
            ),
        ]
        indexes = [
            models.Index(fields=["code"], condition=Q(resolved_at__isnull=True), name="hold_active_code")
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None


class OrderEvent(models.Model):
    """Audit trail: who did what to the order, when, with the values before and after."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=40)
    actor = models.CharField(_("actor"), max_length=150)
    message = models.TextField(_("message"), blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.kind} by {self.actor}"


class HoldRule(models.Model):
    """Decides per channel (or for all) whether a hold code stops an order or lets it pass, e.g.
    "remarks that only say ギフト包装希望 do not hold". A channel's own rule wins over a rule for all."""

    class Action(models.TextChoices):
        PASS = "pass", "自動で通す"
        HOLD = "hold", "確認待ちにする"

    channel = models.ForeignKey(
        "channels.Channel",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="hold_rules",
        help_text=_("empty = every channel"),
    )
    code = models.CharField(_("hold code"), max_length=40)
    action = models.CharField(_("action"), max_length=8, choices=Action.choices, default=Action.PASS)
    pattern = models.CharField(
        _("only when the text matches"),
        max_length=255,
        blank=True,
        help_text=_(
            "a regular expression matched against the whole text (for remarks: the remarks); empty = always"
        ),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    note = models.CharField(_("note"), max_length=255, blank=True)

    class Meta:
        ordering = ["code", "pk"]
        verbose_name = _("hold rule")
        verbose_name_plural = _("hold rules")

    def __str__(self) -> str:
        return f"{self.code}: {self.action}"
