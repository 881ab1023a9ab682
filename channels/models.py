"""Channel tables: a shop on one marketplace (credentials encrypted), its listings of our SKUs, sync cursors."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from channels.crypto import decrypt_json, encrypt_json

AMAZON_RETENTION_DAYS = 90


class Channel(models.Model):
    """One shop: a seller account on Rakuten, Yahoo!ショッピング or Amazon.co.jp."""

    class Kind(models.TextChoices):
        RAKUTEN = "rakuten", _("Rakuten Ichiba")
        YAHOO = "yahoo", _("Yahoo! Shopping")
        AMAZON = "amazon", _("Amazon.co.jp")

    kind = models.CharField(_("marketplace"), max_length=16, choices=Kind.choices)
    name = models.SlugField(_("name"), max_length=64, unique=True)
    display_name = models.CharField(_("shop name"), max_length=255, blank=True)
    base_url = models.URLField(_("API base URL"), max_length=255)
    credentials_encrypted = models.TextField(editable=False, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    poll_interval_seconds = models.PositiveIntegerField(
        _("poll interval (s)"), default=15, validators=[MinValueValidator(5)]
    )
    # What the shop is told: free stock minus the buffer, then the percentage, then the cap; never below 0.
    stock_buffer = models.PositiveIntegerField(_("safety buffer (units)"), default=0)
    stock_percent = models.PositiveSmallIntegerField(
        _("share of free stock (%)"), default=100, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    stock_cap = models.PositiveIntegerField(_("cap (units)"), null=True, blank=True)
    default_carrier = models.CharField(
        _("default carrier"),
        max_length=16,
        default="yamato",
        choices=[("yamato", "ヤマト運輸"), ("sagawa", "佐川急便"), ("japanpost", "日本郵便")],
    )
    healthy = models.BooleanField(_("healthy"), default=True)
    health_error = models.TextField(_("last error"), blank=True)
    credentials_expire_at = models.DateTimeField(_("credentials expire at"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last successful poll"), null=True, blank=True)
    last_pushed_at = models.DateTimeField(_("last stock push"), null=True, blank=True)
    # APPI and the marketplaces' data protection rules: buyer data of orders shipped or cancelled longer
    # ago than this is anonymised by a daily job (orders.privacy). Empty keeps it, except on Amazon, whose
    # Data Protection Policy forbids keeping it: there empty means AMAZON_RETENTION_DAYS.
    personal_data_retention_days = models.PositiveIntegerField(
        _("keep buyer data for (days after shipping)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("empty = keep (Amazon: 90 days)"),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("channel")
        verbose_name_plural = _("channels")

    def __str__(self) -> str:
        return self.display_name or self.name

    @property
    def credentials(self) -> dict:
        """Decrypted credentials. Never log or render them."""
        return decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = encrypt_json(value)

    @property
    def retention_days(self) -> int | None:
        """Days after shipping or cancelling that buyer data is kept; None keeps it."""
        if self.personal_data_retention_days is None and self.kind == self.Kind.AMAZON:
            return AMAZON_RETENTION_DAYS
        return self.personal_data_retention_days

    def quantity_to_publish(self, free: int) -> int:
        """The quantity this shop should show for `free` units of free stock."""
        quantity = max(free - self.stock_buffer, 0) * self.stock_percent // 100
        if self.stock_cap is not None:
            quantity = min(quantity, self.stock_cap)
        return max(quantity, 0)


class Listing(models.Model):
    """Our SKU as one shop knows it. Rakuten: manageNumber + variantId; Yahoo: item_code + sub-code;
    Amazon: SellerSKU (item id only)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="listings")
    sku = models.ForeignKey("inventory.SKU", on_delete=models.PROTECT, related_name="listings")
    external_item_id = models.CharField(_("shop item id"), max_length=128)
    external_variant_id = models.CharField(_("shop variant id"), max_length=128, blank=True)
    last_pushed_quantity = models.IntegerField(_("last pushed quantity"), null=True, blank=True)
    last_pushed_at = models.DateTimeField(_("last pushed at"), null=True, blank=True)
    needs_push = models.BooleanField(_("push pending"), default=True, db_index=True)
    # Bumped by every stock change: a push only clears needs_push if no change arrived while it was sent.
    push_generation = models.PositiveBigIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["channel", "sku"]
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        constraints = [
            models.UniqueConstraint(fields=["channel", "sku"], name="listing_unique_channel_sku"),
            models.UniqueConstraint(
                fields=["channel", "external_item_id", "external_variant_id"],
                name="listing_unique_external_ids",
            ),
        ]

    def __str__(self) -> str:
        ids = (
            f"{self.external_item_id}:{self.external_variant_id}"
            if self.external_variant_id
            else self.external_item_id
        )
        return f"{self.channel_id}/{ids}"


class SyncCursor(models.Model):
    """How far a channel's feed (orders, inquiries) has been read; polls restart from here with overlap."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="cursors")
    feed = models.CharField(max_length=32, default="orders")
    position = models.DateTimeField(null=True, blank=True)
    token = models.CharField(max_length=512, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sync cursor")
        verbose_name_plural = _("sync cursors")
        constraints = [
            models.UniqueConstraint(fields=["channel", "feed"], name="synccursor_unique_channel_feed"),
            models.CheckConstraint(condition=~Q(feed=""), name="synccursor_feed_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.feed}@{self.position}"


class QuarantinedPayload(models.Model):
    """An order payload from a shop that could not be imported, kept whole with the reason.

    Re-processable: after a fix (a listing added, a parser corrected) it is imported again from here."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="quarantine")
    external_id = models.CharField(_("shop order number"), max_length=128, blank=True)
    payload = models.JSONField(_("payload"))
    error = models.TextField(_("error"))
    attempts = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("quarantined payload")
        verbose_name_plural = _("quarantined payloads")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=Q(resolved_at__isnull=True),
                name="quarantine_one_open_per_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.external_id or '?'}"


class ChannelAlert(models.Model):
    """Something about a channel a person should look at (stock edited by hand in the shop, …)."""

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=40)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("channel alert")
        verbose_name_plural = _("channel alerts")

    def __str__(self) -> str:
        return f"{self.channel_id}: {self.kind}"
