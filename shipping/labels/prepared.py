"""Labels built ahead of the export: each waiting order's labels are checked, cleaned and laid out as it
arrives (a periodic task, shipping.tasks.prepare_labels), and stored as PreparedLabel rows; exporting thousands
of orders then only reads those rows and writes the file.

A prepared label is used only while it is current: its `version` is the order's label_version, which database
triggers bump whenever what the labels are built from changes (shipping migration 0006), its carrier is still
the order's, and `code` is the fingerprint of the code that builds labels (a new release builds them again).
Any other order is built afresh by the export itself, the same way: both paths go through `order_build`, so
a prepared label and a fresh one are the same bytes. What is not the order's own is not prepared: the shop's
sender and the ship date (the export's row template holds them; delivery_date_problem checks the day).
"""

import functools
import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db.models import BooleanField, ExpressionWrapper, F, Q, Value
from django.db.models.functions import Coalesce

from orders.checks import normalize, phone, slots
from shipping import tax
from shipping.labels import japanpost, sagawa, yamato
from shipping.labels.encoding import FieldWriter, Replacement
from shipping.labels.parcels import Parcel, order_parcels
from shipping.labels.refs import customer_ref
from shipping.labels.rows import RowTemplate
from shipping.labels.source import LABEL_STATUSES, label_orders, label_rows
from shipping.models import PreparedLabel

LAYOUTS = {"yamato": yamato, "sagawa": sagawa, "japanpost": japanpost}
UNIT = "\x1f"  # between a label's values; control characters never reach a cleaned value
RECORD = "\x1e"  # between an order's labels
_STORED_FIELDS = ("carrier", "version", "code", "customer_ref", "labels", "report", "prepared_at")


@dataclass(slots=True)
class OrderBuild:
    """One order's labels (each label's values in its line's order, as RowTemplate.texts gives them) and what
    building them found. `external_id` and `delivery_date` come from the same read as the labels."""

    customer_ref: str
    labels: list[tuple[str, ...]]
    label_refs: list[str] = field(default_factory=list)  # each label's お客様管理番号, when there are several
    replacements: list[Replacement] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    external_id: str = ""
    delivery_date: date | None = None


def order_build(layout, carrier: str, order, ship_tos, lines, slot_codes: dict) -> OrderBuild:
    """The order's labels for this carrier's layout, without the shop's sender and the ship date."""
    writer = FieldWriter()
    ref = customer_ref(order, limit=layout.CUSTOMER_REF_LIMIT)
    parcels = order_parcels(order, ref, carrier, ship_tos, lines, writer, slot_codes)
    blank, columns = _blank_template(layout), parcel_columns(layout)
    labels = []
    for parcel in parcels:
        values = layout.parcel_columns(parcel, writer)
        if tuple(values) != columns:
            raise ValueError(f"{layout.NAME}: a parcel's columns differ from the layout's: {tuple(values)}")
        labels.append(blank.texts(values, writer))
    return OrderBuild(
        customer_ref=ref,
        labels=labels,
        label_refs=[parcel.customer_ref for parcel in parcels] if len(parcels) > 1 else [],
        replacements=writer.replacements,
        notices=list(dict.fromkeys(writer.notices)),
        problems=list(dict.fromkeys(writer.problems)),
        external_id=order.external_id,
        delivery_date=order.delivery_date,
    )


@functools.cache
def _blank_template(layout) -> RowTemplate:
    return RowTemplate(layout.HEADER, layout.LIMITS)


@functools.cache
def parcel_columns(layout) -> tuple[str, ...]:
    """The columns a layout writes for each parcel (the same for every parcel: see the layouts)."""
    sample = Parcel(
        customer_ref="",
        name="",
        kana="",
        postal_code="",
        prefecture="",
        city="",
        address1="",
        address2="",
        phone="",
        items=[],
        delivery_date=None,
        slot_code="",
        cod_amount=0,
        cod_tax=0,
        is_gift=False,
    )
    return tuple(layout.parcel_columns(sample, FieldWriter()))


