"""お客様管理番号 (the carrier's free reference field, returned in its issued-data file): how a label names its
order, and its ship-to, so that tracking numbers come back to the right parcel (shipping.tracking).

- the shop's order number when it fits the carrier's limit and is plain ASCII letters, digits and hyphens
  (Amazon 503-1234567-1234567 fits Yamato's 20);
- otherwise "OMS" + the order's primary key, e.g. OMS1234 (Rakuten numbers have 24 characters). A shop number
  that itself looks like one of our refs is always written in this form too, so the mapping stays unambiguous;
- an order sent to several ship-tos (楽天 複数送付先) gets one label per ship-to, each named "OMS" + the
  order's key + "-" + the ship-to's place among the order's ship-tos (OMS1234-1, OMS1234-2), so that each
  tracking number is reported to the shop for its own ship-to.
`orders_for_customer_refs` and `ship_to_position` read them back.
"""

import re

from orders.models import Order

OUR_REF_PREFIX = "OMS"
_OUR_REF = re.compile(rf"{OUR_REF_PREFIX}(\d+)(?:-(\d+))?", re.IGNORECASE)  # oms28 typed by hand is OMS28
_PLAIN_REF = re.compile(r"[0-9A-Za-z-]+")


def customer_ref(order, *, limit: int) -> str:
    """お客様管理番号 of the order's label; `order` needs only pk and external_id."""
    external = order.external_id
    if len(external) <= limit and _PLAIN_REF.fullmatch(external) and not _OUR_REF.fullmatch(external):
        return external
    return f"{OUR_REF_PREFIX}{order.pk}"


def ship_to_ref(order_pk: int, position: int) -> str:
    """お客様管理番号 of one ship-to's label of an order sent to several: `position` counts from 1."""
    return f"{OUR_REF_PREFIX}{order_pk}-{position}"


def ship_to_position(ref: str) -> int | None:
    """The ship-to's place (from 1) that a ref of ship_to_ref names; None for a ref of the whole order."""
    match = _OUR_REF.fullmatch(ref)
    return int(match[2]) if match and match[2] else None


def orders_for_customer_refs(refs: set[str]) -> dict[str, list[Order]]:
    """Each お客様管理番号 (or shop order number) -> the orders it names; more than one means it is ambiguous
    (two shops with the same order number). A ref that names no order is absent."""
    by_pk = {ref: int(match[1]) for ref in refs if (match := _OUR_REF.fullmatch(ref))}
    orders = Order.objects.select_related("channel", "carrier")
    found: dict[str, list[Order]] = {}
    known = orders.in_bulk(sorted(set(by_pk.values())))
    for ref, pk in by_pk.items():
        if pk in known:
            found[ref] = [known[pk]]
    for order in orders.filter(external_id__in=sorted(refs - found.keys())).order_by("pk"):
        found.setdefault(order.external_id, []).append(order)
    return found
