"""Stock writes: adjust on_hand, allocate / deallocate / consume for orders. Each call is one transaction.

Every change of a counter is a conditional UPDATE on rows locked in primary-key order and writes a
StockMovement, so the ledger always sums to the counters and the CHECK constraint is never the first
line of defence, only the last.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.translation import gettext as _

from inventory.models import SKU, Allocation, SetComponent, StockLevel, StockMovement, Warehouse
from oms import webhooks

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
        webhooks.emit_stock_changed(sku_ids=sku_ids)  # one outbox row per SKU and transaction


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


@dataclass
class AllocationRequest:
    """One order's claim on stock: all of `needs` or nothing. needs = [(line pk, sku id, units of that SKU)]
    in units of the ordered SKUs; sets are expanded into their components here."""

    key: object
    reference: str
    needs: list[tuple[int, int, int]]
    sku_codes: dict[int, str] = field(default_factory=dict)


def _expand_sets(requests: list[AllocationRequest]) -> None:
    """Replace needs for set SKUs by needs for their components (units × component quantity)."""
    sku_ids = {sku_id for request in requests for _line, sku_id, _units in request.needs}
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for set_id, component_id, quantity, code in SetComponent.objects.filter(
        set_sku_id__in=sorted(sku_ids)
    ).values_list("set_sku_id", "component_id", "quantity", "component__code"):
        parts[set_id].append((component_id, quantity))
        for request in requests:
            request.sku_codes.setdefault(component_id, code)
    for request in requests:
        request.needs = [
            (line, part, units * quantity) if sku_id in parts else (line, sku_id, units)
            for line, sku_id, units in request.needs
            for part, quantity in (parts.get(sku_id) or [(sku_id, 1)])
        ]


def _lock_levels(sku_ids) -> dict[int, list[StockLevel]]:
    """Lock every stock level of these SKUs, in primary-key order (the one lock order of the project).
    Returns them per SKU in allocation preference order (warehouse priority, then pk)."""
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


def _plan(
    request: AllocationRequest, by_sku, free: dict[int, int]
) -> dict[tuple[int, int], int] | list[Shortage]:
    """Take the request's units from free stock (all or nothing). On success `free` is reduced and the
    plan {(line pk, level pk): units} returned; on a shortage `free` is untouched and the shortages returned."""
    taken: dict[int, int] = defaultdict(int)
    plan: dict[tuple[int, int], int] = defaultdict(int)
    short: dict[int, list[int]] = {}
    for line_pk, sku_id, units in request.needs:
        left = units
        for level in by_sku.get(sku_id, []):
            take = min(left, free[level.pk] - taken[level.pk])
            if take > 0:
                plan[(line_pk, level.pk)] += take
                taken[level.pk] += take
                left -= take
            if left == 0:
                break
        if left:
            entry = short.setdefault(sku_id, [0, 0])
            entry[0] += units
            entry[1] = sum(free[lv.pk] for lv in by_sku.get(sku_id, []))
    if short:
        return [
            Shortage(request.sku_codes.get(sku, str(sku)), needed, avail)
            for sku, (needed, avail) in short.items()
        ]
    for level_pk, units in taken.items():
        free[level_pk] -= units
    return plan


def _write_plans(plans: list[tuple[AllocationRequest, dict]], actor: str) -> None:
    per_level: dict[int, int] = defaultdict(int)
    for _request, plan in plans:
        for (_line, level_pk), units in plan.items():
            per_level[level_pk] += units
    if not per_level:
        return
    adds = Case(
        *(When(pk=pk, then=Value(units)) for pk, units in per_level.items()), output_field=IntegerField()
    )
    updated = (
        StockLevel.objects.filter(pk__in=sorted(per_level))
        .alias(adding=adds)
        .filter(on_hand__gte=F("allocated") + F("adding"))
        .update(allocated=F("allocated") + adds)
    )
    if updated != len(
        per_level
    ):  # cannot happen under the locks; refuse rather than oversell if it ever does
        raise StockError(_("Stock changed during allocation; try again."))
    line_pks = sorted({line for _request, plan in plans for line, _level in plan})
    existing = {
        (a.order_line_id, a.stock_level_id): a.pk
        for a in Allocation.objects.filter(order_line_id__in=line_pks)
    }
    new_rows = []
    for _request, plan in plans:
        for (line_pk, level_pk), units in plan.items():
            if (line_pk, level_pk) in existing:
                Allocation.objects.filter(pk=existing[(line_pk, level_pk)]).update(
                    quantity=F("quantity") + units
                )
            else:
                new_rows.append(Allocation(order_line_id=line_pk, stock_level_id=level_pk, quantity=units))
    Allocation.objects.bulk_create(new_rows)
    movements = []
    for request, plan in plans:
        request_levels: dict[int, int] = defaultdict(int)
        for (_line, level_pk), units in plan.items():
            request_levels[level_pk] += units
        movements += [
            StockMovement(
                stock_level_id=level_pk,
                allocated_delta=units,
                reason=Reason.ALLOCATE,
                actor=actor,
                reference=request.reference,
            )
            for level_pk, units in sorted(request_levels.items())
        ]
    StockMovement.objects.bulk_create(movements)
    from orders.models import OrderLine  # inventory's tables know order lines only by foreign key

    OrderLine.objects.filter(pk__in=line_pks).update(allocated_quantity=F("quantity"))


@transaction.atomic
def stock_allocate_many(*, requests: list[AllocationRequest], actor: str) -> dict[object, InsufficientStock]:
    """Allocate each request all-or-nothing, in the given order (first come, first served), in one
    transaction: the stock rows of every SKU involved are locked once, in pk order. Returns the requests
    that could not be covered (key -> InsufficientStock); nothing is written for those."""
    _expand_sets(requests)
    by_sku = _lock_levels({sku_id for r in requests for _line, sku_id, _units in r.needs})
    free = {level.pk: level.free for levels in by_sku.values() for level in levels}
    plans, refused = [], {}
    for request in requests:
        outcome = _plan(request, by_sku, free)
        if isinstance(outcome, list):
            refused[request.key] = InsufficientStock(outcome)
        elif outcome:
            plans.append((request, outcome))
    _write_plans(plans, actor)
    stock_changed(sku_ids={level.sku_id for levels in by_sku.values() for level in levels if plans})
    return refused


def allocation_request(*, order, lines, sku_codes: dict[int, str] | None = None) -> AllocationRequest:
    """The request for an order's unallocated units; sku_codes name the SKUs in shortage messages."""
    return AllocationRequest(
        key=order.pk,
        reference=order.external_id,
        needs=[
            (line.pk, line.sku_id, line.quantity - line.allocated_quantity)
            for line in lines
            if line.quantity > line.allocated_quantity
        ],
        sku_codes=dict(sku_codes or {}),
    )


@transaction.atomic
def order_allocate(*, order, actor: str) -> None:
    """Allocate every unallocated unit of the order, all lines or none (引当).

    Raises InsufficientStock (nothing written) when free stock does not cover every line, and StockError
    for a line without a SKU. Takes the stock row locks itself, in pk order."""
    lines = list(order.lines.select_related("sku").order_by("pk"))
    unlinked = [line for line in lines if line.sku_id is None]
    if unlinked:
        raise StockError(_("Line '%(name)s' is not linked to a SKU.") % {"name": unlinked[0].name})
    request = allocation_request(
        order=order, lines=lines, sku_codes={line.sku_id: line.sku.code for line in lines}
    )
    if not request.needs:
        return
    refused = stock_allocate_many(requests=[request], actor=actor)
    if refused:
        raise refused[order.pk]


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
