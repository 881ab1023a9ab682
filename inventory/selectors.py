"""Stock reads: free stock per SKU (sets included), stock overview rows, and ledger drift for reconciliation."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Sum
from django.db.models.functions import Coalesce

from inventory.models import Allocation, SetComponent, StockLevel, StockMovement


def sku_free_stock(*, sku_ids) -> dict[int, int]:
    """Free units per SKU id over all warehouses. A set's free stock is the minimum over its components
    of floor(component free / units per set)."""
    sku_ids = list(sku_ids)
    components: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for set_id, component_id, quantity in SetComponent.objects.filter(set_sku_id__in=sku_ids).values_list(
        "set_sku_id", "component_id", "quantity"
    ):
        components[set_id].append((component_id, quantity))
    stocked = set(sku_ids) | {cid for parts in components.values() for cid, _q in parts}
    free = defaultdict(int)
    for sku_id, on_hand, allocated in StockLevel.objects.filter(sku_id__in=sorted(stocked)).values_list(
        "sku_id", "on_hand", "allocated"
    ):
        free[sku_id] += on_hand - allocated
    result = {}
    for sku_id in sku_ids:
        if sku_id in components:
            result[sku_id] = min(free[cid] // quantity for cid, quantity in components[sku_id])
        else:
            result[sku_id] = free[sku_id]
    return result


def sku_stock_totals(*, sku_ids) -> dict[int, dict[str, int]]:
    """on_hand / allocated / free per stocked SKU (sets have no rows of their own: see sku_free_stock)."""
    rows = (
        StockLevel.objects.filter(sku_id__in=list(sku_ids))
        .values("sku_id")
        .annotate(on_hand_sum=Sum("on_hand"), allocated_sum=Sum("allocated"))
    )
    return {
        row["sku_id"]: {
            "on_hand": row["on_hand_sum"],
            "allocated": row["allocated_sum"],
            "free": row["on_hand_sum"] - row["allocated_sum"],
        }
        for row in rows
    }


@dataclass(frozen=True)
class Drift:
    stock_level_id: int
    sku_code: str
    warehouse_code: str
    field: str
    counter: int
    expected: int


def stock_drift() -> list[Drift]:
    """Stock levels whose counters disagree with the ledger or with the allocations (should be none)."""
    levels = StockLevel.objects.select_related("sku", "warehouse").annotate(
        ledger_on_hand=Coalesce(Sum("movements__on_hand_delta"), 0),
    )
    ledger_allocated = dict(
        StockMovement.objects.values("stock_level_id")
        .annotate(total=Sum("allocated_delta"))
        .values_list("stock_level_id", "total")
    )
    allocations = dict(
        Allocation.objects.values("stock_level_id")
        .annotate(total=Sum("quantity"))
        .values_list("stock_level_id", "total")
    )
    drifts = []
    for level in levels:
        expected = {
            "on_hand": level.ledger_on_hand,
            "allocated": ledger_allocated.get(level.pk, 0),
            "allocated (allocations)": allocations.get(level.pk, 0),
        }
        for field, value in expected.items():
            counter = level.allocated if field.startswith("allocated") else level.on_hand
            if counter != value:
                drifts.append(Drift(level.pk, level.sku.code, level.warehouse.code, field, counter, value))
    return drifts
