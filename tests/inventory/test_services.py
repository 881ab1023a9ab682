"""Stock services: adjust, allocate, deallocate, consume, and the ledger behind them."""

import pytest

from inventory.models import Allocation, StockLevel, StockMovement
from inventory.selectors import sku_free_stock, stock_drift
from inventory.services import (
    InsufficientStock,
    NegativeStockError,
    StockError,
    order_allocate,
    order_consume,
    order_deallocate,
    stock_adjust,
    stock_set_count,
)
from tests.factories import ListingFactory, OrderFactory, OrderLineFactory, SetComponentFactory, SKUFactory

pytestmark = pytest.mark.django_db


def _level(sku):
    return StockLevel.objects.get(sku=sku)


def test_adjust_adds_stock_and_writes_a_ledger_row(warehouse):
    sku = SKUFactory()

    stock_adjust(sku=sku, delta=10, actor="user:alice", reference="入荷 #1")

    level = _level(sku)
    assert (level.on_hand, level.allocated) == (10, 0)
    movement = StockMovement.objects.get(stock_level=level)
    assert (movement.on_hand_delta, movement.actor, movement.reference) == (10, "user:alice", "入荷 #1")


def test_negative_adjustment_below_zero_is_refused_with_a_message(warehouse):
    sku = SKUFactory(code="TSHIRT-BLK-M")
    stock_adjust(sku=sku, delta=3, actor="system")

    with pytest.raises(NegativeStockError) as refused:
        stock_adjust(sku=sku, delta=-5, actor="user:alice")

    assert "TSHIRT-BLK-M" in str(refused.value)
    assert "-5" in str(refused.value)
    assert _level(sku).on_hand == 3
    assert StockMovement.objects.filter(stock_level__sku=sku).count() == 1


def test_adjustment_may_not_take_away_allocated_units(warehouse):
    line = OrderLineFactory(quantity=4)
    stock_adjust(sku=line.sku, delta=5, actor="system")
    order_allocate(order=line.order, actor="system")

    with pytest.raises(NegativeStockError):
        stock_adjust(sku=line.sku, delta=-2, actor="system")

    assert (_level(line.sku).on_hand, _level(line.sku).allocated) == (5, 4)


def test_set_count_writes_the_difference(warehouse):
    sku = SKUFactory()
    stock_adjust(sku=sku, delta=7, actor="system")

    stock_set_count(sku=sku, counted=4, actor="user:bob", reference="棚卸 2026-11")

    assert _level(sku).on_hand == 4
    assert StockMovement.objects.filter(stock_level__sku=sku, reason="count").get().on_hand_delta == -3


def test_sets_have_no_stock_of_their_own(warehouse):
    component = SetComponentFactory()
    with pytest.raises(StockError):
        stock_adjust(sku=component.set_sku, delta=1, actor="system")


def test_allocate_reserves_every_line_and_records_the_allocation(warehouse):
    order = OrderFactory()
    first = OrderLineFactory(order=order, quantity=2)
    second = OrderLineFactory(order=order, quantity=1)
    stock_adjust(sku=first.sku, delta=5, actor="system")
    stock_adjust(sku=second.sku, delta=1, actor="system")

    order_allocate(order=order, actor="system")

    assert _level(first.sku).allocated == 2
    assert _level(second.sku).allocated == 1
    first.refresh_from_db()
    assert first.allocated_quantity == 2
    assert Allocation.objects.filter(order_line__order=order).count() == 2
    assert stock_drift() == []


def test_allocation_is_all_lines_or_none(warehouse):
    order = OrderFactory()
    plenty = OrderLineFactory(order=order, quantity=1)
    short = OrderLineFactory(order=order, quantity=3, sku__code="HONEY-300G")
    stock_adjust(sku=plenty.sku, delta=10, actor="system")
    stock_adjust(sku=short.sku, delta=2, actor="system")

    with pytest.raises(InsufficientStock) as refused:
        order_allocate(order=order, actor="system")

    assert "HONEY-300G" in str(refused.value)
    assert refused.value.shortages[0].needed == 3
    assert refused.value.shortages[0].free == 2
    assert _level(plenty.sku).allocated == 0
    assert not Allocation.objects.exists()


