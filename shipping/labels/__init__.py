"""Label CSV export (送り状データ): the orders waiting for shipment, as the carrier's import file.

One label (one CSV row) per ship-to (送付先). Each carrier module (yamato, sagawa, japanpost) owns its column
layout and limits; this module picks the orders, prepares carrier-neutral parcels, and writes the file.

お客様管理番号 (the carrier's free reference field, returned in its issued-data file) identifies the order when
tracking numbers come back (shipping.tracking):
- the shop's order number when it fits the carrier's limit and is plain ASCII letters, digits and hyphens
  (Amazon 503-1234567-1234567 fits Yamato's 20);
- otherwise "OMS" + the order's primary key, e.g. OMS1234 (Rakuten numbers have 24 characters). A shop number
  that itself looks like OMS<digits> is always written in this form too, so the mapping stays unambiguous.
`orders_for_customer_refs` reverses it.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from channels.models import Channel
from orders.checks.slots import carrier_name, carrier_slot_code
from orders.models import Order, OrderEvent, OrderLine, OrderStatus, PaymentMethod, ShipTo
from shipping.labels import japanpost, sagawa, yamato
from shipping.labels.encoding import FieldWriter, Replacement, csv_bytes

LAYOUTS = {"yamato": yamato, "sagawa": sagawa, "japanpost": japanpost}
LABEL_STATUSES = (OrderStatus.READY, OrderStatus.PRINTED)
EVENT_KIND = "labels_exported"

OUR_REF_PREFIX = "OMS"
_OUR_REF = re.compile(rf"{OUR_REF_PREFIX}(\d+)")
_PLAIN_REF = re.compile(r"[0-9A-Za-z-]+")

# The sender (ご依頼主) printed on every label. The lead sets OMS_SENDER in settings; these are demo values.
# An empty name means the shop's display name (Channel.display_name).
DEFAULT_SENDER = {
    "name": "",
    "kana": "",
    "postal_code": "100-0001",
    "address": "東京都千代田区千代田1-1",
    "building": "",
    "phone": "03-1234-5678",
    "yamato_billing_code": "012345678901",  # B2 請求先顧客コード (10-12 digits), from the Yamato contract
    "yamato_billing_class": "",  # B2 請求先分類コード (blank or 3 digits)
    "yamato_freight_code": "01",  # B2 運賃管理番号 (2 digits)
    "sagawa_customer_code": "",  # e飛伝 お客様コード (12 digits); blank = the logged-in account's
}


@dataclass(frozen=True)
class Sender:
    name: str
    kana: str
    postal_code: str
    address: str
    building: str
    phone: str
    yamato_billing_code: str
    yamato_billing_class: str
    yamato_freight_code: str
    sagawa_customer_code: str


@dataclass(frozen=True)
class Parcel:
    """One label, carrier-neutral; text fields are already Shift_JIS-safe."""

    customer_ref: str
    name: str
    kana: str
    postal_code: str
    prefecture: str
    city: str
    address1: str
    address2: str
    phone: str
    items: list[str]
    ship_date: date
    delivery_date: date | None
    slot_code: str
    cod_amount: int
    cod_tax: int
    is_gift: bool


@dataclass
class OrderLabels:
    """What happened to one order: its labels, every character replaced, every shortening, every problem."""

    order_id: int
    external_id: str
    customer_ref: str = ""
    labels: int = 0
    replacements: list[Replacement] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class LabelExport:
    carrier: str
    content: bytes
    exported: list[OrderLabels]
    skipped: list[OrderLabels]  # orders with problems: not in the file

    @property
    def label_count(self) -> int:
        return sum(report.labels for report in self.exported)


def order_carrier_code(order: Order) -> str:
    """The carrier the order ships with: its own, or its shop's default."""
    return order.carrier.code if order.carrier_id else order.channel.default_carrier


def customer_ref(order: Order, *, limit: int) -> str:
    """お客様管理番号 for the order (see the module docstring)."""
    external = order.external_id
    if len(external) <= limit and _PLAIN_REF.fullmatch(external) and not _OUR_REF.fullmatch(external):
        return external
    return f"{OUR_REF_PREFIX}{order.pk}"


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


def label_sender(channel) -> Sender:
    """The ご依頼主 from settings.OMS_SENDER (demo defaults for missing keys); name falls back to the shop's."""
    values = DEFAULT_SENDER | getattr(settings, "OMS_SENDER", {})
    values["name"] = values["name"] or channel.display_name or channel.name
    return Sender(**{key: str(values[key] or "") for key in DEFAULT_SENDER})


def label_orders(*, carrier: str, order_ids: list[int] | None = None) -> QuerySet[Order]:
    """Orders waiting for shipment (印刷待ち, 印刷済み) that ship with `carrier`, optionally only these ids."""
    orders = Order.objects.filter(status__in=LABEL_STATUSES).filter(
        Q(carrier__code=carrier) | Q(carrier__isnull=True, channel__default_carrier=carrier)
    )
    if order_ids is not None:
        orders = orders.filter(pk__in=list(order_ids))
    return orders.order_by("pk")


