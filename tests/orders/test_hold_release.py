"""Releasing holds never sends an order to 印刷待ち with nothing reserved: a line without a SKU keeps the
unknown_sku hold until it is linked, and once linked the release allocates (印刷待ち or 引当待ち)."""

import pytest

from channels.adapters.base import CanonicalLine
from inventory.models import StockLevel
from inventory.services import stock_adjust
from orders.editing import order_update
from orders.intake import HoldReleaseRefused, order_hold_release, order_import
from orders.models import HoldRule, Order, OrderStatus
from orders.services import (
    OrderNotAllocated,
    order_hold_resolve,
    order_refresh_status,
    order_status_change,
)
from tests.factories import ListingFactory, SKUFactory
from tests.orders.test_intake import canonical

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = OrderStatus
MUG = CanonicalLine("1", "mug", "MUG-RED", "マグカップ 赤", 1, 1200)
TSHIRTS = CanonicalLine("2", "tshirt", "TSHIRT-BLK-M", "Tシャツ ブラック M", 2, 2980)


def unknown_item_order(channel) -> Order:
    """The walkthrough's order: an item the shop has not linked to a SKU, and a known SKU ×2."""
    return order_import(channel=channel, canonical=canonical(lines=[MUG, TSHIRTS]), payload={}).order


def link_the_mug(channel, stock: int):
    mug = SKUFactory(code="MUG-RED")
    ListingFactory(channel=channel, sku=mug, external_item_id="mug", external_variant_id="MUG-RED")
    if stock:
        stock_adjust(sku=mug, delta=stock, actor="test")
    return mug


def allocated(order) -> list[tuple[int, int]]:
    return list(order.lines.order_by("pk").values_list("allocated_quantity", "quantity"))


def active(order) -> set[str]:
    return set(order.holds.filter(resolved_at__isnull=True).values_list("code", flat=True))


def test_an_unknown_sku_hold_cannot_be_released_while_the_line_is_unlinked(shop):
    channel, tshirt = shop
    order = unknown_item_order(channel)
    assert (order.status, active(order), allocated(order)) == (S.ON_HOLD, {"unknown_sku"}, [(0, 1), (0, 2)])

    with pytest.raises(HoldReleaseRefused, match="not linked to a SKU") as refused:
        order_hold_release(hold=order.holds.get(code="unknown_sku"), actor="user:alice")

    assert "マグカップ 赤" in str(refused.value) and "mug:MUG-RED" in str(refused.value)
    order.refresh_from_db()
    assert (order.status, active(order), allocated(order)) == (S.ON_HOLD, {"unknown_sku"}, [(0, 1), (0, 2)])
    assert StockLevel.objects.get(sku=tshirt).allocated == 0


def test_once_the_item_is_listed_releasing_links_allocates_and_moves_the_order_to_ready(shop):
    channel, tshirt = shop
    order = unknown_item_order(channel)
    mug = link_the_mug(channel, stock=3)

    order = order_hold_release(hold=order.holds.get(code="unknown_sku"), actor="user:alice")

    order.refresh_from_db()
    assert order.status == S.READY and active(order) == set()
    assert list(order.lines.order_by("pk").values_list("sku", flat=True)) == [mug.pk, tshirt.pk]
    assert allocated(order) == [(1, 1), (2, 2)]
    assert (
        StockLevel.objects.get(sku=tshirt).allocated == 2 and StockLevel.objects.get(sku=mug).allocated == 1
    )


def test_once_linked_but_out_of_stock_releasing_sends_the_order_to_awaiting_stock(shop):
    channel, _tshirt = shop
    order = unknown_item_order(channel)
    link_the_mug(channel, stock=0)

    order_hold_release(hold=order.holds.get(code="unknown_sku"), actor="user:alice")

    order.refresh_from_db()
    assert (order.status, active(order)) == (S.AWAITING_STOCK, {"insufficient_stock"})
    assert "MUG-RED" in order.holds.get(code="insufficient_stock", resolved_at__isnull=True).message
    assert allocated(order) == [(0, 1), (0, 2)]


def test_resolving_the_unknown_sku_hold_by_any_other_path_does_not_make_the_order_ready(shop):
    """The bulk action and the API release with order_hold_resolve + order_refresh_status."""
    channel, tshirt = shop
    order = unknown_item_order(channel)

    order_hold_resolve(hold=order.holds.get(code="unknown_sku"), actor="user:alice")
    order_refresh_status(order=order, actor="user:alice")

    order.refresh_from_db()
    assert (order.status, active(order)) == (S.ON_HOLD, {"unknown_sku"})
    assert StockLevel.objects.get(sku=tshirt).allocated == 0


