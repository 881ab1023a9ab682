"""The Yahoo!ショッピング adapter against the Yahoo simulator over real HTTP on loopback."""

import base64
import threading
import time
from datetime import date, datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels.adapters.base import (
    AdapterError,
    AuthError,
    PayloadError,
    RawOrder,
    ShipmentUpdate,
    StockUpdate,
)
from channels.adapters.tokens import token_cache_key as cache_key
from channels.adapters.yahoo import YahooAdapter
from channels.adapters.yahoo_auth import signature_headers
from channels.adapters.yahoo_parse import JST
from tests.channels.conftest import fetched_ids, next_second, place, sim_channel, stats, view
from tests.channels.simulators.conftest import start_simulator  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_cache", "fresh_client_buckets")]

ALL_FAULTS = ["500", "503", "429", "timeout", "malformed"]


@pytest.fixture
def sim(start_simulator):  # noqa: F811
    return start_simulator("yahoo")


def make_adapter(sim, *, backoff_base: float = 0.01, **credential_changes: str) -> YahooAdapter:
    return YahooAdapter(sim_channel(sim, **credential_changes), backoff_base=backoff_base)


def make_faultable_adapter(sim) -> YahooAdapter:
    """Short timeouts and more attempts, for the fault tests."""
    adapter = YahooAdapter(sim_channel(sim), timeout=(1.0, 0.25), backoff_base=0.01)
    adapter.http.max_attempts = adapter.auth_http.max_attempts = 12
    return adapter


@pytest.fixture
def adapter(sim) -> YahooAdapter:
    return make_adapter(sim)


# ---- parse_order: every field ------------------------------------------------------------------------------
def test_parse_maps_every_field_of_a_placed_order(sim, adapter):
    order_id = place(sim)

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert order.external_id == order_id
    assert order.ordered_at.tzinfo is not None
    assert abs(order.ordered_at - timezone.now()) < timedelta(minutes=1)
    assert order.updated_at == order.ordered_at
    assert order.cancelled is False
    assert (order.buyer_name, order.buyer_kana) == ("山田　太郎", "ヤマダ　タロウ")
    assert (order.buyer_email, order.buyer_phone) == ("taro@example.jp", "090-1234-5678")
    assert (order.payment_method, order.paid) == ("credit_card", True)
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.discount) == (6940, 0, 0, 0)
    assert order.total == 6940
    assert order.remarks == "不在時は宅配ボックスへ"
    assert order.is_gift is False
    assert (order.delivery_date, order.delivery_time) == (date(2026, 12, 5), "14-16")
    assert order.shipped_on_marketplace is False
    [ship_to] = order.ship_tos
    assert (ship_to.name, ship_to.kana, ship_to.phone) == ("山田　太郎", "ヤマダ　タロウ", "090-1234-5678")
    assert (ship_to.postal_code, ship_to.prefecture, ship_to.city) == ("100-0001", "東京都", "千代田区")
    assert (ship_to.address1, ship_to.address2) == ("千代田1-1", "パレス千代田 101号室")
    assert [(line.external_line_id, line.item_id, line.variant_id, line.quantity, line.unit_price)
            for line in order.lines] == [
        ("1", "tshirt", "TSHIRT-BLK-M", 2, 2980),
        ("2", "socks", "SOCKS-WHT-L", 1, 980),
    ]  # fmt: skip
    assert all(line.name and line.ship_to_index == 0 for line in order.lines)
    assert order.needs_ack is True


@pytest.mark.parametrize(
    ("payment", "method", "paid", "fee"),
    [
        ("cod", "cod", False, 330),
        ("bank_transfer", "bank_transfer", False, 0),
        ("convenience_store", "convenience_store", False, 0),
        ("deferred", "deferred", True, 0),
        ("points", "points", True, 0),
    ],
)
def test_parse_maps_payment_method_paid_flag_and_fee(sim, adapter, payment, method, paid, fee):
    order_id = place(sim, payment=payment)

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert (order.payment_method, order.paid, order.payment_fee) == (method, paid, fee)
    assert order.total == order.subtotal + order.shipping_fee + order.payment_fee - order.discount


@pytest.mark.parametrize("slot", ["", "08-12", "12-14", "16-18", "18-20", "19-21", "18-21", "20-21"])
def test_parse_maps_each_delivery_time_slot(sim, adapter, slot):
    order_id = place(sim, delivery_time=slot, delivery_date="")

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert (order.delivery_time, order.delivery_date) == (slot, None)


