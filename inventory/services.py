"""Stock writes: adjust on_hand, allocate / deallocate / consume for orders. Each call is one transaction.

Every change of a counter is a conditional UPDATE on rows locked in primary-key order and writes a
StockMovement, so the ledger always sums to the counters and the CHECK constraint is never the first
line of defence, only the last.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from inventory.models import SKU, Allocation, StockLevel, StockMovement, Warehouse

Reason = StockMovement.Reason


class StockError(Exception):
    """A stock change that cannot be made; the message says why, for a person."""


class NegativeStockError(StockError):
    pass


@dataclass(frozen=True)
class Shortage:
    sku_code: str
    needed: int
    free: int


class InsufficientStock(StockError):
    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        detail = ", ".join(
            f"{s.sku_code} ({_('needed')} {s.needed}, {_('free')} {s.free})" for s in shortages
        )
        super().__init__(_("Not enough free stock: %(detail)s") % {"detail": detail})


def default_warehouse() -> Warehouse:
    warehouse = Warehouse.objects.order_by("priority", "pk").first()
    if warehouse is None:
        raise StockError(_("No warehouse is set up yet."))
    return warehouse


def _stock_level_for(sku: SKU, warehouse: Warehouse) -> StockLevel:
    try:
        with transaction.atomic():
            level, _created = StockLevel.objects.get_or_create(sku=sku, warehouse=warehouse)
    except IntegrityError:  # another transaction created it between our read and insert
        level = StockLevel.objects.get(sku=sku, warehouse=warehouse)
    return level


def stock_changed(*, sku_ids: set[int]) -> None:
    """Mark the listings whose published quantity may have changed: the SKUs and the sets containing them.

    Call inside the transaction that changed stock, so the mark commits (or rolls back) with it."""
    from channels.services import listings_mark_for_push  # channels depends on inventory, not the reverse

    if sku_ids:
        set_ids = set(
            SKU.objects.filter(components__component_id__in=list(sku_ids)).values_list("pk", flat=True)
        )
        listings_mark_for_push(sku_ids=sku_ids | set_ids)


@transaction.atomic
def stock_adjust(
    *,
    sku: SKU,
    delta: int,
    actor: str,
    warehouse: Warehouse | None = None,
    reason: str = Reason.ADJUST,
    reference: str = "",
    note: str = "",
) -> StockLevel:
    """Add `delta` (may be negative) to on_hand. Refused when on_hand would fall below 0 or below allocated."""
    if sku.is_set:
        raise StockError(_("%(sku)s is a set; adjust its components instead.") % {"sku": sku.code})
    if delta == 0:
        raise StockError(_("The adjustment is zero."))
    warehouse = warehouse or default_warehouse()
    level = _stock_level_for(sku, warehouse)
    updated = StockLevel.objects.filter(pk=level.pk, on_hand__gte=F("allocated") - delta).update(
        on_hand=F("on_hand") + delta
    )
    if not updated:
        level.refresh_from_db()
        raise NegativeStockError(
            _(
                "Cannot change stock of %(sku)s by %(delta)+d: on hand %(on_hand)d, of which %(allocated)d "
                "allocated. Stock may not go below zero or below what is allocated."
            )
            % {"sku": sku.code, "delta": delta, "on_hand": level.on_hand, "allocated": level.allocated}
        )
    StockMovement.objects.create(
        stock_level=level, on_hand_delta=delta, reason=reason, actor=actor, reference=reference, note=note
    )
    stock_changed(sku_ids={sku.pk})
    level.refresh_from_db()
    return level


@transaction.atomic
def stock_set_count(
    *, sku: SKU, counted: int, actor: str, warehouse: Warehouse | None = None, reference: str = ""
):
    """Set on_hand to a counted value (棚卸): written as the difference, so the ledger stays complete."""
    warehouse = warehouse or default_warehouse()
    level = StockLevel.objects.select_for_update().get(pk=_stock_level_for(sku, warehouse).pk)
    if counted == level.on_hand:
        return level
    return stock_adjust(
        sku=sku,
        delta=counted - level.on_hand,
        actor=actor,
        warehouse=warehouse,
        reason=Reason.COUNT,
        reference=reference,
    )


def _line_needs(line) -> list[tuple[SKU, int]]:
    """Stock units a line still needs, per stocked SKU (a set needs its components)."""
    remaining = line.quantity - line.allocated_quantity
    if remaining <= 0:
        return []
    if line.sku.is_set:
        return [(c.component, c.quantity * remaining) for c in line.sku.components.all()]
    return [(line.sku, remaining)]


def _lock_levels(sku_ids) -> dict[int, list[StockLevel]]:
    """Lock every stock level of these SKUs, in primary-key order (the one lock order of the project)."""
    levels = list(
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(sku_id__in=sorted(sku_ids))
        .order_by("pk")
    )
    by_sku: dict[int, list[StockLevel]] = defaultdict(list)
    for level in sorted(levels, key=lambda lv: (lv.warehouse.priority, lv.pk)):
        by_sku[level.sku_id].append(level)
    return by_sku


@transaction.atomic
def order_allocate(*, order, actor: str) -> None:
    """Allocate every unallocated unit of the order, all lines or none (引当).

    Raises InsufficientStock (nothing written) when free stock does not cover every line, and StockError
    for a line without a SKU. Takes the stock row locks itself, in pk order."""
    lines = list(
        order.lines.select_related("sku").prefetch_related("sku__components__component").order_by("pk")
    )
    unlinked = [line for line in lines if line.sku is None]
    if unlinked:
        raise StockError(_("Line '%(name)s' is not linked to a SKU.") % {"name": unlinked[0].name})
    needs = [(line, sku, units) for line in lines for sku, units in _line_needs(line)]
    if not needs:
        return
    by_sku = _lock_levels({sku.pk for _line, sku, _units in needs})
    free = {level.pk: level.free for levels in by_sku.values() for level in levels}

    plan: dict[tuple[int, int], int] = defaultdict(int)  # (line pk, level pk) -> units
    short: dict[int, list] = {}
    for line, sku, units in needs:
        left = units
        for level in by_sku.get(sku.pk, []):
            take = min(left, free[level.pk])
            if take > 0:
                plan[(line.pk, level.pk)] += take
                free[level.pk] -= take
                left -= take
            if left == 0:
                break
        if left:
            entry = short.setdefault(sku.pk, [sku.code, 0, 0])
            entry[1] += units
            entry[2] = sum(lv.free for lv in by_sku.get(sku.pk, []))
    if short:
        raise InsufficientStock(
            [Shortage(code, needed, available) for code, needed, available in short.values()]
        )

    per_level: dict[int, int] = defaultdict(int)
    for (_line_pk, level_pk), units in plan.items():
        per_level[level_pk] += units
    for level_pk, units in sorted(per_level.items()):
        updated = StockLevel.objects.filter(pk=level_pk, on_hand__gte=F("allocated") + units).update(
            allocated=F("allocated") + units
        )
        if not updated:  # cannot happen under the lock; refuse rather than oversell if it ever does
            raise StockError(_("Stock changed during allocation; try again."))
    existing = {
        (a.order_line_id, a.stock_level_id): a
        for a in Allocation.objects.filter(order_line__order=order).select_for_update()
    }
    for (line_pk, level_pk), units in plan.items():
        if (line_pk, level_pk) in existing:
            Allocation.objects.filter(pk=existing[(line_pk, level_pk)].pk).update(
                quantity=F("quantity") + units
            )
        else:
            Allocation.objects.create(order_line_id=line_pk, stock_level_id=level_pk, quantity=units)
    StockMovement.objects.bulk_create(
        StockMovement(
            stock_level_id=level_pk,
            allocated_delta=units,
            reason=Reason.ALLOCATE,
            actor=actor,
            reference=order.external_id,
        )
        for level_pk, units in sorted(per_level.items())
    )
    for line in lines:
        if line.allocated_quantity != line.quantity:
            line.allocated_quantity = line.quantity
            line.save(update_fields=["allocated_quantity"])
    stock_changed(sku_ids={sku.pk for _line, sku, _units in needs})


def _release(order, *, actor: str, lines=None, consume: bool) -> None:
    """Give back (or, when consuming, ship) the allocations of the order's lines. Caller holds a transaction."""
    allocations = Allocation.objects.filter(order_line__order=order)
    if lines is not None:
        allocations = allocations.filter(order_line__in=[line.pk for line in lines])
    allocations = list(allocations.order_by("pk"))
    if not allocations:
        return
    per_level: dict[int, int] = defaultdict(int)
    for allocation in allocations:
        per_level[allocation.stock_level_id] += allocation.quantity
    locked = list(StockLevel.objects.select_for_update().filter(pk__in=sorted(per_level)).order_by("pk"))
    for level in locked:
        units = per_level[level.pk]
        changes = {"allocated": F("allocated") - units}
        if consume:
            changes["on_hand"] = F("on_hand") - units
        StockLevel.objects.filter(pk=level.pk).update(**changes)
    StockMovement.objects.bulk_create(
        StockMovement(
            stock_level_id=level.pk,
            allocated_delta=-per_level[level.pk],
            on_hand_delta=-per_level[level.pk] if consume else 0,
            reason=Reason.CONSUME if consume else Reason.DEALLOCATE,
            actor=actor,
            reference=order.external_id,
        )
        for level in locked
    )
    line_ids = sorted({a.order_line_id for a in allocations})
    Allocation.objects.filter(pk__in=[a.pk for a in allocations]).delete()
    order.lines.model.objects.filter(pk__in=line_ids).update(allocated_quantity=0)
    if consume:
        order.lines.model.objects.filter(pk__in=line_ids).update(shipped_quantity=F("quantity"))
    stock_changed(sku_ids={level.sku_id for level in locked})


@transaction.atomic
def order_deallocate(*, order, actor: str, lines=None) -> None:
    """Release the order's allocations (cancellation, edit, manual un-allocation)."""
    _release(order, actor=actor, lines=lines, consume=False)


@transaction.atomic
def order_consume(*, order, actor: str, lines=None) -> None:
    """Ship: the allocated units leave the warehouse (on_hand and allocated both go down)."""
    unallocated = order.lines.filter(~Q(allocated_quantity=F("quantity")), shipped_quantity=0)
    if lines is not None:
        unallocated = unallocated.filter(pk__in=[line.pk for line in lines])
    if unallocated.exists():
        raise StockError(
            _("Order %(order)s is not fully allocated; it cannot ship.") % {"order": order.external_id}
        )
    _release(order, actor=actor, lines=lines, consume=True)