def test_refreshing_an_order_whose_stock_was_never_allocated_allocates_it(shop):
    channel, tshirt = shop
    order = unknown_item_order(channel)
    mug = link_the_mug(channel, stock=1)
    order.lines.filter(external_item_id="mug:MUG-RED").update(sku=mug)  # linked by hand (admin)
    order_hold_resolve(hold=order.holds.get(code="unknown_sku"), actor="user:alice")

    order_refresh_status(order=order, actor="user:alice")

    order.refresh_from_db()
    assert order.status == S.READY and allocated(order) == [(1, 1), (2, 2)]
    assert StockLevel.objects.get(sku=tshirt).allocated == 2


def test_a_status_change_to_ready_is_refused_while_a_line_is_not_allocated(shop):
    """The API's status change and the bulk status change call order_status_change directly."""
    channel, _tshirt = shop
    order = unknown_item_order(channel)

    for target in (S.READY, S.SCHEDULED):
        with pytest.raises(OrderNotAllocated, match="not every line is linked to a SKU and allocated"):
            order_status_change(order=order, to_status=target, actor="api:3pl")

    order.refresh_from_db()
    assert order.status == S.ON_HOLD


def test_a_pass_rule_for_unknown_sku_does_not_let_an_unlinked_line_through(shop):
    channel, _tshirt = shop
    HoldRule.objects.create(code="unknown_sku", action=HoldRule.Action.PASS)

    order = unknown_item_order(channel)

    assert (order.status, active(order)) == (S.ON_HOLD, {"unknown_sku"})


def test_an_edit_after_the_listing_was_added_links_and_allocates(shop):
    channel, _tshirt = shop
    order = unknown_item_order(channel)
    link_the_mug(channel, stock=1)

    order_update(order=order, changes={"remarks": ""}, actor="user:alice")

    order.refresh_from_db()
    assert (order.status, active(order), allocated(order)) == (S.READY, set(), [(1, 1), (2, 2)])
    assert order.events.filter(kind="edited", message__contains="MUG-RED").exists()


def test_a_stock_hold_cannot_be_released_while_stock_is_short(shop):
    channel, tshirt = shop
    order = order_import(
        channel=channel, canonical=canonical(lines=[CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "T", 7, 2980)]),
        payload={},
    ).order  # fmt: skip
    hold = order.holds.get(code="insufficient_stock")

    with pytest.raises(HoldReleaseRefused, match="stock is short"):
        order_hold_release(hold=hold, actor="user:alice")
    stock_adjust(sku=tshirt, delta=2, actor="test")
    order_hold_release(hold=hold, actor="user:alice")

    order.refresh_from_db()
    assert (order.status, active(order), allocated(order)) == (S.READY, set(), [(7, 7)])


def test_a_payment_hold_is_released_by_confirming_the_payment_not_by_accepting_it(shop):
    channel, _tshirt = shop
    order = order_import(
        channel=channel, canonical=canonical(payment_method="bank_transfer", paid=False), payload={}
    ).order

    with pytest.raises(HoldReleaseRefused, match="mark the order paid"):
        order_hold_release(hold=order.holds.get(code="payment_pending"), actor="user:alice")

    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT


def test_releasing_a_hold_a_person_may_accept_still_moves_the_order_on(shop):
    channel, _tshirt = shop
    order = order_import(channel=channel, canonical=canonical(remarks="のし希望"), payload={}).order

    order = order_hold_release(hold=order.holds.get(code="remarks"), actor="user:alice")

    order.refresh_from_db()
    assert order.status == S.READY
    assert order.holds.get(code="remarks").released_by_person


def test_the_api_cannot_move_an_unlinked_order_to_ready(shop):
    """POST /status/ calls order_status_change: the refusal is a 409 illegal_transition."""
    from rest_framework.test import APIClient

    from oms.api.keys import api_key_create

    channel, _tshirt = shop
    order = order_import(
        channel=channel, canonical=canonical(lines=[MUG, TSHIRTS], remarks="のし希望"), payload={}
    ).order
    _key, raw_key = api_key_create(name="3pl", scopes=["orders:read", "orders:write"])
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")

    changed = client.post(f"/api/v1/orders/{order.pk}/status/", {"status": "ready"}, format="json")
    released = client.post(f"/api/v1/orders/{order.pk}/holds/remarks/release/")

    assert changed.status_code == 409 and changed.json()["error"]["code"] == "illegal_transition"
    assert released.status_code == 200 and released.json()["status"] == S.ON_HOLD
    order.refresh_from_db()
    assert (order.status, active(order), allocated(order)) == (S.ON_HOLD, {"unknown_sku"}, [(0, 1), (0, 2)])
