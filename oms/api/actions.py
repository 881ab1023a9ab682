"""API use cases composed of existing services, one transaction each (candidates for the apps' services).

The order and inventory apps have no single service for these yet; each function here only sequences
existing services and adds the guard the API needs, so an integration cannot do what the dashboard could not.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from inventory.models import SKU, StockLevel, Warehouse
from inventory.services import StockError, order_deallocate, stock_set_count
from orders import intake
from orders.editing import EditRefused, order_mark_paid
from orders.intake import FACT_HOLDS
from orders.models import Order, OrderStatus
from orders.services import (
    ALLOWED_TRANSITIONS,
    IllegalStatusTransition,
    order_hold_resolve,
    order_refresh_status,
    order_status_change,
)

S = OrderStatus
OPEN = {S.NEW, S.ON_HOLD, S.AWAITING_STOCK, S.AWAITING_PAYMENT, S.SCHEDULED, S.READY}


class HoldNotReleasable(Exception):
    """A hold about a fact (stock, SKU link, payment) goes away when the fact changes, not by release."""


@transaction.atomic
def order_hold_release(*, order: Order, code: str, actor: str, user=None) -> Order:
    """A person accepts the order despite the hold `code` (e.g. remarks read): release it, then move the
    order to the status its remaining holds call for. Raises Hold.DoesNotExist without an active hold of
    that code. A fact hold (insufficient_stock, unknown_sku, payment_pending) is checked again instead
    (orders.intake.order_hold_release): an unknown_sku hold whose lines the shop's listings now link is
    released with the stock allocated; one still unlinked, stock still short or an unpaid order raise
    HoldNotReleasable saying what to do."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    hold = order.holds.get(code=code, resolved_at__isnull=True)
    if code in FACT_HOLDS:  # checked again, as on the order slip: linked and allocated, or refused saying why
        try:
            return intake.order_hold_release(hold=hold, actor=actor, user=user)
        except intake.HoldReleaseRefused as refused:
            raise HoldNotReleasable(str(refused)) from None
    order_hold_resolve(hold=hold, actor=actor, user=user)
    return order_refresh_status(order=order, actor=actor)


@transaction.atomic
def order_cancel(*, order: Order, actor: str, reason: str = "") -> Order:
    """Cancel an order that has not shipped: its allocated stock goes back to free stock. Cancelling a
    cancelled order changes nothing. The shop is not told (cancel there too)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status == S.CANCELLED:
        return order
    if S.CANCELLED not in ALLOWED_TRANSITIONS.get(order.status, set()):
        raise IllegalStatusTransition(order, S.CANCELLED)
    order_deallocate(order=order, actor=actor)
    return order_status_change(order=order, to_status=S.CANCELLED, actor=actor, note=reason)


@transaction.atomic
def order_mark_paid_open(*, order: Order, actor: str) -> Order:
    """入金確認 for an order that has not been printed: order_mark_paid re-runs the intake checks, which
    would move a printed order back to 印刷待ち and re-allocate a shipped one, so those are refused."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.status not in OPEN:
        raise EditRefused(
            _("Order %(order)s is %(status)s; only orders that are not printed yet can be marked paid.")
            % {"order": order.external_id, "status": order.get_status_display()}
        )
    return order_mark_paid(order=order, actor=actor)


@dataclass(frozen=True)
class CountRow:
    sku: SKU
    on_hand: int
    warehouse: Warehouse | None = None


class CountsRefused(Exception):
    """Some rows of a bulk count could not be applied; nothing was. errors = [(row index, message)]."""

    def __init__(self, errors: list[tuple[int, str]]):
        self.errors = errors
        super().__init__(_("%(count)d of the counts cannot be applied; none was.") % {"count": len(errors)})


@transaction.atomic
def stock_counts_set(*, rows: list[CountRow], actor: str, reference: str = "") -> None:
    """棚卸 in bulk: set every row's on_hand to its count, all rows or none.

    Takes the stock row locks of all the SKUs first, in primary-key order (the project's one lock order),
    so the per-row services only re-enter locks already held. Every row is tried, so the refusal lists
    every row that cannot be applied (a count below what is allocated)."""
    list(
        StockLevel.objects.select_for_update()
        .filter(sku_id__in=sorted({row.sku.pk for row in rows}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    errors = []
    for index, row in enumerate(rows):
        try:
            with transaction.atomic():  # a savepoint: one refused row must not break the transaction
                stock_set_count(
                    sku=row.sku,
                    counted=row.on_hand,
                    actor=actor,
                    warehouse=row.warehouse,
                    reference=reference,
                )
        except StockError as exc:
            errors.append((index, str(exc)))
    if errors:
        raise CountsRefused(errors)
