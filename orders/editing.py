"""Order edits staff make: merge (同梱), split (分割) and marking a prepaid order paid. One transaction each.

Amounts follow ネクストエンジン: a merge sums goods, discounts and points but keeps the target's shipping
and payment fees; a split recalculates goods totals and leaves every fee on the original order.
"""

from collections import defaultdict

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.selectors import sku_free_stock
from inventory.services import order_deallocate
from orders.models import Order, OrderLine, OrderStatus
from orders.services import OrderNotAllocated, event_record, order_refresh_status, order_status_change

S = OrderStatus
OPEN = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}


class EditRefused(Exception):
    """The edit is not allowed; the message says why, for a person."""


def _recalculate(order: Order) -> None:
    order.subtotal = sum(line.quantity * line.unit_price for line in order.lines.all())
    order.total = order.subtotal + order.shipping_fee + order.payment_fee - order.discount
    order.save(update_fields=["subtotal", "total", "updated_at"])


def _reevaluate(order: Order, actor: str) -> None:
    from orders.intake import order_evaluate  # intake builds on these edits' building blocks

    order.refresh_from_db()
    order_evaluate(order=order, actor=actor)


@transaction.atomic
def orders_merge(*, target: Order, others: list[Order], actor: str) -> Order:
    """Move the lines of `others` into `target` and cancel them ("merged into …"). Not undoable.

    Refused unless every order is open (not printed, shipped or cancelled), from the same shop, and going to
    the same buyer and address (same merge key)."""
    locked = {
        o.pk: o for o in Order.objects.select_for_update().filter(pk__in=[target.pk, *[o.pk for o in others]])
    }
    target = locked[target.pk]
    others = [locked[o.pk] for o in others if o.pk != target.pk]
    if not others:
        raise EditRefused(_("Choose at least one other order to merge."))
    for order in [target, *others]:
        if order.status not in OPEN:
            raise EditRefused(
                _("Order %(order)s is %(status)s and cannot be merged.")
                % {"order": order.external_id, "status": order.get_status_display()}
            )
    for order in others:
        if order.channel_id != target.channel_id:
            raise EditRefused(
                _("Order %(order)s is from another shop; only orders of the same shop can be merged.")
                % {"order": order.external_id}
            )
        if order.merge_key != target.merge_key:
            raise EditRefused(
                _("Order %(order)s goes to another buyer or address.") % {"order": order.external_id}
            )
    ship_to = target.ship_tos.first()
    for order in others:
        OrderLine.objects.filter(order=order).update(
            order=target, ship_to=ship_to, bought_on=Coalesce(F("bought_on"), Value(order.pk))
        )
        target.discount += order.discount
        Order.objects.filter(pk=order.pk).update(merged_into=target, subtotal=0, total=0)
        order_status_change(
            order=order,
            to_status=S.CANCELLED,
            actor=actor,
            note=f"{target.external_id} に同梱しました (merged into)",
        )
        event_record(order=target, kind="merged", actor=actor, message=f"{order.external_id} を同梱しました")
    target.save(update_fields=["discount"])
    _recalculate(target)
    _forget_inspection(target, actor)
    target.holds.filter(code="merge_candidate", resolved_at__isnull=True).update(resolved_at=timezone.now())
    _reevaluate(target, actor)
    return target


def _forget_inspection(order: Order, actor: str) -> None:
    """A split or a merge changes what is in the box: scans made before no longer describe it, so the order's
    検品 starts over (lines, completion and any session in progress), and the event says why."""
    from shipping.inspection import inspection_in_progress  # shipping builds on orders

    lines = OrderLine.objects.filter(order=order)
    verified = Order.objects.filter(pk=order.pk, verified_at__isnull=False).exists()
    if not (verified or lines.filter(verified_quantity__gt=0).exists() or inspection_in_progress(order)):
        return
    lines.update(verified_quantity=0)
    Order.objects.filter(pk=order.pk).update(verified_at=None)
    event_record(
        order=order,
        kind="inspection_reset",
        actor=actor,
        message="分割・同梱で明細が変わったため検品をやり直します",
    )


