"""Reads for the stock page: per SKU on hand, allocated and free, and per shop what it was last told and
whether that drifted. A page of rows costs the same number of queries whatever its size."""

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet

from channels.models import Channel, ChannelAlert, Listing
from channels.selectors import listing_quantities
from inventory.models import SKU
from inventory.selectors import sku_free_stock, sku_stock_totals

DRIFT_ALERT_KIND = "stock_drift"  # channels.tasks.check_listing_drift: the shop shows another quantity


@dataclass(frozen=True)
class ShopQuantity:
    """One shop's view of a SKU: what we last pushed, what we would push now, and the drift check's alert."""

    channel: Channel
    listed: bool
    last_pushed: int | None = None
    pushed_at: datetime | None = None
    target: int | None = None  # what the shop should show now (free stock after its buffer, share and cap)
    needs_push: bool = False
    alert: ChannelAlert | None = None

    @property
    def pending(self) -> bool:
        """We have not told the shop the current quantity yet."""
        return self.listed and (self.needs_push or self.target != self.last_pushed)


@dataclass
class StockRow:
    sku: SKU
    on_hand: int | None  # None for a set: it has no stock of its own
    allocated: int | None
    free: int
    shops: list[ShopQuantity] = field(default_factory=list)

    @property
    def drifted(self) -> bool:
        return any(shop.alert is not None for shop in self.shops)


def stock_skus(*, q: str = "") -> QuerySet[SKU]:
    """SKUs for the stock page, by code; `q` matches the code, name, JAN or location, width-folded too
    (ＴＳＨＩＲＴ－ＢＬＫ typed with the IME on is TSHIRT-BLK)."""
    skus = SKU.objects.all()
    if q.strip():
        term = q.strip()
        folded = unicodedata.normalize("NFKC", term)
        skus = skus.filter(
            Q(code__icontains=folded)
            | Q(name__icontains=term)
            | Q(name__icontains=folded)
            | Q(jan=folded)
            | Q(location_code__iexact=folded)
        )
    return skus.order_by("code")


def _drift_alerts(skus: list[SKU]) -> dict[tuple[int, str], ChannelAlert]:
    """The newest open drift alert per (channel, SKU code). The alert names its SKU at the start of its
    message ("TSHIRT-BLK-M: ショップの在庫数 …")."""
    if not skus:
        return {}
    starts = Q()
    for sku in skus:
        starts |= Q(message__startswith=f"{sku.code}:")
    alerts: dict[tuple[int, str], ChannelAlert] = {}
    for alert in ChannelAlert.objects.filter(
        starts, kind=DRIFT_ALERT_KIND, resolved_at__isnull=True
    ).order_by("created_at", "pk"):
        alerts[(alert.channel_id, alert.message.split(":", 1)[0])] = alert
    return alerts


def stock_rows(*, skus: list[SKU], channels: list[Channel]) -> list[StockRow]:
    """The stock page's rows for these SKUs, one column per channel."""
    ids = [sku.pk for sku in skus]
    totals = sku_stock_totals(sku_ids=ids)
    free = sku_free_stock(sku_ids=ids)
    listings = {
        (listing.channel_id, listing.sku_id): listing for listing in Listing.objects.filter(sku_id__in=ids)
    }
    alerts = _drift_alerts(skus)
    targets = {channel.pk: listing_quantities(channel=channel, free=free) for channel in channels}
    rows = []
    for sku in skus:
        counts = totals.get(sku.pk, {"on_hand": 0, "allocated": 0})
        row = StockRow(
            sku=sku,
            on_hand=None if sku.is_set else counts["on_hand"],
            allocated=None if sku.is_set else counts["allocated"],
            free=free.get(sku.pk, 0),
        )
        for channel in channels:
            listing = listings.get((channel.pk, sku.pk))
            if listing is None:
                row.shops.append(ShopQuantity(channel=channel, listed=False))
                continue
            row.shops.append(
                ShopQuantity(
                    channel=channel,
                    listed=True,
                    last_pushed=listing.last_pushed_quantity,
                    pushed_at=listing.last_pushed_at,
                    target=targets[channel.pk].get(sku.pk, 0),
                    needs_push=listing.needs_push,
                    alert=alerts.get((channel.pk, sku.code)),
                )
            )
        rows.append(row)
    return rows
