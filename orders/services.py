"""Order writes: status changes along allowed transitions, holds, audit events. Each call is one transaction."""

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.services import InsufficientStock, order_allocate
from oms import webhooks
from oms.webhooks.payloads import order_held_payload
from orders.holds import STATUS_PRECEDENCE, hold_code
from orders.models import Hold, Order, OrderEvent, OrderLine, OrderStatus

S = OrderStatus
_WAITING = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}

ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    # Before printing, an order moves freely between the waiting statuses as checks pass or fail.
    **{status: (_WAITING - {status, S.NEW}) | {S.CANCELLED} for status in _WAITING},
    # 印刷済み: back to 印刷待ち to reprint, or to 確認待ち when packing finds a problem.
    S.PRINTED: {S.READY, S.ON_HOLD, S.SHIPPED, S.CANCELLED},
    S.SHIPPED: set(),
    S.CANCELLED: set(),
}
ALLOWED_TRANSITIONS[S.READY] |= {S.PRINTED}
# 印刷待ち (and 印刷日待ち, which becomes 印刷待ち on its day) promise that the goods are reserved: picking lists,
# labels and shipping all follow. An order gets there only with every line linked to a SKU and allocated.
STOCKED = {S.READY, S.SCHEDULED}


class IllegalStatusTransition(Exception):
    """The order cannot move from its status to the one asked for."""

    def __init__(self, order: Order, to_status: str):
        self.from_status, self.to_status = order.status, to_status
        super().__init__(
            _("Order %(order)s cannot change from %(from)s to %(to)s.")
            % {"order": order.external_id, "from": S(order.status).label, "to": S(to_status).label}
        )


class OrderNotAllocated(IllegalStatusTransition):
    """The order has a line without a SKU or with units not allocated, so it cannot be 印刷待ち/印刷日待ち."""

    def __init__(self, order: Order, to_status: str):
        self.from_status, self.to_status = order.status, to_status
        Exception.__init__(
            self,
            _(
                "Order %(order)s cannot change to %(to)s: not every line is linked to a SKU and allocated "
                "(unknown SKU or not enough stock)."
            )
            % {"order": order.external_id, "to": S(to_status).label},
        )


def order_lines_unallocated(*, order: Order) -> list[OrderLine]:
    """The order's lines that hold it back from 印刷待ち: not linked to a SKU, or not fully allocated (a line
    already shipped no longer needs its allocation)."""
    return list(
        order.lines.filter(
            Q(sku__isnull=True) | Q(allocated_quantity__lt=F("quantity"), shipped_quantity=0)
        ).order_by("pk")
    )


def event_record(
    *, order: Order, kind: str, actor: str, message: str = "", before=None, after=None
) -> OrderEvent:
    """Append to the order's audit trail."""
    return OrderEvent.objects.create(
        order=order, kind=kind, actor=actor, message=message, before=before, after=after
    )


def _locked(order: Order) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    order.status = locked.status
    return order


@transaction.atomic
def order_status_change(*, order: Order, to_status: str, actor: str, note: str = "") -> Order:
    """Move the order to `to_status`; raises IllegalStatusTransition when the workflow does not allow it, and
    OrderNotAllocated (one of them) for 印刷待ち/印刷日待ち while a line has no SKU or no allocation: whoever
    asks (API, bulk action, a released hold), an order is never offered for picking with nothing reserved.

    Locks the order row, so two concurrent changes are applied one after the other."""
    order = _locked(order)
    if to_status == order.status:
        return order
    if to_status not in ALLOWED_TRANSITIONS.get(order.status, set()):
        raise IllegalStatusTransition(order, to_status)
    if to_status in STOCKED and order_lines_unallocated(order=order):
        raise OrderNotAllocated(order, to_status)
    before = order.status
    order.status = to_status
    Order.objects.filter(pk=order.pk).update(status=to_status, updated_at=timezone.now())
    event_record(
        order=order,
        kind="status_changed",
        actor=actor,
        message=note,
        before={"status": before},
        after={"status": to_status},
    )
    if to_status in CONFIRMED:
        order_confirmation_queue(order=order, actor=actor)
    return order