def _next_split_id(order: Order) -> str:
    base = order.external_id.split("-bk-")[0]
    count = Order.objects.filter(channel=order.channel, external_id__startswith=f"{base}-bk-").count()
    return f"{base}-bk-{count + 1}"


def _copy_order(order: Order, actor: str) -> Order:
    new = Order.objects.get(pk=order.pk)
    new.pk = None
    new.external_id = _next_split_id(order)
    new.split_from = order
    new.status = S.NEW
    new.shipping_fee = new.payment_fee = new.discount = 0
    new.raw_payload = {}
    new.source_fingerprint = ""
    new.verified_at, new.picking_batch = None, None  # not picked nor inspected: its units are its own
    new.save(force_insert=True)
    for address in order.ship_tos.all():
        address.pk, address.order = None, new
        address.save(force_insert=True)
    event_record(order=new, kind="split", actor=actor, message=f"{order.external_id} から分割しました")
    return new


@transaction.atomic
def order_split(*, order: Order, quantities: dict[int, int], actor: str) -> Order:
    """Move `quantities` ({line pk: units}) into a new order `<number>-bk-N`. Both orders are re-checked and
    re-allocated. Refused for orders that are printed, shipped or cancelled, and for a split that moves
    nothing or everything."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in OPEN:
        raise EditRefused(
            _("Order %(order)s is %(status)s and cannot be split.")
            % {"order": order.external_id, "status": order.get_status_display()}
        )
    lines = {line.pk: line for line in order.lines.all()}
    moving = {pk: units for pk, units in quantities.items() if units}
    for pk, units in moving.items():
        if pk not in lines or not 0 < units <= lines[pk].quantity:
            raise EditRefused(_("Line %(line)s cannot give %(units)s units.") % {"line": pk, "units": units})
    if not moving:
        raise EditRefused(_("Choose what to move to the new order."))
    if all(moving.get(pk, 0) == line.quantity for pk, line in lines.items()):
        raise EditRefused(_("Moving every unit is not a split; nothing would stay on the order."))
    order_deallocate(order=order, actor=actor, lines=[lines[pk] for pk in moving])
    new = _copy_order(order, actor)
    new_ship_to = new.ship_tos.first()
    for pk, units in moving.items():
        line = lines[pk]
        # the units still belong to the shop order they were bought on: its number, not ours (-bk-N), is
        # what their shipment is reported under
        bought_on = line.bought_on_id or order.pk
        if units == line.quantity:
            OrderLine.objects.filter(pk=pk).update(order=new, ship_to=new_ship_to, bought_on=bought_on)
        else:
            OrderLine.objects.filter(pk=pk).update(quantity=F("quantity") - units)
            line.pk, line.order, line.ship_to, line.quantity = None, new, new_ship_to, units
            line.bought_on_id = bought_on
            line.allocated_quantity = line.shipped_quantity = line.verified_quantity = 0
            line.save(force_insert=True)
    _recalculate(order)
    _recalculate(new)
    event_record(order=order, kind="split", actor=actor, message=f"{new.external_id} に分割しました")
    _forget_inspection(order, actor)
    _forget_inspection(new, actor)
    _reevaluate(order, actor)
    _reevaluate(new, actor)
    return new


@transaction.atomic
def order_split_unallocated(*, order: Order, actor: str) -> Order:
    """未引当分を分割: keep on the order what free stock covers now (line by line), move the rest to a new
    order, so the covered part can ship while the rest waits for stock."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    lines = list(order.lines.select_related("sku").order_by("pk"))
    if all(line.allocated_quantity == line.quantity for line in lines):
        raise EditRefused(_("Everything on order %(order)s is allocated.") % {"order": order.external_id})
    order_deallocate(order=order, actor=actor)
    free = sku_free_stock(sku_ids={line.sku_id for line in lines if line.sku_id})
    used: dict[int, int] = defaultdict(int)
    moving = {}
    for line in lines:
        covered = (
            0 if line.sku_id is None else max(min(line.quantity, free[line.sku_id] - used[line.sku_id]), 0)
        )
        used[line.sku_id] += covered
        if covered < line.quantity:
            moving[line.pk] = line.quantity - covered
    return order_split(order=order, quantities=moving, actor=actor)


