"""What a label export reads: the waiting orders, their ship-tos and lines, as light rows in three or four queries.

An export can hold thousands of orders, so nothing here builds model instances or sends a list of order ids:
the ship-tos and lines are selected with the orders' own filter as a subquery. Set SKUs' components are read
only when a line holds a set.
"""

from collections import defaultdict
from typing import NamedTuple

from django.db.models import Q, QuerySet

from inventory.models import TEMPERATURE_ORDER, SetComponent, Temperature
from orders.models import Order, OrderLine, OrderStatus, ShipTo
from shipping.tax import STANDARD_RATE

LABEL_STATUSES = (OrderStatus.READY, OrderStatus.PRINTED)

ORDER_FIELDS = (
    "pk",
    "external_id",
    "channel_id",
    "payment_method",
    "shipping_fee",
    "payment_fee",
    "total",
    "is_gift",
    "delivery_date",
    "delivery_time",
    "buyer_phone",  # the label's phone when the ship-to has none, as intake allows
)
SHIP_TO_FIELDS = (
    "pk",
    "order_id",
    "name",
    "kana",
    "postal_code",
    "prefecture",
    "city",
    "address1",
    "address2",
    "phone",
)


class LabelLine(NamedTuple):
    order_id: int
    ship_to_id: int | None
    name: str
    quantity: int
    amount: int  # tax included: unit price × quantity
    tax_rate: int
    temperature: str  # the coldest of the SKU and, for a set, its components


def label_orders(*, carrier: str, order_ids: list[int] | None = None) -> QuerySet[Order]:
    """Orders waiting for shipment (印刷待ち, 印刷済み) that ship with `carrier`, optionally only these ids."""
    orders = Order.objects.filter(status__in=LABEL_STATUSES).filter(
        Q(carrier__code=carrier) | Q(carrier__isnull=True, channel__default_carrier=carrier)
    )
    if order_ids is not None:
        orders = orders.filter(pk__in=list(order_ids))
    return orders.order_by("pk")


def label_rows(orders: QuerySet[Order]) -> tuple[list, dict[int, list], dict[int, list[LabelLine]]]:
    """(orders as named rows of ORDER_FIELDS, ship-tos per order id, lines per order id), in primary key order."""
    order_rows = list(orders.values_list(*ORDER_FIELDS, named=True))
    selected = orders.order_by().values("pk")
    ship_tos: dict[int, list] = defaultdict(list)
    for ship_to in (
        ShipTo.objects.filter(order__in=selected).order_by("pk").values_list(*SHIP_TO_FIELDS, named=True)
    ):
        ship_tos[ship_to.order_id].append(ship_to)
    raw_lines = list(
        OrderLine.objects.filter(order__in=selected)
        .order_by("pk")
        .values_list(
            "order_id",
            "ship_to_id",
            "name",
            "quantity",
            "unit_price",
            "sku_id",
            "sku__is_set",
            "sku__tax_rate",
            "sku__temperature",
        )
    )
    coldest_part = _coldest_components({line[5] for line in raw_lines if line[6]})
    lines: dict[int, list[LabelLine]] = defaultdict(list)
    for order_id, ship_to_id, name, quantity, unit_price, sku_id, _s, tax_rate, temperature in raw_lines:
        temperature = temperature or Temperature.AMBIENT
        part = coldest_part.get(sku_id)
        if part is not None:
            temperature = coldest([temperature, part])
        lines[order_id].append(
            LabelLine(
                order_id,
                ship_to_id,
                name,
                quantity,
                unit_price * quantity,
                tax_rate or STANDARD_RATE,
                temperature,
            )
        )
    return order_rows, ship_tos, lines


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
