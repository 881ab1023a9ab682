"""Ship confirmation (出荷確定): parcels recorded, stock consumed, the shop told, the shipping mail queued.

The shop is told by a Celery task after the commit (a marketplace call never runs inside a transaction);
it is retried until the shop accepts, and each answer lands in the order's timeline.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.services import order_consume
from oms import webhooks
from oms.webhooks.payloads import order_shipped_payload
from orders.models import Order, OrderStatus
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
    """Tell the shop about one parcel. Returns the shop's answer; raises AdapterError to be retried."""
    from channels.adapters import adapter_for
    from channels.adapters.base import ShipmentUpdate

    order = shipment.order
    ship_to = shipment.ship_to or order.ship_tos.order_by("pk").first()
    parcels = list(order.shipments.order_by("pk").values_list("pk", "tracking_number"))
    answer = adapter_for(order.channel).push_shipment(
        ShipmentUpdate(
            external_order_id=order.external_id,
            carrier_code=shipment.carrier.code,
            tracking_number=shipment.tracking_number,
            shipped_on=timezone.localtime(shipment.shipped_at or timezone.now()).date(),
            items=_parcel_items(order, first_parcel=parcels[0][0] == shipment.pk),
            ship_to_external_id=ship_to.external_id if ship_to else "",
            order_tracking_numbers=[number for _pk, number in parcels],
        )
    )
    Shipment.objects.filter(pk=shipment.pk).update(pushed_at=timezone.now(), push_error="")
    event_record(
        order=order, kind="shop_answer", actor=f"channel:{order.channel.name}", message=str(answer)[:2000]
    )
    return answer


def _parcel_items(order: Order, *, first_parcel: bool) -> list[tuple[str, int]] | None:
    """The shop's item ids and quantities in this parcel. The OMS ships whole orders and does not know which
    item went into which box, so the first parcel carries every unit and later parcels none (a shop that
    needs items per parcel, Amazon, then cannot take their numbers: it answers so, nothing is retried).
    None when the lines have no shop item ids: the adapter works the units out itself."""
    items = [(line.external_line_id, line.quantity) for line in order.lines.all() if line.external_line_id]
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