@transaction.atomic
def order_mark_paid(*, order: Order, actor: str) -> Order:
    """Payment for a prepaid order arrived (入金確認): release the payment hold and move the order on."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.paid_at is None:
        order.paid_at = timezone.now()
        order.save(update_fields=["paid_at", "updated_at"])
        event_record(order=order, kind="paid", actor=actor, message="入金を確認しました")
    _reevaluate(order, actor)
    return order


ORDER_EDITABLE_FIELDS = {"delivery_date", "delivery_time", "remarks", "buyer_phone", "buyer_email"}
SHIP_TO_EDITABLE_FIELDS = {
    "name",
    "kana",
    "postal_code",
    "prefecture",
    "city",
    "address1",
    "address2",
    "phone",
}


@transaction.atomic
def order_update(*, order: Order, changes: dict, actor: str) -> Order:
    """Staff edit of the order's wishes or contact fields; the checks run again on the result."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in OPEN:
        raise EditRefused(_("Order %(order)s can no longer be edited.") % {"order": order.external_id})
    unknown = set(changes) - ORDER_EDITABLE_FIELDS
    if unknown:
        raise EditRefused(
            _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    before = {name: str(getattr(order, name)) for name in changes}
    for name, value in changes.items():
        setattr(order, name, value)
    order.clean_fields(exclude=[f.name for f in Order._meta.fields if f.name not in changes])
    order.save(update_fields=[*changes, "updated_at"])
    event_record(
        order=order, kind="edited", actor=actor, before=before, after={n: str(v) for n, v in changes.items()}
    )
    _reevaluate(order, actor)
    return order


@transaction.atomic
def ship_to_update(*, ship_to, changes: dict, actor: str):
    """Staff fix of a delivery address; the checks run again, so a fixed address releases its hold."""
    order = Order.objects.select_for_update().get(pk=ship_to.order_id)
    if order.status not in OPEN:
        raise EditRefused(_("Order %(order)s can no longer be edited.") % {"order": order.external_id})
    unknown = set(changes) - SHIP_TO_EDITABLE_FIELDS
    if unknown:
        raise EditRefused(
            _("These fields cannot be edited: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    ship_to.refresh_from_db()
    before = {name: getattr(ship_to, name) for name in changes}
    for name, value in changes.items():
        setattr(ship_to, name, value)
    ship_to.save(update_fields=list(changes))
    from orders.intake import refresh_merge_key

    refresh_merge_key(order)
    event_record(order=order, kind="address_edited", actor=actor, before=before, after=changes)
    _reevaluate(order, actor)
    return ship_to


def hold_apply_suggestion(*, hold, actor: str) -> Order:
    """The one-click fix: write the check's suggested values (address fields or a delivery date)."""
    if not hold.suggestion or hold.resolved_at is not None:
        raise EditRefused(_("This hold has no fix to apply."))
    values = {k: v for k, v in hold.suggestion.items() if k != "ship_to"}
    if hold.suggestion.get("ship_to"):
        ship_to_update(
            ship_to=hold.order.ship_tos.get(pk=hold.suggestion["ship_to"]), changes=values, actor=actor
        )
    else:
        order_update(order=hold.order, changes=values, actor=actor)
    return Order.objects.get(pk=hold.order_id)


def orders_release_scheduled(*, today=None) -> int:
    """印刷日待ち → 印刷待ち for orders whose print day has come. Each order is its own transaction."""
    today = today or timezone.localdate()
    moved = 0
    for pk in Order.objects.filter(status=S.SCHEDULED, print_on__lte=today).values_list("pk", flat=True):
        with transaction.atomic():
            order = Order.objects.select_for_update().get(pk=pk)
            if order.status != S.SCHEDULED:
                continue
            Order.objects.filter(pk=pk).update(print_on=None)
            order.print_on = None
            try:
                order_status_change(order=order, to_status=S.READY, actor="system", note="印刷日になりました")
            except OrderNotAllocated:
                # its stock was taken back meanwhile (a count, a cancelled allocation): allocate again or hold
                # it saying why; one such order must not stop the others' print day
                order_refresh_status(order=order, actor="system")
                continue
            moved += 1
    return moved
