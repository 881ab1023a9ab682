"""Buyer personal data under APPI (個人情報保護法) and the marketplaces' data protection rules.

- Retention: the buyer data of orders shipped or cancelled longer ago than their channel keeps it
  (Channel.retention_days) is anonymised by a daily task. What the books need stays: order number,
  amounts, dates, lines, status, shipments, channel (and the prefecture, for regional figures).
- 開示 (disclosure): everything the OMS holds about one buyer, as JSON (`order_personal_data_export`).
- 削除 (erasure): one buyer's data erased on request (`buyer_erase`), once none of their orders is still
  open: an order not yet shipped still needs its address.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from channels.models import Channel, QuarantinedPayload
from oms.actors import SYSTEM
from oms.redaction import redact_text, replace_values, strip_personal, strip_personal_xml
from orders.holds import hold_code
from orders.models import Hold, Order, OrderEvent, OrderStatus, ShipTo
from orders.services import event_record
from shipping.labels.history import label_exports_anonymise_for_order, order_timeline

S = OrderStatus
ANONYMISED = "匿名化済み"
CLOSED = (S.SHIPPED, S.CANCELLED)
BATCH = 200
HOLD_EVENTS = ("hold_added", "hold_resolved")


class ErasureRefused(Exception):
    """The buyer still has orders that are not shipped or cancelled."""

    def __init__(self, open_orders: list[str]):
        self.open_orders = open_orders
        super().__init__(
            "orders not yet shipped or cancelled keep their buyer data: " + ", ".join(open_orders)
        )


# --- selectors ---------------------------------------------------------------------------------------------


def _closed_at():
    """When the order was shipped or cancelled: its last such status change (else its last change)."""
    last_close = (
        OrderEvent.objects.filter(order=OuterRef("pk"), kind="status_changed", after__status__in=list(CLOSED))
        .order_by("-created_at")
        .values("created_at")[:1]
    )
    return Coalesce(Subquery(last_close), F("updated_at"))


def orders_due_for_anonymisation(*, channel: Channel, now: datetime | None = None) -> QuerySet:
    """Orders of the channel closed longer ago than it keeps buyer data, not anonymised yet (by pk)."""
    days = channel.retention_days
    if days is None:
        return Order.objects.none()
    cutoff = (now or timezone.now()) - timedelta(days=days)
    return (
        Order.objects.filter(channel=channel, status__in=CLOSED)
        .exclude(buyer_name=ANONYMISED)
        .annotate(closed_at=_closed_at())
        .filter(closed_at__lt=cutoff)
        .order_by("pk")
    )


def buyer_orders(*, email: str) -> QuerySet:
    """Every order of the buyer with this e-mail address (as the buyer, or as a mail's recipient)."""
    email = email.strip()
    if not email:
        return Order.objects.none()
    return (
        Order.objects.filter(Q(buyer_email__iexact=email) | Q(mails__to__iexact=email))
        .distinct()
        .select_related("channel")
        .order_by("pk")
    )


# --- anonymisation -----------------------------------------------------------------------------------------


def _personal_values(order: Order, ship_tos: list[ShipTo]) -> set[str]:
    """The order's personal strings, to find copies of them elsewhere (events, mails, payloads)."""
    values = {order.buyer_name, order.buyer_kana, order.buyer_email, order.buyer_phone, order.remarks}
    for ship_to in ship_tos:
        values |= {
            ship_to.name,
            ship_to.kana,
            ship_to.postal_code,
            ship_to.address1,
            ship_to.address2,
            ship_to.phone,
            f"{ship_to.city}{ship_to.address1}",
        }
    return {value.strip() for value in values if value and len(value.strip()) >= 3}


def payload_without_personal(payload, known: set[str]):
    """The shop's payload without its personal fields; a payload we cannot read is dropped whole."""
    if isinstance(payload, str):
        try:
            payload = strip_personal_xml(payload) if payload.lstrip().startswith("<") else ""
        except ValueError:
            payload = ""
    else:
        payload = strip_personal(payload)
    return replace_values(payload, known, ANONYMISED)


def _scrub_text(text: str, known: set[str]) -> str:
    return redact_text(replace_values(text, known, ANONYMISED)) if text else text


def _hold_message(code: str | None) -> str:
    try:
        return hold_code(code).message if code else f"（{ANONYMISED}）"
    except ValueError:
        return f"（{ANONYMISED}）"


def _scrub_event(event: OrderEvent, known: set[str], hold_messages: dict[str, str]) -> None:
    if event.kind in HOLD_EVENTS:
        code = (
            (event.after or {}).get("hold")
            or (event.before or {}).get("hold")
            or hold_messages.get(event.message)
        )
        event.message = _hold_message(code) if event.message else event.message
    else:
        event.message = _scrub_text(event.message, known)
    for name in ("before", "after"):
        value = getattr(event, name)
        if isinstance(value, dict | list):
            setattr(event, name, replace_values(strip_personal(value), known, ANONYMISED))


@transaction.atomic
def order_anonymise(*, order: Order, actor: str, reason: str) -> bool:
    """Blank the buyer's personal data on one order, everywhere the OMS copied it. False when already done.

    Locks the order row first, so an import of the same order waits and then finds it anonymised
    (orders.intake never writes a shop's data back onto an anonymised order)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.buyer_name == ANONYMISED:
        return False
    ship_tos = list(order.ship_tos.all())
    known = _personal_values(order, ship_tos)
    now = timezone.now()
    Order.objects.filter(pk=order.pk).update(
        buyer_name=ANONYMISED,
        buyer_kana="",
        buyer_email="",
        buyer_phone="",
        remarks="",
        merge_key="",
        raw_payload=payload_without_personal(order.raw_payload, known),
        updated_at=now,
    )
    ShipTo.objects.filter(order=order).update(
        name=ANONYMISED, kana="", postal_code="", city="", address1="", address2="", phone=""
    )
    holds = list(Hold.objects.filter(order=order))
    hold_messages = {hold.message: hold.code for hold in holds}
    for hold in holds:
        hold.message, hold.suggestion = _hold_message(hold.code), None
    Hold.objects.bulk_update(holds, ["message", "suggestion"])
    events = list(OrderEvent.objects.filter(order=order))
    for event in events:
        _scrub_event(event, known, hold_messages)
    OrderEvent.objects.bulk_update(events, ["message", "before", "after"])
    for mail in order.mails.all():
        mail.to, mail.body, mail.subject = "", "", replace_values(mail.subject, known, ANONYMISED)
        mail.save(update_fields=["to", "body", "subject"])
    for row in QuarantinedPayload.objects.filter(channel_id=order.channel_id, external_id=order.external_id):
        row.payload = payload_without_personal(row.payload, known)
        row.save(update_fields=["payload"])
    # The buyer's questions about this order (問い合わせ). Imported here: notifications imports orders.
    from notifications.inquiry_services import inquiries_anonymise_for_order

    inquiries_anonymise_for_order(order=order)
    label_exports_anonymise_for_order(order=order, known=known, replacement=ANONYMISED)
    event_record(order=order, kind="anonymised", actor=actor, message=reason)
    return True


def orders_anonymise_due(*, now: datetime | None = None) -> int:
    """The daily retention job: anonymise every order past its channel's retention. Returns how many.

    Each order is its own transaction, so a job stopped half-way keeps what it did; the next run goes on."""
    done = 0
    for channel in Channel.objects.order_by("pk"):
        days = channel.retention_days
        if days is None:
            continue
        reason = f"保存期間（出荷・キャンセルから {days} 日）を過ぎた購入者情報を匿名化"
        while True:
            batch = list(orders_due_for_anonymisation(channel=channel, now=now)[:BATCH])
            changed = sum(order_anonymise(order=order, actor=SYSTEM, reason=reason) for order in batch)
            done += changed
            if len(batch) < BATCH or not changed:
                break
    return done


# --- APPI requests ------------------------------------------------------------------------------------------


@dataclass
class ErasureResult:
    erased: list[str] = field(default_factory=list)  # shop order numbers anonymised now
    already: list[str] = field(default_factory=list)  # anonymised before


def buyer_erase(*, email: str, actor: str) -> ErasureResult:
    """Erase a buyer's personal data on request (APPI 削除). Refuses (ErasureRefused, nothing changed) while
    any of their orders is not shipped or cancelled: it still needs the name and address to be delivered."""
    orders = list(buyer_orders(email=email))
    open_orders = [order.external_id for order in orders if order.status not in CLOSED]
    if open_orders:
        raise ErasureRefused(open_orders)
    result = ErasureResult()
    for order in orders:
        erased = order_anonymise(
            order=order, actor=actor, reason="購入者本人の削除請求（個人情報保護法）により匿名化"
        )
        (result.erased if erased else result.already).append(order.external_id)
    return result


def _order_data(order: Order) -> dict:
    return {
        "channel": order.channel.name,
        "marketplace": order.channel.kind,
        "order_number": order.external_id,
        "ordered_at": order.ordered_at,
        "status": order.status,
        "buyer": {
            "name": order.buyer_name,
            "kana": order.buyer_kana,
            "email": order.buyer_email,
            "phone": order.buyer_phone,
        },
        "amounts": {
            "goods": order.subtotal,
            "shipping_fee": order.shipping_fee,
            "payment_fee": order.payment_fee,
            "discount": order.discount,
            "total": order.total,
        },
        "payment_method": order.payment_method,
        "paid_at": order.paid_at,
        "remarks": order.remarks,
        "gift": order.is_gift,
        "delivery_wish": {"date": order.delivery_date, "time": order.delivery_time},
        "ship_to": [
            {
                "name": a.name,
                "kana": a.kana,
                "postal_code": a.postal_code,
                "prefecture": a.prefecture,
                "city": a.city,
                "address1": a.address1,
                "address2": a.address2,
                "phone": a.phone,
            }
            for a in order.ship_tos.all()
        ],
        "lines": [
            {"item": line.name, "quantity": line.quantity, "unit_price": line.unit_price}
            for line in order.lines.all()
        ],
        "shipments": [
            {"carrier": s.carrier.name, "tracking_number": s.tracking_number, "shipped_at": s.shipped_at}
            for s in order.shipments.select_related("carrier")
        ],
        "mails": [
            {"to": m.to, "subject": m.subject, "body": m.body, "status": m.status, "sent_at": m.sent_at}
            for m in order.mails.order_by("pk")
        ],
        "history": [
            {"at": e.created_at, "event": e.kind, "message": e.message}
            for e in order_timeline(order, order.events.order_by("pk"))
        ],
        "shop_data": order.raw_payload,
    }


def order_personal_data_export(*, order: Order | None = None, email: str | None = None) -> dict:
    """Everything the OMS holds about a buyer (APPI 開示), found by one of their orders or their e-mail."""
    if (order is None) == (not email):
        raise ValueError("give an order or an e-mail address")
    orders = (
        buyer_orders(email=email) if email else Order.objects.filter(pk=order.pk).select_related("channel")
    )
    return {
        "generated_at": timezone.now(),
        "requested_for": {"email": email} if email else {"order_number": order.external_id},
        "orders": [_order_data(item) for item in orders],
    }