def test_parse_keeps_a_separate_recipient_apart_from_the_buyer(sim, adapter):
    recipient = {
        "name": "佐藤 花子",
        "kana": "サトウ ハナコ",
        "postal_code": "5300001",
        "prefecture": "大阪府",
        "city": "大阪市北区",
        "address1": "梅田1-1",
        "address2": "",
        "phone": "06-1234-5678",
    }
    order_id = place(sim, ship_to=recipient)

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert order.buyer_name == "山田　太郎"
    [ship_to] = order.ship_tos
    assert (ship_to.name, ship_to.kana, ship_to.postal_code) == ("佐藤　花子", "サトウ　ハナコ", "530-0001")
    assert (ship_to.prefecture, ship_to.city, ship_to.phone) == ("大阪府", "大阪市北区", "06-1234-5678")


def test_parse_reads_gift_wrapping_and_its_message(sim, adapter):
    raw = adapter.fetch_order(place(sim, remarks=""))
    payload = raw.payload.replace(
        "<NeedGiftWrap>false</NeedGiftWrap>",
        "<NeedGiftWrap>true</NeedGiftWrap><GiftWrapMessage>お誕生日おめでとう</GiftWrapMessage>",
    )

    order = adapter.parse_order(RawOrder(raw.external_id, payload))

    assert order.is_gift is True
    assert order.remarks == "ギフトメッセージ: お誕生日おめでとう"


def test_parse_reads_yahoo_time_words_for_delivery_slots(sim, adapter):
    raw = adapter.fetch_order(place(sim))

    for words, slot in (("午前中", "08-12"), ("指定なし", ""), ("19時～21時", "19-21")):
        payload = raw.payload.replace("14:00～16:00", words)
        assert adapter.parse_order(RawOrder(raw.external_id, payload)).delivery_time == slot


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (lambda xml: xml[: len(xml) // 2], "not well-formed"),
        (lambda xml: xml.replace("<Quantity>2</Quantity>", "<Quantity>two</Quantity>"), "Quantity"),
        (lambda xml: xml.replace("<ShipZipCode>100-0001</ShipZipCode>", "<ShipZipCode>1000</ShipZipCode>"),
         "ShipZipCode"),
        (lambda xml: xml.replace("14:00～16:00", "10:00～11:00"), "ShipRequestTime"),
        (lambda xml: xml.replace("2026-12-05", "2026-13-45"), "ShipRequestDate"),
        (lambda xml: xml.replace("<TotalPrice>6940</TotalPrice>", ""), "TotalPrice is missing"),
        (lambda xml: xml.replace("<OrderStatus>2</OrderStatus>", "<OrderStatus>9</OrderStatus>"), "OrderStatus"),
    ],
)  # fmt: skip
def test_a_malformed_payload_raises_payload_error_that_names_the_problem(sim, adapter, broken, message):
    raw = adapter.fetch_order(place(sim))

    with pytest.raises(PayloadError, match=message) as caught:
        adapter.parse_order(RawOrder(raw.external_id, broken(raw.payload)))

    assert raw.external_id in str(caught.value)


def test_a_payload_that_is_not_xml_text_raises_payload_error(adapter):
    with pytest.raises(PayloadError, match="not XML text"):
        adapter.parse_order(RawOrder("demo-store-1", {"OrderId": "demo-store-1"}))


# ---- fetch_orders: windows, pages, changes ----------------------------------------------------------------
def test_fetch_orders_pages_through_order_list_and_details(sim, adapter):
    since = timezone.now() - timedelta(seconds=1)
    placed = [place(sim) for _ in range(5)]
    adapter.list_page_size = 2
    adapter.detail_page_size = 2

    pages = list(adapter.fetch_orders(since=since, until=timezone.now() + timedelta(seconds=1)))

    assert len(pages) == 3
    assert sorted(raw.external_id for page in pages for raw in page) == sorted(placed)
    assert all(raw.payload.startswith("<?xml") for page in pages for raw in page)


def test_fetch_orders_leaves_out_seen_orders_placed_before_the_window(sim, adapter):
    before = place(sim)
    adapter.acknowledge([before])
    since = next_second()
    inside = place(sim)

    assert fetched_ids(adapter, since) == [inside]


def test_fetch_orders_leaves_out_orders_placed_after_the_window(sim, adapter):
    since = timezone.now() - timedelta(seconds=1)
    inside = place(sim)
    adapter.acknowledge([inside])
    until = next_second()
    time.sleep(1.05)
    place(sim)

    assert fetched_ids(adapter, since, until) == [inside]


