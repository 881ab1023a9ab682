"""The Rakuten RMS adapter against the Rakuten simulator over real HTTP on loopback."""

import copy
import time
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from channels.adapters.base import (
    AdapterError,
    AuthError,
    PayloadError,
    RawOrder,
    ShipmentUpdate,
    StockUpdate,
)
from channels.adapters.rakuten import RakutenAdapter
from channels.adapters.rakuten_parse import JST, delivery_slot
from channels.simulators import rakuten_render as render
from tests.channels.conftest import (
    base_order,
    fetched,
    fetched_ids,
    next_second,
    post_order,
    sim_channel,
    stats,
    view,
)
from tests.channels.simulators.conftest import start_simulator  # noqa: F401
from tests.factories import ChannelFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_cache")]


def canonical_order(**changes: object) -> dict:
    """The base order with a kana reading for the ship-to too (RMS keeps one)."""
    order = base_order()
    order["ship_to"]["kana"] = "ヤマダ タロウ"
    return order | changes


@pytest.fixture
def sim(start_simulator):  # noqa: F811
    return start_simulator("rakuten")


def make_adapter(sim, *, rate_limits: bool = False, **options) -> RakutenAdapter:
    channel = sim_channel(sim, **options.pop("credentials", {}))
    options.setdefault("backoff_base", 0.01)
    return RakutenAdapter(channel, rate_limits=rate_limits, **options)


@pytest.fixture
def adapter(sim) -> RakutenAdapter:
    return make_adapter(sim)


def place(sim, **changes: object) -> str:
    return post_order(sim, canonical_order(**changes))


def requests_made(sim) -> int:
    return stats(sim)["requests"]


@pytest.fixture
def sample() -> RawOrder:
    """An order as getOrder (version 10) answers it, rendered by the simulator's own code without a server:
    for the tests that spoil or extend a payload and only parse it."""
    model = render.order_model(
        canonical_order(),
        order_number="100001-20261201-00012301",
        ordered_at=datetime(2026, 12, 1, 10, 0, tzinfo=JST),
        basket_id=10_000_001,
        first_item_id=100_001,
    )
    return RawOrder(model["orderNumber"], render.for_version(model, 10))


@pytest.fixture
def parse():
    return RakutenAdapter(ChannelFactory(kind="rakuten")).parse_order


def shipment(order_id: str, **changes: object) -> ShipmentUpdate:
    values = {"external_order_id": order_id, "carrier_code": "yamato", "tracking_number": "444413758703",
              "shipped_on": date(2026, 12, 3)}  # fmt: skip
    return ShipmentUpdate(**(values | changes))


# ---- parse_order: every field ------------------------------------------------------------------------------
def test_parse_maps_every_field_of_a_placed_order(sim, adapter):
    order_id = place(sim)

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert order.external_id == order_id
    assert order.ordered_at.tzinfo is not None
    assert abs(order.ordered_at - timezone.now()) < timedelta(minutes=1)
    assert order.updated_at == order.ordered_at
    assert (order.cancelled, order.shipped_on_marketplace, order.needs_ack) == (False, False, True)
    assert (order.buyer_name, order.buyer_kana) == ("山田　太郎", "ヤマダ　タロウ")
    assert order.buyer_email.endswith("@pc.fw.rakuten.ne.jp")  # Rakuten hands out a relay address
    assert order.buyer_phone == "090-1234-5678"
    assert (order.payment_method, order.paid) == ("credit_card", False)  # not authorised before 300
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.discount) == (6940, 0, 0, 0)
    assert order.total == 6940
    assert order.remarks == "不在時は宅配ボックスへ"
    assert order.is_gift is False
    assert (order.delivery_date, order.delivery_time) == (date(2026, 12, 5), "14-16")
    [ship_to] = order.ship_tos
    assert (ship_to.name, ship_to.kana, ship_to.phone) == ("山田　太郎", "ヤマダ　タロウ", "090-1234-5678")
    assert (ship_to.postal_code, ship_to.prefecture, ship_to.city) == ("100-0001", "東京都", "千代田区")
    assert (ship_to.address1, ship_to.address2) == ("千代田1-1 パレス千代田 101号室", "")
    basket_id = view(sim, order_id)["order"]["PackageModelList"][0]["basketId"]
    assert ship_to.external_id == str(basket_id)
    assert [(line.item_id, line.variant_id, line.quantity, line.unit_price, line.ship_to_index)
            for line in order.lines] == [
        ("tshirt", "TSHIRT-BLK-M", 2, 2980, 0),
        ("socks", "SOCKS-WHT-L", 1, 980, 0),
    ]  # fmt: skip
    assert all(line.name and line.external_line_id.isdigit() for line in order.lines)
    assert len({line.external_line_id for line in order.lines}) == 2


