"""The Yahoo!ショッピング simulator over real HTTP: ID連携 tokens, order APIs (XML), stock APIs (form)."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import pytest
import requests

from tests.channels.conftest import base_order, post_order

JST = timezone(timedelta(hours=9))
API = "/ShoppingWebService/V1"
SELLER = "demo-store"
CLIENT = ("dj00demo-yahoo-client", "demo-yahoo-secret")
REFRESH = "demo-yahoo-refresh-token"


def canonical_order(**changes: object) -> dict:
    """The base order with a gift set in place of the socks, and no remarks."""
    items = [
        {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": 2980},
        {"sku": "SET-GIFT-A", "quantity": 1, "price": 4980},
    ]
    return base_order(items=items, remarks="") | changes


@pytest.fixture
def yahoo(start_simulator):
    return start_simulator("yahoo")


def fetch_token(sim, refresh_token: str = REFRESH, auth: tuple[str, str] = CLIENT) -> requests.Response:
    return requests.post(
        sim.url + "/yconnect/v2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=auth,
        timeout=5,
    )


@pytest.fixture
def token(yahoo) -> str:
    return fetch_token(yahoo).json()["access_token"]


def call(sim, api: str, body: str, token: str | None, **kwargs: object) -> requests.Response:
    headers = {"Content-Type": "text/xml;charset=UTF-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.post(f"{sim.url}{API}/{api}", data=body.encode("utf-8"), headers=headers, timeout=5)


def form_call(sim, api: str, data: dict | str, token: str) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    if isinstance(data, str):  # a body encoded by hand, e.g. "+" as %2B
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return requests.post(f"{sim.url}{API}/{api}", data=data, headers=headers, timeout=5)


def xml(response: requests.Response) -> ET.Element:
    return ET.fromstring(response.content)  # noqa: S314 (our own simulator's answer)


def place(sim, **changes: object) -> str:
    return post_order(sim, canonical_order(**changes))


def yahoo_time(moment: datetime) -> str:
    return moment.astimezone(JST).strftime("%Y%m%d%H%M%S")


def order_list_body(
    condition: str = "", *, field: str = "OrderId,OrderStatus,IsSeen", paging: str = ""
) -> str:
    return (
        f"<Req><Search>{paging}<Condition>{condition}</Condition><Field>{field}</Field></Search>"
        f"<SellerId>{SELLER}</SellerId></Req>"
    )


def order_info(sim, token: str, order_id: str, field: str = "") -> ET.Element:
    field_xml = f"<Field>{field}</Field>" if field else ""
    body = (
        f"<Req><Target><OrderId>{order_id}</OrderId>{field_xml}</Target><SellerId>{SELLER}</SellerId></Req>"
    )
    answer = call(sim, "orderInfo", body, token)
    assert answer.status_code == 200, answer.text
    return xml(answer).find("Result/OrderInfo")


def status_change(sim, token: str, order_id: str, status: int, *, point_fix: str = "false", extra: str = ""):
    body = (
        f"<Req><Target><OrderId>{order_id}</OrderId><IsPointFix>{point_fix}</IsPointFix></Target>"
        f"<Order><OrderStatus>{status}</OrderStatus>{extra}</Order><SellerId>{SELLER}</SellerId></Req>"
    )
    return call(sim, "orderStatusChange", body, token)


def ship_change(sim, token: str, order_id: str, ship: str) -> requests.Response:
    body = (
        f"<Req><Target><OrderId>{order_id}</OrderId><IsPointFix>true</IsPointFix></Target>"
        f"<Order><Ship>{ship}</Ship></Order><SellerId>{SELLER}</SellerId></Req>"
    )
    return call(sim, "orderShipStatusChange", body, token)


def error_message(response: requests.Response) -> str:
    root = xml(response)
    assert root.tag == "Error"
    return root.findtext("Message")


# ---- Yahoo! ID連携 token endpoint ------------------------------------------------------------------------
def test_refresh_token_grant_returns_a_bearer_access_token(yahoo):
    answer = fetch_token(yahoo)

    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"]
    assert answer.headers["Cache-Control"] == "no-store"


def test_token_endpoint_refuses_a_wrong_client_secret_with_invalid_client(yahoo):
    answer = fetch_token(yahoo, auth=(CLIENT[0], "wrong-secret"))

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.json()["error_description"]


def test_token_endpoint_refuses_an_unknown_refresh_token_with_invalid_grant(yahoo):
    answer = fetch_token(yahoo, refresh_token="someone-elses-refresh-token")

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_token_endpoint_accepts_client_credentials_in_the_form_body(yahoo):
    data = {"grant_type": "refresh_token", "refresh_token": REFRESH, "client_id": CLIENT[0]}
    answer = requests.post(
        yahoo.url + "/yconnect/v2/token", data=data | {"client_secret": CLIENT[1]}, timeout=5
    )

    assert answer.status_code == 200
    assert answer.json()["token_type"] == "Bearer"


# ---- Bearer auth on the store APIs ---------------------------------------------------------------------
def test_store_api_without_a_token_is_refused_with_www_authenticate(yahoo):
    answer = call(yahoo, "orderList", order_list_body(), token=None)

    assert answer.status_code == 401
    assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
    assert "Please provide valid credentials" in error_message(answer)


def test_store_api_with_an_unknown_token_is_refused(yahoo):
    answer = form_call(yahoo, "getStock", {"seller_id": SELLER, "item_code": "tshirt"}, "not-a-token")

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith('Bearer realm="yahooapis.jp", error="invalid_token"')


def test_expired_access_token_is_refused_until_refreshed(start_simulator, monkeypatch):
    """Tokens live 1 s here: long enough for a fresh token's call on a busy machine, short to wait out."""
    monkeypatch.setenv("YAHOO_SIM_TOKEN_TTL", "1")
    sim = start_simulator("yahoo")
    old = fetch_token(sim).json()["access_token"]
    time.sleep(1.1)

    expired = call(sim, "orderList", order_list_body(), old)
    fresh = call(sim, "orderList", order_list_body(), fetch_token(sim).json()["access_token"])

    assert expired.status_code == 401
    assert 'error_description="expired token"' in expired.headers["WWW-Authenticate"]
    assert fresh.status_code == 200


