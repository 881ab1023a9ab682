"""Label exports in the orders' timelines: one LabelExport row per export, read back as each order's
`labels_exported` events.

An export can hold thousands of orders. It used to write an event row per order, which cost more than
building the file: the rows themselves, and at commit a foreign-key check (and key-share lock) on every
order. Now the export is one row whose `orders` maps each order's id to what the export noted about it
(shipping.models.LabelExport), and an order's timeline reads its exports with one indexed query.

Timelines written before this change keep their per-order events; both kinds show the same way.
"""

from django.db import transaction
from django.db.models.fields.json import KeyTransform

from oms.redaction import replace_values
from orders.models import Order, OrderEvent
from shipping.models import LabelExport

EVENT_KIND = "labels_exported"


def order_key(order_id: int) -> str:
    """An order's key in LabelExport.orders: "o" + its id; a key of digits alone would be read as a list
    index by Django's JSON lookups (and SQLite's JSON paths)."""
    return f"o{order_id}"


def label_export_record(exported: list, *, carrier: str, actor: str) -> LabelExport | None:
    """The export of these orders (shipping.labels.OrderLabels reports) as one LabelExport row."""
    if not exported:
        return None
    return LabelExport.objects.create(
        carrier=carrier,
        actor=actor,
        order_count=len(exported),
        label_count=sum(report.labels for report in exported),
        orders={
            # order_key and, for the usual order (one label, nothing noted), _entry inline: an export holds thousands
            f"o{report.order_id}": _entry(report)
            if report.labels != 1 or report.label_refs or report.replacements or report.notices
            else {}
            for report in exported
        },
    )


def _entry(report) -> dict:
    """What an export notes about one order beyond the usual; usually nothing. The お客様管理番号 is not kept:
    it follows from the order's number and id (shipping.labels.customer_ref), which do not change."""
    entry: dict = {}
    if report.labels != 1:
        entry["labels"] = report.labels
    if report.label_refs:  # an order sent to several ship-tos: a label and a ref per ship-to
        entry["refs"] = list(report.label_refs)
    if report.replacements:
        entry["replacements"] = [str(item) for item in report.replacements]
    if report.notices:
        entry["notices"] = list(report.notices)
    return entry


def orders_exported_before(export: LabelExport, *, chunk: int = 500) -> set[int]:
    """Ids of the export's orders that an earlier export (any carrier) already held: re-exporting them prints a
    second label for a parcel that may already have one. Reads only the earlier exports that hold one of them
    (the GIN index on PostgreSQL); keys go in chunks, as SQLite spells each key as its own condition."""
    keys = list(export.orders)
    found: set[str] = set()
    for start in range(0, len(keys), chunk):
        part = keys[start : start + chunk]
        earlier = LabelExport.objects.filter(pk__lt=export.pk, orders__has_any_keys=part)
        for orders in earlier.values_list("orders", flat=True):
            found.update(key for key in part if key in orders)
    return {int(key[1:]) for key in found}


def _exports_of(order_id: int):
    """The order's exports, oldest first, each with the order's own entry as `entry` (not the whole map)."""
    key = order_key(order_id)
    return (
        LabelExport.objects.filter(orders__has_key=key)
        .annotate(entry=KeyTransform(key, "orders"))
        .order_by("pk")
        .values("pk", "carrier", "actor", "created_at", "entry")
    )


def label_export_events(order: Order) -> list[OrderEvent]:
    """The order's label exports as unsaved `labels_exported` events, oldest first."""
    from shipping.labels import LAYOUTS, customer_ref  # the package imports this module

    events = []
    for export in _exports_of(order.pk):
        entry = export["entry"] or {}
        layout = LAYOUTS[export["carrier"]]
        ref = customer_ref(order, limit=layout.CUSTOMER_REF_LIMIT)
        labels = entry.get("labels", 1)
        after = {"carrier": export["carrier"], "customer_ref": ref, "labels": labels, "export": export["pk"]}
        after.update({key: entry[key] for key in ("refs", "replacements", "notices") if key in entry})
        refs = "、".join(entry.get("refs", [ref]))
        events.append(
            OrderEvent(
                order=order,
                kind=EVENT_KIND,
                actor=export["actor"],
                message=f"{layout.NAME} 送り状データ {labels}件（お客様管理番号 {refs}）",
                after=after,
                created_at=export["created_at"],
            )
        )
    return events


def order_timeline(order: Order, events: list[OrderEvent], *, newest_first: bool = False) -> list[OrderEvent]:
    """The order's events (saved, in the given order) with its label exports put in by time."""
    exports = label_export_events(order)
    if not exports:
        return list(events)
    merged = sorted(list(events)[:: -1 if newest_first else 1] + exports, key=lambda event: event.created_at)
    return merged[::-1] if newest_first else merged


@transaction.atomic
def label_exports_anonymise_for_order(*, order: Order, known: set[str], replacement: str) -> None:
    """Replace the buyer's personal strings (names, phone in notices) in what the order's exports noted about it.

    Only the order's own entries are read; an export's whole map (thousands of orders) is loaded and rewritten
    only when the order's entry holds one of the strings, which the daily retention job rarely meets."""
    key = order_key(order.pk)
    for export in _exports_of(order.pk):
        entry = export["entry"] or {}
        if replace_values(entry, known, replacement) == entry:
            continue
        locked = LabelExport.objects.select_for_update().get(pk=export["pk"])
        locked.orders[key] = replace_values(locked.orders.get(key) or {}, known, replacement)
        locked.save(update_fields=["orders"])
