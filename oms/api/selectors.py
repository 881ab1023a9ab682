"""API reads: orders, stock rows, catalogue and channels, each page in a fixed number of queries.

These compose the apps' own models and selectors for the API's needs; a page of 5 or 200 rows costs the
same queries (one per table, through prefetches), never one per row.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from channels.models import Channel, Listing
from inventory.models import SKU, Product, SetComponent, StockLevel
from inventory.selectors import sku_free_stock, sku_stock_totals
from orders.models import Hold, Order, OrderEvent, OrderLine, ShipTo
from shipping.labels.history import order_timeline
from shipping.models import Shipment


def _order_queryset() -> QuerySet[Order]:
    # The shop's raw payload can be large and the API never shows it.
    return (
        Order.objects.select_related("channel")
        .defer("raw_payload", "channel__credentials_encrypted")
        .prefetch_related(
            Prefetch(
                "holds",
                queryset=Hold.objects.filter(resolved_at__isnull=True).order_by("pk"),
                to_attr="active_holds",
            ),
            # Plain lists (to_attr): a related manager per order and relation cost more than the serializing.
            Prefetch(
                "lines", queryset=OrderLine.objects.select_related("sku").order_by("pk"), to_attr="api_lines"
            ),
            Prefetch("ship_tos", queryset=ShipTo.objects.order_by("pk"), to_attr="api_ship_tos"),
            Prefetch(
                "shipments",
                queryset=Shipment.objects.select_related("carrier").order_by("pk"),
                to_attr="api_shipments",
            ),
        )
    )


def order_list(
    *,
    channel: str | None = None,
    external_id: str | None = None,
    status: str | None = None,
    hold: str | None = None,
    ordered_after: datetime | None = None,
    ordered_before: datetime | None = None,
) -> QuerySet[Order]:
    """Orders with what the API shows of them (channel, active holds, lines with SKUs, addresses,
    parcels) prefetched. `hold` keeps orders with an active hold of that code."""
    orders = _order_queryset()
    if channel:
        orders = orders.filter(channel__name=channel)
    if external_id:
        orders = orders.filter(external_id=external_id)
    if status:
        orders = orders.filter(status=status)
    if hold:
        orders = orders.filter(
            Exists(Hold.objects.filter(order=OuterRef("pk"), code=hold, resolved_at__isnull=True))
        )
    if ordered_after:
        orders = orders.filter(ordered_at__gte=ordered_after)
    if ordered_before:
        orders = orders.filter(ordered_at__lt=ordered_before)
    return orders


def order_get(*, order_id: int) -> Order:
    """One order with everything the detail shows, its audit trail included. Raises Order.DoesNotExist."""
    order = (
        _order_queryset()
        .prefetch_related(
            Prefetch("events", queryset=OrderEvent.objects.order_by("pk"), to_attr="api_events")
        )
        .get(pk=order_id)
    )
    order.api_events = order_timeline(order, order.api_events)
    return order


def sku_list(
    *, codes: list[str] | None = None, product: str | None = None, jan: str | None = None
) -> QuerySet[SKU]:
    skus = SKU.objects.select_related("product").prefetch_related(
        Prefetch("components", queryset=SetComponent.objects.select_related("component").order_by("pk"))
    )
    if codes:
        skus = skus.filter(code__in=codes)
    if product:
        skus = skus.filter(product__code=product)
    if jan:
        skus = skus.filter(jan=jan)
    return skus


def product_list(*, code: str | None = None) -> QuerySet[Product]:
    products = Product.objects.prefetch_related(Prefetch("skus", queryset=SKU.objects.order_by("code")))
    if code:
        products = products.filter(code=code)
    return products


def stock_sku_list(*, codes: list[str] | None = None, product: str | None = None) -> QuerySet[SKU]:
    """SKUs with their stock levels (per warehouse) and listings (per channel) prefetched."""
    return SKU.objects.prefetch_related(
        Prefetch("stock_levels", queryset=StockLevel.objects.select_related("warehouse").order_by("pk")),
        Prefetch("listings", queryset=Listing.objects.select_related("channel").order_by("channel__name")),
    ).filter(
        **({"code__in": codes} if codes else {}),
        **({"product__code": product} if product else {}),
    )


@dataclass
class StockRow:
    """One SKU's stock as the API tells it. A set SKU has no stock of its own: on_hand and allocated are
    None and free is what its components make up."""

    sku: SKU
    on_hand: int | None
    allocated: int | None
    free: int
    levels: list[StockLevel] = field(default_factory=list)
    listings: list[Listing] = field(default_factory=list)


def stock_rows(*, skus: list[SKU]) -> list[StockRow]:
    """Totals for SKUs loaded by stock_sku_list (three queries for the whole page)."""
    ids = [sku.pk for sku in skus]
    totals = sku_stock_totals(sku_ids=ids)
    free = sku_free_stock(sku_ids=ids)
    rows = []
    for sku in skus:
        total = totals.get(sku.pk, {"on_hand": 0, "allocated": 0})
        rows.append(
            StockRow(
                sku=sku,
                on_hand=None if sku.is_set else total["on_hand"],
                allocated=None if sku.is_set else total["allocated"],
                free=free.get(sku.pk, 0),
                levels=list(sku.stock_levels.all()),
                listings=list(sku.listings.all()),
            )
        )
    return rows


def channel_list() -> QuerySet[Channel]:
    """Channels without their encrypted credentials (never loaded for the API)."""
    return Channel.objects.defer("credentials_encrypted")