@pytest.mark.parametrize(
    ("payment", "method", "fee", "paid_once_confirmed"),
    [
        ("credit_card", "credit_card", 0, True),
        ("cod", "cod", 330, False),
        ("bank_transfer", "bank_transfer", 0, True),
        ("convenience_store", "convenience_store", 0, True),
        ("deferred", "deferred", 0, False),
        ("points", "points", 0, True),
    ],
)
def test_parse_maps_payment_method_fee_and_paid_flag(sim, adapter, payment, method, fee, paid_once_confirmed):
    order_id = place(sim, payment=payment)
    before = adapter.parse_order(adapter.fetch_order(order_id))

    adapter.acknowledge([order_id])
    after = adapter.parse_order(adapter.fetch_order(order_id))

    assert (before.payment_method, before.payment_fee, before.paid) == (method, fee, False)
    assert before.total == before.subtotal + before.shipping_fee + before.payment_fee - before.discount
    assert (after.paid, after.needs_ack) == (paid_once_confirmed, False)


@pytest.mark.parametrize(
    ("code", "method"),
    [(1, "credit_card"), (2, "cod"), (4, "points"), (8, "points"), (9, "bank_transfer"),
     (13, "convenience_store"), (21, "deferred"), (12, "other"), (17, "other")],
)  # fmt: skip
def test_parse_maps_settlement_method_codes(sample, parse, code, method):
    sample.payload["SettlementModel"]["settlementMethodCode"] = code

    assert parse(sample).payment_method == method


def test_parse_reads_coupons_and_points_as_the_discount(sample, parse):
    payload = sample.payload
    payload.update(couponAllTotalPrice=500, requestPrice=payload["totalPrice"] - 800)
    payload["PointModel"] = {"usedPoint": 300}

    order = parse(sample)

    assert (order.subtotal, order.discount, order.total) == (6940, 800, 6140)


def test_parse_adds_gift_wrapping_to_the_postage_and_marks_a_gift(sample, parse):
    payload = sample.payload
    payload["WrappingModel1"] = {"title": 1, "name": "包装紙", "price": 330, "includeTaxFlag": 1,
                                 "deleteWrappingFlag": 0}  # fmt: skip
    payload["WrappingModel2"] = {"title": 2, "name": "リボン", "price": 110, "deleteWrappingFlag": 1}
    payload.update(totalPrice=payload["totalPrice"] + 330, requestPrice=payload["requestPrice"] + 330)

    order = parse(sample)

    assert (order.shipping_fee, order.is_gift, order.total) == (330, True, 7270)
    assert order.total == order.subtotal + order.shipping_fee + order.payment_fee - order.discount


@pytest.mark.parametrize("slot", ["", "08-12", "12-14", "16-18", "18-20", "19-21", "18-21", "20-21"])
def test_parse_maps_each_delivery_time_slot(sim, adapter, slot):
    order_id = place(sim, delivery_time=slot, delivery_date="")

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert (order.delivery_time, order.delivery_date) == (slot, None)


@pytest.mark.parametrize(
    ("term", "expected"),
    [(0, ("", "")), (None, ("", "")), (1, ("08-12", "")), (812, ("08-12", "")), ("0812", ("08-12", "")),
     (1416, ("14-16", "")), ("1921", ("19-21", "")), (2, ("", "午後")), (9, ("", "その他")),
     (708, ("", "7時-8時")), (2324, ("", "23時-24時"))],
)  # fmt: skip
def test_shipping_term_codes_become_canonical_slots(term, expected):
    assert delivery_slot(term) == expected


