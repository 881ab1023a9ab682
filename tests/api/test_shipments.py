"""3PL endpoints: ready orders for labels, claims (the race included), tracking numbers posted idempotently."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from inventory.models import StockLevel
from inventory.services import stock_adjust
from notifications.models import MailTemplate, OutboundMail
from oms.api.keys import api_key_create
from oms.models import ShipmentClaim
from orders.models import Order
from shipping.models import Carrier
from tests.api.conftest import make_order

pytestmark = pytest.mark.django_db
CARRIERS = [("yamato", "ヤマト運輸"), ("sagawa", "佐川急便"), ("japanpost", "日本郵便")]
# Published samples with a valid mod-7 check digit (reference §4.4).
NUMBERS = ["444413758703", "490714955706"]


def valid_number(body: int) -> str:
    digits = f"{body:011d}"
    return digits + str(int(digits) % 7)


@pytest.fixture(autouse=True)
def carriers(db):
    for code, name in CARRIERS:
        Carrier.objects.get_or_create(code=code, defaults={"name": name})


@pytest.fixture
def warehouse_a(make_client):
    return make_client("shipments:write", name="warehouse-a")


@pytest.fixture
def warehouse_b(make_client):
    return make_client("shipments:write", name="warehouse-b")


def ready_orders(shop, count: int) -> list[Order]:
    channel, skus = shop
    return [make_order(channel, skus["HONEY-300G"]) for _ in range(count)]


# ---- ready list ------------------------------------------------------------------------------------------


def test_the_ready_list_has_what_a_label_needs(warehouse_a, shop):
    channel, skus = shop
    skus["TSHIRT-BLK-M"].jan = "4901234567894"
    skus["TSHIRT-BLK-M"].save()
    order = make_order(
        channel,
        skus["TSHIRT-BLK-M"],
        quantity=2,
        payment_method="cod",
        total=6290,
        is_gift=True,
        delivery_date=timezone.localdate() + timedelta(days=5),
        delivery_time="14-16",
    )
    make_order(channel, skus["HONEY-300G"], holds=["remarks"], status="on_hold")  # not ready: not listed

    response = warehouse_a.get("/api/v1/shipments/ready/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["id"] == order.pk
    assert row["carrier"] == channel.default_carrier
    assert row["ship_to"]["kana"] == "ヤマダ タロウ" and row["ship_to"]["phone"] == "090-1234-5678"
    assert row["delivery_time"] == "14-16" and row["delivery_date"] == order.delivery_date.isoformat()
    assert row["cod_amount"] == 6290 and row["payment_method"] == "cod"
    assert row["is_gift"] is True
    assert row["lines"] == [
        {
            "id": order.lines.get().pk,
            "sku": "TSHIRT-BLK-M",
            "jan": "4901234567894",
            "name": order.lines.get().name,
            "quantity": 2,
            "unit_price": 2980,
        }
    ]
    assert row["claim"] is None


def test_a_prepaid_order_has_no_cod_amount(warehouse_a, shop):
    ready_orders(shop, 1)

    [row] = warehouse_a.get("/api/v1/shipments/ready/").json()["results"]

    assert row["cod_amount"] is None


def test_the_ready_list_costs_the_same_queries_for_any_page_size(
    warehouse_a, shop, django_assert_max_num_queries
):
    ready_orders(shop, 6)

    with django_assert_max_num_queries(8):  # key, touch, page, addresses, lines; never one per order
        response = warehouse_a.get("/api/v1/shipments/ready/?page_size=6")

    assert len(response.json()["results"]) == 6


def test_orders_read_may_read_the_ready_list(make_client, shop):
    ready_orders(shop, 1)

    response = make_client("orders:read").get("/api/v1/shipments/ready/")

    assert response.status_code == 200


def test_other_scopes_may_not_read_the_ready_list(make_client, shop):
    response = make_client("stock:read").get("/api/v1/shipments/ready/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_without_a_key_the_ready_list_is_401(db):
    response = APIClient().get("/api/v1/shipments/ready/")

    assert response.status_code == 401


# ---- claims ----------------------------------------------------------------------------------------------


@pytest.fixture(params=["skip-locked", "serialised"])
def claim_way(request, monkeypatch):
    """Both ways of claiming: PostgreSQL's one statement, and the one for the embedded SQLite database."""
    if request.param == "serialised":
        monkeypatch.setattr("shipping.claims._skips_locked_rows", lambda: False)
    return request.param


