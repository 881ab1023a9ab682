"""Picking (step E): ready orders gathered into a batch, and the list grouped by location and SKU."""

import datetime
import io

import pytest

from orders.models import OrderEvent, OrderStatus
from shipping.models import PickingBatch
from shipping.picking import (
    PickEntry,
    PickingRefused,
    location_sort_key,
    picking_batch_create,
    picking_list_data,
)
from tests.factories import (
    ChannelFactory,
    OrderFactory,
    OrderLineFactory,
    SetComponentFactory,
    ShipToFactory,
    SKUFactory,
)

pytestmark = pytest.mark.django_db
S = OrderStatus


def _order(number: str, *lines, **fields):
    order = OrderFactory(external_id=number, status=fields.pop("status", S.READY), **fields)
    for sku, quantity in lines:
        OrderLineFactory(order=order, sku=sku, quantity=quantity)
    return order


def test_batch_takes_every_ready_order_and_moves_it_to_printed_with_an_event():
    ready = [OrderFactory(status=S.READY) for _ in range(3)]
    held = OrderFactory(status=S.ON_HOLD)

    batch = picking_batch_create(actor="user:picker")

    assert batch.actor == "user:picker"
    assert sorted(batch.orders.values_list("pk", flat=True)) == sorted(order.pk for order in ready)
    for order in ready:
        order.refresh_from_db()
        assert order.status == S.PRINTED
        event = OrderEvent.objects.get(order=order, kind="status_changed")
        assert (event.actor, event.before, event.after) == (
            "user:picker",
            {"status": "ready"},
            {"status": "printed"},
        )
        assert f"#{batch.pk}" in event.message
    held.refresh_from_db()
    assert (held.status, held.picking_batch) == (S.ON_HOLD, None)


def test_batch_filters_by_channel():
    rakuten, yahoo = ChannelFactory(), ChannelFactory()
    wanted = OrderFactory(channel=rakuten, status=S.READY)
    other = OrderFactory(channel=yahoo, status=S.READY)

    batch = picking_batch_create(actor="user:picker", channel=rakuten)

    assert list(batch.orders.all()) == [wanted]
    other.refresh_from_db()
    assert other.status == S.READY


def test_batch_filters_by_carrier_falling_back_to_the_shops_default():
    from shipping.models import Carrier

    yamato = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    sagawa = Carrier.objects.create(code="sagawa", name="佐川急便")
    sagawa_shop = ChannelFactory(default_carrier="sagawa")
    own_carrier = OrderFactory(status=S.READY, carrier=sagawa)
    shop_default = OrderFactory(status=S.READY, channel=sagawa_shop)
    yamato_order = OrderFactory(status=S.READY, carrier=yamato, channel=sagawa_shop)

    batch = picking_batch_create(actor="user:picker", carrier="sagawa")

    assert set(batch.orders.all()) == {own_carrier, shop_default}
    yamato_order.refresh_from_db()
    assert yamato_order.status == S.READY


def test_batch_filters_by_delivery_date_within_the_given_orders():
    day = datetime.date(2026, 12, 5)
    on_day = OrderFactory(status=S.READY, delivery_date=day)
    OrderFactory(status=S.READY, delivery_date=day + datetime.timedelta(days=1))
    not_chosen = OrderFactory(status=S.READY, delivery_date=day)

    batch = picking_batch_create(
        actor="user:picker",
        orders=type(on_day).objects.exclude(pk=not_chosen.pk),
        delivery_date=day,
    )

    assert list(batch.orders.all()) == [on_day]


def test_orders_that_are_not_ready_are_left_out_of_a_given_queryset():
    ready = OrderFactory(status=S.READY)
    printed = OrderFactory(status=S.PRINTED)

    batch = picking_batch_create(actor="user:picker", orders=type(ready).objects.all())

    assert list(batch.orders.all()) == [ready]
    printed.refresh_from_db()
    assert printed.picking_batch is None


def test_no_matching_order_is_refused_and_creates_no_batch():
    OrderFactory(status=S.ON_HOLD)

    with pytest.raises(PickingRefused, match="印刷待ちの注文で条件に合うものがありません"):
        picking_batch_create(actor="user:picker")

    assert not PickingBatch.objects.exists()


def test_an_order_is_never_in_two_batches():
    OrderFactory(status=S.READY)
    picking_batch_create(actor="user:picker")

    with pytest.raises(PickingRefused):
        picking_batch_create(actor="user:picker")


def test_list_groups_by_location_and_sku_with_totals_and_a_per_order_breakdown():
    tee = SKUFactory(code="TSHIRT-BLK-M", name="Tシャツ ブラック M", location_code="A-01-02")
    socks = SKUFactory(code="SOCKS-BLK-M", name="和紙ソックス", location_code="C-03-01")
    honey = SKUFactory(code="HONEY-300G", name="国産はちみつ", location_code="A-01-10")
    _order("100001-20261126-00000002", (tee, 2), (socks, 1))
    _order("100001-20261126-00000001", (tee, 1), (honey, 3))
    batch = picking_batch_create(actor="user:picker")

    data = picking_list_data(batch)

    assert [(row.location, row.sku_code, row.total) for row in data.rows] == [
        ("A-01-02", "TSHIRT-BLK-M", 3),
        ("A-01-10", "HONEY-300G", 3),  # 10 after 2: locations compare number by number
        ("C-03-01", "SOCKS-BLK-M", 1),
    ]
    assert data.rows[0].entries == (
        PickEntry(order_number="100001-20261126-00000001", quantity=1),
        PickEntry(order_number="100001-20261126-00000002", quantity=2),
    )
    assert (data.order_count, data.total_units) == (2, 7)
    assert data.rows[0].sku_name == "Tシャツ ブラック M"


