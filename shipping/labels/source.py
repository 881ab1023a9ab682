"""What a label export reads: the waiting orders with their ship-tos and lines, as light rows of one query.

An export can hold thousands of orders, so nothing here builds model instances or sends a list of order ids.
One query (orders joined to their ship-tos and lines) reads them all in one snapshot: an order split or edited
while the export runs is read either before or after, never half. An order sent to several ship-tos comes
back once per ship-to and line; each ship-to and line is kept once. Set SKUs' components are read only when a
line holds a set.
"""

from collections import defaultdict
from typing import NamedTuple

from django.db.models import Q, QuerySet

from inventory.models import TEMPERATURE_ORDER, SetComponent, Temperature
from orders.models import Order, OrderStatus
from shipping.tax import STANDARD_RATE

LABEL_STATUSES = (OrderStatus.READY, OrderStatus.PRINTED)


class LabelOrder(NamedTuple):
    pk: int
    external_id: str
    channel_id: int
    payment_method: str
    shipping_fee: int
    payment_fee: int
    total: int
    is_gift: bool
    delivery_date: object  # date | None
    delivery_time: str
    buyer_phone: str  # the label's phone when the ship-to has none, as intake allows
    label_version: int  # read with the rest: what a prepared label records (shipping.labels.prepared)


class LabelShipTo(NamedTuple):
    pk: int
    name: str
    kana: str
    postal_code: str
    prefecture: str
    city: str
    address1: str
    address2: str
    phone: str


class LabelLine(NamedTuple):
    ship_to_id: int | None
    name: str
    quantity: int
    amount: int  # tax included: unit price × quantity
    tax_rate: int
    temperature: str  # the coldest of the SKU and, for a set, its components


LINE_FIELDS = ("pk", "ship_to_id", "name", "quantity", "unit_price", "sku_id", "sku__is_set", "sku__tax_rate")
FIELDS = (
    *LabelOrder._fields,
    *(f"ship_tos__{name}" for name in LabelShipTo._fields),
    *(f"lines__{name}" for name in LINE_FIELDS),
    "lines__sku__temperature",
)
_SHIP_TO = len(LabelOrder._fields)  # where each part starts in a row of FIELDS
_LINE = _SHIP_TO + len(LabelShipTo._fields)


def label_orders(*, carrier: str, order_ids: list[int] | None = None) -> QuerySet[Order]:
    """Orders waiting for shipment (印刷待ち, 印刷済み) that ship with `carrier`, optionally only these ids."""
    orders = Order.objects.filter(status__in=LABEL_STATUSES).filter(
        Q(carrier__code=carrier) | Q(carrier__isnull=True, channel__default_carrier=carrier)
    )
    if order_ids is not None:
        orders = orders.filter(pk__in=list(order_ids))
    return orders.order_by("pk")


def label_rows(orders: QuerySet[Order]) -> list[tuple[LabelOrder, list[LabelShipTo], list[LabelLine]]]:
    """Each order with its ship-tos and lines, all in primary key order."""
    result: list[tuple[LabelOrder, list[LabelShipTo], list[LabelLine]]] = []
    sets: list[tuple[list[LabelLine], int, int]] = []  # (lines, index, set SKU id): temperatures to complete
    order_pk = first_ship_to = None
    ship_tos: list[LabelShipTo] = []
    lines: list[LabelLine] = []
    for row in orders.values_list(*FIELDS).order_by("pk", "ship_tos__pk", "lines__pk"):
        if row[0] != order_pk:
            order_pk, first_ship_to, ship_tos, lines = row[0], row[_SHIP_TO], [], []
            result.append((LabelOrder._make(row[:_SHIP_TO]), ship_tos, lines))
        ship_to_pk = row[_SHIP_TO]
        if ship_to_pk is not None and (not ship_tos or ship_tos[-1].pk != ship_to_pk):
            ship_tos.append(LabelShipTo._make(row[_SHIP_TO:_LINE]))
        if row[_LINE] is None or ship_to_pk != first_ship_to:
            continue  # no line, or a line already read with the first ship-to
        _pk, ship_to_id, name, quantity, unit_price, sku_id, is_set, tax_rate, temperature = row[_LINE:]
        if is_set:
            sets.append((lines, len(lines), sku_id))
        lines.append(
            LabelLine(
                ship_to_id,
                name,
                quantity,
                unit_price * quantity,
                tax_rate or STANDARD_RATE,
                temperature or Temperature.AMBIENT,
            )
        )
    if sets:
        coldest_part = _coldest_components({sku_id for _lines, _index, sku_id in sets})
        for set_lines, index, sku_id in sets:
            line = set_lines[index]
            if sku_id in coldest_part:
                set_lines[index] = line._replace(
                    temperature=coldest([line.temperature, coldest_part[sku_id]])
                )
    return result


def _coldest_components(set_ids: set[int]) -> dict[int, str]:
    """Set SKU id -> the coldest temperature of its components (a set ships as its components)."""
    if not set_ids:
        return {}
    temperatures: dict[int, list[str]] = defaultdict(list)
    for set_id, temperature in SetComponent.objects.filter(set_sku_id__in=sorted(set_ids)).values_list(
        "set_sku_id", "component__temperature"
    ):
        temperatures[set_id].append(temperature)
    return {set_id: coldest(found) for set_id, found in temperatures.items()}


def coldest(temperatures) -> str:
    """The temperature a parcel travels at: the coldest any of its items needs."""
    return max(temperatures, key=TEMPERATURE_ORDER.__getitem__, default=Temperature.AMBIENT)