@transaction.atomic
def labels_export(
    *, carrier: str, actor: str, order_ids: list[int] | None = None, ship_date: date | None = None
) -> LabelExport:
    """The carrier's label CSV (Shift_JIS, CRLF, header row) of the orders waiting for shipment.

    Orders with a problem (a field over the carrier's limit, no phone, a slot the carrier does not offer, …)
    stay out of the file and are listed in `skipped`; every exported order gets a `labels_exported` event."""
    if carrier not in LAYOUTS:
        raise ValueError(f"unknown carrier {carrier!r}; expected one of {', '.join(LAYOUTS)}")
    layout = LAYOUTS[carrier]
    ship_date = ship_date or timezone.localdate()
    orders = list(label_orders(carrier=carrier, order_ids=order_ids).only(*_ORDER_FIELDS))
    ship_tos, lines = _ship_tos_and_lines([order.pk for order in orders])
    senders = _senders({order.channel_id for order in orders})
    rows: list[list[str]] = []
    exported: list[OrderLabels] = []
    skipped: list[OrderLabels] = []
    for order in orders:
        sender, writer = senders[order.channel_id]
        writer = writer.copy()  # the sender's replacements and problems belong to every order's report
        ref = customer_ref(order, limit=layout.CUSTOMER_REF_LIMIT)
        parcels = _parcels(order, ref, carrier, ship_date, ship_tos[order.pk], lines[order.pk], writer)
        order_rows = [layout.label_row(parcel, sender, writer) for parcel in parcels]
        report = OrderLabels(
            order_id=order.pk,
            external_id=order.external_id,
            customer_ref=ref,
            labels=len(order_rows),
            replacements=writer.replacements,
            notices=list(dict.fromkeys(writer.notices)),  # a sender problem is found once per label
            problems=list(dict.fromkeys(writer.problems)),
        )
        if report.problems:
            skipped.append(report)
        else:
            rows.extend(order_rows)
            exported.append(report)
    if order_ids is not None:
        skipped.extend(_not_eligible(set(order_ids) - {order.pk for order in orders}, carrier))
    _events_record(exported, layout, carrier, actor)
    return LabelExport(
        carrier=carrier, content=csv_bytes(layout.HEADER, rows), exported=exported, skipped=skipped
    )


_ORDER_FIELDS = (
    "external_id",
    "status",
    "channel_id",
    "payment_method",
    "total",
    "is_gift",
    "delivery_date",
    "delivery_time",
)
_SHIP_TO_FIELDS = (
    "pk",
    "order_id",
    "name",
    "kana",
    "postal_code",
    "prefecture",
    "city",
    "address1",
    "address2",
)
_CHUNK = 900  # ids per query: below SQLite's oldest limit on query parameters


def _ship_tos_and_lines(order_ids: list[int]) -> tuple[dict[int, list], dict[int, list]]:
    """Each order's ship-tos and lines as light rows (thousands of orders: no model instances)."""
    ship_tos, lines = defaultdict(list), defaultdict(list)
    for start in range(0, len(order_ids), _CHUNK):
        chunk = order_ids[start : start + _CHUNK]
        for ship_to in (
            ShipTo.objects.filter(order_id__in=chunk)
            .order_by("pk")
            .values_list(*_SHIP_TO_FIELDS, "phone", named=True)
        ):
            ship_tos[ship_to.order_id].append(ship_to)
        for line in (
            OrderLine.objects.filter(order_id__in=chunk)
            .order_by("pk")
            .values_list("order_id", "ship_to_id", "name", "quantity", named=True)
        ):
            lines[line.order_id].append(line)
    return ship_tos, lines


def _senders(channel_ids: set[int]) -> dict[int, tuple[Sender, FieldWriter]]:
    """The cleaned sender of each shop, with what cleaning it found."""
    senders = {}
    for channel in Channel.objects.filter(pk__in=sorted(channel_ids)):
        writer = FieldWriter()
        senders[channel.pk] = (_clean_sender(label_sender(channel), writer), writer)
    return senders


def _events_record(exported: list[OrderLabels], layout, carrier: str, actor: str) -> None:
    """A `labels_exported` event per order, in one INSERT: an export can hold thousands of orders."""
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=report.order_id,
            kind=EVENT_KIND,
            actor=actor,
            message=f"{layout.NAME} 送り状データ {report.labels}件（お客様管理番号 {report.customer_ref}）",
            after={
                "carrier": carrier,
                "customer_ref": report.customer_ref,
                "labels": report.labels,
                **(
                    {"replacements": [str(item) for item in report.replacements]}
                    if report.replacements
                    else {}
                ),
                **({"notices": report.notices} if report.notices else {}),
            },
        )
        for report in exported
    )


