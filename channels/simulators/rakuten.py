"""Local Rakuten RMS: ESA auth, Order API 2.0 (楽天ペイ受注API) and Inventory API 2.0 on /es/2.0/, and the
問い合わせ管理API on /es/1.0/inquirymng-api (rakuten_inquiries).

Error codes and limits follow the reference; where it is silent the choice is marked [assumed] here.
"""

from __future__ import annotations

import base64
import threading
from datetime import datetime, timedelta
from typing import Any

from channels.simulators import rakuten_render as render
from channels.simulators.base import BadRequest, Request, Response, Simulator, json_response, now_jst
from channels.simulators.rakuten_inquiries import INQUIRY_API, RakutenInquiryAPI
from channels.simulators.rakuten_inventory import RakutenInventoryAPI
from channels.simulators.rakuten_render import ORDER_BURST, ORDER_RATE, message
from channels.simulators.rakuten_shipping import RakutenShippingAPI

ORDER_API = "/es/2.0/order"
SEARCH = "ORDER_EXT_API_SEARCH_ORDER"
GET = "ORDER_EXT_API_GET_ORDER"
CONFIRM = "ORDER_EXT_API_CONFIRM_ORDER"
INVENTORY_API = "/es/2.0/inventories"
SEARCH_MAX_PER_PAGE = 1000
SEARCH_CAP = 15_000  # results beyond the 15,000th cannot be fetched
SEARCH_MAX_SPAN = timedelta(days=63)
SEARCH_MAX_AGE = timedelta(days=730)
MAX_ORDERS_PER_CALL = 100
# dateType -> the OrderModel field it searches.
# 6 決済確定日 has no field of its own: orderFixDatetime [assumed].
DATE_TYPES = {1: "orderDatetime", 2: "shopOrderCfmDatetime", 3: "orderFixDatetime", 4: "shippingInstDatetime",
              5: "shippingCmplRptDatetime", 6: "orderFixDatetime"}  # fmt: skip
