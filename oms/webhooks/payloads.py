"""What each webhook event carries: built from objects the caller already has, so emitting costs no query."""

from django.utils import timezone


def _iso(value) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def order_payload(order, *, holds=None) -> dict:
    """An order's identity and state. `holds`: the active hold codes, when the caller knows them."""
    payload = {
        "id": order.pk,
        "channel": order.channel.name,
        "external_id": order.external_id,
        "status": order.status,
        "ordered_at": _iso(order.ordered_at),
        "total": order.total,
        "payment_method": order.payment_method,
        "delivery_date": order.delivery_date.isoformat() if order.delivery_date else None,
        "delivery_time": order.delivery_time,
    }
    if holds is not None:
        payload["holds"] = sorted(holds)
    return payload


def order_held_payload(order, *, code: str, message: str) -> dict:
    return {"order": order_payload(order), "hold": {"code": code, "message": message}}


def order_shipped_payload(order, shipments) -> dict:
    return {
        "order": order_payload(order),
        "parcels": [
            {
                "carrier": shipment.carrier.code,
                "tracking_number": shipment.tracking_number,
                "tracking_url": shipment.carrier.tracking_url(shipment.tracking_number),
                "shipped_at": _iso(shipment.shipped_at),
            }
            for shipment in shipments
        ],
    }


def order_created_events(orders, holds) -> list[tuple[str, dict]]:
    """`order.created` for each order of an imported page (with its hold codes), then `order.held` per hold."""
    codes: dict[int, list[str]] = {}
    for hold in holds:
        codes.setdefault(hold.order_id, []).append(hold.code)
    events = [("order.created", order_payload(order, holds=codes.get(order.pk, []))) for order in orders]
    by_pk = {order.pk: order for order in orders}
    events += [
        ("order.held", order_held_payload(by_pk[hold.order_id], code=hold.code, message=hold.message))
        for hold in holds
    ]
    return events
