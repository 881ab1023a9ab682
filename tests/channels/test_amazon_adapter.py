"""The Amazon SP-API adapter against the Amazon simulator over real HTTP on loopback."""

import time
from datetime import date, datetime, timedelta

import pytest
import requests
from django.core.cache import cache
from django.utils import timezone

from channels.adapters.amazon import AmazonAdapter
from channels.adapters.amazon_parse import JST
from channels.adapters.base import AdapterError, AuthError, ShipmentUpdate, StockUpdate
from channels.adapters.tokens import token_cache_key
from tests.channels.conftest import base_order, post_order, sim_channel, stats
from tests.channels.conftest import view as sim_order
from tests.channels.simulators.conftest import start_simulator  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_cache", "fresh_client_buckets")]

ALL_FAULTS = ["500", "503", "429", "timeout", "malformed"]
WISHED_DAY = date.today() + timedelta(days=5)


def canonical_order(**changes: object) -> dict:
    """The base order to another recipient, wished for five days from now, with a gift remark."""
    order = base_order(delivery_date=WISHED_DAY.isoformat(), remarks="ギフト包装でお願いします")
    order["ship_to"]["name"] = "山田 花子"
    return order | changes


@pytest.fixture
def sim(start_simulator, monkeypatch):  # noqa: F811
    """Orders leave Pending at once (the simulator reads the variable when it starts)."""
    monkeypatch.setenv("AMAZON_SIM_PENDING_SECONDS", "0")
    return start_simulator("amazon")


def make_adapter(sim, *, rate_limits: bool = True, **credential_changes: str) -> AmazonAdapter:
    channel = sim_channel(sim, **credential_changes)
    return AmazonAdapter(channel, backoff_base=0.01, backoff_cap=0.05, rate_limits=rate_limits)


def make_faultable_adapter(sim) -> AmazonAdapter:
    """Short timeouts, more attempts, and no client-side buckets: after a 429 an emptied getOrders bucket
    would rightly wait a minute, which is the pacing tests' business, not the fault tests'."""
    adapter = make_adapter(sim, rate_limits=False)
    for client in (adapter.http, adapter.tokens.http):
        client.timeout, client.max_attempts = (1.0, 0.3), 10
    return adapter


@pytest.fixture
def adapter(sim) -> AmazonAdapter:
    return make_adapter(sim)


def place(sim, **changes: object) -> str:
    return post_order(sim, canonical_order(**changes))


def poll(adapter: AmazonAdapter, since: datetime | None = None) -> dict:
    """Every order of one poll by id (a page may repeat an order)."""
    until = timezone.now()
    pages = adapter.fetch_orders(since=since or until - timedelta(minutes=10), until=until)
    return {raw.external_id: raw for page in pages for raw in page}


def listed(sim, sku: str) -> int:
    return sim.control("GET", f"listings/{sku}").json()["quantity"]


# ---- orders -----------------------------------------------------------------------------------------------
def test_an_order_arrives_with_every_field_mapped(sim, adapter):
    order_id = place(sim)

    order = adapter.parse_order(poll(adapter)[order_id])

    assert order.external_id == order_id
    assert abs(order.ordered_at - timezone.now()) < timedelta(minutes=1)
    assert order.updated_at is not None and order.updated_at.tzinfo is not None
    assert (order.cancelled, order.shipped_on_marketplace, order.needs_ack) == (False, False, False)
    assert order.buyer_name == "山田\u3000太郎"
    assert order.buyer_kana == ""  # Amazon has no furigana
    assert order.buyer_email.endswith("@marketplace.amazon.co.jp")  # Amazon's relay address
    assert order.buyer_phone == "090-1234-5678"
    assert (order.payment_method, order.paid) == ("credit_card", True)
    assert (order.subtotal, order.shipping_fee, order.payment_fee, order.discount, order.total) == (
        6940,
        0,
        0,
        0,
        6940,
    )
    assert order.is_gift is True  # the gift wish becomes IsGift; Amazon orders carry no remarks
    assert order.remarks == ""
    assert (order.delivery_date, order.delivery_time) == (WISHED_DAY, "14-16")
    [ship_to] = order.ship_tos
    assert (ship_to.name, ship_to.postal_code, ship_to.prefecture, ship_to.city) == (
        "山田\u3000花子",
        "100-0001",
        "東京都",
        "千代田区",
    )
    assert (ship_to.address1, ship_to.address2, ship_to.phone) == (
        "千代田1-1",
        "パレス千代田 101号室",
        "090-1234-5678",
    )
    items = {item["SellerSKU"]: item["OrderItemId"] for item in sim_order(sim, order_id)["items"]}
    assert [
        (line.external_line_id, line.item_id, line.variant_id, line.quantity, line.unit_price)
        for line in order.lines
    ] == [
        (items["TSHIRT-BLK-M"], "TSHIRT-BLK-M", "", 2, 2980),
        (items["SOCKS-WHT-L"], "SOCKS-WHT-L", "", 1, 980),
    ]


