"""Merge (同梱), split (分割), payment, and hold rules."""

from dataclasses import replace

import pytest

from channels.adapters.base import CanonicalLine
from inventory.models import StockLevel
from inventory.services import stock_adjust
from orders.editing import EditRefused, order_mark_paid, order_split, order_split_unallocated, orders_merge
from orders.intake import order_import
from orders.models import HoldRule, Order, OrderStatus
from orders.services import order_hold_resolve, order_status_change
from tests.factories import ChannelFactory, ListingFactory, SKUFactory
from tests.orders.test_intake import buyer, canonical

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = OrderStatus


@pytest.fixture
def shop(warehouse):
    channel = ChannelFactory(name="rakuten")
    skus = {}
    for code in ("TSHIRT-BLK-M", "HONEY-300G"):
        skus[code] = SKUFactory(code=code)
        ListingFactory(
            channel=channel,
            sku=skus[code],
            external_item_id=code.split("-")[0].lower(),
            external_variant_id=code,
        )
        stock_adjust(sku=skus[code], delta=10, actor="test")
    return channel, skus


def line(code: str, quantity: int, line_id: str = "1", price: int = 1000) -> CanonicalLine:
    return CanonicalLine(line_id, code.split("-")[0].lower(), code, code, quantity, price)


def test_a_split_starts_the_inspection_of_both_orders_over(shop):
    """What is in each box changed: neither order may ship on scans made before the split, and the new order is
    in no picking batch (its units would be picked twice)."""
    from shipping.inspection import inspection_scan
    from shipping.picking import picking_batch_create

    channel, skus = shop
    skus["TSHIRT-BLK-M"].jan = "4580000000010"
    skus["TSHIRT-BLK-M"].save(update_fields=["jan"])
    order = order_import(
        channel=channel,
        canonical=canonical(external_id="S-9", lines=[line("TSHIRT-BLK-M", 3)], subtotal=3000, total=3000),
        payload={},
    ).order
    batch = picking_batch_create(actor="test", orders=Order.objects.filter(pk=order.pk))
    order_status_change(order=order, to_status=S.READY, actor="test", note="reprint")
    for code in [order.external_id, "4580000000010", "4580000000010", "4580000000010"]:
        inspection_scan(order=order, code=code, actor="user:packer")
    order.refresh_from_db()
    assert order.verified_at is not None and order.picking_batch == batch

    new = order_split(order=order, quantities={order.lines.get().pk: 1}, actor="user:alice")

    order.refresh_from_db()
    new.refresh_from_db()
    assert (order.verified_at, new.verified_at, new.picking_batch) == (None, None, None)
    assert list(order.lines.values_list("verified_quantity", flat=True)) == [0]
    assert list(new.lines.values_list("verified_quantity", flat=True)) == [0]
    assert order.events.filter(kind="inspection_reset").exists()


def test_two_orders_to_the_same_buyer_are_both_merge_candidates(shop):
    channel, _skus = shop
    first = order_import(channel=channel, canonical=canonical(external_id="M-1"), payload={}).order
    second = order_import(channel=channel, canonical=canonical(external_id="M-2"), payload={}).order

    first.refresh_from_db()
    assert second.status == first.status == S.ON_HOLD
    assert set(first.holds.values_list("code", flat=True)) == {"merge_candidate"}
    assert set(second.holds.values_list("code", flat=True)) == {"merge_candidate"}


def test_address_written_differently_is_still_the_same_buyer(shop):
    channel, _skus = shop
    order_import(channel=channel, canonical=canonical(external_id="M-1"), payload={})
    other = canonical(external_id="M-2")
    address = replace(other.ship_tos[0], address1="千代田１－１", postal_code="1000001")
    second = order_import(channel=channel, canonical=replace(other, ship_tos=[address]), payload={}).order

    assert second.holds.filter(code="merge_candidate").exists()