def test_a_claim_takes_the_oldest_ready_orders_for_the_caller(warehouse_a, shop, claim_way):
    orders = ready_orders(shop, 3)

    response = warehouse_a.post("/api/v1/shipments/claim/", {"limit": 2}, format="json")

    assert response.status_code == 200
    claimed = response.json()["claimed"]
    assert [row["id"] for row in claimed] == [orders[0].pk, orders[1].pk]
    assert all(row["claim"]["mine"] and row["claim"]["claimed_by"] == "api:warehouse-a" for row in claimed)
    assert response.json()["expires_at"]


def test_a_second_worker_gets_other_orders_and_then_none(warehouse_a, warehouse_b, shop, claim_way):
    orders = ready_orders(shop, 3)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 2}, format="json")

    first = warehouse_b.post("/api/v1/shipments/claim/", {"limit": 5}, format="json").json()
    second = warehouse_b.post("/api/v1/shipments/claim/", {"limit": 5}, format="json").json()

    assert [row["id"] for row in first["claimed"]] == [orders[2].pk]
    assert second == {"claimed": [], "expires_at": None}


def test_the_list_filters_by_claim(warehouse_a, warehouse_b, shop):
    orders = ready_orders(shop, 3)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 1}, format="json")

    mine = warehouse_a.get("/api/v1/shipments/ready/?claim=mine").json()["results"]
    unclaimed = warehouse_b.get("/api/v1/shipments/ready/?claim=unclaimed").json()["results"]
    theirs = warehouse_b.get("/api/v1/shipments/ready/?claim=mine").json()["results"]

    assert [row["id"] for row in mine] == [orders[0].pk]
    assert {row["id"] for row in unclaimed} == {orders[1].pk, orders[2].pk}
    assert theirs == []


def test_an_expired_claim_can_be_taken_by_another_worker(warehouse_a, warehouse_b, shop, claim_way):
    [order] = ready_orders(shop, 1)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 1}, format="json")
    ShipmentClaim.objects.filter(order=order).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = warehouse_b.post("/api/v1/shipments/claim/", {"limit": 1}, format="json")

    assert [row["id"] for row in response.json()["claimed"]] == [order.pk]
    assert ShipmentClaim.objects.get(order=order).claimed_by == "api:warehouse-b"


def test_claims_filter_by_carrier_and_channel(warehouse_a, shop):
    channel, skus = shop
    yamato = make_order(channel, skus["HONEY-300G"])
    make_order(channel, skus["HONEY-300G"], carrier=Carrier.objects.get(code="sagawa"))

    response = warehouse_a.post(
        "/api/v1/shipments/claim/", {"limit": 5, "carrier": "yamato", "channel": "rakuten"}, format="json"
    )

    assert [row["id"] for row in response.json()["claimed"]] == [yamato.pk]


def test_release_gives_the_callers_claims_back(warehouse_a, warehouse_b, shop):
    orders = ready_orders(shop, 2)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 2}, format="json")

    response = warehouse_a.post("/api/v1/shipments/release/", {"order_ids": [orders[0].pk]}, format="json")
    taken = warehouse_b.post("/api/v1/shipments/claim/", {"limit": 5}, format="json").json()["claimed"]
    everything = warehouse_a.post("/api/v1/shipments/release/", {}, format="json")

    assert response.json() == {"released": 1}
    assert [row["id"] for row in taken] == [orders[0].pk]
    assert everything.json() == {"released": 1}


def test_another_worker_cannot_release_my_claims(warehouse_a, warehouse_b, shop):
    ready_orders(shop, 1)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 1}, format="json")

    response = warehouse_b.post("/api/v1/shipments/release/", {}, format="json")

    assert response.json() == {"released": 0}
    assert ShipmentClaim.objects.count() == 1