@pytest.mark.parametrize(
    ("payment", "method", "paid"),
    [("cod", "cod", False), ("convenience_store", "convenience_store", True), ("points", "points", True)],
)
def test_payment_methods_are_mapped(sim, adapter, payment, method, paid):
    order_id = place(sim, payment=payment)

    order = adapter.parse_order(poll(adapter)[order_id])

    assert (order.payment_method, order.paid) == (method, paid)


def test_an_order_without_a_wished_date_has_no_delivery_wish(sim, adapter):
    order_id = place(sim, delivery_date=None, delivery_time="", remarks="")

    order = adapter.parse_order(poll(adapter)[order_id])

    assert (order.delivery_date, order.delivery_time, order.is_gift) == (None, "", False)


def test_orders_arrive_across_pages(sim, adapter):
    placed = {place(sim) for _ in range(5)}
    adapter.page_size = 2  # MaxResultsPerPage

    until = timezone.now()
    pages = list(adapter.fetch_orders(since=until - timedelta(minutes=10), until=until))

    assert [len(page) for page in pages] == [2, 2, 1]
    assert {raw.external_id for page in pages for raw in page} == placed


def test_orders_are_handed_over_a_few_at_a_time_while_the_items_quota_is_spent(sim, adapter, monkeypatch):
    placed = {place(sim) for _ in range(5)}
    adapter.hand_over = 2
    monkeypatch.setattr(adapter.http, "calls_ready", lambda limit: 0.0)

    until = timezone.now()
    pages = list(adapter.fetch_orders(since=until - timedelta(minutes=10), until=until))

    assert [len(page) for page in pages] == [2, 2, 1]
    assert {raw.external_id for page in pages for raw in page} == placed


def test_orders_the_items_quota_can_take_at_once_are_handed_over_together(sim, adapter, monkeypatch):
    placed = {place(sim) for _ in range(5)}
    adapter.hand_over = 2
    monkeypatch.setattr(adapter.http, "calls_ready", lambda limit: 4.0)

    until = timezone.now()
    pages = list(adapter.fetch_orders(since=until - timedelta(minutes=10), until=until))

    assert [len(page) for page in pages] == [4, 1]
    assert {raw.external_id for page in pages for raw in page} == placed


def test_a_window_that_ended_minutes_ago_is_bounded_by_last_updated_before(sim, adapter):
    place(sim)
    now = timezone.now()

    pages = list(adapter.fetch_orders(since=now - timedelta(minutes=30), until=now - timedelta(minutes=5)))

    assert pages == []  # the order placed just now lies after the window
    assert adapter.last_search_before is not None
    assert abs(adapter.last_search_before - (now - timedelta(minutes=5))) < timedelta(seconds=2)


def test_a_cancelled_order_is_seen_by_the_next_poll(sim, adapter):
    order_id = place(sim)
    first_poll_end = timezone.now()
    assert adapter.parse_order(poll(adapter)[order_id]).cancelled is False

    sim.control("POST", f"orders/{order_id}/cancel")
    order = adapter.parse_order(poll(adapter, since=first_poll_end - timedelta(seconds=2))[order_id])

    assert order.cancelled is True
    assert [line.item_id for line in order.lines] == ["TSHIRT-BLK-M", "SOCKS-WHT-L"]


def test_an_order_shipped_on_amazon_is_seen_as_shipped(sim, adapter):
    order_id = place(sim)
    first_poll_end = timezone.now()
    poll(adapter)
    adapter.push_shipment(ShipmentUpdate(order_id, "yamato", "444413758703", date.today()))

    order = adapter.parse_order(poll(adapter, since=first_poll_end - timedelta(seconds=2))[order_id])

    assert order.shipped_on_marketplace is True


def test_an_unchanged_order_does_not_cost_another_items_call(sim, adapter):
    order_id = place(sim)
    first = poll(adapter)
    before = stats(sim)["requests"]

    again = poll(adapter)

    assert stats(sim)["requests"] - before == 1  # getOrders only; the items came from the cache
    assert again[order_id].payload == first[order_id].payload


