"""Stock endpoints: totals, per-warehouse and per-channel quantities, adjust with a reason, bulk counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.models import Listing
from inventory.models import StockLevel, StockMovement
from tests.api.conftest import make_order
from tests.factories import ChannelFactory, ListingFactory, SetComponentFactory, SKUFactory, WarehouseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_client):
    return make_client("stock:read")


@pytest.fixture
def writer(make_client):
    return make_client("stock:read", "stock:write", name="acme-3pl")


def test_a_sku_shows_on_hand_allocated_free_and_what_each_channel_was_last_told(reader, shop):
    channel, skus = shop
    make_order(channel, skus["TSHIRT-BLK-M"], quantity=3)
    Listing.objects.filter(sku=skus["TSHIRT-BLK-M"]).update(
        last_pushed_quantity=7, last_pushed_at=timezone.now(), needs_push=False
    )

    response = reader.get("/api/v1/stock/?sku=TSHIRT-BLK-M")

    [row] = response.json()["results"]
    assert (row["sku"], row["on_hand"], row["allocated"], row["free"]) == ("TSHIRT-BLK-M", 10, 3, 7)
    assert row["warehouses"] == [{"warehouse": "MAIN", "on_hand": 10, "allocated": 3, "free": 7}]
    [listing] = row["channels"]
    assert (listing["channel"], listing["last_pushed_quantity"], listing["push_pending"]) == (
        "rakuten",
        7,
        False,
    )


def test_several_skus_are_asked_for_with_commas(reader, shop):
    response = reader.get("/api/v1/stock/?sku=TSHIRT-BLK-M,HONEY-300G,NOPE")

    assert [row["sku"] for row in response.json()["results"]] == ["HONEY-300G", "TSHIRT-BLK-M"]


def test_a_set_shows_the_free_stock_its_components_make_up(reader, warehouse):
    part = SetComponentFactory(set_sku__code="GIFT-SET", component__code="HONEY-300G", quantity=2)
    from inventory.services import stock_adjust

    stock_adjust(sku=part.component, delta=7, actor="test")

    row = reader.get("/api/v1/stock/GIFT-SET/").json()

    assert (row["is_set"], row["on_hand"], row["allocated"], row["free"]) == (True, None, None, 3)


def test_an_unknown_sku_is_a_404(reader, shop):
    response = reader.get("/api/v1/stock/NOPE/")

    assert response.status_code == 404
    assert "NOPE" in response.json()["error"]["message"]


def _stock_query_count(client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/stock/?page_size={page_size}")
    assert len(response.json()["results"]) == page_size
    return len(queries)


def test_the_stock_list_costs_the_same_queries_for_5_and_25_skus(reader, warehouse):
    from inventory.services import stock_adjust

    channels = [ChannelFactory(name="rakuten"), ChannelFactory(name="yahoo")]
    second = WarehouseFactory(code="SUB", priority=200)
    for _ in range(25):
        sku = SKUFactory()
        for channel in channels:
            ListingFactory(channel=channel, sku=sku)
        stock_adjust(sku=sku, delta=3, actor="test")
        stock_adjust(sku=sku, delta=2, actor="test", warehouse=second)
    reader.get("/api/v1/stock/")

    # key, SKUs, levels, listings, totals, set components, free stock
    assert _stock_query_count(reader, 5) == _stock_query_count(reader, 25) == 7


def test_an_adjustment_is_written_to_the_ledger_with_its_reason(writer, shop):
    response = writer.post(
        "/api/v1/stock/TSHIRT-BLK-M/adjust/",
        {"delta": -2, "reason": "adjust", "note": "破損 2点", "reference": "INC-1042"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["on_hand"] == 8
    movement = StockMovement.objects.order_by("-pk").first()
    assert (movement.on_hand_delta, movement.reason, movement.note, movement.reference, movement.actor) == (
        -2,
        "adjust",
        "破損 2点",
        "INC-1042",
        "api:acme-3pl",
    )


def test_a_receipt_goes_to_the_named_warehouse(writer, shop):
    WarehouseFactory(code="SUB", priority=200)

    response = writer.post(
        "/api/v1/stock/HONEY-300G/adjust/",
        {"delta": 5, "reason": "receive", "note": "入荷", "warehouse": "SUB"},
        format="json",
    )

    assert response.status_code == 200
    assert StockLevel.objects.get(sku__code="HONEY-300G", warehouse__code="SUB").on_hand == 5


def test_an_adjustment_below_the_allocated_units_is_a_409(writer, shop):
    channel, skus = shop
    make_order(channel, skus["TSHIRT-BLK-M"], quantity=4)

    response = writer.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", {"delta": -7, "note": "lost"}, format="json")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "negative_stock"
    assert StockLevel.objects.get(sku=skus["TSHIRT-BLK-M"]).on_hand == 10


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"delta": 0, "note": "x"}, ["delta"]),
        ({"delta": 1}, ["note"]),
        ({"note": "x"}, ["delta"]),
        ({"delta": 10**12, "note": "x"}, ["delta"]),
        ({"delta": 1, "note": "x", "reason": "consume"}, ["reason"]),
        ({"delta": 1, "note": "x", "warehouse": "NOWHERE"}, ["warehouse"]),
        ({"delta": "many", "note": ""}, ["delta", "note"]),
    ],
)
def test_an_invalid_adjustment_lists_every_problem(writer, shop, body, fields):
    response = writer.post("/api/v1/stock/TSHIRT-BLK-M/adjust/", body, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert [d["field"] for d in error["details"]] == fields
    assert error["field"] == fields[0]


def test_counts_set_every_row(writer, shop):
    response = writer.post(
        "/api/v1/stock/counts/",
        [{"sku": "TSHIRT-BLK-M", "on_hand": 12}, {"sku": "HONEY-300G", "on_hand": 0, "warehouse": "MAIN"}],
        format="json",
    )

    assert response.status_code == 200
    assert {row["sku"]: row["on_hand"] for row in response.json()} == {"TSHIRT-BLK-M": 12, "HONEY-300G": 0}
    assert StockMovement.objects.filter(reason="count", actor="api:acme-3pl").count() == 2


def test_invalid_count_rows_are_named_by_index_and_nothing_is_applied(writer, shop):
    part = SetComponentFactory(set_sku__code="GIFT-SET")

    response = writer.post(
        "/api/v1/stock/counts/",
        [
            {"sku": "TSHIRT-BLK-M", "on_hand": 12},
            {"sku": "NOPE", "on_hand": 1},
            {"sku": part.set_sku.code, "on_hand": 1},
            {"sku": "TSHIRT-BLK-M", "on_hand": 3},
            {"sku": "HONEY-300G", "on_hand": 1, "warehouse": "NOWHERE"},
        ],
        format="json",
    )

    assert response.status_code == 400
    details = response.json()["error"]["details"]
    assert [d["field"] for d in details] == ["1.sku", "2.sku", "3.sku", "4.warehouse"]
    assert StockLevel.objects.get(sku__code="TSHIRT-BLK-M").on_hand == 10


def test_a_count_below_what_is_allocated_refuses_the_whole_batch(writer, shop):
    channel, skus = shop
    make_order(channel, skus["HONEY-300G"], quantity=5)

    response = writer.post(
        "/api/v1/stock/counts/",
        [{"sku": "TSHIRT-BLK-M", "on_hand": 12}, {"sku": "HONEY-300G", "on_hand": 2}],
        format="json",
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "counts_refused"
    assert [d["field"] for d in error["details"]] == ["1.on_hand"]
    assert StockLevel.objects.get(sku=skus["TSHIRT-BLK-M"]).on_hand == 10  # the good row was rolled back


@pytest.mark.parametrize(
    "body", [[], {"sku": "TSHIRT-BLK-M", "on_hand": 1}, [{"sku": "TSHIRT-BLK-M", "on_hand": -1}]]
)
def test_counts_must_be_a_non_empty_list_of_non_negative_rows(writer, shop, body):
    response = writer.post("/api/v1/stock/counts/", body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


# ---- Idempotency-Key on adjustments ----------------------------------------------------------------------


def _adjust(client, body: dict, key: str | None = None, sku: str = "HONEY-300G"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(f"/api/v1/stock/{sku}/adjust/", body, format="json", **headers)


def test_a_receipt_retried_with_its_idempotency_key_is_counted_once(writer, shop):
    receipt = {"delta": 25, "reason": "receive", "note": "入荷 PO-7"}

    first = _adjust(writer, receipt, key="po-7-receipt")
    retried = _adjust(writer, receipt, key="po-7-receipt")  # the client timed out and sent it again

    assert first.status_code == retried.status_code == 200
    assert retried.json() == first.json() and first.json()["on_hand"] == 35
    assert retried["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert StockLevel.objects.get(sku__code="HONEY-300G").on_hand == 35
    assert StockMovement.objects.filter(note="入荷 PO-7").count() == 1


def test_an_adjustment_key_reused_with_another_body_is_a_422(writer, shop):
    _adjust(writer, {"delta": 25, "reason": "receive", "note": "入荷 PO-7"}, key="po-7-receipt")

    response = _adjust(writer, {"delta": 1, "reason": "receive", "note": "入荷 PO-7"}, key="po-7-receipt")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert StockLevel.objects.get(sku__code="HONEY-300G").on_hand == 35


def test_an_adjustment_key_reused_on_another_sku_is_a_422(writer, shop):
    body = {"delta": 1, "note": "見つかった"}
    _adjust(writer, body, key="found-1")

    response = _adjust(writer, body, key="found-1", sku="TSHIRT-BLK-M")

    assert response.status_code == 422
    assert StockLevel.objects.get(sku__code="TSHIRT-BLK-M").on_hand == 10


def test_a_refused_adjustment_does_not_burn_its_idempotency_key(writer, shop):
    channel, skus = shop
    order = make_order(channel, skus["HONEY-300G"], quantity=4)

    refused = _adjust(writer, {"delta": -7, "note": "lost"}, key="lost-7")
    from inventory.services import order_deallocate

    order_deallocate(order=order, actor="test")  # the 4 allocated units are free again
    retried = _adjust(writer, {"delta": -7, "note": "lost"}, key="lost-7")

    assert refused.status_code == 409 and refused.json()["error"]["code"] == "negative_stock"
    assert retried.status_code == 200 and "Idempotent-Replayed" not in retried
    assert StockLevel.objects.get(sku__code="HONEY-300G").on_hand == 3


def test_without_an_idempotency_key_every_adjustment_counts(writer, shop):
    body = {"delta": 1, "note": "見つかった"}

    _adjust(writer, body)
    _adjust(writer, body)

    assert StockLevel.objects.get(sku__code="HONEY-300G").on_hand == 12