def test_set_lines_are_expanded_into_their_components():
    tea = SKUFactory(code="TEA-SENCHA", location_code="A-06-01", jan="4580000000249")
    senbei = SKUFactory(code="SENBEI-12P", location_code="B-07-01")
    gift = SKUFactory(code="SET-GIFT-A", is_set=True, location_code="")
    SetComponentFactory(set_sku=gift, component=tea, quantity=1)
    SetComponentFactory(set_sku=gift, component=senbei, quantity=2)
    _order("ORDER-1", (gift, 3), (tea, 1))
    batch = picking_batch_create(actor="user:picker")

    data = picking_list_data(batch)

    by_sku = {row.sku_code: row for row in data.rows}
    assert set(by_sku) == {"TEA-SENCHA", "SENBEI-12P"}  # the set itself is not on a shelf
    assert by_sku["TEA-SENCHA"].total == 4
    assert by_sku["TEA-SENCHA"].entries == (
        PickEntry(order_number="ORDER-1", quantity=1),
        PickEntry(order_number="ORDER-1", quantity=3, via_set="SET-GIFT-A"),
    )
    assert by_sku["SENBEI-12P"].total == 6  # 3 sets × 2
    assert data.has_sets


def test_cancelled_orders_and_lines_without_a_sku_are_handled():
    tee = SKUFactory(location_code="")
    kept = _order("KEPT", (tee, 1))
    cancelled = _order("GONE", (tee, 5))
    OrderLineFactory(order=kept, sku=None, name="謎の商品", quantity=2)
    batch = picking_batch_create(actor="user:picker")
    cancelled.status = S.CANCELLED
    cancelled.save()

    data = picking_list_data(batch)

    assert [(row.location, row.total) for row in data.rows] == [("", 1)]
    assert [(line.order_number, line.name, line.quantity) for line in data.unlinked] == [
        ("KEPT", "謎の商品", 2)
    ]
    assert data.order_count == 1


@pytest.mark.parametrize("orders", [2, 20])
def test_list_takes_three_queries_whatever_the_batch_size(orders, django_assert_num_queries):
    skus = [SKUFactory(location_code=f"A-01-{n:02d}") for n in range(5)]
    gift = SKUFactory(is_set=True)
    SetComponentFactory(set_sku=gift, component=skus[0])
    for n in range(orders):
        _order(f"ORDER-{n:03d}", (skus[n % 5], 1), (gift, 1))
    batch = picking_batch_create(actor="user:picker")

    with django_assert_num_queries(3):
        data = picking_list_data(batch)

    assert data.total_units == 2 * orders


def test_location_sort_key_puts_empty_locations_last():
    locations = ["B-01-01", "", "A-2-10", "A-2-9", "a-1-1"]
    assert sorted(locations, key=location_sort_key) == ["a-1-1", "A-2-9", "A-2-10", "B-01-01", ""]


def test_print_picking_command_writes_the_list_and_the_slips(tmp_path):
    from django.core.management import call_command

    order = _order("100001-20261126-00000001", (SKUFactory(location_code="A-01-01"), 1))
    ShipToFactory(order=order)

    call_command(
        "print_picking",
        "--out",
        tmp_path / "picking.pdf",
        "--slips",
        tmp_path / "slips.pdf",
        stdout=io.StringIO(),
    )

    assert (tmp_path / "picking.pdf").read_bytes().startswith(b"%PDF-")
    assert (tmp_path / "slips.pdf").read_bytes().startswith(b"%PDF-")
    order.refresh_from_db()
    assert order.status == S.PRINTED


def test_print_picking_command_refuses_when_nothing_is_ready(tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="印刷待ちの注文"):
        call_command("print_picking", "--out", tmp_path / "picking.pdf", stdout=io.StringIO())
    assert not (tmp_path / "picking.pdf").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_never_share_an_order(on_postgres):
    from tests.inventory.test_concurrency import run_concurrently

    orders = [OrderFactory(status=S.READY) for _ in range(20)]

    results = run_concurrently([lambda: picking_batch_create(actor="user:picker") for _ in range(4)])

    batches = [result for result in results if isinstance(result, PickingBatch)]
    assert all(isinstance(result, PickingBatch | PickingRefused) for result in results), results
    assert sum(batch.orders.count() for batch in batches) == len(orders)
    assert PickingBatch.objects.count() == len(batches)  # a refused call leaves no empty batch
    for order in orders:
        order.refresh_from_db()
        assert order.status == S.PRINTED
        assert OrderEvent.objects.filter(order=order, kind="status_changed").count() == 1