# ---- orderList -------------------------------------------------------------------------------------------
def test_order_list_finds_new_orders_with_the_documented_shape(yahoo, token):
    order_id = place(yahoo)

    answer = call(
        yahoo, "orderList", order_list_body("<OrderStatus>2</OrderStatus><IsSeen>false</IsSeen>"), token
    )

    assert answer.status_code == 200
    root = xml(answer)
    assert root.tag == "Result"
    assert root.findtext("Status") == "OK"
    assert root.findtext("Search/TotalCount") == "1"
    info = root.find("Search/OrderInfo")
    assert [child.tag for child in info] == ["Index", "OrderId", "OrderStatus", "IsSeen"]
    assert (info.findtext("Index"), info.findtext("OrderId")) == ("1", order_id)
    assert order_id == "demo-store-10000001"
    assert (info.findtext("OrderStatus"), info.findtext("IsSeen")) == ("2", "false")


def test_order_list_without_field_is_refused(yahoo, token):
    body = f"<Req><Search><Condition/></Search><SellerId>{SELLER}</SellerId></Req>"

    answer = call(yahoo, "orderList", body, token)

    assert answer.status_code == 400
    assert "Field" in error_message(answer)


def test_order_list_pages_with_start_and_result_until_total_count(yahoo, token):
    placed = [place(yahoo) for _ in range(5)]
    seen, indexes, start, total = [], [], 1, None

    while total is None or start <= total:
        paging = f"<Result>2</Result><Start>{start}</Start>"
        root = xml(call(yahoo, "orderList", order_list_body(paging=paging), token))
        total = int(root.findtext("Search/TotalCount"))
        for info in root.findall("Search/OrderInfo"):
            seen.append(info.findtext("OrderId"))
            indexes.append(int(info.findtext("Index")))
        start += 2

    assert total == 5
    assert seen == placed
    assert indexes == [1, 2, 3, 4, 5]


