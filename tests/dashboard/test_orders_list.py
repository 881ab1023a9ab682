"""The order list: one search box (phone in any form, kana, SKU, tracking number, …), filters, sorting and
pages of 50."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Hold, OrderStatus
from shipping.models import Carrier, Shipment
from tests.factories import ChannelFactory, OrderFactory, OrderLineFactory, ShipToFactory, SKUFactory

pytestmark = pytest.mark.django_db
S = OrderStatus


def found(client, **params) -> list[str]:
    response = client.get(reverse("dashboard:order_list"), params)
    assert response.status_code == 200
    return [order.external_id for order in response.context["orders"]]


@pytest.fixture
def orders(db):
    shop = ChannelFactory(name="rakuten")
    taro = OrderFactory(channel=shop, external_id="100001-20261126-00000001", buyer_phone="090-1234-5678")
    ShipToFactory(order=taro, phone="03-3333-4444")
    hanako = OrderFactory(
        channel=shop,
        external_id="100001-20261126-00000002",
        buyer_name="佐藤 花子",
        buyer_kana="サトウ ハナコ",
        buyer_email="hanako@example.jp",
        buyer_phone="080-9999-0000",
    )
    ShipToFactory(order=hanako, name="佐藤 花子", kana="サトウ ハナコ", phone="")
    OrderLineFactory(order=hanako, sku=SKUFactory(code="HONEY-300G"))
    carrier = Carrier.objects.create(code="sagawa", name="佐川急便")
    Shipment.objects.create(order=hanako, carrier=carrier, tracking_number="123456789012")
    return {"taro": taro, "hanako": hanako}


@pytest.mark.parametrize(
    "phone", ["090-1234-5678", "09012345678", "０９０－１２３４－５６７８", "090 1234 5678"]
)
def test_search_finds_a_buyer_phone_however_it_is_written(login, orders, phone):
    assert found(login("customer_service"), q=phone) == [orders["taro"].external_id]


def test_search_finds_a_ship_to_phone(login, orders):
    assert found(login("operator"), q="0333334444") == [orders["taro"].external_id]


@pytest.mark.parametrize(
    ("term", "who"),
    [
        ("佐藤", "hanako"),
        ("サトウ", "hanako"),
        ("さとう", "hanako"),  # hiragana finds the katakana kana
        ("hanako@example", "hanako"),
        ("honey-300g", "hanako"),  # SKU code, any case
        ("123456789012", "hanako"),  # tracking number
        ("00000001", "taro"),  # part of the order number
    ],
)
def test_search_box_matches_names_kana_email_sku_tracking_and_order_number(login, orders, term, who):
    assert found(login("operator"), q=term) == [orders[who].external_id]


def test_filters_by_status_hold_shop_and_dates(login, orders):
    client = login("operator")
    taro, hanako = orders["taro"], orders["hanako"]
    type(taro).objects.filter(pk=taro.pk).update(
        status=S.ON_HOLD, ordered_at=timezone.now() - timedelta(days=3)
    )
    Hold.objects.create(order=taro, code="remarks", message="備考")
    other_shop = OrderFactory(channel=ChannelFactory(name="yahoo", kind="yahoo"))

    assert found(client, status=S.ON_HOLD) == [taro.external_id]
    assert found(client, hold="remarks") == [taro.external_id]
    assert found(client, channel=other_shop.channel_id) == [other_shop.external_id]
    today = timezone.localdate().isoformat()
    assert set(found(client, ordered_from=today)) == {hanako.external_id, other_shop.external_id}


def test_carrier_filter_uses_the_shops_default_when_the_order_has_none(login, orders):
    client = login("operator")
    # Both test orders' shop defaults to ヤマト; neither has a carrier of its own.
    assert len(found(client, carrier="yamato")) == 2
    assert found(client, carrier="sagawa") == []


def test_delivery_date_filter(login, orders):
    day = timezone.localdate() + timedelta(days=5)
    type(orders["taro"]).objects.filter(pk=orders["taro"].pk).update(delivery_date=day)

    assert found(login("operator"), delivery_from=day.isoformat(), delivery_to=day.isoformat()) == [
        orders["taro"].external_id
    ]


def test_an_invalid_filter_value_is_ignored(login, orders):
    assert len(found(login("operator"), ordered_from="not-a-date", status="nonsense")) == 2


def test_columns_sort_both_ways(login, orders):
    client = login("operator")
    taro, hanako = orders["taro"].external_id, orders["hanako"].external_id

    assert found(client, sort="external_id") == [taro, hanako]
    assert found(client, sort="-external_id") == [hanako, taro]
    assert found(client, sort="drop table") == [hanako, taro]  # unknown sort: newest first


def test_the_list_is_paginated_by_50(login):
    shop = ChannelFactory(name="rakuten")
    for _n in range(51):
        OrderFactory(channel=shop)
    client = login("operator")

    first = client.get(reverse("dashboard:order_list"))
    second = client.get(reverse("dashboard:order_list"), {"page": 2})

    assert len(first.context["orders"]) == 50
    assert len(second.context["orders"]) == 1
    assert "1 / 2 ページ" in first.content.decode()


@pytest.fixture
def spaced_names(db):
    """A buyer written with a full-width space, as Japanese shops send names, and one written without."""
    shop = ChannelFactory(name="rakuten")
    rin = OrderFactory(channel=shop, buyer_name="山崎　凛", buyer_kana="ヤマザキ　リン")
    ShipToFactory(order=rin, name="山崎　凛", kana="ヤマザキ　リン")
    gift = OrderFactory(channel=shop, buyer_name="高橋 美咲", buyer_kana="タカハシ ミサキ")
    ShipToFactory(order=gift, name="山崎凛", kana="ヤマザキリン")  # a gift to her, spelled without a space
    return {"rin": rin.external_id, "gift": gift.external_id}


@pytest.mark.parametrize(
    "term", ["山崎　凛", "山崎 凛", "山崎凛", " 山崎  凛 ", "ヤマザキリン", "やまざき りん", "ﾔﾏｻﾞｷ ﾘﾝ"]
)
def test_name_and_kana_search_ignores_half_and_full_width_spaces(login, spaced_names, term):
    assert set(found(login("operator"), q=term)) == {spaced_names["rin"], spaced_names["gift"]}


@pytest.mark.postgres
def test_the_spaceless_name_search_can_use_a_trigram_index(on_postgres, spaced_names):
    """The expression the selector compares is the one a trigram index can hold (the index itself is for a
    migration: built concurrently like orders/migrations/0007)."""
    from django.db import connection

    from oms.dashboard.selectors import OrderFilters, order_list

    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending foreign-key checks: CREATE INDEX refuses
        cursor.execute(
            "CREATE INDEX test_buyer_name_spaceless_trgm ON orders_order USING gin "
            "((UPPER((REPLACE(REPLACE(buyer_name, ' ', ''), '\u3000', ''))::text)) gin_trgm_ops)"
        )
        cursor.execute("SET LOCAL enable_seqscan = off")

    plan = order_list(filters=OrderFilters(q="山崎 凛")).explain()

    assert "test_buyer_name_spaceless_trgm" in plan