def test_parse_keeps_a_time_wish_no_slot_holds_in_the_remarks(sample, parse):
    sample.payload["shippingTerm"] = 2

    order = parse(sample)

    assert (order.delivery_time, order.remarks) == ("", "不在時は宅配ボックスへ\n[お届け時間帯指定: 午後]")


def test_parse_keeps_a_separate_recipient_apart_from_the_buyer(sim, adapter):
    recipient = {"name": "佐藤 花子", "kana": "サトウ ハナコ", "postal_code": "5300001", "prefecture": "大阪府",
                 "city": "大阪市北区", "address1": "梅田1-1", "address2": "", "phone": "06-1234-5678"}  # fmt: skip
    order_id = place(sim, ship_to=recipient)

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert (order.buyer_name, order.buyer_phone, order.is_gift) == ("山田　太郎", "090-1234-5678", True)
    [ship_to] = order.ship_tos
    assert (ship_to.name, ship_to.kana, ship_to.postal_code) == ("佐藤　花子", "サトウ　ハナコ", "530-0001")
    assert (ship_to.prefecture, ship_to.city, ship_to.address1) == ("大阪府", "大阪市北区", "梅田1-1")
    assert ship_to.phone == "06-1234-5678"


def test_parse_reads_every_package_as_a_ship_to(sample, parse):
    payload = sample.payload
    second = copy.deepcopy(payload["PackageModelList"][0])
    second["basketId"] += 1000
    second["SenderModel"].update(familyName="佐藤", firstName="花子", prefecture="大阪府")
    second["ItemModelList"] = second["ItemModelList"][1:]
    second["ItemModelList"][0]["itemDetailId"] += 1000
    deleted = copy.deepcopy(second) | {"packageDeleteFlag": 1, "basketId": 1}
    payload["PackageModelList"] += [deleted, second]

    order = parse(sample)

    assert [(s.name, s.prefecture, s.external_id) for s in order.ship_tos] == [
        ("山田　太郎", "東京都", str(payload["PackageModelList"][0]["basketId"])),
        ("佐藤　花子", "大阪府", str(second["basketId"])),
    ]
    assert [(line.variant_id, line.ship_to_index) for line in order.lines] == [
        ("TSHIRT-BLK-M", 0),
        ("SOCKS-WHT-L", 0),
        ("SOCKS-WHT-L", 1),
    ]


def _without(key: str):
    return lambda order: order.pop(key)


def _set_in(path: tuple, value: object):
    def change(order: dict) -> None:
        target = order
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_without("OrdererModel"), "OrdererModel is missing"),
        (_without("orderNumber"), "orderNumber is missing"),
        (
            _set_in(("orderDatetime",), "2026/12/01 10:00"),
            "orderDatetime is '2026/12/01 10:00', not a timestamp",
        ),
        (_set_in(("orderProgress",), 150), "orderProgress 150"),
        (_set_in(("PackageModelList",), []), "no package"),
        (_set_in(("PackageModelList", 0, "ItemModelList", 0, "units"), "two"), "units is 'two'"),
        (_set_in(("PackageModelList", 0, "ItemModelList", 0, "units"), 0), "not a positive quantity"),
        (_set_in(("PackageModelList", 0, "ItemModelList", 0, "SkuModelList"), None), "version 7 or later"),
        (
            _set_in(("PackageModelList", 0, "SenderModel", "prefecture"), None),
            "SenderModel.prefecture is missing",
        ),
        (_set_in(("SettlementModel", "settlementMethodCode"), -9999), "settlementMethodCode is missing"),
        (_set_in(("totalPrice",), "many"), "totalPrice is 'many'"),
        (_set_in(("shippingTerm",), 2530), "shippingTerm 2530"),
        (_set_in(("deliveryDate",), "12/05"), "deliveryDate is '12/05'"),
    ],
)
def test_parse_raises_payload_error_naming_the_broken_field(sample, parse, spoil, message):
    spoil(sample.payload)

    with pytest.raises(PayloadError, match=message) as caught:
        parse(sample)

    assert sample.external_id in str(caught.value)
    assert "山田" not in str(caught.value)