def test_fetch_order_gives_the_same_payload_as_the_search(sim, adapter):
    order_id = place(sim)

    assert adapter.fetch_order(order_id).payload == poll(adapter)[order_id].payload


def test_acknowledge_sends_nothing(sim, adapter):
    order_id = place(sim)
    order = adapter.parse_order(poll(adapter)[order_id])
    before = stats(sim)["requests"]

    adapter.acknowledge([order_id])

    assert order.needs_ack is False
    assert stats(sim)["requests"] == before
    assert sim_order(sim, order_id)["status"] == "Unshipped"


def test_pending_orders_wait_until_payment_is_authorised(start_simulator, monkeypatch):  # noqa: F811
    """The card order is Pending for 3 s: the first poll ends within them even on a busy machine."""
    monkeypatch.setenv("AMAZON_SIM_PENDING_SECONDS", "3")
    sim = start_simulator("amazon")
    adapter = make_adapter(sim)
    card = place(sim)
    cod = place(sim, payment="cod")  # cash on delivery needs no authorisation: Unshipped at once
    first_poll_end = timezone.now()

    first = poll(adapter)
    deadline = time.monotonic() + 30
    while sim_order(sim, card)["status"] == "Pending" and time.monotonic() < deadline:
        time.sleep(0.1)
    second = poll(adapter, since=first_poll_end - timedelta(seconds=2))

    assert set(first) == {cod}
    assert card in second
    assert adapter.parse_order(second[card]).ship_tos[0].postal_code == "100-0001"


# ---- stock ------------------------------------------------------------------------------------------------
def test_push_stock_sets_each_listed_quantity_with_one_call_per_sku(sim, adapter):
    skus = ["TSHIRT-BLK-M", "TSHIRT-WHT-M", "SOCKS-WHT-L"]
    for sku in skus:
        sim.control("PUT", f"listings/{sku}", json={"quantity": 1})
    adapter.tokens.get()
    before = stats(sim)["requests"]

    adapter.push_stock(
        [StockUpdate(sku, "", quantity) for sku, quantity in zip(skus, (5, 0, 12), strict=True)]
    )

    assert AmazonAdapter.stock_batch_size == 1
    assert [listed(sim, sku) for sku in skus] == [5, 0, 12]
    assert stats(sim)["requests"] - before == 3


def test_an_unlisted_sku_is_reported_and_the_others_are_still_pushed(sim, adapter):
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 1})

    with pytest.raises(AdapterError, match="not-listed"):
        adapter.push_stock([StockUpdate("not-listed", "", 3), StockUpdate("TSHIRT-BLK-M", "", 4)])

    assert listed(sim, "TSHIRT-BLK-M") == 4


def test_fetch_stock_reads_what_amazon_shows_and_leaves_unknown_skus_out(sim, adapter):
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 7})
    sim.control("PUT", "listings/SOCKS-WHT-L", json={"quantity": 0})

    shown = adapter.fetch_stock([("TSHIRT-BLK-M", ""), ("SOCKS-WHT-L", ""), ("NOT-LISTED", "")])

    assert shown == {("TSHIRT-BLK-M", ""): 7, ("SOCKS-WHT-L", ""): 0}


# ---- shipments --------------------------------------------------------------------------------------------
def test_push_shipment_reports_parcels_with_their_tracking_numbers(sim, adapter):
    order_id = place(sim)
    lines = adapter.parse_order(poll(adapter)[order_id]).lines
    tshirts = lines[0].external_line_id

    first = adapter.push_shipment(
        ShipmentUpdate(order_id, "sagawa", "512547514334", date.today(), items=[(tshirts, 2)])
    )
    assert sim_order(sim, order_id)["status"] == "PartiallyShipped"
    adapter.push_shipment(ShipmentUpdate(order_id, "japanpost", "405548424886", date.today()))  # the rest

    view = sim_order(sim, order_id)
    assert "204" in first
    assert view["status"] == "Shipped"
    assert view["tracking_numbers"] == ["512547514334", "405548424886"]
    packages = view["packages"]
    assert [package["carrierCode"] for package in packages] == ["Sagawa Express", "Japan Post"]
    assert packages[0]["orderItems"] == [{"orderItemId": tshirts, "quantity": 2}]
    assert packages[1]["orderItems"] == [{"orderItemId": lines[1].external_line_id, "quantity": 1}]
    shipped_at = datetime.fromisoformat(packages[0]["shipDate"])
    assert shipped_at.astimezone(JST).date() == date.today() and shipped_at <= timezone.now()


