"""Ship confirmation (出荷確定): parcels recorded, stock consumed, the shop told, the shipping mail queued.

The shop is told by a Celery task after the commit (a marketplace call never runs inside a transaction);
it is retried until the shop accepts, and each answer lands in the order's timeline.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.services import order_consume
from oms import webhooks
from oms.webhooks.payloads import order_shipped_payload
from orders.models import Order, OrderLine, OrderStatus
from orders.services import event_record, order_status_change
from shipping.inspection import inspection_in_progress
from shipping.models import Carrier, Shipment

S = OrderStatus


class ShipRefused(Exception):
    """The order cannot ship (yet); the message says why, for a person."""


class TrackingNumberTaken(ShipRefused):
    """A tracking number is already another order's parcel: one parcel cannot carry two orders' numbers."""


def _carrier(code: str) -> Carrier:
    try:
        return Carrier.objects.get(code=code)
    except Carrier.DoesNotExist:
        raise ShipRefused(_("Unknown carrier %(code)s.") % {"code": code}) from None


def _push_soon(shipment_ids: list[int]) -> None:
    from shipping.tasks import push_shipment

    for shipment_id in shipment_ids:
        transaction.on_commit(lambda shipment_id=shipment_id: push_shipment.delay(shipment_id))


@transaction.atomic
def order_ship(
    *, order: Order, parcels: list[tuple[str, str] | tuple[str, str, int | None]], actor: str, shipped_at=None
) -> list[Shipment]:
    """Ship a printed order in one or more parcels [(carrier code, tracking number)], or
    [(carrier code, tracking number, ship-to id)] when the label named the parcel's ship-to.

    An order already shipped gets the parcels added (a later parcel of the same order); numbers it already
    has are ignored, so importing the same tracking file twice changes nothing."""
    order = Order.objects.select_for_update().select_related("channel").get(pk=order.pk)
    if not parcels:
        raise ShipRefused(_("Give at least one tracking number."))
    known = set(order.shipments.values_list("tracking_number", flat=True))
    new_parcels = [parcel for parcel in parcels if parcel[1] not in known]
    _refuse_taken_numbers(order, [parcel[1] for parcel in new_parcels])
    if order.status == S.SHIPPED:
        return _add_parcels(order, new_parcels, actor, shipped_at)
    if order.status not in (S.PRINTED, S.READY):
        raise ShipRefused(
            _("Order %(order)s is %(status)s; only orders waiting for shipment can ship.")
            % {"order": order.external_id, "status": order.get_status_display()}
        )
    lines = list(order.lines.all())
    # Started when its slip was scanned: a set line counts only complete sets, so a half-scanned set order
    # has no verified unit yet and must not pass for one never inspected.
    inspected = any(line.verified_quantity for line in lines) or inspection_in_progress(order)
    complete = all(line.verified_quantity >= line.quantity for line in lines)
    if (inspected or settings.OMS_REQUIRE_INSPECTION) and not complete:
        raise ShipRefused(
            _("Order %(order)s is not fully verified (検品); scan every item first.")
            % {"order": order.external_id}
        )
    order_consume(order=order, actor=actor)
    if order.status == S.READY:  # a 3PL may ship straight from 印刷待ち
        order_status_change(order=order, to_status=S.PRINTED, actor=actor, note="出荷確定")
    order_status_change(order=order, to_status=S.SHIPPED, actor=actor)
    shipments = _add_parcels(order, new_parcels, actor, shipped_at)
    from notifications.services import mail_queue

    mail_queue(order=order, template_code="shipping_notice", actor=actor)
    webhooks.emit("order.shipped", lambda: order_shipped_payload(order, shipments))
    return shipments


def _refuse_taken_numbers(order: Order, numbers: list[str]) -> None:
    """The tracking-file import checks this per row (shipping.tracking); here it holds for every caller."""
    taken = (
        Shipment.objects.filter(tracking_number__in=[number for number in numbers if number])
        .exclude(order=order)
        .values_list("tracking_number", "order__external_id")
        .order_by("pk")
        .first()
    )
    if taken:
        raise TrackingNumberTaken(
            _("Tracking number %(number)s already belongs to order %(order)s.")
            % {"number": taken[0], "order": taken[1]}
        )


def _add_parcels(order: Order, parcels, actor: str, shipped_at) -> list[Shipment]:
    shipped_at = shipped_at or timezone.now()
    shipments = [
        Shipment.objects.create(
            order=order,
            carrier=_carrier(code),
            tracking_number=number,
            shipped_at=shipped_at,
            ship_to_id=ship_to_id[0] if ship_to_id else None,
        )
        for code, number, *ship_to_id in parcels
    ]
    for shipment in shipments:
        event_record(
            order=order,
            kind="shipped",
            actor=actor,
            message=f"{shipment.carrier.name} {shipment.tracking_number}",
        )
    _push_soon([s.pk for s in shipments])
    return shipments


def shipment_push(*, shipment: Shipment) -> str:
    """Tell the shop about one parcel. Returns the shop's answer; raises AdapterError to be retried.

    A parcel is reported under every shop order its lines were bought on: the order's own number, and for
    an order that absorbed others (同梱) each of theirs, with their own items; a split part (-bk-N, our number,
    which the shop does not know) is reported under the order it was split from. Each report is idempotent,
    so a retry after a partial failure sends the reports already done again harmlessly."""
    from channels.adapters import adapter_for

    order = shipment.order
    first_parcel = order.shipments.order_by("pk").values_list("pk", flat=True).first() == shipment.pk
    adapter = adapter_for(order.channel)
    answers = []
    for shop_order, lines in _lines_by_shop_order(order):
        answer = adapter.push_shipment(_shipment_update(shipment, order, shop_order, lines, first_parcel))
        answers.append(str(answer))
        if shop_order.pk != order.pk:  # the absorbed order's timeline shows what its shop was told
            event_record(
                order=shop_order,
                kind="shop_answer",
                actor=f"channel:{order.channel.name}",
                message=f"{order.external_id} の荷物として報告: {answer}"[:2000],
            )
    answer = "\n".join(answers)
    Shipment.objects.filter(pk=shipment.pk).update(pushed_at=timezone.now(), push_error="")
    event_record(
        order=order, kind="shop_answer", actor=f"channel:{order.channel.name}", message=answer[:2000]
    )
    return answer


def _lines_by_shop_order(order: Order) -> list[tuple[Order, list]]:
    """The order's lines grouped by the shop order they were bought on (orders.models.OrderLine.bought_on),
    the order's own first; an order without lines is reported under its own number."""
    lines = list(order.lines.select_related("bought_on"))
    groups: dict[int, tuple[Order, list]] = {order.pk: (order, [])}
    for line in lines:
        shop_order = line.bought_on or order
        groups.setdefault(shop_order.pk, (shop_order, []))[1].append(line)
    own = groups[order.pk]
    if not own[1] and len(groups) > 1:  # a split part: every line was bought on another order
        del groups[order.pk]
    return list(groups.values())