def test_parse_refuses_a_payload_that_is_not_an_order_model(parse):
    with pytest.raises(PayloadError, match="not an OrderModel"):
        parse(RawOrder("100001-20261201-00000101", "<xml/>"))


# ---- fetch_orders -------------------------------------------------------------------------------------------
def test_fetch_orders_pages_through_search_results_and_details(sim, adapter):
    since = timezone.now() - timedelta(minutes=1)
    placed = [place(sim) for _ in range(7)]
    adapter.search_page_size = 3
    adapter.detail_page_size = 2

    pages = list(adapter.fetch_orders(since=since, until=timezone.now() + timedelta(seconds=1)))

    assert sorted(raw.external_id for page in pages for raw in page) == sorted(placed)
    assert all(1 <= len(page) <= 2 for page in pages)
    assert all(raw.payload["orderNumber"] == raw.external_id for page in pages for raw in page)


def test_fetch_orders_splits_a_window_longer_than_63_days(sim, adapter):
    order_id = place(sim)

    ids = fetched_ids(adapter, timezone.now() - timedelta(days=150))

    assert ids == [order_id]


def test_fetch_orders_reads_orders_still_waiting_for_confirmation_outside_the_window(sim, adapter):
    order_id = place(sim)
    since = next_second()

    assert fetched_ids(adapter, since) == [order_id]  # still 100: the shop waits for us

    adapter.acknowledge([order_id])
    assert order_id not in fetched_ids(adapter, next_second())


def test_fetch_orders_sees_an_order_confirmed_in_the_window_as_paid(sim, adapter):
    order_id = place(sim, payment="bank_transfer")
    [first] = fetched(adapter, timezone.now() - timedelta(minutes=1))
    since = next_second()

    adapter.acknowledge([order_id])
    [again] = fetched(adapter, since)

    assert adapter.parse_order(first).paid is False
    assert again.external_id == order_id
    assert (adapter.parse_order(again).paid, adapter.parse_order(again).needs_ack) == (True, False)


def test_fetch_orders_sees_a_cancellation_once(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])
    since = next_second()
    assert fetched_ids(adapter, since) == []

    sim.control("POST", f"orders/{order_id}/cancel")
    [cancelled] = fetched(adapter, since)
    repeated = fetched_ids(adapter, since)

    assert cancelled.external_id == order_id
    assert adapter.parse_order(cancelled).cancelled is True
    assert repeated == []


def test_fetch_orders_hands_a_cancellation_over_again_when_its_page_was_not_taken(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])
    sim.control("POST", f"orders/{order_id}/cancel")
    since = next_second()

    pages = adapter.fetch_orders(since=since, until=timezone.now())
    assert [raw.external_id for raw in next(pages)] == [order_id]
    pages.close()  # the poll died before asking for more

    assert fetched_ids(adapter, since) == [order_id]
    assert fetched_ids(adapter, since) == []


def test_fetch_orders_sees_shipping_reported_in_the_window(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])
    since = next_second()

    adapter.push_shipment(shipment(order_id))
    [shipped] = fetched(adapter, since)

    assert shipped.external_id == order_id
    assert adapter.parse_order(shipped).shipped_on_marketplace is True


def test_fetch_order_of_an_unknown_number_raises(adapter):
    with pytest.raises(AdapterError, match="not found"):
        adapter.fetch_order("100001-20261201-99999901")


# ---- acknowledge --------------------------------------------------------------------------------------------
def test_acknowledge_confirms_orders_100_at_a_time(sim, adapter):
    order_ids = [place(sim) for _ in range(101)]
    cancelled = order_ids[0]
    sim.control("POST", f"orders/{cancelled}/cancel")
    before = requests_made(sim)

    adapter.acknowledge(order_ids)

    assert requests_made(sim) - before == 2
    assert view(sim, cancelled)["status"] == 900
    assert {view(sim, order_id)["status"] for order_id in order_ids[1:]} == {300}