def test_a_cancellation_of_an_older_order_is_seen_in_a_later_window(sim, adapter):
    order_id = place(sim)
    adapter.acknowledge([order_id])
    since = next_second()
    sim.control("POST", f"orders/{order_id}/cancel")

    [[raw]] = list(adapter.fetch_orders(since=since, until=timezone.now() + timedelta(seconds=1)))

    assert raw.external_id == order_id
    assert adapter.parse_order(raw).cancelled is True


def test_an_order_still_new_on_the_shop_is_fetched_whatever_the_window(sim, adapter):
    missed = place(sim)
    since = next_second()

    assert fetched_ids(adapter, since) == [missed]


def test_fetching_the_same_window_twice_gives_the_same_payloads(sim, adapter):
    since = timezone.now() - timedelta(seconds=1)
    place(sim)
    until = timezone.now() + timedelta(seconds=1)

    first = list(adapter.fetch_orders(since=since, until=until))
    second = list(adapter.fetch_orders(since=since, until=until))

    assert first == second


# ---- acknowledge -------------------------------------------------------------------------------------------
def test_acknowledge_marks_new_orders_seen_and_keeps_them_processing(sim, adapter):
    first, second = place(sim), place(sim)

    adapter.acknowledge([first, second])

    for order_id in (first, second):
        shown = view(sim, order_id)
        assert (shown["is_seen"], shown["status"]) == (True, 2)


def test_an_acknowledged_order_no_longer_needs_acknowledging(sim, adapter):
    order_id = place(sim)

    adapter.acknowledge([order_id])

    assert adapter.parse_order(adapter.fetch_order(order_id)).needs_ack is False


def test_a_cancelled_new_order_needs_no_acknowledging(sim, adapter):
    order_id = place(sim)
    sim.control("POST", f"orders/{order_id}/cancel")

    order = adapter.parse_order(adapter.fetch_order(order_id))

    assert (order.cancelled, order.needs_ack) == (True, False)


def test_acknowledge_leaves_cancelled_and_unknown_orders_alone(sim, adapter):
    cancelled = place(sim)
    sim.control("POST", f"orders/{cancelled}/cancel")

    adapter.acknowledge([cancelled, "demo-store-99999999"])

    shown = view(sim, cancelled)
    assert (shown["status"], shown["is_seen"]) == (4, False)


# ---- push_stock --------------------------------------------------------------------------------------------
def test_push_stock_sets_the_shown_quantity_of_each_variant(sim, adapter):
    adapter.push_stock([StockUpdate("tshirt", "TSHIRT-BLK-M", 7), StockUpdate("socks", "SOCKS-WHT-L", 0)])

    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 7
    assert sim.control("GET", "listings/SOCKS-WHT-L").json()["quantity"] == 0


def test_push_stock_never_sends_a_negative_quantity(sim, adapter):
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 5})

    adapter.push_stock([StockUpdate("tshirt", "TSHIRT-BLK-M", -3)])

    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 0


def test_push_stock_splits_past_one_thousand_items_per_call(sim, adapter):
    updates = [StockUpdate("bulk", f"BULK-{n:04d}", n % 50) for n in range(2500)]
    adapter.tokens.get()
    before = stats(sim)["requests"]

    adapter.push_stock(updates)

    assert stats(sim)["requests"] - before == 3
    shown = {row["sku"]: row["quantity"] for row in sim.control("GET", "listings").json()}
    assert all(shown[update.variant_id] == update.quantity for update in updates)


def test_push_stock_sends_the_rest_and_names_the_ids_it_cannot_send(sim, adapter):
    with pytest.raises(AdapterError, match="bad,code"):
        adapter.push_stock([StockUpdate("bad,code", "X", 1), StockUpdate("tshirt", "TSHIRT-BLK-M", 4)])

    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 4


def test_fetch_stock_reads_what_the_shop_shows_and_leaves_out_unknown_items(sim, adapter):
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 12})
    sim.control("PUT", "listings/SOCKS-WHT-L", json={"quantity": 0})

    shown = adapter.fetch_stock([("tshirt", "TSHIRT-BLK-M"), ("socks", "SOCKS-WHT-L"), ("gone", "GONE-1")])

    assert shown == {("tshirt", "TSHIRT-BLK-M"): 12, ("socks", "SOCKS-WHT-L"): 0}