def test_order_list_sorts_newest_first_with_minus_order_time(yahoo, token):
    placed = [place(yahoo) for _ in range(3)]

    root = xml(call(yahoo, "orderList", order_list_body(paging="<Sort>-order_time</Sort>"), token))

    assert [i.findtext("OrderId") for i in root.findall("Search/OrderInfo")] == placed[::-1]


def test_order_list_filters_by_order_time_window(yahoo, token):
    place(yahoo)
    now = datetime.now(JST)
    around_now = f"<OrderTimeFrom>{yahoo_time(now - timedelta(hours=1))}</OrderTimeFrom>"
    around_now += f"<OrderTimeTo>{yahoo_time(now + timedelta(hours=1))}</OrderTimeTo>"
    later = f"<OrderTimeFrom>{yahoo_time(now + timedelta(hours=1))}</OrderTimeFrom>"

    found = xml(call(yahoo, "orderList", order_list_body(around_now), token))
    none = xml(call(yahoo, "orderList", order_list_body(later), token))

    assert found.findtext("Search/TotalCount") == "1"
    assert none.findtext("Search/TotalCount") == "0"


def test_order_list_refuses_a_timestamp_not_in_yyyymmddhhmmss(yahoo, token):
    answer = call(yahoo, "orderList", order_list_body("<OrderTimeFrom>2026-11-01</OrderTimeFrom>"), token)

    assert answer.status_code == 400
    assert "OrderTimeFrom" in error_message(answer)


def test_order_list_takes_a_comma_list_of_order_statuses(yahoo, token):
    kept, cancelled = place(yahoo), place(yahoo)
    yahoo.control("POST", f"orders/{cancelled}/cancel")

    only_cancelled = xml(call(yahoo, "orderList", order_list_body("<OrderStatus>4</OrderStatus>"), token))
    both = xml(call(yahoo, "orderList", order_list_body("<OrderStatus>2,4</OrderStatus>"), token))

    assert [i.findtext("OrderId") for i in only_cancelled.findall("Search/OrderInfo")] == [cancelled]
    assert [i.findtext("OrderId") for i in both.findall("Search/OrderInfo")] == [kept, cancelled]


def test_order_list_for_another_seller_id_is_refused(yahoo, token):
    answer = call(yahoo, "orderList", order_list_body().replace(SELLER, "other-store"), token)

    assert answer.status_code == 400
    assert "SellerId" in error_message(answer)


# ---- orderInfo -------------------------------------------------------------------------------------------
def test_order_info_has_pay_ship_detail_seller_buyer_and_items_with_japanese_address(yahoo, token):
    order_id = place(yahoo)

    answer = call(
        yahoo,
        "orderInfo",
        f"<Req><Target><OrderId>{order_id}</OrderId></Target><SellerId>{SELLER}</SellerId></Req>",
        token,
    )

    root = xml(answer)
    assert (root.tag, root.get("totalResultsAvailable")) == ("ResultSet", "1")
    assert root.findtext("Result/Status") == "OK"
    info = root.find("Result/OrderInfo")
    assert {"Pay", "Ship", "Detail", "Seller", "Buyer", "Item"} <= {child.tag for child in info}
    ship = info.find("Ship")
    assert (ship.findtext("ShipLastName"), ship.findtext("ShipFirstName")) == ("山田", "太郎")
    assert (ship.findtext("ShipLastNameKana"), ship.findtext("ShipFirstNameKana")) == ("ヤマダ", "タロウ")
    assert ship.findtext("ShipZipCode") == "100-0001"
    assert (ship.findtext("ShipPrefecture"), ship.findtext("ShipCity")) == ("東京都", "千代田区")
    assert (ship.findtext("ShipAddress1"), ship.findtext("ShipAddress2")) == (
        "千代田1-1",
        "パレス千代田 101号室",
    )
    assert info.findtext("Seller/SellerId") == SELLER
    assert info.findtext("Pay/BillMailAddress") == "taro@example.jp"
    assert info.findtext("Detail/TotalPrice") == str(2 * 2980 + 4980)
    items = [{child.tag: child.text for child in item} for item in info.findall("Item")]
    assert [(i["LineId"], i["ItemId"], i["SubCode"], i["Quantity"], i["UnitPrice"]) for i in items] == [
        ("1", "tshirt", "TSHIRT-BLK-M", "2", "2980"),
        ("2", "set", "SET-GIFT-A", "1", "4980"),
    ]
    assert all(item["Title"] for item in items)


