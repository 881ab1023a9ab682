"""Picking (ピッキング, step E): ready orders gathered into a batch, and what to pick for it by location.

`picking_batch_create` is the write (one transaction); `picking_list_data` is the read the picking list PDF
renders. Set lines are expanded into their components: the shelves hold components, not sets.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from channels.models import Channel
from inventory.models import SKU, SetComponent
from orders.models import Order, OrderLine, OrderStatus
from orders.services import order_status_change
from shipping.models import Carrier, PickingBatch

S = OrderStatus
NO_LOCATION = "未設定"  # shown for a SKU without a location; sorted after every real location


class PickingRefused(Exception):
    """No batch was made; the message says why, for a person."""


def _ready_orders(
    *, orders: QuerySet[Order] | None, channel: Channel | None, carrier: Carrier | str | None, delivery_date
) -> QuerySet[Order]:
    queryset = (orders if orders is not None else Order.objects.all()).filter(status=S.READY)
    if channel is not None:
        queryset = queryset.filter(channel=channel)
    if carrier is not None:
        code = carrier.code if isinstance(carrier, Carrier) else carrier
        # An order without its own carrier ships with its shop's default carrier.
        queryset = queryset.filter(
            Q(carrier__code=code) | Q(carrier__isnull=True, channel__default_carrier=code)
        )
    if delivery_date is not None:
        queryset = queryset.filter(delivery_date=delivery_date)
    return queryset


@transaction.atomic
def picking_batch_create(
    *,
    actor: str,
    orders: QuerySet[Order] | None = None,
    channel: Channel | None = None,
    carrier: Carrier | str | None = None,
    delivery_date: date | None = None,
    note: str = "",
) -> PickingBatch:
    """Gather the ready (印刷待ち) orders that match into a new picking batch and move each to 印刷済み.

    `orders` narrows the choice to a queryset (e.g. the ones ticked in the dashboard); `channel`, `carrier`
    (a Carrier or its code) and `delivery_date` filter further; with none given, every ready order is taken.
    Orders that are not ready are left out. Raises PickingRefused when no order matches.

    Locks the chosen order rows in primary-key order and re-checks their status under the lock, so an
    order that another transaction moved on meanwhile is not taken, and two batches never share an order.
    """
    candidate_pks = list(
        _ready_orders(orders=orders, channel=channel, carrier=carrier, delivery_date=delivery_date)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    locked = list(
        Order.objects.select_for_update().filter(pk__in=candidate_pks, status=S.READY).order_by("pk")
    )
    if not locked:
        raise PickingRefused(
            "印刷待ちの注文で条件に合うものがありません。ピッキングバッチは作成されませんでした。"
        )
    batch = PickingBatch.objects.create(actor=actor, note=note)
    Order.objects.filter(pk__in=[order.pk for order in locked]).update(picking_batch=batch)
    for order in locked:
        order.picking_batch = batch
        order_status_change(
            order=order, to_status=S.PRINTED, actor=actor, note=f"ピッキングバッチ #{batch.pk}"
        )
    return batch


@dataclass(frozen=True)
class PickEntry:
    """Units of one SKU for one order; `via_set` names the set SKU when the units are a set's components."""

    order_number: str
    quantity: int
    via_set: str = ""


@dataclass(frozen=True)
class PickRow:
    """One SKU at one location: how many to pick in all and for which orders."""

    location: str
    sku_code: str
    sku_name: str
    jan: str
    total: int
    entries: tuple[PickEntry, ...]


@dataclass(frozen=True)
class UnlinkedLine:
    """A line not linked to a SKU: nothing on the shelves says what to pick, so it is listed apart."""

    order_number: str
    name: str
    quantity: int


@dataclass(frozen=True)
class PickingList:
    batch_id: int
    created_at: datetime
    actor: str
    order_count: int
    rows: tuple[PickRow, ...]
    unlinked: tuple[UnlinkedLine, ...] = field(default=())

    @property
    def total_units(self) -> int:
        return sum(row.total for row in self.rows)

    @property
    def has_sets(self) -> bool:
        return any(entry.via_set for row in self.rows for entry in row.entries)


def location_sort_key(location: str) -> tuple:
    """Walk order: A-2-10 after A-2-9 (numbers compare as numbers), shelves without a location last."""
    if not location:
        return (1, ())
    parts = re.split(r"(\d+)", location.upper())
    return (0, tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in parts if part))


def _components_by_set(set_ids: set[int]) -> dict[int, list[SetComponent]]:
    components: dict[int, list[SetComponent]] = defaultdict(list)
    for component in (
        SetComponent.objects.filter(set_sku_id__in=set_ids).select_related("component").order_by("pk")
    ):
        components[component.set_sku_id].append(component)
    return components


def picking_list_data(batch: PickingBatch) -> PickingList:
    """What to pick for the batch: one row per (location, SKU), sorted in walk order, with the total and
    the per-order breakdown. Set lines appear as their components (set quantity × component quantity).

    Cancelled orders are left out, so a list printed again after a cancellation no longer asks for them.
    At most three queries, whatever the size of the batch."""
    lines = list(
        OrderLine.objects.filter(order__picking_batch=batch)
        .exclude(order__status=S.CANCELLED)
        .select_related("sku", "order")
        .order_by("order__external_id", "pk")
    )
    components = _components_by_set({line.sku_id for line in lines if line.sku and line.sku.is_set})
    per_sku: dict[int, SKU] = {}
    quantities: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    unlinked: list[UnlinkedLine] = []
    for line in lines:
        number = line.order.external_id
        if line.sku is None:
            unlinked.append(UnlinkedLine(order_number=number, name=line.name, quantity=line.quantity))
            continue
        parts = components.get(line.sku_id) if line.sku.is_set else None
        if not parts:  # a plain SKU, or a set without components: the item itself is on the shelf
            per_sku[line.sku_id] = line.sku
            quantities[line.sku_id][(number, "")] += line.quantity
            continue
        for part in parts:
            per_sku[part.component_id] = part.component
            quantities[part.component_id][(number, line.sku.code)] += line.quantity * part.quantity
    rows = []
    for sku_id, by_order in quantities.items():
        sku = per_sku[sku_id]
        entries = tuple(
            PickEntry(order_number=number, quantity=quantity, via_set=via_set)
            for (number, via_set), quantity in sorted(by_order.items())
        )
        rows.append(
            PickRow(
                location=sku.location_code,
                sku_code=sku.code,
                sku_name=sku.name,
                jan=sku.jan,
                total=sum(entry.quantity for entry in entries),
                entries=entries,
            )
        )
    rows.sort(key=lambda row: (location_sort_key(row.location), row.sku_code))
    return PickingList(
        batch_id=batch.pk,
        created_at=batch.created_at,
        actor=batch.actor,
        order_count=batch.orders.exclude(status=S.CANCELLED).count(),
        rows=tuple(rows),
        unlinked=tuple(unlinked),
    )