def test_merge_moves_lines_cancels_the_other_and_keeps_the_target_fees(shop):
    channel, skus = shop
    a = order_import(
        channel=channel, canonical=canonical(external_id="M-1", shipping_fee=600, total=6560), payload={}
    ).order
    b = order_import(
        channel=channel,
        canonical=canonical(
            external_id="M-2",
            lines=[line("HONEY-300G", 1, price=2160)],
            shipping_fee=600,
            subtotal=2160,
            total=2760,
        ),
        payload={},
    ).order

    merged = orders_merge(target=a, others=[b], actor="user:alice")

    b.refresh_from_db()
    assert b.status == S.CANCELLED and b.merged_into == merged
    assert sorted(merged.lines.values_list("sku__code", "quantity")) == [
        ("HONEY-300G", 1),
        ("TSHIRT-BLK-M", 2),
    ]
    assert (merged.subtotal, merged.shipping_fee, merged.total) == (5960 + 2160, 600, 5960 + 2160 + 600)
    assert merged.status == S.READY
    assert StockLevel.objects.get(sku=skus["HONEY-300G"]).allocated == 1
    assert "同梱" in b.events.last().message
    # each line remembers the shop order it was bought on: shipping is reported there (shipping.services)
    assert sorted(merged.lines.values_list("sku__code", "bought_on")) == [
        ("HONEY-300G", b.pk),
        ("TSHIRT-BLK-M", None),
    ]


def test_merge_is_refused_across_shops_and_for_shipped_orders(shop):
    channel, _skus = shop
    a = order_import(channel=channel, canonical=canonical(external_id="M-1"), payload={}).order
    other_shop = ChannelFactory(name="yahoo")
    ListingFactory(
        channel=other_shop,
        sku=_skus["TSHIRT-BLK-M"],
        external_item_id="tshirt",
        external_variant_id="TSHIRT-BLK-M",
    )
    b = order_import(channel=other_shop, canonical=canonical(external_id="Y-1"), payload={}).order
    c = order_import(channel=channel, canonical=canonical(external_id="M-3"), payload={}).order
    order_status_change(order=c, to_status=S.CANCELLED, actor="test")

    with pytest.raises(EditRefused, match="another shop"):
        orders_merge(target=a, others=[b], actor="user:alice")
    with pytest.raises(EditRefused, match="M-3"):
        orders_merge(target=a, others=[c], actor="user:alice")


def test_merge_is_refused_for_another_address(shop):
    channel, _skus = shop
    a = order_import(channel=channel, canonical=canonical(external_id="M-1"), payload={}).order
    b = order_import(channel=channel, canonical=canonical(external_id="M-2", **buyer(7)), payload={}).order

    with pytest.raises(EditRefused, match="another buyer"):
        orders_merge(target=a, others=[b], actor="user:alice")


def test_split_moves_chosen_units_into_a_bk_order(shop):
    channel, skus = shop
    order = order_import(
        channel=channel,
        canonical=canonical(
            external_id="S-1",
            lines=[line("TSHIRT-BLK-M", 3), line("HONEY-300G", 1, "2")],
            subtotal=4000,
            shipping_fee=500,
            total=4500,
        ),
        payload={},
    ).order
    tshirt_line = order.lines.get(sku=skus["TSHIRT-BLK-M"])

    new = order_split(order=order, quantities={tshirt_line.pk: 2}, actor="user:alice")

    order.refresh_from_db()
    assert new.external_id == "S-1-bk-1" and new.split_from == order
    assert sorted(order.lines.values_list("sku__code", "quantity")) == [
        ("HONEY-300G", 1),
        ("TSHIRT-BLK-M", 1),
    ]
    assert list(new.lines.values_list("sku__code", "quantity")) == [("TSHIRT-BLK-M", 2)]
    assert (order.shipping_fee, new.shipping_fee, order.subtotal, new.subtotal) == (500, 0, 2000, 2000)
    assert order.status == new.status == S.READY
    assert StockLevel.objects.get(sku=skus["TSHIRT-BLK-M"]).allocated == 3
    assert list(new.lines.values_list("bought_on", flat=True)) == [order.pk]  # the shop knows S-1, not -bk-1
    assert set(order.lines.values_list("bought_on", flat=True)) == {None}
    again = order_split(order=order, quantities={order.lines.first().pk: 1}, actor="x")
    assert again.external_id == "S-1-bk-2"
    part_of_part = order_split(order=new, quantities={new.lines.get().pk: 1}, actor="x")
    assert list(part_of_part.lines.values_list("bought_on", flat=True)) == [order.pk]