@pytest.mark.parametrize("path", ["/api/v1/shipments/claim/", "/api/v1/shipments/release/"])
def test_claiming_and_releasing_need_shipments_write(make_client, shop, path):
    response = make_client("orders:read", "orders:write").post(path, {"limit": 1}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_a_limit_out_of_range_is_a_400(warehouse_a, shop):
    response = warehouse_a.post("/api/v1/shipments/claim/", {"limit": 0}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "limit"


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_at_once_never_get_the_same_order(shop, on_postgres):
    """Threads with their own connections, released together by a barrier, claim until nothing is left."""
    stock_adjust(sku=shop[1]["HONEY-300G"], delta=30, actor="test")
    orders = ready_orders(shop, 30)
    keys = [api_key_create(name=f"worker-{n}", scopes=["shipments:write"])[1] for n in range(2)]
    barrier = threading.Barrier(len(keys))
    claimed: dict[int, list[int]] = {n: [] for n in range(len(keys))}
    errors = []

    def worker(n: int) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {keys[n]}")
        try:
            barrier.wait(timeout=10)
            while True:
                response = client.post("/api/v1/shipments/claim/", {"limit": 3}, format="json")
                assert response.status_code == 200, response.content
                batch = [row["id"] for row in response.json()["claimed"]]
                if not batch:
                    return
                claimed[n] += batch
        except Exception as exc:  # surfaced below; a thread's assertion would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(len(keys))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(order.pk for order in orders)
    assert ShipmentClaim.objects.count() == len(orders)


# ---- tracking numbers ------------------------------------------------------------------------------------


def _ship(client, order, numbers=NUMBERS[:1], key=None, carrier="yamato"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    body = {"parcels": [{"carrier": carrier, "tracking_number": number} for number in numbers]}
    return client.post(f"/api/v1/orders/{order.pk}/shipments/", body, format="json", **headers)


def test_posting_tracking_numbers_ships_the_order_through_the_ship_confirmation(warehouse_a, shop):
    MailTemplate.objects.create(code="shipping_notice", name="発送", subject="s", body="b")
    channel, skus = shop
    order = make_order(channel, skus["HONEY-300G"], quantity=2)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 1}, format="json")

    response = _ship(warehouse_a, order, ["4444-1375-8703", NUMBERS[1]])

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "shipped"
    assert [s["tracking_number"] for s in body["shipments"]] == ["444413758703", NUMBERS[1]]
    level = StockLevel.objects.get(sku=skus["HONEY-300G"])
    assert (level.on_hand, level.allocated) == (8, 0)  # the allocation was consumed
    assert OutboundMail.objects.filter(order=order, template__code="shipping_notice").exists()
    assert not ShipmentClaim.objects.filter(order=order).exists()
    assert order.events.filter(kind="shipped", actor="api:warehouse-a").count() == 2


def test_a_wrong_check_digit_is_refused(warehouse_a, shop):
    [order] = ready_orders(shop, 1)

    response = _ship(warehouse_a, order, ["444413758704"])

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["field"] == "parcels.0.tracking_number"
    assert error["details"][0]["code"] == "invalid_tracking_number"
    assert Order.objects.get(pk=order.pk).status == "ready"


def test_the_same_idempotency_key_and_body_replays_the_first_answer(warehouse_a, shop):
    [order] = ready_orders(shop, 1)

    first = _ship(warehouse_a, order, key="ship-42-a")
    again = _ship(warehouse_a, order, key="ship-42-a")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert order.shipments.count() == 1
    assert order.events.filter(kind="shipped").count() == 1


def test_the_same_idempotency_key_with_another_body_is_refused(warehouse_a, shop):
    [order] = ready_orders(shop, 1)
    _ship(warehouse_a, order, key="ship-42-b")

    response = _ship(warehouse_a, order, [NUMBERS[1]], key="ship-42-b")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert order.shipments.count() == 1


def test_idempotency_keys_belong_to_their_caller(warehouse_a, warehouse_b, shop):
    first, second = ready_orders(shop, 2)
    _ship(warehouse_a, first, key="same-key")

    response = _ship(warehouse_b, second, [NUMBERS[1]], key="same-key")

    assert response.status_code == 201
    assert second.shipments.count() == 1


def test_a_refused_post_does_not_burn_its_idempotency_key(warehouse_a, shop):
    channel, skus = shop
    order = make_order(channel, skus["HONEY-300G"], holds=["remarks"], status="on_hold")

    refused = _ship(warehouse_a, order, key="retry-me")
    warehouse_a.post(f"/api/v1/orders/{order.pk}/holds/remarks/release/")  # needs orders:write: 403
    from orders.services import order_status_change

    order_status_change(order=order, to_status="ready", actor="test")
    retried = _ship(warehouse_a, order, key="retry-me")

    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "ship_refused"
    assert retried.status_code == 201


def test_an_order_claimed_by_another_worker_cannot_be_shipped_by_me(warehouse_a, warehouse_b, shop):
    [order] = ready_orders(shop, 1)
    warehouse_a.post("/api/v1/shipments/claim/", {"limit": 1}, format="json")

    response = _ship(warehouse_b, order)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claimed_by_another"


def test_a_later_parcel_is_added_to_a_shipped_order(warehouse_a, shop):
    [order] = ready_orders(shop, 1)
    _ship(warehouse_a, order)

    response = _ship(warehouse_a, order, [valid_number(12345)])

    assert response.status_code == 201
    assert len(response.json()["shipments"]) == 2


def test_a_tracking_number_of_another_orders_parcel_is_refused(warehouse_a, shop):
    first, second = ready_orders(shop, 2)
    _ship(warehouse_a, first)

    response = _ship(warehouse_a, second)  # the same number, NUMBERS[0]
    later = _ship(warehouse_a, first, [valid_number(777), NUMBERS[0]])  # its own number again: ignored

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "tracking_number_taken"
    assert error["message"] == f"Tracking number {NUMBERS[0]} already belongs to order {first.external_id}."
    assert Order.objects.get(pk=second.pk).status == "ready"
    assert not second.shipments.exists()
    assert later.status_code == 201


def test_a_shipped_at_in_the_future_is_refused(warehouse_a, shop):
    [order] = ready_orders(shop, 1)
    body = {
        "parcels": [{"carrier": "yamato", "tracking_number": NUMBERS[0]}],
        "shipped_at": "2030-01-01T00:00:00+09:00",
    }

    response = warehouse_a.post(f"/api/v1/orders/{order.pk}/shipments/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["details"][0] == {
        "field": "shipped_at",
        "code": "in_future",
        "message": "shipped_at is in the future; give the time the parcel left the warehouse.",
    }
    assert Order.objects.get(pk=order.pk).status == "ready"


def test_a_taken_tracking_number_is_explained_in_japanese(make_client, shop):
    japanese = make_client("shipments:write", language="ja")
    first, second = ready_orders(shop, 2)
    _ship(japanese, first)

    error = _ship(japanese, second).json()["error"]

    assert error["message"] == f"伝票番号 {NUMBERS[0]} はすでに注文 {first.external_id} の荷物です。"


def test_an_unknown_order_is_a_404(warehouse_a, shop):
    response = warehouse_a.post(
        "/api/v1/orders/999999/shipments/",
        {"parcels": [{"carrier": "yamato", "tracking_number": NUMBERS[0]}]},
        format="json",
    )

    assert response.status_code == 404


def test_posting_tracking_numbers_needs_shipments_write(make_client, shop):
    [order] = ready_orders(shop, 1)

    response = _ship(make_client("orders:read", "orders:write"), order)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"


def test_idempotency_keys_are_forgotten_after_their_keeping_time(warehouse_a, shop, settings):
    from oms.models import IdempotencyKey
    from oms.tasks import prune_idempotency_keys

    settings.OMS_IDEMPOTENCY_KEY_HOURS = 24
    old = IdempotencyKey.objects.create(owner="key:1", key="old", request_hash="x", method="POST", path="/")
    fresh = IdempotencyKey.objects.create(
        owner="key:1", key="fresh", request_hash="x", method="POST", path="/"
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=25))

    assert prune_idempotency_keys.apply().get() == 1

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == [fresh.key]