def test_order_info_carries_the_delivery_wish_as_ship_request_date_and_time(yahoo, token):
    order_id = place(yahoo, delivery_date="2026-12-05", delivery_time="14-16")

    ship = order_info(yahoo, token, order_id).find("Ship")

    assert ship.findtext("ShipRequestDate") == "2026-12-05"
    assert ship.findtext("ShipRequestTime") == "14:00～16:00"


def test_order_info_writes_only_the_requested_fields(yahoo, token):
    order_id = place(yahoo)

    info = order_info(yahoo, token, order_id, field="OrderId,ShipPrefecture,ItemId,Quantity")

    assert [child.tag for child in info] == ["OrderId", "Ship", "Item", "Item"]
    assert [child.tag for child in info.find("Ship")] == ["ShipPrefecture"]
    assert [child.tag for child in info.find("Item")] == ["ItemId", "Quantity"]


def test_order_info_of_an_unknown_order_is_an_error(yahoo, token):
    body = f"<Req><Target><OrderId>demo-store-99999999</OrderId></Target><SellerId>{SELLER}</SellerId></Req>"

    answer = call(yahoo, "orderInfo", body, token)

    assert answer.status_code == 400
    assert "demo-store-99999999" in error_message(answer)


def test_prepaid_order_starts_unpaid_and_unshippable_until_paid(yahoo, token):
    order_id = place(yahoo, payment="bank_transfer")
    before = order_info(yahoo, token, order_id)
    pay = "<Order><Pay><PayStatus>1</PayStatus><PayDate>20261201</PayDate></Pay></Order>"
    body = f"<Req><Target><OrderId>{order_id}</OrderId></Target>{pay}<SellerId>{SELLER}</SellerId></Req>"

    assert call(yahoo, "orderPayStatusChange", body, token).status_code == 200
    after = order_info(yahoo, token, order_id)

    assert (before.findtext("Pay/PayType"), before.findtext("Pay/PayStatus")) == ("1", "0")
    assert before.findtext("Ship/ShipStatus") == "0"
    assert (after.findtext("Pay/PayStatus"), after.findtext("Pay/PayDate")) == ("1", "2026-12-01")
    assert after.findtext("Ship/ShipStatus") == "1"


# ---- orderStatusChange / orderShipStatusChange --------------------------------------------------------
def test_status_change_to_processing_marks_a_new_order_seen(yahoo, token):
    order_id = place(yahoo)

    answer = status_change(yahoo, token, order_id, 2)
    new_orders = xml(call(yahoo, "orderList", order_list_body("<IsSeen>false</IsSeen>"), token))

    assert answer.status_code == 200
    assert xml(answer).findtext("Result/Status") == "OK"
    assert order_info(yahoo, token, order_id).findtext("IsSeen") == "true"
    assert new_orders.findtext("Search/TotalCount") == "0"


def test_completing_an_order_requires_is_point_fix_true(yahoo, token):
    order_id = place(yahoo)

    refused = status_change(yahoo, token, order_id, 5, point_fix="false")
    done = status_change(yahoo, token, order_id, 5, point_fix="true")

    assert refused.status_code == 400
    assert "IsPointFix" in error_message(refused)
    assert done.status_code == 200
    assert order_info(yahoo, token, order_id).findtext("OrderStatus") == "5"