def test_split_refuses_nothing_everything_and_printed_orders(shop):
    channel, _skus = shop
    order = order_import(channel=channel, canonical=canonical(external_id="S-1"), payload={}).order
    only = order.lines.get()

    with pytest.raises(EditRefused):
        order_split(order=order, quantities={}, actor="x")
    with pytest.raises(EditRefused, match="every unit"):
        order_split(order=order, quantities={only.pk: 2}, actor="x")
    order_status_change(order=order, to_status=S.PRINTED, actor="x")
    with pytest.raises(EditRefused):
        order_split(order=order, quantities={only.pk: 1}, actor="x")


def test_split_unallocated_lets_the_covered_part_ship(shop):
    channel, _skus = shop
    order = order_import(
        channel=channel,
        canonical=canonical(external_id="S-1", lines=[line("TSHIRT-BLK-M", 2), line("HONEY-300G", 15, "2")]),
        payload={},
    ).order
    assert order.status == S.AWAITING_STOCK

    new = order_split_unallocated(order=order, actor="user:alice")

    order.refresh_from_db()
    assert sorted(order.lines.values_list("sku__code", "quantity")) == [
        ("HONEY-300G", 10),
        ("TSHIRT-BLK-M", 2),
    ]
    assert list(new.lines.values_list("sku__code", "quantity")) == [("HONEY-300G", 5)]
    assert (order.status, new.status) == (S.READY, S.AWAITING_STOCK)


def test_prepaid_order_waits_for_payment_until_marked_paid(shop):
    channel, _skus = shop
    order = order_import(
        channel=channel, canonical=canonical(payment_method="bank_transfer", paid=False), payload={}
    ).order
    assert order.status == S.AWAITING_PAYMENT

    order_mark_paid(order=order, actor="user:alice")

    order.refresh_from_db()
    assert order.status == S.READY and order.paid_at is not None


def test_a_rule_lets_gift_wrapping_remarks_pass_but_not_other_remarks(shop):
    channel, _skus = shop
    HoldRule.objects.create(
        channel=channel, code="remarks", action="pass", pattern=r"(ギフト包装希望|のし希望)"
    )

    gift = order_import(
        channel=channel,
        canonical=canonical(external_id="R-1", remarks="ギフト包装希望", **buyer(1)),
        payload={},
    ).order
    other = order_import(
        channel=channel,
        canonical=canonical(external_id="R-2", remarks="午前中に届けて", **buyer(2)),
        payload={},
    ).order

    assert gift.status == S.READY
    assert other.status == S.ON_HOLD and other.holds.get().code == "remarks"


def test_a_rule_for_another_channel_does_not_apply(shop):
    channel, _skus = shop
    HoldRule.objects.create(channel=ChannelFactory(name="amazon"), code="remarks", action="pass")

    order = order_import(channel=channel, canonical=canonical(remarks="ギフト包装希望"), payload={}).order

    assert order.status == S.ON_HOLD


def test_rules_are_applied_again_when_the_order_changes(shop):
    channel, _skus = shop
    order = order_import(
        channel=channel, canonical=canonical(remarks="ギフト包装希望"), payload={"v": 1}
    ).order
    assert order.status == S.ON_HOLD
    HoldRule.objects.create(code="remarks", action="pass", pattern="ギフト包装希望")

    order = order_import(
        channel=channel,
        canonical=canonical(remarks="ギフト包装希望", delivery_time="18-20"),
        payload={"v": 2},
    ).order

    assert order.status == S.READY


def test_released_merge_hold_is_not_raised_again(shop):
    channel, _skus = shop
    order_import(channel=channel, canonical=canonical(external_id="M-1"), payload={})
    b = order_import(channel=channel, canonical=canonical(external_id="M-2"), payload={"v": 1}).order
    order_hold_resolve(hold=b.holds.get(code="merge_candidate"), actor="user:alice")

    b = order_import(
        channel=channel, canonical=canonical(external_id="M-2", delivery_time="18-20"), payload={"v": 2}
    ).order

    assert b.status == S.READY
    assert Order.objects.get(external_id="M-1").status == S.ON_HOLD