def test_allocating_twice_allocates_nothing_more(warehouse):
    line = OrderLineFactory(quantity=2)
    stock_adjust(sku=line.sku, delta=5, actor="system")
    order_allocate(order=line.order, actor="system")

    order_allocate(order=line.order, actor="system")

    assert _level(line.sku).allocated == 2


def test_a_set_allocates_its_components(warehouse):
    tea = SetComponentFactory(quantity=1)
    coffee = SetComponentFactory(set_sku=tea.set_sku, quantity=2)
    stock_adjust(sku=tea.component, delta=10, actor="system")
    stock_adjust(sku=coffee.component, delta=5, actor="system")
    line = OrderLineFactory(sku=tea.set_sku, quantity=2)

    order_allocate(order=line.order, actor="system")

    assert _level(tea.component).allocated == 2
    assert _level(coffee.component).allocated == 4
    assert sku_free_stock(sku_ids=[tea.set_sku.pk]) == {tea.set_sku.pk: 0}  # coffee: 1 free, 2 per set


def test_set_free_stock_is_the_minimum_over_components(warehouse):
    tea = SetComponentFactory(quantity=1)
    coffee = SetComponentFactory(set_sku=tea.set_sku, quantity=2)
    stock_adjust(sku=tea.component, delta=10, actor="system")
    stock_adjust(sku=coffee.component, delta=7, actor="system")

    assert sku_free_stock(sku_ids=[tea.set_sku.pk]) == {tea.set_sku.pk: 3}


def test_line_without_sku_cannot_be_allocated(warehouse):
    line = OrderLineFactory(sku=None, name="不明な商品")
    with pytest.raises(StockError, match="不明な商品"):
        order_allocate(order=line.order, actor="system")


def test_deallocate_gives_the_units_back(warehouse):
    line = OrderLineFactory(quantity=3)
    stock_adjust(sku=line.sku, delta=3, actor="system")
    order_allocate(order=line.order, actor="system")

    order_deallocate(order=line.order, actor="user:alice")

    level = _level(line.sku)
    assert (level.on_hand, level.allocated) == (3, 0)
    line.refresh_from_db()
    assert line.allocated_quantity == 0
    assert stock_drift() == []


def test_consume_ships_the_allocated_units(warehouse):
    line = OrderLineFactory(quantity=2)
    stock_adjust(sku=line.sku, delta=5, actor="system")
    order_allocate(order=line.order, actor="system")

    order_consume(order=line.order, actor="user:warehouse")

    level = _level(line.sku)
    assert (level.on_hand, level.allocated) == (3, 0)
    line.refresh_from_db()
    assert line.shipped_quantity == 2
    assert not Allocation.objects.exists()
    assert stock_drift() == []


def test_an_unallocated_order_cannot_be_consumed(warehouse):
    line = OrderLineFactory(quantity=2)
    with pytest.raises(StockError):
        order_consume(order=line.order, actor="system")


def test_stock_changes_mark_listings_of_the_sku_and_its_sets_for_push(warehouse):
    part = SetComponentFactory()
    own = ListingFactory(sku=part.component, needs_push=False)
    of_set = ListingFactory(sku=part.set_sku, channel=own.channel, needs_push=False)
    unrelated = ListingFactory(channel=own.channel, needs_push=False)

    stock_adjust(sku=part.component, delta=1, actor="system")

    for listing in (own, of_set, unrelated):
        listing.refresh_from_db()
    assert (own.needs_push, of_set.needs_push, unrelated.needs_push) == (True, True, False)


def test_drift_is_reported_when_a_counter_is_edited_behind_the_ledger(warehouse):
    sku = SKUFactory(code="MISO-RED")
    stock_adjust(sku=sku, delta=5, actor="system")
    StockLevel.objects.filter(sku=sku).update(on_hand=6)

    drifts = stock_drift()

    assert [(d.sku_code, d.field, d.counter, d.expected) for d in drifts] == [("MISO-RED", "on_hand", 6, 5)]


def test_database_refuses_allocated_above_on_hand(warehouse):
    from django.db import IntegrityError, transaction

    sku = SKUFactory()
    stock_adjust(sku=sku, delta=1, actor="system")
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(sku=sku).update(allocated=2)
