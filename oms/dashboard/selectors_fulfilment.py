"""Reads for the warehouse page: orders waiting per carrier, recent picking batches and label exports. Fixed query
counts."""

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from orders.models import Order, OrderStatus
from shipping.models import Carrier, LabelExport, PickingBatch

S = OrderStatus


@dataclass(frozen=True)
class CarrierQueue:
    code: str
    name: str
    ready: int  # 印刷待ち: can go into a picking batch
    printed: int  # 印刷済み: picked, waiting for labels, 検品 and tracking numbers


def carrier_queues() -> list[CarrierQueue]:
    """Orders waiting for picking and for shipment per carrier (an order without its own carrier ships with
    its shop's default), every carrier listed. One grouped query."""
    counts: dict[tuple[str, str], int] = {}
    rows = (
        Order.objects.filter(status__in=[S.READY, S.PRINTED])
        .order_by()
        .values_list("status", "carrier__code", "channel__default_carrier")
        .annotate(n=Count("pk"))
    )
    for status, own, default, n in rows:
        key = (status, own or default)
        counts[key] = counts.get(key, 0) + n
    return [
        CarrierQueue(code, name, counts.get((S.READY, code), 0), counts.get((S.PRINTED, code), 0))
        for code, name in Carrier.Code.choices
    ]


def recent_batches(*, limit: int = 15) -> QuerySet[PickingBatch]:
    """The latest picking batches with how many of their orders are still to ship (one query)."""
    return PickingBatch.objects.annotate(
        order_count=Count("orders"),
        open_count=Count("orders", filter=Q(orders__status=S.PRINTED)),
        verified_count=Count("orders", filter=Q(orders__verified_at__isnull=False)),
    ).order_by("-pk")[:limit]


def recent_label_exports(*, limit: int = 10) -> QuerySet[LabelExport]:
    """The latest label exports, so nobody exports (and prints) the same labels twice without noticing; without
    their per-order maps, which can hold thousands of entries."""
    return LabelExport.objects.defer("orders").order_by("-pk")[:limit]
