"""The Amazon SP-API simulator over real HTTP: LWA, Orders v0, Listings Items, throttling, faults, real client."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sp_api.api import ListingsItems, Orders
from sp_api.auth import AccessTokenClient, access_token_client
from sp_api.base import Marketplaces, SellingApiRequestThrottledException

from channels.simulators.base import JST

MARKETPLACE = "A1VC38T7YXB528"
SELLER = "A1DEMOSELLER"
LONG_AGO = "2020-01-01T00:00:00Z"
PHONE = "090-1234-5678"
ORDER_ID = re.compile(r"^\d{3}-\d{7}-\d{7}$")
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UNAUTHORIZED = {"code": "Unauthorized", "message": "Access to requested resource is denied."}
QUOTA_EXCEEDED = {
    "errors": [
        {
            "code": "QuotaExceeded",
            "message": "You exceeded your quota for the requested resource.",
            "details": "",
        }
    ]
}


def canonical(*lines: tuple[str, int, int], payment: str = "cod", **extra: object) -> dict:
    """A canonical order (DESIGN.md); COD orders skip Pending, so they can be shipped at once."""
    return {
        "items": [{"sku": sku, "quantity": quantity, "price": price} for sku, quantity, price in lines],
        "buyer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": PHONE},
        "ship_to": {
            "name": "山田 花子",
            "postal_code": "100-0001",
            "prefecture": "東京都",
            "city": "千代田区",
            "address1": "千代田1-1",
            "address2": "メゾン千代田 101号室",
            "phone": PHONE,
        },
        "delivery_date": None,
        "delivery_time": "",
        "payment": payment,
        "remarks": "",
        **extra,
    }


class SpApi:
    """A hand-written SP-API caller: LWA token once, then x-amz-access-token on every call."""

    def __init__(self, sim):
        self.sim = sim
        self.token = lwa(sim).json()["access_token"]

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
        headers = {"x-amz-access-token": token if token is not None else self.token}
        return requests.request(method, self.sim.url + path, headers=headers, timeout=5, **kwargs)

    def orders(self, **params: object) -> requests.Response:
        return self.call("GET", "/orders/v0/orders", params={"MarketplaceIds": MARKETPLACE, **params})

    def place(self, order: dict) -> str:
        answer = self.sim.control("POST", "orders", json=order)
        assert answer.status_code == 201, answer.text
        return answer.json()["order_id"]

    def confirm(self, order_id: str, lines: list[tuple[str, int]], **package: object) -> requests.Response:
        detail = {
            "packageReferenceId": "1",
            "carrierCode": "Yamato Transport",
            "trackingNumber": "4912-3456-7890",
            "shipDate": "2026-11-20T01:00:00.000Z",
            "orderItems": [{"orderItemId": item_id, "quantity": quantity} for item_id, quantity in lines],
            **package,
        }
        package_detail = {name: value for name, value in detail.items() if value is not None}
        body = {"marketplaceId": MARKETPLACE, "packageDetail": package_detail}
        return self.call("POST", f"/orders/v0/orders/{order_id}/shipmentConfirmation", json=body)

    def items(self, order_id: str) -> list[dict]:
        return self.call("GET", f"/orders/v0/orders/{order_id}/orderItems").json()["payload"]["OrderItems"]

    def item_ids(self, order_id: str) -> list[str]:
        return [item["OrderItemId"] for item in self.items(order_id)]

    def patch_quantity(self, sku: str, value: object, **params: object) -> requests.Response:
        body = {
            "productType": "PRODUCT",
            "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability", "value": value}],
        }
        params = {"marketplaceIds": MARKETPLACE, **params}
        return self.call("PATCH", f"/listings/2021-08-01/items/{SELLER}/{sku}", params=params, json=body)


def lwa(sim, **overrides: str) -> requests.Response:
    credentials = sim.credentials
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials["refresh_token"],
        "client_id": credentials["lwa_app_id"],
        "client_secret": credentials["lwa_client_secret"],
        **overrides,
    }
    return requests.post(sim.url + "/auth/o2/token", data=form, timeout=5)


@pytest.fixture
def amazon(start_simulator):
    return start_simulator("amazon")


@pytest.fixture
def api(amazon) -> SpApi:
    return SpApi(amazon)


# ---- LWA and access tokens ---------------------------------------------------------------------------
def test_lwa_exchanges_the_demo_refresh_token_for_a_bearer_access_token(amazon):
    answer = lwa(amazon)

    assert answer.status_code == 200
    body = answer.json()
    assert body["access_token"].startswith("Atza|")
    assert body | {"access_token": "-"} == {
        "access_token": "-",
        "refresh_token": "Atzr|demo-amazon-refresh",
        "token_type": "bearer",
        "expires_in": 3600,
    }


@pytest.mark.parametrize(
    ("override", "status", "error"),
    [
        ({"client_secret": "wrong-secret"}, 401, "invalid_client"),
        ({"client_id": "amzn1.application-oa2-client.other"}, 401, "invalid_client"),
        ({"refresh_token": "Atzr|someone-else"}, 400, "invalid_grant"),
    ],
)
def test_lwa_refuses_wrong_credentials(amazon, override, status, error):
    answer = lwa(amazon, **override)

    assert answer.status_code == status
    assert answer.json()["error"] == error
    assert answer.json()["error_description"]


@pytest.mark.parametrize("token", ["", "Atza|not-issued-by-this-lwa"])
def test_api_call_without_a_valid_access_token_is_refused_with_403_unauthorized(api, token):
    answer = api.call("GET", "/orders/v0/orders", token=token, params={"MarketplaceIds": MARKETPLACE})

    assert answer.status_code == 403
    [error] = answer.json()["errors"]
    assert {"code": error["code"], "message": error["message"]} == UNAUTHORIZED
    assert "x-amzn-RequestId" in answer.headers


# ---- getOrders ---------------------------------------------------------------------------------------
def test_get_orders_renders_the_documented_order_shape(api):
    wished = (datetime.now(JST) + timedelta(days=5)).date()
    order = canonical(("TSHIRT-BLK-M", 2, 2980), remarks="ギフト包装希望")
    order_id = api.place(order | {"delivery_date": wished.isoformat(), "delivery_time": "14-16"})

    answer = api.orders(CreatedAfter=LONG_AGO)

    assert answer.status_code == 200
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert answer.headers["x-amzn-RequestId"]
    payload = answer.json()["payload"]
    assert ISO_UTC.match(payload["CreatedBefore"])
    [found] = payload["Orders"]
    assert ORDER_ID.match(found["AmazonOrderId"]) and found["AmazonOrderId"] == order_id
    assert ISO_UTC.match(found["PurchaseDate"]) and ISO_UTC.match(found["LastUpdateDate"])
    assert found["OrderStatus"] == "Unshipped"  # COD: no payment to authorise
    assert found["OrderTotal"] == {"CurrencyCode": "JPY", "Amount": "5960.00"}
    assert (found["PaymentMethod"], found["FulfillmentChannel"]) == ("COD", "MFN")
    assert found["MarketplaceId"] == MARKETPLACE
    assert (found["NumberOfItemsShipped"], found["NumberOfItemsUnshipped"]) == (0, 2)
    assert found["ShippingAddress"] == {
        "Name": "山田 花子",
        "AddressLine1": "千代田1-1",
        "AddressLine2": "メゾン千代田 101号室",
        "City": "千代田区",
        "StateOrRegion": "東京都",
        "PostalCode": "100-0001",
        "CountryCode": "JP",
        "Phone": PHONE,
        "AddressType": "Residential",
    }
    assert found["BuyerInfo"]["BuyerName"] == "山田 太郎"
    assert found["BuyerInfo"]["BuyerEmail"].endswith("@marketplace.amazon.co.jp")
    assert found["ShipmentServiceLevelCategory"] == "Scheduled"
    assert found["EarliestDeliveryDate"] == f"{wished.isoformat()}T05:00:00Z"  # 14:00 JST
    assert found["LatestDeliveryDate"] == f"{wished.isoformat()}T07:00:00Z"  # 16:00 JST


TWO_MINUTE_RULE = "The input you have submitted is not valid"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"MarketplaceIds": "", "CreatedAfter": LONG_AGO}, "Missing required parameter: MarketplaceIds"),
        ({"MarketplaceIds": "ATVPDKIKX0DER", "CreatedAfter": LONG_AGO}, "Invalid MarketplaceIds"),
        ({}, "Either CreatedAfter or LastUpdatedAfter must be specified"),
        ({"CreatedAfter": LONG_AGO, "LastUpdatedAfter": LONG_AGO}, "cannot both be specified"),
        ({"CreatedAfter": LONG_AGO, "LastUpdatedBefore": LONG_AGO}, "cannot be specified together"),
        ({"CreatedAfter": "20/11/2026"}, "This is an invalid input"),
        ({"CreatedAfter": "2026-11-20T00:00:00 09:00"}, "This is an invalid input"),  # "+" sent unencoded
        ({"CreatedAfter": LONG_AGO, "CreatedBefore": "2019-01-01T00:00:00Z"}, TWO_MINUTE_RULE),
        ({"LastUpdatedAfter": LONG_AGO, "LastUpdatedBefore": "now"}, TWO_MINUTE_RULE),
        (
            {"CreatedAfter": LONG_AGO, "MaxResultsPerPage": "101"},
            "MaxResultsPerPage must be between 1 and 100",
        ),
        ({"CreatedAfter": LONG_AGO, "MaxResultsPerPage": "0"}, "MaxResultsPerPage must be between 1 and 100"),
        ({"CreatedAfter": LONG_AGO, "OrderStatuses": "Unshipped,Sent"}, "Invalid OrderStatuses: Sent"),
        ({"NextToken": "not-a-token"}, "Invalid NextToken"),
    ],
)
def test_get_orders_refuses_invalid_input_with_400(api, params, message):
    if params.get("LastUpdatedBefore") == "now":  # less than the required two minutes ago
        params["LastUpdatedBefore"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    answer = api.orders(**params)

    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert error["code"] == "InvalidInput"
    assert message in error["message"]
    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.0167"


def test_get_orders_ignores_unknown_query_parameters_and_the_host_header(api):
    api.place(canonical(("MUG-WHT", 1, 1480)))
    extra = {"MarketplaceId": MARKETPLACE, "marketplace_ids": MARKETPLACE, "marketplaceIds": MARKETPLACE}

    answer = requests.get(
        api.sim.url + "/orders/v0/orders",
        params={"MarketplaceIds": MARKETPLACE, "CreatedAfter": LONG_AGO, "Foo": "bar", **extra},
        headers={"x-amz-access-token": api.token, "Host": "27.0.0.1:1"},
        timeout=5,
    )

    assert answer.status_code == 200
    assert len(answer.json()["payload"]["Orders"]) == 1


def test_next_token_pages_through_every_order_once(api):
    placed = {api.place(canonical((f"SKU-{n}", 1, 980))) for n in range(5)}
    seen, pages, params = [], 0, {"CreatedAfter": LONG_AGO, "MaxResultsPerPage": 2}

    while True:
        payload = api.orders(**params).json()["payload"]
        pages += 1
        seen += [order["AmazonOrderId"] for order in payload["Orders"]]
        if "NextToken" not in payload:
            break
        params = {"NextToken": payload["NextToken"]}

    assert pages == 3
    assert sorted(seen) == sorted(placed)


def test_order_statuses_filter_selects_orders_by_status(api):
    cod = api.place(canonical(("MUG-WHT", 1, 1480), payment="cod"))
    card = api.place(canonical(("MUG-WHT", 1, 1480), payment="credit_card"))  # Pending for 2 s

    unshipped = api.orders(CreatedAfter=LONG_AGO, OrderStatuses="Unshipped").json()["payload"]["Orders"]
    pending = api.orders(CreatedAfter=LONG_AGO, OrderStatuses="Pending,Canceled").json()["payload"]["Orders"]

    assert [o["AmazonOrderId"] for o in unshipped] == [cod]
    assert [o["AmazonOrderId"] for o in pending] == [card]


def test_pending_order_turns_unshipped_once_payment_is_authorised(start_simulator, monkeypatch):
    """Pending for 2 s: time enough for the calls that see it Pending on a busy machine."""
    monkeypatch.setenv("AMAZON_SIM_PENDING_SECONDS", "2")
    api = SpApi(start_simulator("amazon"))
    placed_at = time.monotonic()
    order_id = api.place(canonical(("MUG-WHT", 1, 1480), payment="credit_card"))
    pending = api.call("GET", f"/orders/v0/orders/{order_id}").json()["payload"]
    [pending_item] = api.items(order_id)

    unshipped = pending
    while unshipped["OrderStatus"] == "Pending" and time.monotonic() - placed_at < 30:
        time.sleep(0.1)
        unshipped = api.call("GET", f"/orders/v0/orders/{order_id}").json()["payload"]

    assert (pending["OrderStatus"], pending["PaymentMethod"]) == ("Pending", "Other")
    assert "ShippingAddress" not in pending and "ItemPrice" not in pending_item
    assert unshipped["OrderStatus"] == "Unshipped"
    assert unshipped["ShippingAddress"]["StateOrRegion"] == "東京都"


# ---- getOrder / getOrderItems ------------------------------------------------------------------------
def test_get_order_returns_the_order_and_404_or_400_for_unknown_ids(api):
    order_id = api.place(canonical(("MUG-WHT", 1, 1480)))

    found = api.call("GET", f"/orders/v0/orders/{order_id}")
    unknown = api.call("GET", "/orders/v0/orders/503-0000000-0000000")
    malformed = api.call("GET", "/orders/v0/orders/12345")

    assert found.status_code == 200 and found.headers["x-amzn-RateLimit-Limit"] == "0.5"
    assert found.json()["payload"]["AmazonOrderId"] == order_id
    assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "NotFound")
    assert (malformed.status_code, malformed.json()["errors"][0]["code"]) == (400, "InvalidInput")


def test_get_order_items_renders_sku_quantity_price_and_gift(api):
    lines = (("TSHIRT-BLK-M", 2, 2980), ("MUG-WHT", 1, 1480))
    order_id = api.place(canonical(*lines, remarks="のし希望（御祝）"))

    answer = api.call("GET", f"/orders/v0/orders/{order_id}/orderItems")

    assert answer.headers["x-amzn-RateLimit-Limit"] == "0.5"
    payload = answer.json()["payload"]
    assert payload["AmazonOrderId"] == order_id and "NextToken" not in payload
    first, second = payload["OrderItems"]
    assert re.fullmatch(r"\d{14}", first["OrderItemId"]) and first["ASIN"].startswith("B0")
    assert (first["SellerSKU"], first["QuantityOrdered"], first["QuantityShipped"]) == ("TSHIRT-BLK-M", 2, 0)
    assert first["ItemPrice"] == {"CurrencyCode": "JPY", "Amount": "5960.00"}  # unit price x quantity
    assert (first["IsGift"], second["SellerSKU"]) == ("true", "MUG-WHT")


def test_get_order_items_pages_with_next_token(api):
    order_id = api.place(canonical(*[(f"SKU-{n:02d}", 1, 980) for n in range(31)]))

    first = api.call("GET", f"/orders/v0/orders/{order_id}/orderItems").json()["payload"]
    params = {"NextToken": first["NextToken"]}
    second = api.call("GET", f"/orders/v0/orders/{order_id}/orderItems", params=params).json()["payload"]

    assert (len(first["OrderItems"]), len(second["OrderItems"])) == (30, 1)
    assert "NextToken" not in second
    assert second["OrderItems"][0]["SellerSKU"] == "SKU-30"


# ---- confirmShipment and cancellation ----------------------------------------------------------------
def test_confirming_every_unit_ships_the_order_and_records_the_tracking_number(api):
    order_id = api.place(canonical(("TSHIRT-BLK-M", 2, 2980)))
    [item_id] = api.item_ids(order_id)

    answer = api.confirm(order_id, [(item_id, 2)])

    assert (answer.status_code, answer.content) == (204, b"")
    assert answer.headers["x-amzn-RateLimit-Limit"] == "2.0"
    view = api.sim.control("GET", f"orders/{order_id}").json()
    assert (view["status"], view["tracking_numbers"]) == ("Shipped", ["4912-3456-7890"])
    order = api.call("GET", f"/orders/v0/orders/{order_id}").json()["payload"]
    assert order["OrderStatus"] == "Shipped"
    assert (order["NumberOfItemsShipped"], order["NumberOfItemsUnshipped"]) == (2, 0)


def test_confirming_some_units_leaves_the_order_partially_shipped(api):
    order_id = api.place(canonical(("TSHIRT-BLK-M", 2, 2980), ("MUG-WHT", 1, 1480)))
    shirt, mug = api.item_ids(order_id)

    api.confirm(order_id, [(shirt, 1)])
    partial = api.sim.control("GET", f"orders/{order_id}").json()["status"]
    api.confirm(order_id, [(shirt, 1), (mug, 1)], packageReferenceId="2", trackingNumber="4912-3456-7891")
    view = api.sim.control("GET", f"orders/{order_id}").json()

    assert partial == "PartiallyShipped"
    assert (view["status"], view["tracking_numbers"]) == ("Shipped", ["4912-3456-7890", "4912-3456-7891"])


REQUIRED_PACKAGE_FIELDS = ["packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems"]


@pytest.mark.parametrize("missing", REQUIRED_PACKAGE_FIELDS)
def test_confirm_shipment_refuses_a_package_without_a_required_field(api, missing):
    order_id = api.place(canonical(("MUG-WHT", 1, 1480)))
    [item_id] = api.item_ids(order_id)

    answer = api.confirm(order_id, [(item_id, 1)], **{missing: None})

    assert answer.status_code == 400
    assert answer.json()["errors"][0]["code"] == "InvalidInput"
    assert api.sim.control("GET", f"orders/{order_id}").json()["status"] == "Unshipped"


@pytest.mark.parametrize("problem", ["too many units", "unknown item", "bad shipDate"])
def test_confirm_shipment_refuses_lines_the_order_does_not_have(api, problem):
    order_id = api.place(canonical(("MUG-WHT", 1, 1480)))
    [item_id] = api.item_ids(order_id)
    lines, package = {
        "too many units": ([(item_id, 2)], {}),
        "unknown item": ([("99999999999999", 1)], {}),
        "bad shipDate": ([(item_id, 1)], {"shipDate": "11/20/2026"}),
    }[problem]

    answer = api.confirm(order_id, lines, **package)

    assert answer.status_code == 400
    assert api.sim.control("GET", f"orders/{order_id}").json()["tracking_numbers"] == []


def test_buyer_cancel_moves_the_order_to_canceled_and_restores_the_listing(api):
    api.sim.control("PUT", "listings/MUG-WHT", json={"quantity": 5})
    order_id = api.place(canonical(("MUG-WHT", 2, 1480)))

    cancelled = api.sim.control("POST", f"orders/{order_id}/cancel").json()
    order = api.call("GET", f"/orders/v0/orders/{order_id}").json()["payload"]

    assert cancelled["status"] == "Canceled"
    assert order["OrderStatus"] == "Canceled" and "OrderTotal" not in order
    assert api.sim.control("GET", "listings/MUG-WHT").json()["quantity"] == 5
    assert api.confirm(order_id, [(api.item_ids(order_id)[0], 2)]).status_code == 400


# ---- Listings Items ----------------------------------------------------------------------------------
def test_patching_fulfillment_availability_changes_the_listed_quantity(api):
    api.sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 5})

    answer = api.patch_quantity("TSHIRT-BLK-M", [{"fulfillment_channel_code": "DEFAULT", "quantity": 3}])

    assert answer.status_code == 200 and answer.headers["x-amzn-RateLimit-Limit"] == "5.0"
    body = answer.json()
    assert (body["sku"], body["status"], body["issues"]) == ("TSHIRT-BLK-M", "ACCEPTED", [])
    assert body["submissionId"]
    assert api.sim.control("GET", "listings/TSHIRT-BLK-M").json() == {"sku": "TSHIRT-BLK-M", "quantity": 3}


@pytest.mark.parametrize(
    "value",
    [[{"fulfillment_channel_code": "DEFAULT", "quantity": -1}], [{"quantity": 3}], {"quantity": 3}],
)
def test_patching_an_invalid_quantity_is_invalid_and_changes_nothing(api, value):
    api.sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 5})

    body = api.patch_quantity("TSHIRT-BLK-M", value).json()

    assert body["status"] == "INVALID"
    assert body["issues"][0]["severity"] == "ERROR"
    assert api.sim.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 5


def test_patching_an_unlisted_sku_is_not_found(api):
    answer = api.patch_quantity("not-our-sku", [{"fulfillment_channel_code": "DEFAULT", "quantity": 1}])

    assert (answer.status_code, answer.json()["errors"][0]["code"]) == (404, "NOT_FOUND")


def test_get_listings_item_shows_the_fulfillment_availability(api):
    api.sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 7})
    params = {"marketplaceIds": MARKETPLACE, "includedData": "summaries,fulfillmentAvailability"}

    body = api.call("GET", f"/listings/2021-08-01/items/{SELLER}/TSHIRT-BLK-M", params=params).json()

    assert body["fulfillmentAvailability"] == [{"fulfillmentChannelCode": "DEFAULT", "quantity": 7}]
    assert body["summaries"][0]["marketplaceId"] == MARKETPLACE


# ---- throttling and faults ---------------------------------------------------------------------------
def test_the_21st_get_orders_call_in_a_burst_gets_429_quota_exceeded(start_simulator):
    api = SpApi(start_simulator("amazon", rate_limits="real"))

    statuses = [api.orders(CreatedAfter=LONG_AGO).status_code for _ in range(20)]
    throttled = api.orders(CreatedAfter=LONG_AGO)

    assert statuses == [200] * 20
    assert throttled.status_code == 429
    assert throttled.json() == QUOTA_EXCEEDED
    assert "x-amzn-RequestId" in throttled.headers and "x-amzn-RateLimit-Limit" not in throttled.headers


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("500", 500, "InternalFailure"), ("503", 503, "ServiceUnavailable"), ("429", 429, "QuotaExceeded")],
)
def test_injected_faults_answer_in_amazons_error_shape(api, kind, status, code):
    api.sim.control("POST", "faults", json={"error_rate": 1.0, "kinds": [kind]})

    answer = api.orders(CreatedAfter=LONG_AGO)

    assert answer.status_code == status
    assert answer.json()["errors"][0]["code"] == code


def test_injected_malformed_fault_cuts_the_body_and_timeout_fault_outlasts_the_client(api):
    api.sim.control("POST", "faults", json={"error_rate": 1.0, "kinds": ["malformed"]})
    cut = api.orders(CreatedAfter=LONG_AGO)
    api.sim.control("POST", "faults", json={"error_rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 0.5})

    with pytest.raises(requests.Timeout):
        requests.get(api.sim.url + "/orders/v0/orders", timeout=0.2)
    with pytest.raises(ValueError):
        cut.json()


def test_injected_duplicate_page_fault_repeats_the_previous_page(api):
    for n in range(3):
        api.place(canonical((f"SKU-{n}", 1, 980)))
    first = api.orders(CreatedAfter=LONG_AGO, MaxResultsPerPage=1).json()["payload"]
    api.sim.control("POST", "faults", json={"error_rate": 1.0, "kinds": ["duplicate_page"]})

    second = api.orders(NextToken=first["NextToken"]).json()["payload"]

    assert second == first


# ---- the real public client (python-amazon-sp-api) ---------------------------------------------------
def real_client(sim, client_class, **kwargs):
    """A python-amazon-sp-api client aimed at the simulator the way the reference describes (§3.7)."""

    class LocalLWA(AccessTokenClient):
        scheme = "http://"
        host = f"127.0.0.1:{sim.port}"

    access_token_client.cache.clear()  # the library caches tokens per refresh token across clients
    credentials = {key: sim.credentials[key] for key in ("refresh_token", "lwa_app_id", "lwa_client_secret")}
    client = client_class(
        marketplace=Marketplaces.JP, credentials=credentials, auth_token_client_class=LocalLWA, **kwargs
    )
    client.endpoint = sim.url
    return client


def test_real_client_fetches_orders_and_items_and_confirms_a_shipment(amazon):
    api = SpApi(amazon)
    order_id = api.place(canonical(("TSHIRT-BLK-M", 2, 2980)))
    orders = real_client(amazon, Orders)

    listed = orders.get_orders(CreatedAfter=LONG_AGO, OrderStatuses=["Unshipped"])
    items = orders.get_order_items(order_id)
    item = items.payload["OrderItems"][0]
    confirmed = orders.confirm_shipment(
        order_id,
        marketplaceId=MARKETPLACE,
        packageDetail={
            "packageReferenceId": "1",
            "carrierCode": "Yamato Transport",
            "trackingNumber": "4912-0000-0001",
            "shipDate": "2026-11-20T01:00:00Z",
            "orderItems": [{"orderItemId": item["OrderItemId"], "quantity": 2}],
        },
    )

    assert [o["AmazonOrderId"] for o in listed.payload["Orders"]] == [order_id]
    assert listed.rate_limit == "0.0167" and listed.next_token is None
    assert item["SellerSKU"] == "TSHIRT-BLK-M"
    assert confirmed.payload == {"status_code": 204}
    assert orders.get_order(order_id).payload["OrderStatus"] == "Shipped"


def test_real_client_patches_a_listing_quantity(amazon):
    amazon.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 5})
    listings = real_client(amazon, ListingsItems, version="2021-08-01")
    value = [{"fulfillment_channel_code": "DEFAULT", "quantity": 0}]
    patch = {"op": "replace", "path": "/attributes/fulfillment_availability", "value": value}

    answer = listings.patch_listings_item(
        SELLER,
        "TSHIRT-BLK-M",
        marketplaceIds=[MARKETPLACE],
        body={"productType": "PRODUCT", "patches": [patch]},
    )

    assert answer.payload["status"] == "ACCEPTED"
    assert amazon.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 0


def test_real_client_raises_throttled_exception_on_a_burst(start_simulator):
    orders = real_client(start_simulator("amazon", rate_limits="real"), Orders)
    for _ in range(20):
        orders.get_orders(CreatedAfter=LONG_AGO)

    with pytest.raises(SellingApiRequestThrottledException) as raised:
        orders.get_orders(CreatedAfter=LONG_AGO)

    assert raised.value.amzn_code == "QuotaExceeded"


def test_the_first_patch_of_a_catalogue_sku_lists_it(api):
    answer = api.patch_quantity("HONEY-300G", [{"fulfillment_channel_code": "DEFAULT", "quantity": 4}])

    assert (answer.status_code, answer.json()["status"]) == (200, "ACCEPTED")
    assert api.sim.control("GET", "listings/HONEY-300G").json()["quantity"] == 4
