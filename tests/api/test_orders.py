"""Order list and detail: the DESIGN.md fields, filters, cursor pages, and a query count that ignores page size."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shipping.labels import labels_export, order_carrier_code
from shipping.models import Carrier, Shipment
from tests.api.conftest import make_order
from tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

DESIGN_FIELDS = {
    "id",
    "channel",
    "external_id",
    "status",
    "holds",
    "lines",
    "ship_to",
    "delivery_date",
    "delivery_time",
    "tracking_numbers",
}


def test_the_list_shows_each_order_with_the_design_fields(make_client, shop):
    channel, skus = shop
    order = make_order(
        channel, skus["TSHIRT-BLK-M"], quantity=2, holds=["remarks"], status="on_hold", delivery_time="14-16"
    )

    response = make_client("orders:read").get("/api/v1/orders/")

    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row.keys() >= DESIGN_FIELDS
    assert row["id"] == order.pk
    assert row["channel"] == "rakuten"
    assert row["external_id"] == order.external_id
    assert row["status"] == "on_hold"
    assert row["holds"][0]["code"] == "remarks"
    assert row["holds"][0]["message"] == "The buyer wrote remarks"
    assert row["lines"] == [
        {
            "id": order.lines.get().pk,
            "sku": "TSHIRT-BLK-M",
            "name": order.lines.get().name,
            "quantity": 2,
            "allocated": 2,
            "shipped": 0,
            "unit_price": 2980,
        }
    ]
    assert row["ship_to"]["postal_code"] == "100-0001"
    assert row["delivery_time"] == "14-16"
    assert row["tracking_numbers"] == []


def test_a_hold_message_is_japanese_for_a_japanese_caller(make_client, shop):
    channel, skus = shop
    make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")

    row = make_client("orders:read", language="ja").get("/api/v1/orders/").json()["results"][0]

    assert row["holds"][0]["message"] == "備考欄に記入があります。内容を確認してください"


def test_resolved_holds_are_not_listed(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold")
    order.holds.update(resolved_at=timezone.now())

    row = make_client("orders:read").get("/api/v1/orders/").json()["results"][0]

    assert row["holds"] == []


def test_tracking_numbers_of_the_parcels_are_listed(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], status="printed")
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    Shipment.objects.create(order=order, carrier=carrier, tracking_number="444413758703")

    row = make_client("orders:read").get("/api/v1/orders/").json()["results"][0]

    assert row["tracking_numbers"] == ["444413758703"]


@pytest.fixture
def mixed_orders(shop):
    channel, skus = shop
    yahoo = ChannelFactory(name="yahoo")
    now = timezone.now()
    return {
        "held": make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold"),
        "ready": make_order(channel, skus["HONEY-300G"], ordered_at=now - timedelta(days=2)),
        "yahoo": make_order(yahoo, skus["HONEY-300G"], ordered_at=now - timedelta(days=5)),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=yahoo", {"yahoo"}),
        ("channel=rakuten", {"held", "ready"}),
        ("status=ready", {"ready", "yahoo"}),
        ("hold=remarks", {"held"}),
        ("hold=phone_invalid", set()),
        ("channel=rakuten&status=ready", {"ready"}),
    ],
)
def test_filters_keep_the_matching_orders(make_client, mixed_orders, query, expected):
    response = make_client("orders:read").get(f"/api/v1/orders/?{query}")

    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {mixed_orders[name].pk for name in expected}


def test_external_id_finds_one_order(make_client, mixed_orders):
    order = mixed_orders["yahoo"]

    response = make_client("orders:read").get(f"/api/v1/orders/?external_id={order.external_id}")

    assert [row["id"] for row in response.json()["results"]] == [order.pk]


def test_ordered_after_and_before_bound_the_order_date(make_client, mixed_orders):
    client = make_client("orders:read")
    after = (timezone.now() - timedelta(days=3)).isoformat()
    before = (timezone.now() - timedelta(days=1)).isoformat()

    response = client.get("/api/v1/orders/", {"ordered_after": after, "ordered_before": before})

    assert [row["id"] for row in response.json()["results"]] == [mixed_orders["ready"].pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [("status=sent", "status"), ("hold=nothing", "hold"), ("ordered_after=yesterday", "ordered_after")],
)
def test_an_invalid_filter_is_a_400_naming_the_field(make_client, shop, query, field):
    response = make_client("orders:read").get(f"/api/v1/orders/?{query}")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert response.json()["error"]["field"] == field


def test_pages_follow_the_cursor_newest_first_without_repeats(make_client, shop):
    channel, skus = shop
    now = timezone.now()
    orders = [
        make_order(channel, skus["HONEY-300G"], ordered_at=now - timedelta(minutes=i % 3)) for i in range(7)
    ]
    client = make_client("orders:read")

    seen, url = [], "/api/v1/orders/?page_size=3"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 3
        seen += [row["id"] for row in page["results"]]
        url = page["next"]

    expected = sorted(orders, key=lambda o: (o.ordered_at, o.pk), reverse=True)
    assert seen == [o.pk for o in expected]


def test_a_forged_cursor_is_a_400(make_client, shop):
    import base64

    client = make_client("orders:read")
    for cursor in ["not-base64!", base64.b64encode(b"p=not-a-date").decode()]:
        response = client.get("/api/v1/orders/", {"cursor": cursor})

        assert response.status_code == 400
        assert response.json()["error"]["field"] == "cursor"


def _list_query_count(client, page_size: int) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/api/v1/orders/?page_size={page_size}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == page_size
    return len(queries)


def test_the_list_costs_the_same_queries_for_5_and_25_orders(make_client, shop):
    channel, skus = shop
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    for i in range(25):
        sku = skus["HONEY-300G" if i % 2 else "TSHIRT-BLK-M"]
        order = make_order(channel, sku, holds=["remarks"], status="on_hold", allocate=False)
        Shipment.objects.create(order=order, carrier=carrier, tracking_number=f"4444{i:08d}")
    client = make_client("orders:read")
    client.get("/api/v1/orders/")  # last_used_at is written on the first call only

    # key, orders, holds, lines with SKUs, addresses, parcels with carriers
    assert _list_query_count(client, 5) == _list_query_count(client, 25) == 6


def test_the_detail_adds_buyer_totals_payment_remarks_and_events(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"], holds=["remarks"], status="on_hold", remarks="のし希望")

    response = make_client("orders:read").get(f"/api/v1/orders/{order.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert body.keys() >= DESIGN_FIELDS
    assert body["buyer"] == {
        "name": "山田 太郎",
        "kana": "ヤマダ タロウ",
        "email": "taro@example.jp",
        "phone": "090-1234-5678",
    }
    assert body["totals"]["total"] == order.total
    assert body["payment"] == {"method": "other", "paid_at": None}
    assert body["remarks"] == "のし希望"
    assert [e["kind"] for e in body["events"]] == ["hold_added", "status_changed"]
    assert len(body["ship_tos"]) == 1


def test_the_detail_of_an_unknown_order_is_a_404(make_client, shop):
    response = make_client("orders:read").get("/api/v1/orders/999999/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_id_too_large_for_the_database_is_a_404_not_a_crash(make_client, shop):
    response = make_client("orders:read").get(f"/api/v1/orders/{2**80}/")

    assert response.status_code == 404


def test_the_detail_events_include_the_label_exports(make_client, shop):
    channel, skus = shop
    order = make_order(channel, skus["TSHIRT-BLK-M"])
    export = labels_export(carrier=order_carrier_code(order), actor="user:warehouse", order_ids=[order.pk])
    assert [report.order_id for report in export.exported] == [order.pk]

    body = make_client("orders:read").get(f"/api/v1/orders/{order.pk}/").json()

    last = body["events"][-1]
    assert (last["kind"], last["actor"]) == ("labels_exported", "user:warehouse")
    assert last["after"]["export"] == export.record.pk
    assert last["after"]["customer_ref"] == export.exported[0].customer_ref