def test_a_cancelled_order_cannot_be_moved_again(yahoo, token):
    order_id = place(yahoo)
    cancelled = status_change(yahoo, token, order_id, 4, extra="<CancelReason>220</CancelReason>")

    reopened = status_change(yahoo, token, order_id, 1)

    assert cancelled.status_code == 200
    assert order_info(yahoo, token, order_id).findtext("CancelReason") == "220"
    assert reopened.status_code == 400
    assert error_message(reopened) == "Cannot Be Operated : CancelOrder OrderStatus"


def test_ship_status_change_records_carrier_invoice_and_ship_date(yahoo, token):
    order_id = place(yahoo)
    ship = (
        "<ShipStatus>3</ShipStatus><ShipCompanyCode>1001</ShipCompanyCode>"
        "<ShipInvoiceNumber1>123456789012</ShipInvoiceNumber1><ShipDate>20261203</ShipDate>"
    )

    answer = ship_change(yahoo, token, order_id, ship)
    info = order_info(yahoo, token, order_id)
    view = yahoo.control("GET", f"orders/{order_id}").json()

    assert answer.status_code == 200
    assert info.findtext("Ship/ShipStatus") == "3"
    assert info.findtext("Ship/ShipDate") == "2026-12-03"
    assert info.findtext("Ship/ShipCompanyCode") == "1001"
    assert view["tracking_numbers"] == ["123456789012"]


def test_ship_status_change_refuses_a_ship_date_not_in_yyyymmdd(yahoo, token):
    order_id = place(yahoo)

    answer = ship_change(yahoo, token, order_id, "<ShipStatus>3</ShipStatus><ShipDate>2026-12-03</ShipDate>")

    assert answer.status_code == 400
    assert "ShipDate" in error_message(answer)


def test_buyer_cancellation_shows_as_order_status_4_with_reason_100(yahoo, token):
    order_id = place(yahoo)

    view = yahoo.control("POST", f"orders/{order_id}/cancel").json()
    info = order_info(yahoo, token, order_id)

    assert (view["status"], view["status_name"]) == (4, "キャンセル")
    assert (info.findtext("OrderStatus"), info.findtext("CancelReason")) == ("4", "100")
    assert info.findtext("Version") == "2"


# ---- setStock / getStock ---------------------------------------------------------------------------------
def test_set_stock_sets_absolute_and_relative_quantities(yahoo, token):
    yahoo.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 10})
    quantities = []

    for encoded in ("5", "%2B3", "-2"):
        body = f"seller_id={SELLER}&item_code=tshirt:TSHIRT-BLK-M&quantity={encoded}"
        answer = form_call(yahoo, "setStock", body, token)
        assert answer.status_code == 200, answer.text
        quantities.append(xml(answer).findtext("Result/Quantity"))

    assert quantities == ["5", "8", "6"]
    assert yahoo.control("GET", "listings/TSHIRT-BLK-M").json()["quantity"] == 6


def test_set_stock_fails_only_the_item_with_a_bad_quantity(yahoo, token):
    data = {"seller_id": SELLER, "item_code": "tshirt:TSHIRT-BLK-M,tshirt:TSHIRT-WHT-M", "quantity": "4,many"}

    root = xml(form_call(yahoo, "setStock", data, token))

    assert root.get("totalResultsAvailable") == "2"
    ok, bad = root.findall("Result")
    assert (ok.findtext("SubCode"), ok.findtext("Quantity"), ok.find("ErrorCode")) == (
        "TSHIRT-BLK-M",
        "4",
        None,
    )
    assert (bad.findtext("SubCode"), bad.findtext("ErrorCode")) == ("TSHIRT-WHT-M", "st-02104")


def test_set_stock_of_a_single_item_with_a_bad_quantity_is_an_error(yahoo, token):
    data = {"seller_id": SELLER, "item_code": "tshirt:TSHIRT-BLK-M", "quantity": "1.5"}

    answer = form_call(yahoo, "setStock", data, token)

    assert answer.status_code == 400
    assert xml(answer).findtext("Code") == "st-02104"