def test_a_parcel_sent_again_corrects_it_instead_of_failing(sim, adapter):
    order_id = place(sim)
    shipment = ShipmentUpdate(order_id, "yamato", "444413758703", date.today() - timedelta(days=1))

    adapter.push_shipment(shipment)
    adapter.push_shipment(shipment)

    view = sim_order(sim, order_id)
    assert (view["status"], view["tracking_numbers"]) == ("Shipped", ["444413758703"])
    ship_date = datetime.fromisoformat(view["packages"][0]["shipDate"]).astimezone(JST)
    assert (ship_date.date(), ship_date.hour) == (date.today() - timedelta(days=1), 23)


def test_a_later_parcel_without_items_is_not_sent_and_says_why(sim, adapter):
    """The OMS puts every unit in an order's first parcel; Amazon takes a package only with its items, so a
    second parcel's number is kept in the OMS and the answer (shown in the timeline) explains it."""
    order_id = place(sim)
    adapter.push_shipment(ShipmentUpdate(order_id, "yamato", "444413758703", date.today()))

    answer = adapter.push_shipment(ShipmentUpdate(order_id, "yamato", "444413758714", date.today(), items=[]))

    assert "444413758714 は送信しません" in answer
    view = sim_order(sim, order_id)
    assert (view["status"], view["tracking_numbers"]) == ("Shipped", ["444413758703"])


def test_an_unknown_carrier_is_refused_before_calling_amazon(sim, adapter):
    with pytest.raises(AdapterError, match="unknown carrier"):
        adapter.push_shipment(ShipmentUpdate("249-0000000-0000000", "fukuyama", "1", date.today()))


# ---- auth -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("credential", "reason"),
    [("lwa_client_secret", "invalid_client"), ("refresh_token", "invalid_grant")],
)
def test_bad_credentials_are_an_auth_error(sim, credential, reason):
    adapter = make_adapter(sim, **{credential: "wrong-value"})

    with pytest.raises(AuthError, match=reason) as refused:
        list(adapter.fetch_orders(since=timezone.now() - timedelta(minutes=5), until=timezone.now()))

    assert "wrong-value" not in str(refused.value)
    assert stats(sim)["requests"] == 1  # one LWA exchange, no retry loop


def test_the_token_is_cached_for_every_adapter_of_the_channel(sim, adapter):
    adapter.fetch_stock([("NOT-LISTED", "")])
    again = AmazonAdapter(adapter.channel, backoff_base=0.01)
    before = stats(sim)["requests"]

    again.fetch_stock([("NOT-LISTED", "")])

    assert stats(sim)["requests"] - before == 1  # no second LWA exchange
    assert cache.get(token_cache_key(adapter.channel.pk)).startswith("Atza|")


def test_a_refused_cached_token_is_renewed_once(sim, adapter):
    cache.set(token_cache_key(adapter.channel.pk), "Atza|revoked", 3600)
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 2})

    assert adapter.fetch_stock([("TSHIRT-BLK-M", "")]) == {("TSHIRT-BLK-M", ""): 2}
    assert cache.get(token_cache_key(adapter.channel.pk)) != "Atza|revoked"


def test_a_seller_id_amazon_refuses_is_an_auth_error(sim):
    adapter = make_adapter(sim, seller_id="A1SOMEONEELSE")

    with pytest.raises(AuthError, match="403"):
        adapter.fetch_stock([("TSHIRT-BLK-M", "")])


# ---- faults and throttling --------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ALL_FAULTS)
def test_each_kind_of_fault_is_retried(sim, kind):
    adapter = make_faultable_adapter(sim)
    order_id = place(sim)
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 1})
    sim.control("POST", "faults", json={"error_rate": 0.5, "kinds": [kind], "timeout_seconds": 0.6})

    orders = poll(adapter)
    adapter.push_stock([StockUpdate("TSHIRT-BLK-M", "", 9)])
    adapter.push_shipment(ShipmentUpdate(order_id, "yamato", "444413758703", date.today()))

    assert adapter.parse_order(orders[order_id]).total == 6940
    assert listed(sim, "TSHIRT-BLK-M") == 9
    assert sim_order(sim, order_id)["tracking_numbers"] == ["444413758703"]
    assert stats(sim)["faults_injected"] > 0