@functools.cache
def code_fingerprint() -> str:
    """A digest of the code labels are built with: a prepared label built by another release is not used."""
    digest = hashlib.sha1(usedforsecurity=False)
    files = sorted(Path(__file__).parent.glob("*.py"))
    for path in [*files, *(Path(module.__file__) for module in (normalize, phone, slots, tax))]:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def builds(carrier: str, order_ids: list[int] | None = None) -> list[tuple[int, int, OrderBuild | None]]:
    """(order id, channel id, its labels) of each waiting order of the carrier, in id order: prepared ones as
    stored, the others built now. None for an order that stopped waiting between the two reads."""
    layout = LAYOUTS[carrier]
    waiting = label_orders(carrier=carrier, order_ids=order_ids)
    rows = list(
        waiting.order_by()  # sorted here: PostgreSQL would sort the wide joined rows
        .annotate(prepared=_current(carrier))
        .values_list(
            "pk",
            "channel_id",
            "prepared",
            "external_id",
            "delivery_date",
            "prepared_label__customer_ref",
            "prepared_label__labels",
            "prepared_label__report",
        )
    )
    rows.sort()
    found: dict[int, OrderBuild] = {}
    missing = []
    for pk, _channel_id, prepared, external_id, delivery_date, ref, labels, report in rows:
        if prepared:
            found[pk] = _loaded(ref, labels, report, external_id, delivery_date)
        else:
            missing.append(pk)
    if missing:
        # most orders missing (nothing prepared yet): read them as the export's orders rather than by id
        fresh = label_orders(
            carrier=carrier, order_ids=order_ids if 2 * len(missing) > len(rows) else missing
        )
        wanted, slot_codes = set(missing), {}
        for order, ship_tos, lines in label_rows(fresh):
            if order.pk in wanted:
                found[order.pk] = order_build(layout, carrier, order, ship_tos, lines, slot_codes)
    return [(row[0], row[1], found.get(row[0])) for row in rows]


def _current(carrier: str) -> Coalesce:
    """Whether the order's prepared labels can be used: built from its present label_version, for this carrier,
    by this code (false, not null, when it has none)."""
    current = Q(
        prepared_label__version=F("label_version"),
        prepared_label__carrier=carrier,
        prepared_label__code=code_fingerprint(),
    )
    return Coalesce(ExpressionWrapper(current, output_field=BooleanField()), Value(False))


def labels_prepare(*, chunk: int = 500) -> int:
    """Prepare the labels of every waiting order whose prepared labels are missing or out of date, and forget
    those of orders that no longer wait. Returns how many orders were prepared."""
    code, prepared = code_fingerprint(), 0
    for carrier, layout in LAYOUTS.items():
        current = label_orders(carrier=carrier).annotate(prepared=_current(carrier))
        stale = list(current.filter(prepared=False).values_list("pk", flat=True))
        for start in range(0, len(stale), chunk):
            prepared += _prepare(layout, carrier, stale[start : start + chunk], code)
    PreparedLabel.objects.exclude(order__status__in=LABEL_STATUSES).delete()
    return prepared


def _prepare(layout, carrier: str, order_ids: list[int], code: str) -> int:
    """Build and store these orders' labels; each row carries the label_version read with the order (one
    query), so a change committed meanwhile leaves the row out of date rather than wrong."""
    rows, slot_codes = [], {}
    for order, ship_tos, lines in label_rows(label_orders(carrier=carrier, order_ids=order_ids)):
        build = order_build(layout, carrier, order, ship_tos, lines, slot_codes)
        stored = _stored(build)
        if stored is not None:
            rows.append(
                PreparedLabel(
                    order_id=order.pk,
                    carrier=carrier,
                    version=order.label_version,
                    code=code,
                    customer_ref=build.customer_ref,
                    labels=stored[0],
                    report=stored[1],
                )
            )
    PreparedLabel.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["order"], update_fields=list(_STORED_FIELDS)
    )
    return len(rows)


def _stored(build: OrderBuild) -> tuple[str, str] | None:
    """(labels, report) as PreparedLabel keeps them; None when a value holds a separator (never, as values are
    cleaned: such an order is simply built by the export)."""
    labels = RECORD.join(UNIT.join(texts) for texts in build.labels)
    separators = sum(len(texts) - 1 for texts in build.labels) + max(len(build.labels) - 1, 0)
    if labels.count(UNIT) + labels.count(RECORD) != separators:
        return None
    if not (build.label_refs or build.replacements or build.notices or build.problems):
        return labels, ""
    report = {
        "refs": build.label_refs,
        "replacements": [[item.field, item.original, item.replacement] for item in build.replacements],
        "notices": build.notices,
        "problems": build.problems,
    }
    return labels, json.dumps(report, ensure_ascii=False)


def _loaded(ref: str, labels: str, report: str, external_id: str, delivery_date) -> OrderBuild:
    if RECORD in labels:
        texts = [tuple(label.split(UNIT)) for label in labels.split(RECORD)]
    else:  # one label, as almost every order has
        texts = [tuple(labels.split(UNIT))] if labels else []
    if not report:
        return OrderBuild(ref, texts, [], [], [], [], external_id, delivery_date)
    found = json.loads(report)
    return OrderBuild(
        ref,
        texts,
        found["refs"],
        [Replacement(*item) for item in found["replacements"]],
        found["notices"],
        found["problems"],
        external_id,
        delivery_date,
    )
