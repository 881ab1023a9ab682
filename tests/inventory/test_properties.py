"""Property test: any sequence of stock operations keeps 0 <= allocated <= on_hand and counters == ledger."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import StockLevel
from inventory.selectors import stock_drift
from inventory.services import StockError, order_allocate, order_consume, order_deallocate, stock_adjust
from tests.factories import OrderFactory, OrderLineFactory, SKUFactory, WarehouseFactory

operations = st.lists(
    st.one_of(
        st.tuples(st.just("adjust"), st.integers(min_value=-8, max_value=8).filter(bool)),
        st.tuples(st.just("allocate"), st.integers(min_value=1, max_value=5)),
        st.tuples(st.just("deallocate"), st.integers(min_value=0, max_value=20)),
        st.tuples(st.just("consume"), st.integers(min_value=0, max_value=20)),
    ),
    max_size=25,
)


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_any_sequence_keeps_counters_in_bounds_and_equal_to_the_ledger(steps):
    warehouse = WarehouseFactory(code="MAIN")
    sku = SKUFactory()
    orders = []
    expected_on_hand = expected_allocated = 0
    for action, value in steps:
        try:
            if action == "adjust":
                stock_adjust(sku=sku, delta=value, actor="prop", warehouse=warehouse)
                expected_on_hand += value
            elif action == "allocate":
                order = OrderFactory()
                OrderLineFactory(order=order, sku=sku, quantity=value)
                order_allocate(order=order, actor="prop")
                orders.append((order, value))
                expected_allocated += value
            elif orders:
                order, units = orders.pop(value % len(orders))
                if action == "deallocate":
                    order_deallocate(order=order, actor="prop")
                else:
                    order_consume(order=order, actor="prop")
                    expected_on_hand -= units
                expected_allocated -= units
        except StockError:
            pass  # refused operations must leave everything as it was, which the checks below prove
        level = StockLevel.objects.filter(sku=sku).first()
        on_hand, allocated = (level.on_hand, level.allocated) if level else (0, 0)
        assert 0 <= allocated <= on_hand
        assert (on_hand, allocated) == (expected_on_hand, expected_allocated)
        assert stock_drift() == []
