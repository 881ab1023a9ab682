"""Order intake: turn a shop's canonical order into our Order, idempotently on (channel, external id).

A new order is stored with its addresses and lines, its lines are mapped to SKUs through the channel's
listings, stock is allocated in the same transaction, the checks put holds on it, and its status is set.
A re-fetched order that did not change is left alone; a changed one is updated; a cancelled one releases
its stock.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from channels.adapters.base import CanonicalOrder
from channels.models import Channel, Listing
from inventory.services import InsufficientStock, order_allocate, order_deallocate
from oms.actors import channel_actor
from orders.holds import hold_code
from orders.models import Hold, Order, OrderEvent, OrderLine, OrderStatus, PaymentMethod, ShipTo
from orders.services import event_record, order_status_change, status_for_holds

S = OrderStatus
PREPAID = {PaymentMethod.BANK_TRANSFER, PaymentMethod.CONVENIENCE_STORE}
EDITABLE = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}
AUTO_CLEARED = {"insufficient_stock", "payment_pending", "unknown_sku"}
HEADER_FIELDS = (
    "ordered_at", "buyer_name", "buyer_kana", "buyer_email", "buyer_phone", "payment_method", "subtotal",
    "shipping_fee", "payment_fee", "discount", "total", "remarks", "is_gift", "delivery_date", "delivery_time",
)  # fmt: skip


@dataclass(frozen=True)
class ImportResult:
    order: Order
    created: bool
    changed: bool


def _header(canonical: CanonicalOrder) -> dict:
    values = {name: getattr(canonical, name) for name in HEADER_FIELDS}
    values["paid_at"] = timezone.now() if canonical.paid else None
    return values


def _listing_map(channel: Channel, canonical: CanonicalOrder) -> dict[tuple[str, str], int]:
    keys = {(line.item_id, line.variant_id) for line in canonical.lines}
    rows = Listing.objects.filter(channel=channel, external_variant_id__in={v for _i, v in keys}).values_list(
        "external_item_id", "external_variant_id", "sku_id"
    )
    return {(item, variant): sku for item, variant, sku in rows if (item, variant) in keys}


def _write_lines(order: Order, canonical: CanonicalOrder, channel: Channel) -> None:
    ship_tos = ShipTo.objects.bulk_create(
        ShipTo(
            order=order,
            external_id=a.external_id,
            name=a.name,
            kana=a.kana,
            postal_code=a.postal_code,
            prefecture=a.prefecture,
            city=a.city,
            address1=a.address1,
            address2=a.address2,
            phone=a.phone,
        )
        for a in canonical.ship_tos
    )
    skus = _listing_map(channel, canonical)
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            ship_to=ship_tos[line.ship_to_index] if line.ship_to_index < len(ship_tos) else None,
            sku_id=skus.get((line.item_id, line.variant_id)),
            external_line_id=line.external_line_id,
            external_item_id=f"{line.item_id}:{line.variant_id}" if line.variant_id else line.item_id,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
        )
        for line in canonical.lines
    )


def _add_hold(order: Order, code: str, actor: str, message: str = "") -> None:
    Hold.objects.create(order=order, code=code, message=message or hold_code(code).message)
    event_record(order=order, kind="hold_added", actor=actor, message=message or hold_code(code).message)


def order_evaluate(*, order: Order, actor: str) -> None:
    """Run the intake checks on an order that is not printed yet: allocate stock, add the holds that apply,
    and set the status the holds call for. Caller holds the order's transaction."""
    holds = list(order.holds.values_list("code", "resolved_at"))
    active = {code for code, resolved_at in holds if resolved_at is None}
    released = {code for code, resolved_at in holds if resolved_at is not None} - AUTO_CLEARED
    lines = list(order.lines.all())
    wanted: dict[str, str] = {}
    if any(line.sku_id is None for line in lines):
        wanted["unknown_sku"] = ""
    elif any(line.allocated_quantity < line.quantity for line in lines):
        try:
            order_allocate(order=order, actor=actor)
        except InsufficientStock as shortage:
            wanted["insufficient_stock"] = f"{hold_code('insufficient_stock').message}: {shortage}"
    if order.remarks.strip():
        wanted["remarks"] = ""
    if order.payment_method in PREPAID and order.paid_at is None:
        wanted["payment_pending"] = ""
    for code, message in wanted.items():
        if code not in active and code not in released:  # a person's release is not undone by a re-check
            _add_hold(order, code, actor, message)
    wanted = {code: message for code, message in wanted.items() if code not in released}
    # Holds that intake itself raises and whose reason has gone (stock arrived, payment seen) clear here.
    cleared = AUTO_CLEARED & (active - wanted.keys())
    for code in sorted(cleared):
        order.holds.filter(code=code, resolved_at__isnull=True).update(resolved_at=timezone.now())
        event_record(order=order, kind="hold_resolved", actor=actor, message=hold_code(code).message)
    target = status_for_holds((active - cleared) | wanted.keys())
    if order.status == S.SCHEDULED and target == S.READY:
        return
    if target != order.status:
        order_status_change(order=order, to_status=target, actor=actor)