# An order that passed every check is confirmed to the buyer (注文確認メール), once.
CONFIRMED = {S.READY, S.SCHEDULED}


def order_confirmation_queue(*, order: Order, actor: str) -> None:
    """Queue the order confirmation mail (at most one per order: the outbox row is unique)."""
    from notifications.services import mail_queue  # notifications renders orders; orders only asks it

    mail_queue(order=order, template_code="order_confirmation", actor=actor)


@transaction.atomic
def order_hold_add(*, order: Order, code: str, actor: str, message: str = "") -> Hold:
    """Put a hold on the order (one active hold per code: adding it again returns the active one)."""
    definition = hold_code(code)
    active = order.holds.filter(code=code, resolved_at__isnull=True).first()
    if active is not None:
        return active
    hold = Hold.objects.create(order=order, code=code, message=message or definition.message)
    event_record(order=order, kind="hold_added", actor=actor, message=hold.message, after={"hold": code})
    webhooks.emit("order.held", lambda: order_held_payload(order, code=code, message=hold.message))
    return hold


@transaction.atomic
def order_hold_resolve(*, hold: Hold, actor: str, user=None) -> Hold:
    """Release a hold, recording who released it. Releasing a released hold changes nothing."""
    hold = Hold.objects.select_for_update().get(pk=hold.pk)
    if hold.resolved_at is not None:
        return hold
    hold.resolved_at = timezone.now()
    hold.resolved_by = user
    hold.released_by_person = True
    hold.save(update_fields=["resolved_at", "resolved_by", "released_by_person"])
    event_record(
        order=hold.order, kind="hold_resolved", actor=actor, message=hold.message, before={"hold": hold.code}
    )
    return hold


def status_for_holds(codes: set[str]) -> str:
    """The waiting status an order with these active holds belongs in (印刷待ち when none)."""
    statuses = {hold_code(code).status for code in codes}
    for status in STATUS_PRECEDENCE:
        if status in statuses:
            return status
    return S.READY


def insufficient_stock_message(shortage: InsufficientStock) -> str:
    """The insufficient_stock hold's message: what is short, per SKU."""
    return f"{hold_code('insufficient_stock').message}: {shortage}"


def _stock_facts_hold(order: Order, actor: str) -> None:
    """Stock is a fact, not something a person accepts (like ネクストエンジン, where a line without a product
    in the master cannot be allocated): lines without a SKU keep, or get back, the unknown_sku hold; linked
    lines not fully allocated are allocated now, or get the insufficient_stock hold. An allocation made here
    makes an open insufficient_stock hold stale, so it is resolved. Caller holds the order's row lock."""
    lines = order_lines_unallocated(order=order)
    if not lines:
        return
    if any(line.sku_id is None for line in lines):
        order_hold_add(order=order, code="unknown_sku", actor=actor)
        return
    try:
        order_allocate(order=order, actor=actor)
    except InsufficientStock as shortage:
        order_hold_add(
            order=order, code="insufficient_stock", actor=actor, message=insufficient_stock_message(shortage)
        )
        return
    stale = order.holds.filter(code="insufficient_stock", resolved_at__isnull=True)
    if stale.update(resolved_at=timezone.now()):
        event_record(
            order=order,
            kind="hold_resolved",
            actor=actor,
            message=hold_code("insufficient_stock").message,
            before={"hold": "insufficient_stock"},
        )


@transaction.atomic
def order_refresh_status(*, order: Order, actor: str) -> Order:
    """Put an order that has not been printed yet into the status its active holds call for.

    Before that, the order's stock is made to agree with it (see _stock_facts_hold): releasing every hold a
    person may release moves an order with an unlinked line to 確認待ち (unknown_sku), and one whose stock is
    short to 引当待ち, never to 印刷待ち with nothing reserved."""
    order = _locked(order)
    if order.status not in _WAITING:
        return order
    _stock_facts_hold(order, actor)
    codes = set(order.holds.filter(resolved_at__isnull=True).values_list("code", flat=True))
    target = status_for_holds(codes)
    if order.status == S.SCHEDULED and target == S.READY:
        return order  # 印刷日待ち moves to 印刷待ち on its day, not when holds clear
    return order_status_change(order=order, to_status=target, actor=actor)