def test_acknowledge_twice_is_no_error(sim, adapter):
    order_id = place(sim)

    adapter.acknowledge([order_id])
    adapter.acknowledge([order_id])

    assert view(sim, order_id)["status"] == 300


# ---- stock --------------------------------------------------------------------------------------------------
def test_push_stock_sets_the_shown_quantity_400_variants_a_call(sim, adapter):
    updates = [StockUpdate(f"item{i % 7}", f"VAR-{i:04d}", i) for i in range(450)]
    updates.append(StockUpdate("tshirt", "TSHIRT-BLK-M", -3))
    updates.append(StockUpdate("tshirt", "TSHIRT-BLK-L", 123_456))
    updates.append(StockUpdate("bad id!", "X", 5))  # no Rakuten listing can have this id: left out
    before = requests_made(sim)

    adapter.push_stock(updates)

    assert requests_made(sim) - before == 2
    assert sim.control("GET", "listings/VAR-0449").json()["quantity"] == 449
    assert sim.control("GET", "listings/VAR-0000").json()["quantity"] == 0
    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 0
    assert sim.control("GET", "listings/TSHIRT-BLK-L").json()["quantity"] == 99_999
    assert sim.control("GET", "listings/X").status_code == 404


def test_push_stock_overwrites_what_a_sale_left(sim, adapter):
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 10})
    place(sim)  # 2 sold: the shop shows 8

    adapter.push_stock([StockUpdate("TSHIRT", "TSHIRT-BLK-M", 5)])

    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 5


def test_fetch_stock_reads_what_the_shop_shows_1000_variants_a_call(sim, adapter):
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 7})
    sim.control("PUT", "listings/SOCKS-WHT-L", json={"quantity": 0})
    keys = [("TSHIRT", "TSHIRT-BLK-M"), ("socks", "SOCKS-WHT-L"), ("tshirt", "TSHIRT-NONE")]
    keys += [("filler", f"F-{i:04d}") for i in range(1000)]
    before = requests_made(sim)

    shown = adapter.fetch_stock(keys)

    assert requests_made(sim) - before == 2
    assert shown == {("TSHIRT", "TSHIRT-BLK-M"): 7, ("socks", "SOCKS-WHT-L"): 0}


# ---- push_shipment ------------------------------------------------------------------------------------------
def test_push_shipment_registers_the_tracking_number_on_the_basket(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])
    basket = adapter.parse_order(adapter.fetch_order(order_id)).ship_tos[0].external_id

    answer = adapter.push_shipment(shipment(order_id, carrier_code="sagawa", ship_to_external_id=basket))

    shop = view(sim, order_id)
    assert shop["tracking_numbers"] == ["444413758703"]
    assert shop["status"] == 500
    [parcel] = shop["order"]["PackageModelList"][0]["ShippingModelList"]
    assert (parcel["deliveryCompany"], parcel["shippingDate"]) == ("1002", "2026-12-03")
    assert answer.startswith("楽天: ")


def test_push_shipment_without_a_basket_uses_the_first_and_is_idempotent(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])

    adapter.push_shipment(shipment(order_id, carrier_code="japanpost"))
    again = adapter.push_shipment(shipment(order_id, carrier_code="japanpost"))

    assert view(sim, order_id)["tracking_numbers"] == ["444413758703"]
    assert "登録済み" in again


def test_push_shipment_of_a_cancelled_order_raises(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])
    sim.control("POST", f"orders/{order_id}/cancel")

    with pytest.raises(AdapterError, match="cancelled"):
        adapter.push_shipment(shipment(order_id))


def test_push_shipment_with_an_unknown_carrier_raises(sim, adapter):
    with pytest.raises(AdapterError, match="deliveryCompany"):
        adapter.push_shipment(shipment(place(sim), carrier_code="seino"))