def _create(channel: Channel, canonical: CanonicalOrder, payload, actor: str) -> Order:
    order = Order.objects.create(
        channel=channel,
        external_id=canonical.external_id,
        raw_payload=payload,
        status=S.NEW,
        **_header(canonical),
    )
    _write_lines(order, canonical, channel)
    event_record(order=order, kind="imported", actor=actor, message=f"{channel} から取り込み")
    if canonical.cancelled:
        order_status_change(order=order, to_status=S.CANCELLED, actor=actor, note="キャンセル済みで取り込み")
    else:
        order_evaluate(order=order, actor=actor)
    return order


def _cancel(order: Order, actor: str) -> None:
    order_deallocate(order=order, actor=actor)
    order_status_change(
        order=order, to_status=S.CANCELLED, actor=actor, note="ショップでキャンセルされました"
    )


def _update(order: Order, canonical: CanonicalOrder, payload, actor: str) -> bool:
    if order.raw_payload == payload:
        return False
    before = {"status": order.status}
    order.raw_payload = payload
    Order.objects.filter(pk=order.pk).update(raw_payload=payload, updated_at=timezone.now())
    if order.status in (S.CANCELLED, S.SHIPPED):
        return True
    if canonical.cancelled:
        _cancel(order, actor)
        return True
    if order.status not in EDITABLE:
        event_record(
            order=order,
            kind="changed_after_print",
            actor=actor,
            message="印刷後にショップ側で注文内容が変更されました",
        )
        return True
    header = _header(canonical)
    if order.paid_at is not None and canonical.paid:
        header["paid_at"] = order.paid_at
    lines_now = sorted(order.lines.values_list("external_line_id", "external_item_id", "quantity"))
    lines_new = sorted(
        (line.external_line_id, f"{line.item_id}:{line.variant_id}" if line.variant_id else line.item_id,
         line.quantity)
        for line in canonical.lines
    )  # fmt: skip
    for name, value in header.items():
        setattr(order, name, value)
    order.save(update_fields=[*header.keys(), "updated_at"])
    if lines_now != lines_new or order.ship_tos.count() != len(canonical.ship_tos):
        order_deallocate(order=order, actor=actor)
        order.lines.all().delete()
        order.ship_tos.all().delete()
        _write_lines(order, canonical, channel=order.channel)
    OrderEvent.objects.create(
        order=order, kind="updated", actor=actor, message="ショップ側の変更を反映", before=before
    )
    order_evaluate(order=order, actor=actor)
    return True


def order_import(*, channel: Channel, canonical: CanonicalOrder, payload) -> ImportResult:
    """Create or update the order (one transaction). Safe to call again with the same payload, and safe
    when two workers import the same order at once: the second waits on the row lock and sees no change."""
    actor = channel_actor(channel)
    with transaction.atomic():
        order = (
            Order.objects.select_for_update()
            .filter(channel=channel, external_id=canonical.external_id)
            .first()
        )
        if order is None:
            try:
                with transaction.atomic():
                    return ImportResult(_create(channel, canonical, payload, actor), True, True)
            except IntegrityError:
                # Another worker created it between our read and insert; it holds the row until it commits.
                order = Order.objects.select_for_update().get(
                    channel=channel, external_id=canonical.external_id
                )
        return ImportResult(order, False, _update(order, canonical, payload, actor))