# Gateway answers. 401 ES01-01 is documented [code]. The Order API's throttling answer is not: the legacy
# XML APIs used 403 "QPSLimit"; we answer 429 (what HTTP clients retry) with that name in the gateway
# body [assumed]. Other gateway errors carry errorCode "SIM-<status>" [assumed, invented].
UNAUTHORISED = {"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}}
GATEWAY_REASONS = {400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 429: "QPSLimit",
                   500: "Internal Server Error", 503: "Service Unavailable"}  # fmt: skip
CREDENTIALS = {
    "service_secret": "SP100001_demo_secret",
    "license_key": "SL100001_demo_license",
    "shop_id": "100001",
}


class RakutenSimulator(RakutenInquiryAPI, RakutenInventoryAPI, RakutenShippingAPI, Simulator):
    kind = "rakuten"
    paged_paths = (rf"{ORDER_API}/searchOrder/?", rf"{INQUIRY_API}/inquiries")

    def __init__(self, *, seed: int = 1, rate_limits: bool = True):
        super().__init__(seed=seed, rate_limits=rate_limits)
        self.shop_id = CREDENTIALS["shop_id"]
        self._family = threading.local()  # "order", "inventory" or "inquiry": picks the error body's shape
        self.on_reset()

    def on_reset(self) -> None:
        # Serials start at a seeded point so two runs with the same --seed number orders alike.
        self.next_serial = self.rng.randint(1_000, 60_000)
        self.next_basket_id = self.rng.randint(10_000_000, 19_999_999)
        self.next_item_detail_id = self.rng.randint(100_000, 900_000)
        self.next_shipping_detail_id = self.rng.randint(10_000, 90_000)
        self.async_results: dict[str, dict] = {}
        self.inventory_times: dict[str, dict] = {}

    # ---- Simulator interface -----------------------------------------------------------------------------
    def credentials(self) -> dict:
        return dict(CREDENTIALS)

    def expected_authorization(self) -> str:
        token = f"{CREDENTIALS['service_secret']}:{CREDENTIALS['license_key']}".encode()
        return "ESA " + base64.b64encode(token).decode()

    def authenticate(self, request: Request) -> Response | None:
        if (request.headers.get("Authorization") or "").strip() == self.expected_authorization():
            return None
        return json_response(UNAUTHORISED, 401)

    def routes(self) -> list[tuple[str, str, Any]]:
        variant = INVENTORY_API + r"/manage-numbers/(?P<manage_number>[^/]+)/variants/(?P<variant_id>[^/]+)"
        return [
            ("POST", rf"{ORDER_API}/searchOrder/?", self.search_order),
            ("POST", rf"{ORDER_API}/getOrder/?", self.get_order),
            ("POST", rf"{ORDER_API}/confirmOrder/?", self.confirm_order),
            ("POST", rf"{ORDER_API}/updateOrderShipping/?", self.update_order_shipping),
            ("POST", rf"{ORDER_API}/updateOrderShippingAsync/?", self.update_order_shipping_async),
            ("POST", rf"{ORDER_API}/getResultUpdateOrderShippingAsync/?", self.get_result_shipping_async),
            ("GET", variant, self.get_variant),
            ("PUT", variant, self.put_variant),
            ("DELETE", variant, self.delete_variant),
            ("POST", rf"{INVENTORY_API}/bulk-upsert/?", self.bulk_upsert),
            ("POST", rf"{INVENTORY_API}/bulk-get/?", self.bulk_get),
            ("GET", rf"{INVENTORY_API}/bulk-get/range/?", self.bulk_get_range),
            *self.inquiry_routes(),
        ]

    def dispatch(self, request: Request) -> tuple[Response, str | None]:
        if request.path.startswith(INVENTORY_API):
            self._family.name = "inventory"
        elif request.path.startswith(INQUIRY_API):
            self._family.name = "inquiry"
        else:
            self._family.name = "order"
        return super().dispatch(request)

    def throttled_response(self) -> Response:
        return self.error_response(429)

    def error_response(self, status: int) -> Response:
        reason = GATEWAY_REASONS.get(status, "Error")
        family = getattr(self._family, "name", "order")
        if family == "inventory":
            return self.inventory_error(status, "GE0014" if status == 404 else f"SIM-{status}", reason)
        if family == "inquiry":
            return self.inquiry_error_response(status, reason)
        return json_response({"Results": {"errorCode": f"SIM-{status}", "message": reason}}, status)

    def create_order(self, canonical: dict) -> str:
        ordered_at = now_jst().replace(microsecond=0)
        order_number = f"{self.shop_id}-{ordered_at:%Y%m%d}-{self.next_serial:06d}01"  # samples all end in 01
        self.next_serial += 1
        model = render.order_model(
            canonical,
            order_number=order_number,
            ordered_at=ordered_at,
            basket_id=self.next_basket_id,
            first_item_id=self.next_item_detail_id,
        )
        self.next_basket_id += 1
        self.next_item_detail_id += len(canonical["items"])
        self.orders[order_number] = model
        return order_number

    def order_view(self, order_id: str) -> dict:
        order = self.orders[order_id]
        tracking = [
            shipping["shippingNumber"]
            for package in order["PackageModelList"]
            for shipping in package["ShippingModelList"]
            if shipping.get("shippingNumber")
        ]
        return {
            "order_id": order_id,
            "status": order["orderProgress"],
            "status_name": render.PROGRESS_NAMES[order["orderProgress"]],
            "tracking_numbers": tracking,
            "order": order,
        }

    def cancel_order(self, order_id: str) -> None:
        self.orders[order_id]["orderProgress"] = 900

    def set_listing(self, sku: str, quantity: int, **ids: Any) -> None:
        ids = ids or self.listing_ids.get(sku) or render.marketplace_ids(sku)
        super().set_listing(sku, quantity, **ids)

    # ---- Order API: searchOrder ---------------------------------------------------------------------------
    def search_order(self, request: Request) -> Response:
        throttled = self.limit("searchOrder", ORDER_RATE, ORDER_BURST)
        if throttled:
            return throttled
        body = _json_object(request)
        errors, window = _search_window(body)
        page_size, page, sort_desc = _search_paging(body.get("PaginationRequestModel"), errors)
        if errors:
            return json_response(
                {"orderNumberList": None, "MessageModelList": errors, "PaginationResponseModel": None}, 400
            )
        numbers = self._matching_orders(body, window, sort_desc)[:SEARCH_CAP]
        if not numbers:
            info = message("INFO", f"{SEARCH}_INFO_102", "注文検索に成功しました。(検索結果０件)")
            empty = {"totalRecordsAmount": None, "totalPages": None, "requestPage": None}
            body = {"orderNumberList": [], "MessageModelList": [info], "PaginationResponseModel": empty}
            return json_response(body)
        paging = {
            "totalRecordsAmount": len(numbers),
            "totalPages": -(-len(numbers) // page_size),
            "requestPage": page,
        }
        return json_response(
            {
                "orderNumberList": numbers[(page - 1) * page_size : page * page_size],
                "MessageModelList": [message("INFO", f"{SEARCH}_INFO_101", "注文検索に成功しました。")],
                "PaginationResponseModel": paging,
            }
        )

    def _matching_orders(self, body: dict, window: tuple[str, datetime, datetime], desc: bool) -> list[str]:
        field, start, end = window
        progress = body.get("orderProgressList")
        wanted = {int(p) for p in progress if isinstance(p, int)} if isinstance(progress, list) else None
        found = []
        for number, order in self.orders.items():
            moment = render.parse_order_datetime(order.get(field))
            if moment is None or not start <= moment <= end:
                continue
            if wanted and order["orderProgress"] not in wanted:
                continue
            found.append((order["orderDatetime"], number))
        found.sort(reverse=desc)
        return [number for _, number in found]

    # ---- Order API: getOrder, confirmOrder ------------------------------------------------------------
    def get_order(self, request: Request) -> Response:
        throttled = self.limit("getOrder", ORDER_RATE, ORDER_BURST)
        if throttled:
            return throttled
        body = _json_object(request)
        numbers, errors = _order_numbers(body, "GET_ORDER")
        version = body.get("version")
        if version is None:
            errors.append(message("ERROR", f"{GET}_ERROR_009", "versionの項目を指定して下さい。"))
        elif not isinstance(version, int) or isinstance(version, bool) or not 3 <= version <= 10:
            errors.append(message("ERROR", f"{GET}_ERROR_011", "versionの書式が不正です。"))  # [assumed] code
        if errors:
            return json_response({"MessageModelList": errors, "OrderModelList": [], "version": version}, 400)
        messages, models = [], []
        for number in numbers:
            if number in self.orders:
                models.append(render.for_version(self.orders[number], version))
                text = "受注情報取得に成功しました。"
                messages.append(message("INFO", f"{GET}_INFO_101", text, orderNumber=number))
            else:  # [assumed] code and text for an unknown order number
                text = "指定された注文番号は存在しません。"
                messages.append(message("ERROR", f"{GET}_ERROR_101", text, orderNumber=number))
        return json_response({"MessageModelList": messages, "OrderModelList": models, "version": version})

    def confirm_order(self, request: Request) -> Response:
        throttled = self.limit("confirmOrder", ORDER_RATE, ORDER_BURST)
        if throttled:
            return throttled
        numbers, errors = _order_numbers(_json_object(request), "CONFIRM_ORDER")
        if errors:
            return json_response({"MessageModelList": errors}, 400)
        return json_response({"MessageModelList": [self._confirm_one(number) for number in numbers]})

    def _confirm_one(self, number: str) -> dict:
        order = self.orders.get(number)
        if order is None:  # [assumed] code for an unknown order number
            text = "指定された注文番号は存在しません。"
            return message("ERROR", f"{CONFIRM}_ERROR_101", text, orderNumber=number)
        if order["orderProgress"] == 900:
            text = "指定された注文番号は既にキャンセルされています。"
            return message("ERROR", f"{CONFIRM}_ERROR_102", text, orderNumber=number)
        if order["orderProgress"] != 100:
            text = "指定された注文番号は既にステータスが移動しています。"
            return message("ERROR", f"{CONFIRM}_ERROR_103", text, orderNumber=number)
        moment = render.format_order_datetime(now_jst().replace(microsecond=0))
        # 100 -> 300 directly: the 200 (楽天処理中) step passes at once here.
        order.update(orderProgress=300, shopOrderCfmDatetime=moment, orderFixDatetime=moment)
        order["shippingInstDatetime"] = moment
        return message("INFO", f"{CONFIRM}_INFO_101", "注文確認に成功しました。", orderNumber=number)


def _json_object(request: Request) -> dict:
    body = request.json()
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def _order_numbers(body: dict, api: str) -> tuple[list[str], list[dict]]:
    """orderNumberList of getOrder / confirmOrder: required, 1..100 strings."""
    numbers = body.get("orderNumberList")
    code = f"ORDER_EXT_API_{api}_ERROR"
    if numbers is None:
        return [], [message("ERROR", f"{code}_009", "orderNumberListの項目を指定して下さい。")]
    if not isinstance(numbers, list) or not numbers or not all(isinstance(n, str) for n in numbers):
        return [], [message("ERROR", f"{code}_010", "orderNumberListの値を指定して下さい。")]
    if len(numbers) > MAX_ORDERS_PER_CALL:  # [assumed] code
        return [], [message("ERROR", f"{code}_012", "orderNumberListは100件以内で指定して下さい。")]
    return numbers, []


def _search_window(body: dict) -> tuple[list[dict], tuple[str, datetime, datetime]]:
    """Validate dateType/startDatetime/endDatetime (all required) and the 63-day and 730-day rules."""
    errors: list[dict] = []
    date_type = body.get("dateType")
    if date_type is None:
        errors.append(_search_error("009", "dateTypeの項目を指定して下さい。"))
    elif date_type not in DATE_TYPES or isinstance(date_type, bool):
        errors.append(_search_error("011", "dateTypeの書式が不正です。"))
    moments = {}
    for name in ("startDatetime", "endDatetime"):
        value = body.get(name)
        if name not in body:
            errors.append(_search_error("009", f"{name}の項目を指定して下さい。"))
        elif value in (None, ""):
            errors.append(_search_error("010", f"{name}の値を指定して下さい。"))
        elif (moment := render.parse_order_datetime(value)) is None:
            errors.append(_search_error("011", f"{name}の書式が不正です。"))
        else:
            moments[name] = moment
    start, end = moments.get("startDatetime"), moments.get("endDatetime")
    if start and end:  # codes for the two date rules are not published: 012/013 [assumed]
        if end < start or end - start > SEARCH_MAX_SPAN:
            errors.append(_search_error("012", "endDatetimeはstartDatetimeから63日以内を指定して下さい。"))
        if start < now_jst() - SEARCH_MAX_AGE:
            errors.append(_search_error("013", "startDatetimeは過去730日以内を指定して下さい。"))
    field = DATE_TYPES.get(date_type, "orderDatetime") if isinstance(date_type, int) else "orderDatetime"
    return errors, (field, start or now_jst(), end or now_jst())


def _search_paging(paging: object, errors: list[dict]) -> tuple[int, int, bool]:
    """(records per page, page, newest first) from PaginationRequestModel; defaults 30 and 1."""
    if paging is None:
        return 30, 1, False
    if not isinstance(paging, dict):
        errors.append(_search_error("011", "PaginationRequestModelの書式が不正です。"))
        return 30, 1, False
    size, page = paging.get("requestRecordsAmount", 30), paging.get("requestPage", 1)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= SEARCH_MAX_PER_PAGE:
        errors.append(_search_error("011", "requestRecordsAmountの書式が不正です。"))
        size = 30
    if not isinstance(page, int) or isinstance(page, bool) or page < 1:
        errors.append(_search_error("011", "requestPageの書式が不正です。"))
        page = 1
    sorts = paging.get("SortModelList") or []
    descending = bool(sorts) and isinstance(sorts[0], dict) and sorts[0].get("sortDirection") == 2
    return size, page, descending


def _search_error(number: str, text: str) -> dict:
    return message("ERROR", f"{SEARCH}_ERROR_{number}", text)