def test_set_stock_for_an_unknown_item_code_is_not_an_error(yahoo, token):
    data = {"seller_id": SELLER, "item_code": "not-our-item:XYZ", "quantity": "7"}

    answer = form_call(yahoo, "setStock", data, token)

    assert answer.status_code == 200
    assert xml(answer).find("Result/ErrorCode") is None
    assert yahoo.control("GET", "listings").json() == []


def test_set_stock_refuses_more_than_1000_items(yahoo, token):
    codes = ",".join(f"tshirt:TSHIRT-{n}" for n in range(1001))
    data = {"seller_id": SELLER, "item_code": codes, "quantity": ",".join(["1"] * 1001)}

    answer = form_call(yahoo, "setStock", data, token)

    assert answer.status_code == 400
    assert "1000" in error_message(answer)


def test_get_stock_of_an_item_code_lists_every_sub_code(yahoo, token):
    yahoo.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 3})
    yahoo.control("PUT", "listings/TSHIRT-WHT-L", json={"quantity": 0})
    yahoo.control("PUT", "listings/MUG-RED", json={"quantity": 9})

    root = xml(form_call(yahoo, "getStock", {"seller_id": SELLER, "item_code": "tshirt"}, token))

    rows = [
        (r.findtext("ItemCode"), r.findtext("SubCode"), r.findtext("Quantity"))
        for r in root.findall("Result")
    ]
    assert rows == [("tshirt", "TSHIRT-BLK-M", "3"), ("tshirt", "TSHIRT-WHT-L", "0")]
    assert root.get("totalResultsReturned") == "2"


def test_a_sale_takes_the_units_off_the_shown_stock(yahoo, token):
    yahoo.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 5})
    place(yahoo)

    root = xml(form_call(yahoo, "getStock", {"seller_id": SELLER, "item_code": "tshirt:TSHIRT-BLK-M"}, token))

    assert root.findtext("Result/Quantity") == "3"


# ---- rate limits, faults, unknown paths ----------------------------------------------------------------
def test_the_eleventh_call_in_a_burst_to_one_api_is_forbidden(start_simulator):
    """Each API allows a burst of 10 and refills 10 per second: of 25 calls sent at once, the first 10 pass,
    at most one more per 100 ms the burst took (a busy machine spreads it out), and the rest are refused."""
    sim = start_simulator("yahoo", rate_limits="real")
    token = fetch_token(sim).json()["access_token"]
    burst = 25
    start_together = threading.Barrier(burst)

    def get_stock(_: int) -> tuple[requests.Response, float]:
        start_together.wait()
        answer = form_call(sim, "getStock", {"seller_id": SELLER, "item_code": "tshirt"}, token)
        return answer, time.monotonic()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=burst) as pool:
        answers = list(pool.map(get_stock, range(burst)))
    took = max(done for _answer, done in answers) - started
    other_api = call(sim, "orderList", order_list_body(), token)

    passed = [answer for answer, _done in answers if answer.status_code == 200]
    refused = [answer for answer, _done in answers if answer.status_code != 200]
    assert 10 <= len(passed) <= 10 + int(took * 10) + 1, (len(passed), took)
    assert refused, f"all {burst} calls passed in {took:.2f} s"
    assert {answer.status_code for answer in refused} == {403}
    assert {error_message(answer) for answer in refused} == {"Your Request was Forbidden"}
    assert other_api.status_code == 200  # each API has its own 10 req/s


@pytest.mark.parametrize(
    ("kind", "status", "message"), [("503", 503, "Service Unavailable"), ("429", 403, None)]
)
def test_injected_faults_answer_in_yahoo_error_shape(yahoo, token, kind, status, message):
    yahoo.control("POST", "faults", json={"error_rate": 1.0, "kinds": [kind]})

    answer = call(yahoo, "orderList", order_list_body(), token)

    assert answer.status_code == status
    assert error_message(answer) == (message or "Your Request was Forbidden")