def _shipment_update(shipment: Shipment, order: Order, shop_order: Order, lines: list, first_parcel: bool):
    from channels.adapters.base import ShipmentUpdate

    return ShipmentUpdate(
        external_order_id=shop_order.external_id,
        carrier_code=shipment.carrier.code,
        tracking_number=shipment.tracking_number,
        shipped_on=timezone.localtime(shipment.shipped_at or timezone.now()).date(),
        items=_parcel_items(lines, first_parcel=first_parcel),
        ship_to_external_id=_ship_to_of(shipment, order, shop_order),
        order_tracking_numbers=_shop_order_numbers(shop_order),
    )


def _ship_to_of(shipment: Shipment, order: Order, shop_order: Order) -> str:
    """The shop's id of the ship-to (Rakuten basketId) the parcel went to: the parcel's own, or the order's
    first; for an absorbed order, its own first (it went to the same buyer and address: the merge key)."""
    ship_to = shipment.ship_to or order.ship_tos.order_by("pk").first()
    own = ship_to.external_id if ship_to else ""
    if shop_order.pk == order.pk:
        return own
    theirs = list(shop_order.ship_tos.order_by("pk").values_list("external_id", flat=True))
    return own if own in theirs else (theirs[0] if theirs else "")  # a split part's ship-tos are copies


def _shop_order_numbers(shop_order: Order) -> list[str]:
    """Every tracking number the shop order has, oldest parcel first: the parcels of each of our orders that
    hold its lines (itself, its split parts, the order it was merged into). Yahoo keeps two per order and
    each report replaces both."""
    holders = OrderLine.objects.filter(
        Q(bought_on=shop_order) | Q(order=shop_order, bought_on__isnull=True)
    ).values("order_id")
    numbers = (
        Shipment.objects.filter(order_id__in=holders).order_by("pk").values_list("tracking_number", flat=True)
    )
    return list(dict.fromkeys(numbers))


def _parcel_items(lines: list, *, first_parcel: bool) -> list[tuple[str, int]] | None:
    """The shop's item ids and quantities in this parcel. The OMS ships whole orders and does not know which
    item went into which box, so the first parcel carries every unit and later parcels none (a shop that
    needs items per parcel, Amazon, then cannot take their numbers: it answers so, nothing is retried).
    None when the lines have no shop item ids: the adapter works the units out itself."""
    items = [(line.external_line_id, line.quantity) for line in lines if line.external_line_id]
    if not items:
        return None
    return items if first_parcel else []


def shipment_push_failed(*, shipment: Shipment, error: str, final: bool, retry_at=None) -> None:
    """Record a failed report to the shop; `retry_at`: when the next try is due (None: none is scheduled)."""
    Shipment.objects.filter(pk=shipment.pk).update(push_error=error[:2000], push_retry_at=retry_at)
    if final:
        event_record(
            order=shipment.order,
            kind="shop_push_failed",
            actor="system",
            message=f"ショップへの出荷報告に失敗しました: {error[:500]}",
        )