def test_a_mix_of_faults_is_survived(sim):
    adapter = make_faultable_adapter(sim)
    placed = {place(sim) for _ in range(4)}
    for sku in ("TSHIRT-BLK-M", "SOCKS-WHT-L"):
        sim.control("PUT", f"listings/{sku}", json={"quantity": 1})
    sim.control("POST", "faults", json={"error_rate": 0.3, "kinds": ALL_FAULTS, "timeout_seconds": 0.6})

    orders = poll(adapter)
    adapter.push_stock([StockUpdate("TSHIRT-BLK-M", "", 3), StockUpdate("SOCKS-WHT-L", "", 4)])
    shown = adapter.fetch_stock([("TSHIRT-BLK-M", ""), ("SOCKS-WHT-L", "")])

    assert placed <= set(orders)
    assert all(adapter.parse_order(orders[order_id]).lines for order_id in placed)
    assert shown == {("TSHIRT-BLK-M", ""): 3, ("SOCKS-WHT-L", ""): 4}


def test_a_throttling_amazon_is_paced_not_hammered(start_simulator):  # noqa: F811
    sim = start_simulator("amazon", rate_limits="real")
    adapter = make_adapter(sim)
    skus = [f"SKU-{n:02d}" for n in range(12)]
    for sku in skus:
        sim.control("PUT", f"listings/{sku}", json={"quantity": 0})
    adapter.tokens.get()
    started = time.monotonic()

    adapter.push_stock([StockUpdate(sku, "", 3) for sku in skus])

    elapsed, counts = time.monotonic() - started, stats(sim)
    assert [listed(sim, sku) for sku in skus] == [3] * 12
    assert elapsed >= 1.2  # 5 at once (burst), then one every 0.2 s
    assert counts["throttled"] <= 2
    assert counts["requests"] <= 1 + 12 + counts["throttled"]


def test_after_a_429_the_adapter_waits_for_the_quota_to_refill(start_simulator):  # noqa: F811
    """Another client spends the patchListingsItem burst until Amazon says 429, and the adapter calls at once.
    Its call meets the 429 only if it arrives within the 0.2 s the next token takes: a busy machine may be
    slower, so such a round proves nothing and is played again (a few times at most)."""
    sim = start_simulator("amazon", rate_limits="real")
    adapter = make_adapter(sim)
    sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 0})
    token = adapter.tokens.get()
    other_client = requests.Session()

    def spend_the_burst() -> int:
        """Calls until Amazon says 429: how many were sent."""
        for sent in range(1, 51):
            answer = other_client.patch(
                f"{sim.url}/listings/2021-08-01/items/A1DEMOSELLER/TSHIRT-BLK-M",
                params={"marketplaceIds": "A1VC38T7YXB528"},
                json={
                    "productType": "PRODUCT",
                    "patches": [{"op": "replace", "path": "/attributes/x", "value": []}],
                },
                headers={"x-amz-access-token": token},
                timeout=5,
            )
            if answer.status_code == 429:
                return sent
        raise AssertionError("Amazon never said 429 to 50 calls in a row")

    for quantity in range(1, 6):
        before = stats(sim)
        others = spend_the_burst()
        started = time.monotonic()
        adapter.push_stock([StockUpdate("TSHIRT-BLK-M", "", quantity)])
        took = time.monotonic() - started
        after = stats(sim)
        assert listed(sim, "TSHIRT-BLK-M") == quantity
        throttled = after["throttled"] - before["throttled"] - 1  # the other client's one 429 left out
        if throttled:
            break
    assert 1 <= throttled <= 2, "the adapter never called before the quota refilled"
    assert after["requests"] - before["requests"] - others <= 3  # not all five attempts in a few milliseconds
    assert took >= 0.15  # one token of 5 per second


# ---- the whole poll ---------------------------------------------------------------------------------------
def test_a_poll_of_the_channel_imports_each_order_once(sim, adapter, settings):
    from channels.sync import channel_poll
    from orders.models import Order

    settings.OMS_POLL_INITIAL_LOOKBACK_HOURS = 1
    placed = {place(sim) for _ in range(3)}

    first = channel_poll(channel=adapter.channel)
    again = channel_poll(channel=adapter.channel)

    assert (first.error, first.created, first.quarantined) == ("", 3, 0)
    assert (again.created, again.updated) == (0, 0)
    orders = Order.objects.filter(channel=adapter.channel)
    assert set(orders.values_list("external_id", flat=True)) == placed
    assert {order.delivery_time for order in orders} == {"14-16"}
