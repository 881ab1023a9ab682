"""The Rakuten RMS simulator over HTTP: ESA auth, Order API 2.0, Inventory API 2.0, rate limits, doc samples."""

from __future__ import annotations

import base64
import copy
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
import requests

from channels.simulators.rakuten_shipping import ASYNC_READY_AFTER_SECONDS

JST = timezone(timedelta(hours=9))
ORDER_NUMBER = re.compile(r"^100001-\d{8}-\d{8}$")
ORDER_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0900$")
INVENTORY_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00$")


def an_order(sku: str = "TSHIRT-BLK-M", quantity: int = 1, **changes) -> dict:
    order = {
        "items": [{"sku": sku, "quantity": quantity, "price": 2980}],
        "buyer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678"},
        "ship_to": {"name": "山田 太郎", "postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区",
                    "address1": "千代田1-1", "address2": "パレス101", "phone": "090-1234-5678"},
        "delivery_date": "2026-12-05", "delivery_time": "14-16", "payment": "credit_card", "remarks": "",
    }  # fmt: skip
    order.update(changes)
    return order


def rms_datetime(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0900")


def window(days_back: float = 1, days_span: float | None = None) -> dict:
    start = datetime.now(JST) - timedelta(days=days_back)
    end = (
        start + timedelta(days=days_span)
        if days_span is not None
        else datetime.now(JST) + timedelta(minutes=5)
    )
    return {"dateType": 1, "startDatetime": rms_datetime(start), "endDatetime": rms_datetime(end)}


class Rms:
    """A bare RMS client: the ESA header plus JSON over requests, as shops' own scripts do it."""

    def __init__(self, sim, secret: str | None = None):
        creds = sim.credentials
        token = f"{secret or creds['service_secret']}:{creds['license_key']}".encode()
        self.url = sim.url
        self.headers = {"Authorization": "ESA " + base64.b64encode(token).decode()}

    def order(self, function: str, body: dict) -> requests.Response:
        headers = {**self.headers, "Content-Type": "application/json; charset=utf-8"}
        return requests.post(f"{self.url}/es/2.0/order/{function}/", json=body, headers=headers, timeout=5)

    def inventory(self, method: str, path: str, body: dict | None = None, **params) -> requests.Response:
        url = f"{self.url}/es/2.0/inventories/{path}"
        return requests.request(method, url, json=body, params=params, headers=self.headers, timeout=5)


@pytest.fixture
def sim(start_simulator):
    return start_simulator("rakuten")


@pytest.fixture
def rms(sim):
    return Rms(sim)


def place(sim, **kwargs) -> str:
    return sim.control("POST", "orders", an_order(**kwargs)).json()["order_id"]


def basket_of(sim, order_number: str) -> int:
    return sim.control("GET", f"orders/{order_number}").json()["order"]["PackageModelList"][0]["basketId"]


def ship(rms: Rms, sim, order_number: str, number: str = "444413758703") -> requests.Response:
    shipping = {"deliveryCompany": "1001", "shippingNumber": number, "shippingDate": "2026-12-01"}
    basket = {"basketId": basket_of(sim, order_number), "ShippingModelList": [shipping]}
    return rms.order("updateOrderShipping", {"orderNumber": order_number, "BasketidModelList": [basket]})


# ---- ESA auth --------------------------------------------------------------------------------------------------
def test_call_without_authorization_is_refused_with_es01_01(sim):
    answer = requests.post(sim.url + "/es/2.0/order/searchOrder/", json=window(), timeout=5)

    assert answer.status_code == 401
    assert answer.json() == {"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}}


def test_call_with_a_wrong_service_secret_is_refused(sim):
    answer = Rms(sim, secret="SP100001_wrong").order("searchOrder", window())

    assert answer.status_code == 401
    assert answer.json()["Results"]["errorCode"] == "ES01-01"


def test_inventory_call_with_basic_auth_is_refused(sim):
    answer = requests.get(sim.url + "/es/2.0/inventories/bulk-get/range", auth=("a", "b"), timeout=5)

    assert answer.status_code == 401


# ---- searchOrder -----------------------------------------------------------------------------------------------
def test_search_order_finds_orders_in_the_window_with_the_documented_envelope(sim, rms):
    number = place(sim)

    answer = rms.order("searchOrder", window())

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json;charset=utf-8"
    assert answer.json() == {
        "orderNumberList": [number],
        "MessageModelList": [
            {
                "messageType": "INFO",
                "messageCode": "ORDER_EXT_API_SEARCH_ORDER_INFO_101",
                "message": "注文検索に成功しました。",
            }
        ],
        "PaginationResponseModel": {"totalRecordsAmount": 1, "totalPages": 1, "requestPage": 1},
    }
    assert ORDER_NUMBER.match(number)


def test_search_order_without_hits_answers_info_102_with_null_pagination(rms):
    body = rms.order("searchOrder", window()).json()

    assert body["orderNumberList"] == []
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_SEARCH_ORDER_INFO_102"
    assert body["PaginationResponseModel"] == {
        "totalRecordsAmount": None,
        "totalPages": None,
        "requestPage": None,
    }


def test_search_order_pages_through_every_order_once(sim, rms):
    placed = [place(sim) for _ in range(25)]
    seen = []

    for page in (1, 2, 3):
        paging = {
            "requestRecordsAmount": 10,
            "requestPage": page,
            "SortModelList": [{"sortColumn": 1, "sortDirection": 1}],
        }
        body = rms.order("searchOrder", {**window(), "PaginationRequestModel": paging}).json()
        assert body["PaginationResponseModel"] == {
            "totalRecordsAmount": 25,
            "totalPages": 3,
            "requestPage": page,
        }
        seen += body["orderNumberList"]

    assert seen == placed
    assert [len(seen[i : i + 10]) for i in (0, 10, 20)] == [10, 10, 5]


def test_search_order_sorts_newest_first_on_request(sim, rms):
    placed = [place(sim) for _ in range(3)]
    paging = {
        "requestRecordsAmount": 30,
        "requestPage": 1,
        "SortModelList": [{"sortColumn": 1, "sortDirection": 2}],
    }

    body = rms.order("searchOrder", {**window(), "PaginationRequestModel": paging}).json()

    assert body["orderNumberList"] == placed[::-1]


def test_search_order_filters_on_order_progress(sim, rms):
    waiting, confirmed = place(sim), place(sim)
    rms.order("confirmOrder", {"orderNumberList": [confirmed]})

    body = rms.order("searchOrder", {**window(), "orderProgressList": [300]}).json()

    assert body["orderNumberList"] == [confirmed]
    assert waiting not in body["orderNumberList"]


def test_search_order_refuses_more_than_1000_per_page(rms):
    paging = {"requestRecordsAmount": 1001, "requestPage": 1}

    answer = rms.order("searchOrder", {**window(), "PaginationRequestModel": paging})

    assert answer.status_code == 400
    assert answer.json()["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_SEARCH_ORDER_ERROR_011"


def test_search_order_requires_date_type_start_and_end(rms):
    answer = rms.order("searchOrder", {})

    assert answer.status_code == 400
    body = answer.json()
    assert (body["orderNumberList"], body["PaginationResponseModel"]) == (None, None)
    assert [m["message"] for m in body["MessageModelList"]] == [
        "dateTypeの項目を指定して下さい。",
        "startDatetimeの項目を指定して下さい。",
        "endDatetimeの項目を指定して下さい。",
    ]


@pytest.mark.parametrize(
    "start", ["2026-11-01T00:00:00+09:00", "2026-11-01T00:00:00Z", "2026-11-01 00:00:00"]
)
def test_search_order_accepts_only_the_plus_0900_datetime_format(rms, start):
    answer = rms.order("searchOrder", {**window(), "startDatetime": start})

    assert answer.status_code == 400
    assert answer.json()["MessageModelList"] == [
        {
            "messageType": "ERROR",
            "messageCode": "ORDER_EXT_API_SEARCH_ORDER_ERROR_011",
            "message": "startDatetimeの書式が不正です。",
        }
    ]


def test_search_order_window_of_63_days_is_allowed(rms):
    assert rms.order("searchOrder", window(days_back=63, days_span=63)).status_code == 200


def test_search_order_window_longer_than_63_days_is_refused(rms):
    answer = rms.order("searchOrder", window(days_back=64, days_span=63.01))

    assert answer.status_code == 400
    assert "63日" in answer.json()["MessageModelList"][0]["message"]


def test_search_order_start_older_than_730_days_is_refused(rms):
    assert rms.order("searchOrder", window(days_back=731, days_span=10)).status_code == 400


# ---- getOrder --------------------------------------------------------------------------------------------------
def test_get_order_renders_the_canonical_order_in_rakuten_shape(sim, rms):
    number = place(sim, quantity=2, payment="cod")

    answer = rms.order("getOrder", {"orderNumberList": [number], "version": 10})

    assert answer.status_code == 200
    body = answer.json()
    assert body["version"] == 10
    assert body["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_GET_ORDER_INFO_101"
    order = body["OrderModelList"][0]
    assert (order["orderNumber"], order["orderProgress"]) == (number, 100)
    assert ORDER_DATETIME.match(order["orderDatetime"])
    assert (order["deliveryDate"], order["shippingTerm"]) == ("2026-12-05", 1416)
    assert order["SettlementModel"]["settlementMethodCode"] == 2
    assert order["SettlementModel"]["settlementMethod"] == "代金引換"
    orderer = order["OrdererModel"]
    assert (orderer["familyName"], orderer["firstName"], orderer["familyNameKana"]) == (
        "山田",
        "太郎",
        "ヤマダ",
    )
    assert (orderer["phoneNumber1"], orderer["phoneNumber2"], orderer["phoneNumber3"]) == (
        "090",
        "1234",
        "5678",
    )
    package = order["PackageModelList"][0]
    sender = package["SenderModel"]
    assert (sender["zipCode1"], sender["zipCode2"], sender["prefecture"], sender["city"]) == (
        "100",
        "0001",
        "東京都",
        "千代田区",
    )
    assert sender["subAddress"] == "千代田1-1 パレス101"
    item = package["ItemModelList"][0]
    assert (item["manageNumber"], item["itemNumber"], item["units"], item["price"]) == (
        "tshirt",
        "TSHIRT-BLK-M",
        2,
        2980,
    )
    assert item["SkuModelList"] == [
        {"variantId": "TSHIRT-BLK-M", "merchantDefinedSkuId": "TSHIRT-BLK-M", "skuInfo": None}
    ]
    assert package["ShippingModelList"] == []


@pytest.mark.parametrize(
    ("payment", "code", "name"),
    [("credit_card", 1, "クレジットカード"), ("cod", 2, "代金引換"), ("bank_transfer", 9, "銀行振込")],
)
def test_get_order_maps_the_payment_method_to_its_settlement_code(sim, rms, payment, code, name):
    number = place(sim, payment=payment)

    answer = rms.order("getOrder", {"orderNumberList": [number], "version": 9})

    settlement = answer.json()["OrderModelList"][0]["SettlementModel"]
    assert (settlement["settlementMethodCode"], settlement["settlementMethod"]) == (code, name)


def test_get_order_version_3_has_no_sku_model_list(sim, rms):
    number = place(sim)

    order = rms.order("getOrder", {"orderNumberList": [number], "version": 3}).json()["OrderModelList"][0]

    assert "SkuModelList" not in order["PackageModelList"][0]["ItemModelList"][0]
    assert "defaultDeliveryCompanyCode" not in order["PackageModelList"][0]


@pytest.mark.parametrize(("body", "code"), [({"version": 9}, "009"), ({"orderNumberList": ["x"]}, "009"),
                                            ({"orderNumberList": ["x"], "version": 2}, "011"),
                                            ({"orderNumberList": ["x"], "version": 11}, "011")])  # fmt: skip
def test_get_order_requires_order_numbers_and_a_version_from_3_to_10(rms, body, code):
    answer = rms.order("getOrder", body)

    assert answer.status_code == 400
    assert answer.json()["MessageModelList"][0]["messageCode"] == f"ORDER_EXT_API_GET_ORDER_ERROR_{code}"


# ---- status transitions ---------------------------------------------------------------------------------------
def test_confirm_order_moves_100_to_300(sim, rms):
    number = place(sim)

    answer = rms.order("confirmOrder", {"orderNumberList": [number]})

    assert answer.json()["MessageModelList"] == [
        {"messageType": "INFO", "messageCode": "ORDER_EXT_API_CONFIRM_ORDER_INFO_101",
         "message": "注文確認に成功しました。", "orderNumber": number}
    ]  # fmt: skip
    order = sim.control("GET", f"orders/{number}").json()["order"]
    assert order["orderProgress"] == 300
    assert ORDER_DATETIME.match(order["shopOrderCfmDatetime"])


def test_confirming_twice_answers_error_103(sim, rms):
    number = place(sim)
    rms.order("confirmOrder", {"orderNumberList": [number]})

    again = rms.order("confirmOrder", {"orderNumberList": [number]}).json()

    assert again["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_CONFIRM_ORDER_ERROR_103"


def test_confirming_a_cancelled_order_answers_error_102(sim, rms):
    number = place(sim)
    sim.control("POST", f"orders/{number}/cancel")

    answer = rms.order("confirmOrder", {"orderNumberList": [number]}).json()

    assert answer["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_CONFIRM_ORDER_ERROR_102"


def test_shipping_with_a_tracking_number_moves_300_to_500(sim, rms):
    number = place(sim)
    rms.order("confirmOrder", {"orderNumberList": [number]})

    answer = ship(rms, sim, number)

    assert answer.status_code == 200
    message = answer.json()["MessageModelList"][0]
    assert (message["messageCode"], message["dataNumber"]) == (
        "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101",
        1,
    )
    view = sim.control("GET", f"orders/{number}").json()
    assert (view["status"], view["tracking_numbers"]) == (500, ["444413758703"])
    assert view["order"]["PackageModelList"][0]["ShippingModelList"][0]["deliveryCompanyName"] == "ヤマト運輸"


def test_shipping_an_unconfirmed_order_is_refused(sim, rms):
    number = place(sim)

    answer = ship(rms, sim, number)

    assert answer.status_code == 400
    assert sim.control("GET", f"orders/{number}").json()["status"] == 100


def test_cancelled_order_is_900_and_cannot_be_shipped(sim, rms):
    number = place(sim)
    rms.order("confirmOrder", {"orderNumberList": [number]})
    assert sim.control("POST", f"orders/{number}/cancel").json()["status"] == 900

    answer = ship(rms, sim, number)

    assert (
        answer.json()["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_102"
    )
    assert sim.control("GET", f"orders/{number}").json()["tracking_numbers"] == []


def test_shipping_record_can_be_updated_and_deleted(sim, rms):
    number = place(sim)
    rms.order("confirmOrder", {"orderNumberList": [number]})
    detail_id = ship(rms, sim, number).json()["MessageModelList"][0]["shippingDetailId"]
    basket = basket_of(sim, number)

    def change(shipping):
        return rms.order("updateOrderShipping", {"orderNumber": number, "BasketidModelList": [
            {"basketId": basket, "ShippingModelList": [{"shippingDetailId": detail_id, **shipping}]}]})  # fmt: skip

    assert (
        change({"shippingNumber": "490714955706"})
        .json()["MessageModelList"][0]["messageCode"]
        .endswith("INFO_102")
    )
    assert sim.control("GET", f"orders/{number}").json()["tracking_numbers"] == ["490714955706"]
    assert change({"shippingDeleteFlag": 1}).json()["MessageModelList"][0]["messageCode"].endswith("INFO_103")
    assert sim.control("GET", f"orders/{number}").json()["tracking_numbers"] == []


def test_async_shipping_result_appears_after_processing(sim, rms):
    number = place(sim)
    rms.order("confirmOrder", {"orderNumberList": [number]})
    shipping = {"deliveryCompany": "1002", "shippingNumber": "512547514334", "shippingDate": "2026-12-01"}
    entry = {
        "orderNumber": number,
        "BasketidModelList": [{"basketId": basket_of(sim, number), "ShippingModelList": [shipping]}],
    }

    started = time.monotonic()
    accepted = rms.order("updateOrderShippingAsync", {"OrderShippingModelList": [entry]}).json()[
        "MessageModelList"
    ][0]
    early = rms.order("getResultUpdateOrderShippingAsync", {"requestId": accepted["requestId"]}).json()
    early_took = time.monotonic() - started
    time.sleep(ASYNC_READY_AFTER_SECONDS + 0.1)
    result = rms.order("getResultUpdateOrderShippingAsync", {"requestId": accepted["requestId"]}).json()

    assert accepted["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ASYNC_INFO_101"
    if early_took < ASYNC_READY_AFTER_SECONDS:  # else a busy machine asked only once the result was there
        assert early["ResultShippingModelList"][0]["MessageModelList"][0]["messageCode"] == (
            "ORDER_EXT_API_GET_RESULT_UPDATEORDERSHIPPING_ASYNC_INFO_101"
        ), early_took
    outcome = result["ResultShippingModelList"][0]
    assert outcome["orderNumber"] == number
    assert outcome["MessageModelList"][0]["messageCode"] == "ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101"
    assert sim.control("GET", f"orders/{number}").json()["status"] == 500


def test_async_result_requires_a_request_id(rms):
    answer = rms.order("getResultUpdateOrderShippingAsync", {})

    assert answer.status_code == 400
    message = answer.json()["ResultShippingModelList"][0]["MessageModelList"][0]
    assert message["messageCode"] == "ORDER_EXT_API_GET_RESULT_UPDATEORDERSHIPPING_ASYNC_ERROR_009"


# ---- Inventory API 2.0 ------------------------------------------------------------------------------------------
def test_put_variant_absolute_answers_204_and_get_shows_it(sim, rms):
    put = rms.inventory(
        "PUT", "manage-numbers/TSHIRT/variants/TSHIRT-BLK-M", {"mode": "ABSOLUTE", "quantity": 12}
    )

    assert (put.status_code, put.content) == (204, b"")
    got = rms.inventory("GET", "manage-numbers/tshirt/variants/TSHIRT-BLK-M")
    assert got.status_code == 200
    body = got.json()
    assert (body["manageNumber"], body["variantId"], body["quantity"]) == ("tshirt", "TSHIRT-BLK-M", 12)
    assert INVENTORY_DATETIME.match(body["created"]) and INVENTORY_DATETIME.match(body["updated"])
    assert sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 12


def test_first_registration_must_be_absolute(rms):
    answer = rms.inventory(
        "PUT", "manage-numbers/tshirt/variants/TSHIRT-BLK-M", {"mode": "RELATIVE", "quantity": 1}
    )

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["metadata"] == {"propertyPath": "mode"}


def test_delete_variant_answers_204_then_get_is_404_ge0014(sim, rms):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 1})

    assert rms.inventory("DELETE", "manage-numbers/tshirt/variants/TSHIRT-BLK-M").status_code == 204

    missing = rms.inventory("GET", "manage-numbers/tshirt/variants/TSHIRT-BLK-M")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "GE0014"


def test_bulk_upsert_applies_absolute_and_relative_changes(sim, rms):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 10})
    changes = [
        {"manageNumber": "tshirt", "variantId": "TSHIRT-BLK-M", "mode": "RELATIVE", "quantity": -3},
        {"manageNumber": "cap", "variantId": "CAP-RED", "mode": "ABSOLUTE", "quantity": 4},
    ]

    answer = rms.inventory("POST", "bulk-upsert", {"inventories": changes})

    assert (answer.status_code, answer.content) == (204, b"")
    assert sim.control("GET", "listings").json() == [
        {"sku": "CAP-RED", "quantity": 4},
        {"sku": "TSHIRT-BLK-M", "quantity": 7},
    ]


@pytest.mark.parametrize("count", [0, 401])
def test_bulk_upsert_takes_1_to_400_items(rms, count):
    changes = [
        {"manageNumber": "p", "variantId": f"P-{i}", "mode": "ABSOLUTE", "quantity": 1} for i in range(count)
    ]

    answer = rms.inventory("POST", "bulk-upsert", {"inventories": changes})

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["metadata"]["propertyPath"] == "inventories"


def test_bulk_upsert_of_400_items_is_accepted(rms):
    changes = [
        {"manageNumber": "p", "variantId": f"P-{i}", "mode": "ABSOLUTE", "quantity": 1} for i in range(400)
    ]

    assert rms.inventory("POST", "bulk-upsert", {"inventories": changes}).status_code == 204


def test_bulk_upsert_with_one_bad_item_applies_nothing(sim, rms):
    changes = [
        {"manageNumber": "cap", "variantId": "CAP-RED", "mode": "ABSOLUTE", "quantity": 4},
        {"manageNumber": "cap", "variantId": "CAP-BLUE", "mode": "ABSOLUTE", "quantity": 100_000},
    ]

    answer = rms.inventory("POST", "bulk-upsert", {"inventories": changes})

    assert answer.status_code == 400
    assert answer.json()["errors"] == [
        {"code": "IE0003", "message": "quantity must be between 0 and 99999.",
         "metadata": {"propertyPath": "inventories[1].quantity"}}
    ]  # fmt: skip
    assert sim.control("GET", "listings").json() == []


def test_bulk_get_returns_the_known_variants(sim, rms):
    sim.control("PUT", "listings/TSHIRT-BLK-M", {"quantity": 3})
    wanted = [
        {"manageNumber": "tshirt", "variantId": "TSHIRT-BLK-M"},
        {"manageNumber": "x", "variantId": "X-1"},
    ]

    answer = rms.inventory("POST", "bulk-get", {"inventories": wanted})

    assert answer.status_code == 200
    assert [(i["variantId"], i["quantity"]) for i in answer.json()["inventories"]] == [("TSHIRT-BLK-M", 3)]


def test_bulk_get_takes_at_most_1000_items(rms):
    wanted = [{"manageNumber": "p", "variantId": f"P-{i}"} for i in range(1001)]

    assert rms.inventory("POST", "bulk-get", {"inventories": wanted}).status_code == 400


def test_bulk_get_range_filters_on_quantity(sim, rms):
    for sku, quantity in (("A-1", 0), ("A-2", 5), ("A-3", 50)):
        sim.control("PUT", f"listings/{sku}", {"quantity": quantity})

    answer = rms.inventory("GET", "bulk-get/range", minQuantity=1, maxQuantity=10)

    assert [i["variantId"] for i in answer.json()["inventories"]] == ["A-2"]


# ---- rate limits -----------------------------------------------------------------------------------------------
def test_sixth_bulk_get_in_a_burst_is_throttled_with_429(start_simulator):
    """bulk-get allows 5 calls at once and 5 more per second: calls in a row pass 5 times, plus at most one
    per 200 ms they took (a busy machine slows them down), then get 429."""
    rms = Rms(start_simulator("rakuten", rate_limits="real"))
    body = {"inventories": [{"manageNumber": "tshirt", "variantId": "TSHIRT-BLK-M"}]}

    started, statuses = time.monotonic(), []
    while len(statuses) < 40 and 429 not in statuses:
        statuses.append(rms.inventory("POST", "bulk-get", body).status_code)
    took = time.monotonic() - started

    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    assert 5 <= len(statuses) - 1 <= 5 + int(took * 5) + 1, (statuses, took)


def test_second_bulk_upsert_within_a_second_is_throttled(start_simulator):
    """bulk-upsert allows 1 call a second: the second call is refused unless the first one took a whole second
    (a busy machine), when at most one more per whole second may pass."""
    rms = Rms(start_simulator("rakuten", rate_limits="real"))
    body = {
        "inventories": [{"manageNumber": "cap", "variantId": "CAP-RED", "mode": "ABSOLUTE", "quantity": 1}]
    }

    started, answers = time.monotonic(), []
    while len(answers) < 10 and (not answers or answers[-1].status_code != 429):
        answers.append(rms.inventory("POST", "bulk-upsert", body))
    took = time.monotonic() - started

    statuses = [answer.status_code for answer in answers]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {204}, statuses
    assert 1 <= len(statuses) - 1 <= 1 + int(took), (statuses, took)
    assert answers[-1].json()["errors"][0]["code"]
    time.sleep(1.05)
    assert rms.inventory("POST", "bulk-upsert", body).status_code == 204


def test_fourth_search_order_in_a_burst_is_throttled(start_simulator):
    """searchOrder allows 3 calls at once and 1 more per second: calls in a row pass 3 times, plus at most one
    per whole second they took (a busy machine slows them down), then get 429."""
    rms = Rms(start_simulator("rakuten", rate_limits="real"))

    started, answers = time.monotonic(), []
    while len(answers) < 20 and (not answers or answers[-1].status_code != 429):
        answers.append(rms.order("searchOrder", window()))
    took = time.monotonic() - started

    statuses = [a.status_code for a in answers]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}, statuses
    assert 3 <= len(statuses) - 1 <= 3 + int(took), (statuses, took)
    assert answers[-1].json() == {"Results": {"errorCode": "SIM-429", "message": "QPSLimit"}}


def test_rate_limits_off_never_throttles(rms):
    body = {
        "inventories": [{"manageNumber": "cap", "variantId": "CAP-RED", "mode": "ABSOLUTE", "quantity": 1}]
    }

    assert {rms.inventory("POST", "bulk-upsert", body).status_code for _ in range(10)} == {204}


# ---- the reference's documented sample payloads -----------------------------------------------------------------
UPDATE_SHIPPING_SAMPLE = {  # §1.7 of the reference, verbatim
    "orderNumber": "123456-20180101-00001801",
    "BasketidModelList": [
        {
            "basketId": 10746402,
            "ShippingModelList": [
                {
                    "shippingDetailId": 15419,
                    "deliveryCompany": "1001",
                    "shippingNumber": "SN111111",
                    "shippingDate": "2018-01-25",
                },
                {"deliveryCompany": "1001"},
            ],
        }
    ],
}


def test_documented_update_order_shipping_sample_adds_and_updates(sim, rms):
    number = place(sim)
    rms.order("confirmOrder", {"orderNumberList": [number]})
    existing = ship(rms, sim, number, number="OLD-1").json()["MessageModelList"][0]["shippingDetailId"]
    sample = copy.deepcopy(UPDATE_SHIPPING_SAMPLE)
    sample["orderNumber"] = number
    sample["BasketidModelList"][0]["basketId"] = basket_of(sim, number)
    sample["BasketidModelList"][0]["ShippingModelList"][0]["shippingDetailId"] = existing

    answer = rms.order("updateOrderShipping", sample)

    assert answer.status_code == 200
    messages = answer.json()["MessageModelList"]
    assert [(m["messageCode"], m["dataNumber"]) for m in messages] == [
        ("ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_102", 1),
        ("ORDER_EXT_API_UPDATE_ORDERSHIPPING_INFO_101", 2),
    ]
    assert messages[0]["shippingDetailId"] == existing
    records = sim.control("GET", f"orders/{number}").json()["order"]["PackageModelList"][0][
        "ShippingModelList"
    ]
    assert [(r["shippingNumber"], r["deliveryCompany"], r["shippingDate"]) for r in records] == [
        ("SN111111", "1001", "2018-01-25"),
        (None, "1001", None),
    ]


def test_documented_update_order_shipping_format_error_sample_is_refused_as_documented(rms):
    sample = copy.deepcopy(UPDATE_SHIPPING_SAMPLE)
    shippings = sample["BasketidModelList"][0]["ShippingModelList"]
    shippings[0]["shippingDate"] = "2018/01/25"  # the documented error request
    shippings[1]["deliveryCompany"] = "佐川急便"

    answer = rms.order("updateOrderShipping", sample)

    assert answer.status_code == 400
    assert answer.json() == {
        "MessageModelList": [
            {"messageType": "ERROR", "messageCode": "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011",
             "message": "shippingDateの書式が不正です。", "dataNumber": 1, "shippingDetailId": 15419},
            {"messageType": "ERROR", "messageCode": "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ERROR_011",
             "message": "deliveryCompanyの書式が不正です。", "dataNumber": 2, "shippingDetailId": None},
        ]
    }  # fmt: skip


def test_documented_search_order_error_sample_codes(rms):
    answer = rms.order(
        "searchOrder", {"startDatetime": "2017/12/14", "endDatetime": rms_datetime(datetime.now(JST))}
    )

    assert answer.status_code == 400
    assert answer.json()["MessageModelList"] == [
        {
            "messageType": "ERROR",
            "messageCode": "ORDER_EXT_API_SEARCH_ORDER_ERROR_009",
            "message": "dateTypeの項目を指定して下さい。",
        },
        {
            "messageType": "ERROR",
            "messageCode": "ORDER_EXT_API_SEARCH_ORDER_ERROR_011",
            "message": "startDatetimeの書式が不正です。",
        },
    ]


def test_documented_bulk_upsert_error_shape_for_a_long_manage_number(rms):
    change = {"manageNumber": "m" * 33, "variantId": "V-1", "mode": "ABSOLUTE", "quantity": 1}

    answer = rms.inventory("POST", "bulk-upsert", {"inventories": [change]})

    assert answer.status_code == 400
    assert answer.json() == {
        "errors": [
            {"code": "IE0004", "message": "Max length of manageNumber must be within 32 bytes.",
             "metadata": {"propertyPath": "inventories[0].manageNumber"}}
        ]
    }  # fmt: skip