def _parcels(
    order: Order, ref: str, carrier: str, ship_date: date, ship_tos: list, lines: list, writer: FieldWriter
) -> list[Parcel]:
    """One parcel per ship-to that has lines; lines without a ship-to go to the first one."""
    if not ship_tos:
        writer.problems.append("お届け先がありません")
    if not lines:
        writer.problems.append("商品の行がありません")
    if not ship_tos or not lines:
        return []
    lines_of = {ship_to.pk: [] for ship_to in ship_tos}
    for line in lines:
        lines_of[line.ship_to_id if line.ship_to_id in lines_of else ship_tos[0].pk].append(line)
    for ship_to in ship_tos:
        if not lines_of[ship_to.pk]:
            writer.notices.append(f"お届け先「{ship_to.name}」には商品がないため送り状を作りません")
    targets = [ship_to for ship_to in ship_tos if lines_of[ship_to.pk]]
    cod_amount = cod_tax = 0
    if order.payment_method == PaymentMethod.COD:
        cod_amount, cod_tax = _cod(order, len(targets), writer)
    slot_code = _slot_code(carrier, order.delivery_time, writer)
    if order.delivery_date and order.delivery_date < ship_date:
        writer.problems.append(f"お届け予定日 {order.delivery_date:%Y/%m/%d} が出荷予定日より前です")
    return [
        Parcel(
            customer_ref=ref,
            name=writer.clean("お届け先名", ship_to.name),
            kana=writer.clean("お届け先名カナ", ship_to.kana),
            postal_code=writer.postal_code("お届け先郵便番号", ship_to.postal_code),
            prefecture=writer.clean("お届け先住所", ship_to.prefecture),
            city=writer.clean("お届け先住所", ship_to.city),
            address1=writer.clean("お届け先住所", ship_to.address1),
            address2=writer.clean("お届け先住所", ship_to.address2),
            phone=writer.phone("お届け先電話番号", ship_to.phone),
            items=[_item_name(line, writer) for line in lines_of[ship_to.pk]],
            ship_date=ship_date,
            delivery_date=order.delivery_date,
            slot_code=slot_code,
            cod_amount=cod_amount,
            cod_tax=cod_tax,
            is_gift=order.is_gift,
        )
        for ship_to in targets
    ]


def _cod(order: Order, labels: int, writer: FieldWriter) -> tuple[int, int]:
    """代引: the order total, and the consumption tax inside it at the standard 10 % rate (切り捨て)."""
    if labels > 1:
        writer.problems.append(
            "代引の注文に複数のお届け先があります（どの荷物で代金を受け取るか決められません）"
        )
    if order.is_gift:
        writer.problems.append("ギフトの注文が代引です（受取人が代金を払うことになります）")
    if order.total <= 0:
        writer.problems.append(f"代引金額が{order.total}円です")
    return order.total, order.total * 10 // 110


def _slot_code(carrier: str, slot: str, writer: FieldWriter) -> str:
    try:
        return carrier_slot_code(carrier, slot)
    except ValueError:
        writer.problems.append(f"{carrier_name(carrier)}は配達時間帯「{slot}」を扱っていません")
        return ""


def _item_name(line, writer: FieldWriter) -> str:
    name = writer.clean("品名", line.name)
    return f"{name} ×{line.quantity}" if line.quantity > 1 else name


def _clean_sender(sender: Sender, writer: FieldWriter) -> Sender:
    if not sender.address:
        writer.problems.append("ご依頼主住所が設定されていません（OMS_SENDER['address']）")
    return Sender(
        name=writer.clean("ご依頼主名", sender.name),
        kana=writer.clean("ご依頼主名カナ", sender.kana),
        postal_code=writer.postal_code("ご依頼主郵便番号", sender.postal_code),
        address=writer.clean("ご依頼主住所", sender.address),
        building=writer.clean("ご依頼主住所", sender.building),
        phone=writer.phone("ご依頼主電話番号", sender.phone),
        yamato_billing_code=sender.yamato_billing_code.strip(),
        yamato_billing_class=sender.yamato_billing_class.strip(),
        yamato_freight_code=sender.yamato_freight_code.strip(),
        sagawa_customer_code=sender.sagawa_customer_code.strip(),
    )


def _not_eligible(order_ids: set[int], carrier: str) -> list[OrderLabels]:
    """Why each asked-for order is not in the file."""
    reports = []
    known = Order.objects.select_related("channel", "carrier").in_bulk(sorted(order_ids))
    for order_id in sorted(order_ids):
        order = known.get(order_id)
        if order is None:
            reports.append(OrderLabels(order_id=order_id, external_id="", problems=["注文がありません"]))
            continue
        report = OrderLabels(order_id=order.pk, external_id=order.external_id)
        if order.status not in LABEL_STATUSES:
            report.problems.append(
                f"{order.get_status_display()}の注文です（印刷待ち・印刷済みのみ出力します）"
            )
        else:
            report.problems.append(f"{carrier_name(order_carrier_code(order))}で出荷する注文です")
        reports.append(report)
    return reports
