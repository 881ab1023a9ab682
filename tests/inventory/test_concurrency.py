"""Real concurrency on PostgreSQL: threads with their own connections race for the last units."""

import threading

import pytest
from django.db import connection, connections
from django.db.models import Sum

from inventory.models import StockLevel, StockMovement
from inventory.services import InsufficientStock, order_allocate, stock_adjust
from tests.factories import OrderFactory, OrderLineFactory, SKUFactory, WarehouseFactory

THREADS = 8
ROUNDS = 50
LAST_UNITS = 5


def run_concurrently(functions) -> list:
    """Start every function at once (a barrier makes them collide); each thread uses its own connection."""
    barrier = threading.Barrier(len(functions))
    results: list = [None] * len(functions)

    def worker(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_threads_never_allocate_more_than_the_last_five_units(on_postgres):
    warehouse = WarehouseFactory(code="MAIN")
    sku = SKUFactory(code="TSHIRT-BLK-M")
    for round_number in range(ROUNDS):
        stock_adjust(sku=sku, delta=LAST_UNITS, actor="test", warehouse=warehouse)
        orders = [OrderFactory() for _ in range(THREADS)]
        for order in orders:
            OrderLineFactory(order=order, sku=sku, quantity=1)

        results = run_concurrently(
            [lambda order=order: order_allocate(order=order, actor="test") for order in orders]
        )

        succeeded = [r for r in results if r is None]
        refused = [r for r in results if isinstance(r, InsufficientStock)]
        assert len(succeeded) == LAST_UNITS, f"round {round_number}: {results}"
        assert len(refused) == THREADS - LAST_UNITS, f"round {round_number}: {results}"
        level = StockLevel.objects.get(sku=sku)
        assert level.allocated <= level.on_hand
        assert level.allocated == LAST_UNITS * (round_number + 1)
        assert level.on_hand == LAST_UNITS * (round_number + 1)

    ledger = StockMovement.objects.filter(stock_level=level).aggregate(
        on_hand=Sum("on_hand_delta"), allocated=Sum("allocated_delta")
    )
    assert ledger == {"on_hand": level.on_hand, "allocated": level.allocated}
    assert all(c.connection is None or c.is_usable() for c in connections.all())