def test_fetch_stock_splits_past_one_thousand_items_per_call(sim, adapter):
    keys = [("bulk", f"BULK-{n:04d}") for n in range(1500)]
    adapter.push_stock([StockUpdate(item, variant, 3) for item, variant in keys])
    before = stats(sim)["requests"]

    shown = adapter.fetch_stock(keys)

    assert stats(sim)["requests"] - before == 2
    assert shown == dict.fromkeys(keys, 3)


# ---- push_shipment -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("carrier", "company"), [("yamato", "1001"), ("sagawa", "1002"), ("japanpost", "1003")]
)
def test_push_shipment_marks_the_order_shipped_with_its_tracking_number(sim, adapter, carrier, company):
    order_id = place(sim)

    answer = adapter.push_shipment(ShipmentUpdate(order_id, carrier, "4444-1375-8703", date(2026, 12, 3)))

    shown = view(sim, order_id)
    assert shown["tracking_numbers"] == ["444413758703"]
    assert shown["ship_status"] == 3
    assert shown["order"]["Ship"]["ShipCompanyCode"] == company
    assert shown["order"]["Ship"]["ShipDate"] == "2026-12-03"
    assert "OK" in answer and "444413758703" in answer
    assert adapter.parse_order(adapter.fetch_order(order_id)).shipped_on_marketplace is True


def test_a_second_parcel_keeps_the_first_parcels_number(sim, adapter):
    """Yahoo holds two numbers per order and each call replaces both: every call sends the order's first two."""
    order_id = place(sim)
    numbers = ["444413758703", "444413758714", "444413758725"]
    adapter.push_shipment(
        ShipmentUpdate(order_id, "yamato", numbers[0], date(2026, 12, 3), order_tracking_numbers=numbers[:1])
    )

    adapter.push_shipment(
        ShipmentUpdate(order_id, "yamato", numbers[1], date(2026, 12, 3), order_tracking_numbers=numbers[:2])
    )
    third = adapter.push_shipment(
        ShipmentUpdate(order_id, "yamato", numbers[2], date(2026, 12, 3), order_tracking_numbers=numbers)
    )

    assert view(sim, order_id)["tracking_numbers"] == numbers[:2]
    assert f"2つまでしか持てないため {numbers[2]} は送っていません" in third


def test_push_shipment_of_a_cancelled_order_is_refused_with_yahoos_reason(sim, adapter):
    order_id = place(sim)
    sim.control("POST", f"orders/{order_id}/cancel")

    with pytest.raises(AdapterError, match="Cannot Be Operated"):
        adapter.push_shipment(ShipmentUpdate(order_id, "yamato", "444413758703", date(2026, 12, 3)))


def test_push_shipment_refuses_an_unknown_carrier(adapter):
    with pytest.raises(AdapterError, match="ShipCompanyCode"):
        adapter.push_shipment(ShipmentUpdate("demo-store-1", "fukutsu", "1", date(2026, 12, 3)))


# ---- credentials and tokens --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"refresh_token": "expired"}, "refresh token"),
        ({"seller_id": "other-store"}, "seller_id"),
        ({"client_id": ""}, "client_id"),
    ],
)
def test_bad_credentials_raise_auth_error_with_the_reason(sim, changes, reason):
    adapter = make_adapter(sim, **changes)
    order_id = place(sim)

    with pytest.raises(AuthError, match=reason):
        adapter.fetch_order(order_id)


def test_the_access_token_is_cached_between_calls(sim, adapter):
    order_id = place(sim)

    adapter.fetch_order(order_id)
    adapter.fetch_order(order_id)

    assert stats(sim)["requests"] == 3  # one token, two orderInfo
    assert cache.get(cache_key(adapter.channel.pk))


def test_a_refused_cached_token_is_renewed_once_and_the_call_succeeds(sim, adapter):
    order_id = place(sim)
    cache.set(cache_key(adapter.channel.pk), "revoked-token", 3600)

    raw = adapter.fetch_order(order_id)

    assert raw.external_id == order_id
    assert cache.get(cache_key(adapter.channel.pk)) not in (None, "revoked-token")


def test_a_short_lived_token_is_replaced_when_it_expires(start_simulator, monkeypatch):  # noqa: F811
    monkeypatch.setenv("YAHOO_SIM_TOKEN_TTL", "1")
    sim = start_simulator("yahoo")
    adapter = make_adapter(sim)
    order_id = place(sim)
    adapter.fetch_order(order_id)
    first = cache.get(cache_key(adapter.channel.pk))

    time.sleep(1.2)
    adapter.fetch_order(order_id)

    assert cache.get(cache_key(adapter.channel.pk)) not in (None, first)