def test_an_unknown_api_is_404_in_yahoo_error_shape(yahoo, token):
    answer = call(yahoo, "noSuchApi", "<Req/>", token)

    assert answer.status_code == 404
    assert error_message(answer) == "Not Found"


# ---- the reference's documented sample requests (§2.1, §2.4, §2.5), verbatim but for ids -----------------
SAMPLE_ORDER_LIST = """<Req><Search><Result>10</Result><Start>1</Start><Sort>+order_time</Sort>
  <Condition><OrderTimeFrom>20221001000000</OrderTimeFrom><OrderTimeTo>20221031235959</OrderTimeTo>
     <OrderStatus>2</OrderStatus><IsSeen>false</IsSeen></Condition>
  <Field>OrderId,OrderTime,OrderStatus,ShipStatus,PayStatus,...</Field></Search>
  <SellerId>demo-store</SellerId></Req>"""
SAMPLE_STATUS_CHANGE = """<Req><Target><OrderId>{order_id}</OrderId><IsPointFix>true</IsPointFix><OperationUser/></Target><Order><OrderStatus>5</OrderStatus><CancelReason>220</CancelReason></Order><SellerId>demo-store</SellerId></Req>"""  # noqa: E501
SAMPLE_SHIP_STATUS_CHANGE = """<Req><Target><OrderId>{order_id}</OrderId><IsPointFix>true</IsPointFix></Target><Order><Ship><ShipStatus>3</ShipStatus><ShipCompanyCode>1001</ShipCompanyCode>
<ShipInvoiceNumber1>4321-1234-5678</ShipInvoiceNumber1><ShipInvoiceNumber2/><ShipUrl><![CDATA[https://toi.kuronekoyamato.co.jp/cgi-bin/tneko]]></ShipUrl><ShipDate>20240101</ShipDate></Ship></Order><SellerId>demo-store</SellerId></Req>"""  # noqa: E501


def test_documented_order_list_sample_is_answered(yahoo, token):
    order_id = place(yahoo)
    today = datetime.now(JST).strftime("%Y%m%d")
    this_month = SAMPLE_ORDER_LIST.replace("20221001000000", today + "000000").replace("20221031", today)

    october_2022 = xml(call(yahoo, "orderList", SAMPLE_ORDER_LIST, token))
    now = xml(call(yahoo, "orderList", this_month, token))

    assert (october_2022.findtext("Status"), october_2022.findtext("Search/TotalCount")) == ("OK", "0")
    info = now.find("Search/OrderInfo")
    assert [c.tag for c in info] == [
        "Index",
        "OrderId",
        "OrderTime",
        "OrderStatus",
        "ShipStatus",
        "PayStatus",
    ]
    assert info.findtext("OrderId") == order_id
    assert datetime.fromisoformat(info.findtext("OrderTime")).utcoffset() == timedelta(hours=9)


def test_documented_ship_and_status_change_samples_ship_and_complete_an_order(yahoo, token):
    order_id = place(yahoo)

    shipped = requests.post(  # sent form-typed, as the JSPSystem PHP client sends its XML
        f"{yahoo.url}{API}/orderShipStatusChange",
        data=SAMPLE_SHIP_STATUS_CHANGE.format(order_id=order_id).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    completed = call(yahoo, "orderStatusChange", SAMPLE_STATUS_CHANGE.format(order_id=order_id), token)
    info = order_info(yahoo, token, order_id)

    assert xml(shipped).tag == "ResultSet"
    assert xml(shipped).findtext("Result/Status") == "OK"
    assert xml(completed).findtext("Result/Status") == "OK"
    assert info.findtext("OrderStatus") == "5"
    ship = info.find("Ship")
    assert (ship.findtext("ShipStatus"), ship.findtext("ShipDate")) == ("3", "2024-01-01")
    assert ship.findtext("ShipInvoiceNumber1") == "4321-1234-5678"
    assert ship.findtext("ShipUrl") == "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko"
