"""Label CSV export (送り状データ): the orders waiting for shipment, as the carrier's import file.

One label (one CSV row) per ship-to (送付先). Each carrier module (yamato, sagawa, japanpost) owns its column
layout and limits; this module picks the orders, has their carrier-neutral parcels prepared
(shipping.labels.parcels), and writes the file.

お客様管理番号 (the carrier's reference field) names the order, or the ship-to, as shipping.labels.refs says.

代引 (cash on delivery) labels carry the order total, the amount the buyer pays at the door (goods, shipping
and the 代引 fee, after coupons and points, all tax included), and the consumption tax inside it per
shipping.tax: the same figures as the packing slip. クール区分 (cool delivery) comes from the SKUs: a parcel
travels at the coldest temperature any of its items needs, and an order mixing temperatures is reported.

Speed: an export of thousands of orders reads them in a few queries (shipping.labels.source), cleans each
shop's sender once, fills per label only the columns that differ, and records the export as one row.
"""

import gc
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channels.models import Channel
from orders.checks.slots import carrier_name
from orders.models import Order, in_japanese
from shipping.labels.encoding import FieldWriter, Replacement, date_text
from shipping.labels.history import label_export_record
from shipping.labels.parcels import delivery_date_problem
from shipping.labels.prepared import LAYOUTS, builds, labels_prepare, parcel_columns  # noqa: F401
from shipping.labels.refs import (  # noqa: F401  # re-exported: what other apps use
    OUR_REF_PREFIX,
    customer_ref,
    orders_for_customer_refs,
)
from shipping.labels.rows import RowTemplate, csv_bytes
from shipping.labels.source import LABEL_STATUSES, label_orders  # noqa: F401  # re-exported
from shipping.models import LabelExport

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
    # 適格請求書発行事業者の登録番号 (T + 13 digits), printed on the packing slip; blank = not registered
    "invoice_registration_number": "",
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
    invoice_registration_number: str


@dataclass(slots=True)
class OrderLabels:
    """What happened to one order: its labels, every character replaced, every shortening, every problem."""

    order_id: int
    external_id: str
    customer_ref: str = ""
    label_refs: list[str] = field(default_factory=list)  # each label's お客様管理番号, when there are several
    labels: int = 0
    replacements: list[Replacement] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class LabelFile:
    """An export's file and what happened to each order; `record` is its row in shipping.models.LabelExport."""

    carrier: str
    content: bytes
    exported: list[OrderLabels]
    skipped: list[OrderLabels]  # orders with problems: not in the file
    record: LabelExport | None = None  # None when no order was exported

    @property
    def label_count(self) -> int:
        return sum(report.labels for report in self.exported)


@dataclass(frozen=True)
class _ShopLabels:
    """A shop's part of every label: the sender's columns already in place, and what cleaning them found."""

    template: RowTemplate
    replacements: list[Replacement]
    notices: list[str]
    problems: list[str]


@contextmanager
def gc_paused():
    """No cyclic garbage collection inside: an export makes hundreds of thousands of small objects that all
    live until it ends, and the collector scanned them again and again for nothing (a fifth of its time).
    Reference counting still frees everything; the collector runs again afterwards."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def order_carrier_code(order: Order) -> str:
    """The carrier the order ships with: its own, or its shop's default."""
    return order.carrier.code if order.carrier_id else order.channel.default_carrier


def label_sender(channel) -> Sender:
    """The ご依頼主 from settings.OMS_SENDER (demo defaults for missing keys); name falls back to the shop's."""
    values = DEFAULT_SENDER | getattr(settings, "OMS_SENDER", {})
    values["name"] = values["name"] or channel.display_name or channel.name
    return Sender(**{key: str(values[key] or "") for key in DEFAULT_SENDER})


@transaction.atomic
def labels_export(
    *, carrier: str, actor: str, order_ids: list[int] | None = None, ship_date: date | None = None
) -> LabelFile:
    """The carrier's label CSV (Shift_JIS, CRLF, header row) of the orders waiting for shipment.

    Orders with a problem (a field over the carrier's limit, no phone, a slot the carrier does not offer, …)
    stay out of the file and are listed in `skipped`; the export is recorded as one
    LabelExport row, shown in each exported order's timeline (shipping.labels.history)."""
    if carrier not in LAYOUTS:
        raise ValueError(f"unknown carrier {carrier!r}; expected one of {', '.join(LAYOUTS)}")
    with gc_paused():
        return _labels_export(carrier, actor, order_ids, ship_date or timezone.localdate())


def _labels_export(carrier: str, actor: str, order_ids: list[int] | None, ship_date: date) -> LabelFile:
    layout = LAYOUTS[carrier]
    orders = builds(carrier, order_ids)
    shops = _shops(layout, {channel_id for _pk, channel_id, _build in orders}, ship_date)
    forms = {
        channel_id: shop.template.form_text(parcel_columns(layout)) for channel_id, shop in shops.items()
    }
    csv_lines: list[str] = []
    exported: list[OrderLabels] = []
    skipped: list[OrderLabels] = []
    for order_id, channel_id, build in orders:
        if build is None:
            continue  # no longer waiting: _not_eligible says why, when it was asked for
        shop = shops[channel_id]
        problems = build.problems  # each list is already without repeats
        late = delivery_date_problem(build.delivery_date, ship_date)
        if shop.problems or late:
            problems = list(dict.fromkeys([*shop.problems, *build.problems, *([late] if late else [])]))
        report = OrderLabels(
            order_id=order_id,
            external_id=build.external_id,
            customer_ref=build.customer_ref,
            labels=len(build.labels),
            label_refs=build.label_refs,
            replacements=shop.replacements + build.replacements,
            notices=list(dict.fromkeys(shop.notices + build.notices)) if shop.notices else build.notices,
            problems=problems,
        )
        if report.problems:
            skipped.append(report)
        else:
            form = forms[channel_id]
            for texts in build.labels:
                csv_lines.append(form % texts)
            exported.append(report)
    if order_ids is not None:
        found = {order_id for order_id, _channel_id, build in orders if build is not None}
        skipped.extend(_not_eligible(set(order_ids) - found, carrier))
    return LabelFile(
        carrier=carrier,
        content=csv_bytes(layout.HEADER, csv_lines),
        exported=exported,
        skipped=skipped,
        record=label_export_record(exported, carrier=carrier, actor=actor),
    )


def _shops(layout, channel_ids: set[int], ship_date: date) -> dict[int, _ShopLabels]:
    """Each shop's cleaned sender and the export's ship date, written once into a row template of the layout."""
    shops = {}
    for channel in Channel.objects.filter(pk__in=sorted(channel_ids)):
        writer = FieldWriter()
        sender = _clean_sender(label_sender(channel), writer)
        template = RowTemplate(layout.HEADER, layout.LIMITS).filled(
            {
                **layout.sender_columns(sender, writer),
                layout.SHIP_DATE_COLUMN: date_text(ship_date, layout.DATE_FORMAT),
            },
            writer,
        )
        shops[channel.pk] = _ShopLabels(
            template=template,
            replacements=writer.replacements,
            notices=list(dict.fromkeys(writer.notices)),
            problems=list(dict.fromkeys(writer.problems)),
        )
    return shops


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
        invoice_registration_number=sender.invoice_registration_number.strip(),
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
                f"{in_japanese(order.get_status_display)}の注文です（印刷待ち・印刷済みのみ出力します）"
            )
        else:
            report.problems.append(f"{carrier_name(order_carrier_code(order))}で出荷する注文です")
        reports.append(report)
    return reports