def test_public_key_signature_headers_carry_the_seller_and_time():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )

    headers = signature_headers({"public_key": pem, "public_key_version": "2"}, "demo-store")

    assert headers["X-sws-signature-version"] == "2"
    plain = key.decrypt(base64.b64decode(headers["X-sws-signature"]), padding.PKCS1v15()).decode()
    seller, unixtime = plain.split(":")
    assert seller == "demo-store" and abs(int(unixtime) - time.time()) < 5
    assert signature_headers({}, "demo-store") == {}


# ---- faults and throttling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", [*ALL_FAULTS, "duplicate_page"])
def test_each_kind_of_fault_is_retried_until_the_call_succeeds(sim, kind):
    placed = [place(sim) for _ in range(4)]
    adapter = make_faultable_adapter(sim)
    adapter.list_page_size = 1
    adapter.tokens.get()  # the token endpoint allows 1 request a second: keep its retries out of this test
    sim.control("POST", "faults", json={"error_rate": 0.5, "kinds": [kind], "timeout_seconds": 0.4})

    ids = fetched_ids(adapter, timezone.now() - timedelta(minutes=1))

    assert sorted(ids) == sorted(placed)
    assert stats(sim)["faults_injected"] > 0


def test_every_call_succeeds_with_thirty_percent_mixed_faults(sim):
    placed = [place(sim) for _ in range(4)]
    adapter = make_faultable_adapter(sim)
    sim.control("POST", "faults", json={"error_rate": 0.3, "kinds": ALL_FAULTS, "timeout_seconds": 0.4})

    pages = list(adapter.fetch_orders(since=timezone.now() - timedelta(minutes=1), until=timezone.now()))
    orders = [adapter.parse_order(raw) for page in pages for raw in page]
    adapter.acknowledge(placed)
    adapter.push_stock([StockUpdate("tshirt", "TSHIRT-BLK-M", 11)])
    adapter.push_shipment(ShipmentUpdate(placed[0], "sagawa", "512547514334", date(2026, 12, 3)))

    sim.control("POST", "faults", json={"error_rate": 0})
    assert sorted(order.external_id for order in orders) == sorted(placed)
    assert all(view(sim, order_id)["is_seen"] for order_id in placed)
    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 11
    assert view(sim, placed[0])["tracking_numbers"] == ["512547514334"]
    assert stats(sim)["faults_injected"] > 0


def test_the_client_keeps_under_the_real_limit_instead_of_being_throttled(start_simulator):  # noqa: F811
    sim = start_simulator("yahoo", rate_limits="real")
    adapter = make_adapter(sim)
    order_id = place(sim)
    calls = 30

    started = time.monotonic()
    for _ in range(calls):
        adapter.fetch_order(order_id)
    elapsed = time.monotonic() - started

    counters = stats(sim)
    assert elapsed >= (calls - 10) / 10 * 0.9  # a burst of 10, then 10 per second
    assert counters["throttled"] <= 3  # clocks of client and shop start a little apart
    assert counters["requests"] <= calls + 1 + counters["throttled"]


def test_a_throttled_shop_is_slowed_down_to_not_hammered(start_simulator):  # noqa: F811
    """Two channels of one app share Yahoo's limit but not our client bucket: Yahoo answers 403 and we back off."""
    sim = start_simulator("yahoo", rate_limits="real")
    adapters = [make_adapter(sim, backoff_base=0.25) for _ in range(2)]  # the production backoff is 0.5 s
    order_id = place(sim)
    calls = 20
    errors: list[Exception] = []

    def work(adapter: YahooAdapter) -> None:
        try:
            for _ in range(calls):
                adapter.fetch_order(order_id)
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(adapter,)) for adapter in adapters]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started

    counters = stats(sim)
    assert errors == []
    assert counters["throttled"] > 0
    # Every refusal costs a pause: far fewer refusals than successful calls, and no faster than the limit.
    assert counters["throttled"] < calls
    assert elapsed >= (2 * calls - 10) / 10 * 0.9


def test_fetch_orders_uses_jst_conditions_for_aware_datetimes(sim, adapter):
    since = datetime.now(JST) - timedelta(seconds=2)
    order_id = place(sim)

    assert fetched_ids(adapter, since.astimezone(timezone.get_fixed_timezone(-300))) == [order_id]