# ---- auth ---------------------------------------------------------------------------------------------------
def test_bad_credentials_raise_auth_error(sim):
    adapter = make_adapter(sim, credentials={"license_key": "SL_wrong"})

    with pytest.raises(AuthError, match="ES01-01"):
        list(adapter.fetch_orders(since=timezone.now() - timedelta(hours=1), until=timezone.now()))
    with pytest.raises(AuthError):
        adapter.push_stock([StockUpdate("tshirt", "TSHIRT-BLK-M", 1)])


def test_missing_credentials_raise_auth_error(sim):
    adapter = make_adapter(sim, credentials={"service_secret": ""})

    with pytest.raises(AuthError, match="service_secret"):
        adapter.fetch_order("100001-20261201-00000101")


# ---- faults and throttling ----------------------------------------------------------------------------------
def test_faults_are_retried_and_every_call_succeeds(sim):
    adapter = make_adapter(sim, max_attempts=8)
    order_ids = [place(sim) for _ in range(5)]
    sim.control("POST", "faults", json={"error_rate": 0.4, "kinds": ["500", "503", "429", "malformed"]})

    ids = fetched_ids(adapter, timezone.now() - timedelta(minutes=1))
    adapter.acknowledge(order_ids)
    adapter.push_stock([StockUpdate("tshirt", "TSHIRT-BLK-M", 4)])
    shown = adapter.fetch_stock([("tshirt", "TSHIRT-BLK-M")])
    for order_id in order_ids:
        adapter.push_shipment(shipment(order_id))

    sim.control("POST", "faults", json={"error_rate": 0})
    assert sim.control("GET", "stats").json()["faults_injected"] > 5
    assert set(ids) == set(order_ids)
    assert shown == {("tshirt", "TSHIRT-BLK-M"): 4}
    # A malformed answer to updateOrderShipping came after the change: it must not register the parcel twice.
    assert all(view(sim, order_id)["tracking_numbers"] == ["444413758703"] for order_id in order_ids)


def test_a_timeout_is_retried(sim):
    adapter = make_adapter(sim, timeout=(2.0, 0.3), max_attempts=8)
    order_id = place(sim)
    sim.control("POST", "faults", json={"error_rate": 0.3, "kinds": ["timeout"], "timeout_seconds": 0.6})

    raws = [adapter.fetch_order(order_id) for _ in range(4)]

    assert all(raw.external_id == order_id for raw in raws)


def test_a_throttled_shop_is_slowed_down_to_not_hammered(start_simulator):  # noqa: F811
    sim = start_simulator("rakuten", rate_limits="real")
    adapter = make_adapter(sim, rate_limits=True)
    place(sim)
    started = time.monotonic()

    fetched_ids(adapter, timezone.now() - timedelta(minutes=1))  # 6 searches: 3 at once, then 1 a second
    adapter.push_stock([StockUpdate("item", f"V-{i:04d}", 1) for i in range(1200)])  # 3 calls, 1 a second

    stats = sim.control("GET", "stats").json()
    assert time.monotonic() - started >= 2.5
    assert stats["throttled"] == 0
    assert stats["requests"] == 6 + 1 + 3


def test_throttling_answers_are_waited_out(start_simulator):  # noqa: F811
    sim = start_simulator("rakuten", rate_limits="real")
    # Our buckets off: the shop's 429s (no Retry-After) must slow us down through the backoff.
    adapter = make_adapter(sim, rate_limits=False, backoff_base=0.3)

    for i in range(4):
        adapter.push_stock([StockUpdate("item", f"V-{i}", i)])

    stats = sim.control("GET", "stats").json()
    assert stats["throttled"] >= 1
    assert sim.control("GET", "listings/V-3").json()["quantity"] == 3


def test_a_search_page_served_twice_is_asked_for_again(sim, adapter):
    since = timezone.now() - timedelta(minutes=1)
    placed = [place(sim) for _ in range(12)]
    adapter.search_page_size = 3
    sim.control("POST", "faults", json={"error_rate": 0.5, "kinds": ["duplicate_page"]})

    ids = fetched_ids(adapter, since)

    assert sim.control("GET", "stats").json()["faults_injected"] >= 3
    assert sorted(ids) == sorted(placed)
