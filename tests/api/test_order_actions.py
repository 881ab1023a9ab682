"""Order writes through the API: release a hold, change status, cancel, mark paid; refusals answer 409."""

import pytest

from inventory.models import StockLevel
from inventory.services import stock_adjust
from orders.models import Order
from tests.api.conftest import make_order
from tests.factories import ListingFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def writer(make_client):
    return make_client("orders:read", "orders:write", name="cs-agency")


def test_releasing_the_remarks_hold_moves_the_order_on_and_records_who(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")

    response = writer.post(f"/api/v1/orders/{order.pk}/holds/remarks/release/")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["holds"] == []
    hold = order.holds.get()
    assert hold.resolved_at is not None and hold.released_by_person
    assert order.events.filter(kind="hold_resolved", actor="api:cs-agency").exists()


def test_releasing_one_of_two_holds_leaves_the_order_waiting_for_the_other(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks", "phone_invalid"], status="on_hold")

    response = writer.post(f"/api/v1/orders/{order.pk}/holds/remarks/release/")

    assert response.json()["status"] == "on_hold"
    assert [h["code"] for h in response.json()["holds"]] == ["phone_invalid"]


def test_a_hold_the_order_does_not_have_is_a_404(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"])

    response = writer.post(f"/api/v1/orders/{order.pk}/holds/remarks/release/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_fact_hold_cannot_be_released(writer, shop):
    channel, skus = shop
    order = make_order(  # 11 wanted, 10 in stock: short indeed
        channel,
        skus["TSHIRT-BLK-M"],
        quantity=11,
        holds=["insufficient_stock"],
        status="awaiting_stock",
        allocate=False,
    )

    response = writer.post(f"/api/v1/orders/{order.pk}/holds/insufficient_stock/release/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "hold_not_releasable"
    assert order.holds.get().resolved_at is None


def test_an_unknown_sku_hold_is_released_once_a_listing_links_the_line(writer, shop):
    channel, _skus = shop
    order = make_order(channel, None, holds=["unknown_sku"], status="on_hold", allocate=False)
    line = order.lines.get()
    line.external_item_id = "mug:MUG-RED"
    line.save()

    refused = writer.post(f"/api/v1/orders/{order.pk}/holds/unknown_sku/release/")
    mug = SKUFactory(code="MUG-RED")
    stock_adjust(sku=mug, delta=3, actor="test")
    ListingFactory(channel=channel, sku=mug, external_item_id="mug", external_variant_id="MUG-RED")
    released = writer.post(f"/api/v1/orders/{order.pk}/holds/unknown_sku/release/")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "hold_not_releasable"
    assert "mug:MUG-RED" in refused.json()["error"]["message"]
    assert released.status_code == 200
    assert released.json()["status"] == "ready"
    line.refresh_from_db()
    assert (line.sku, line.allocated_quantity) == (mug, line.quantity)


def test_a_status_change_along_an_allowed_transition_is_applied(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"])

    response = writer.post(
        f"/api/v1/orders/{order.pk}/status/", {"status": "printed", "note": "picked"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "printed"
    event = order.events.filter(kind="status_changed").last()
    assert (event.actor, event.message, event.after) == ("api:cs-agency", "picked", {"status": "printed"})


def test_an_illegal_transition_is_a_409_with_from_and_to(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")

    response = writer.post(f"/api/v1/orders/{order.pk}/status/", {"status": "printed"}, format="json")

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "illegal_transition"
    assert error["details"] == [{"from": "on_hold", "to": "printed"}]
    assert Order.objects.get(pk=order.pk).status == "on_hold"


@pytest.mark.parametrize("target", ["shipped", "cancelled", "new", "lost"])
def test_shipping_cancelling_and_unknown_statuses_are_not_status_changes(writer, shop, target):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"])

    response = writer.post(f"/api/v1/orders/{order.pk}/status/", {"status": target}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "status"
    assert response.json()["error"]["details"][0]["code"] == "invalid_choice"


def test_cancelling_frees_the_allocated_stock(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], quantity=3)
    assert StockLevel.objects.get(sku=skus["TSHIRT-BLK-M"]).allocated == 3

    response = writer.post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "buyer asked"}, format="json")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["lines"][0]["allocated"] == 0
    assert StockLevel.objects.get(sku=skus["TSHIRT-BLK-M"]).allocated == 0
    assert order.events.filter(kind="status_changed", message="buyer asked").exists()


def test_cancelling_twice_changes_nothing_the_second_time(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"])
    writer.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")
    events = order.events.count()

    response = writer.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")

    assert response.status_code == 200
    assert order.events.count() == events


def test_a_shipped_order_cannot_be_cancelled(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], status="printed")
    Order.objects.filter(pk=order.pk).update(status="shipped")

    response = writer.post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "illegal_transition"
    assert StockLevel.objects.get(sku=skus["TSHIRT-BLK-M"]).allocated == 1


def test_marking_paid_releases_the_payment_hold(writer, shop):
    channel, skus = shop
    order = make_order(
        channel,
        skus["TSHIRT-BLK-M"],
        holds=["payment_pending"],
        status="awaiting_payment",
        payment_method="bank_transfer",
    )

    response = writer.post(f"/api/v1/orders/{order.pk}/mark-paid/")

    assert response.status_code == 200
    body = response.json()
    assert body["payment"]["paid_at"] is not None
    assert "payment_pending" not in [h["code"] for h in body["holds"]]
    assert body["status"] == "ready"


def test_a_printed_order_cannot_be_marked_paid(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], status="printed")

    response = writer.post(f"/api/v1/orders/{order.pk}/mark-paid/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "edit_refused"
    assert Order.objects.get(pk=order.pk).status == "printed"


def test_actions_on_an_unknown_order_are_404(writer, shop):
    for path in ["holds/remarks/release/", "status/", "cancel/", "mark-paid/"]:
        response = writer.post(f"/api/v1/orders/424242/{path}", {"status": "ready"}, format="json")

        assert response.status_code == 404, path


def test_a_read_only_key_cannot_write(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"])

    response = make_client("orders:read").post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")

    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == "ready"
