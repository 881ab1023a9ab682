"""Yahoo!ショッピング store API simulator: ID連携 token endpoint, order APIs (XML), stock APIs (form) and the
問い合わせ管理 APIs (JSON, yahoo_talk).

Paths as on circus.shopping.yahooapis.jp (`/ShoppingWebService/V1/<api>`) and auth.login.yahoo.co.jp
(`/yconnect/v2/token`), both on this one port. Every API has its own 10 req/s limit; over it the answer
is 403 "Your Request was Forbidden" as Yahoo documents.

Where the reference leaves a choice open (see also yahoo_orders, yahoo_stock, yahoo_auth):
- A new order is OrderStatus 2 with IsSeen false. Any store-side change (orderStatusChange,
  orderShipStatusChange, orderPayStatusChange) marks it seen; to mark it seen without another change,
  send orderStatusChange with OrderStatus 2 (処理中 -> 処理中 is allowed).
- Refusals of a well-formed call: HTTP 400 <Error><Message>..</Message></Error>; the reference's own texts
  are used where it has them ("Cannot Be Operated : CancelOrder OrderStatus"), the rest are worded alike.
- orderInfo's Field is optional here (all fields when absent); orderList's Field is required. Unknown
  field names and condition keys are ignored.
- Datetimes in answers are ISO 8601 with +09:00, dates YYYY-MM-DD; conditions take YYYYMMDDhhmmss.
- No LastUpdateTime condition: the reference has none. Buyer cancellations show as OrderStatus 4 with
  CancelReason 100 and a new LastUpdateTime/Version (orderList Condition OrderStatus=4, or orderInfo).
- X-sws-signature (公開鍵認証) is accepted and not checked; the 50,000 requests/day quota is not counted.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import date, datetime

from channels.simulators.base import Request, Response, Simulator, now_jst
from channels.simulators.yahoo_auth import TokenStore, bearer_token, token_ttl_from_env
from channels.simulators.yahoo_orders import (
    BUYER_CANCEL_REASON,
    CANCELLED,
    STATUS_NAMES,
    build_order,
    change_order_status,
    change_pay_status,
    change_ship_status,
    search_predicates,
    touch,
    tracking_numbers,
)
from channels.simulators.yahoo_render import (
    YahooApiError,
    child_text,
    error_response,
    ok_result_set,
    order_info_response,
    order_list_response,
    parse_request,
)
from channels.simulators.yahoo_stock import get_stock, set_stock
from channels.simulators.yahoo_talk import YahooTalkAPI

# The fixed demo credentials that seed_demo configures (public by design, not secrets).
CLIENT_ID = "dj00demo-yahoo-client"
CLIENT_SECRET = "demo-yahoo-secret"  # noqa: S105
REFRESH_TOKEN = "demo-yahoo-refresh-token"  # noqa: S105
SELLER_ID = "demo-store"
FIRST_SERIAL = 10000001  # order ids look like tanarkystore-10000001 [doc sample]
API = "/ShoppingWebService/V1"
API_RATE = 10.0  # requests per second, per API [doc help/FAQ]
ERROR_MESSAGES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Your Request was Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class YahooSimulator(YahooTalkAPI, Simulator):
    kind = "yahoo"
    paged_paths = (f"{API}/orderList", f"{API}/externalTalkList")

    def __init__(self, *, seed: int = 1, rate_limits: bool = True):
        super().__init__(seed=seed, rate_limits=rate_limits)
        self.tokens = TokenStore(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            refresh_token=REFRESH_TOKEN,
            ttl=token_ttl_from_env(),
        )
        self.next_serial = FIRST_SERIAL
        self.unlinked: dict[tuple[str, str], int] = {}  # setStock for ids that are not our items

    # ---- Simulator interface -----------------------------------------------------------------------
    def credentials(self) -> dict:
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "refresh_token": REFRESH_TOKEN,
            "seller_id": SELLER_ID,
        }

    def routes(self) -> list[tuple[str, str, Callable[[Request], Response]]]:
        apis: dict[str, Callable[[Request], Response]] = {
            "orderList": self.order_list,
            "orderInfo": self.order_info,
            "orderStatusChange": self.order_status_change,
            "orderShipStatusChange": self.order_ship_status_change,
            "orderPayStatusChange": self.order_pay_status_change,
            "setStock": self.set_stock,
            "getStock": self.get_stock,
        }
        talk = [
            (method, f"{API}/{name}", self._api(name, handler))
            for name, (method, handler) in self.talk_apis().items()
        ]
        return (
            [("POST", r"/yconnect/v2/token", self.tokens.exchange)]
            + [("POST", f"{API}/{name}", self._api(name, handler)) for name, handler in apis.items()]
            + talk
        )

    def authenticate(self, request: Request) -> Response | None:
        """Bearer token on the store APIs; the token endpoint does its own client authentication."""
        if not request.path.startswith("/ShoppingWebService/"):
            return None
        problem = self.tokens.problem(bearer_token(request))
        if problem is None:
            return None
        challenge = f'Bearer realm="yahooapis.jp", error="invalid_token", error_description="{problem}"'
        # Body and header as a real expired-token answer shows them (qiita.com/suin, 2019).
        return error_response(
            401, f"Please provide valid credentials. {challenge}", headers={"WWW-Authenticate": challenge}
        )

    def create_order(self, canonical: dict) -> str:
        with self.lock:
            order_id = f"{SELLER_ID}-{self.next_serial}"
            self.next_serial += 1
            now = now_jst().replace(microsecond=0)
            self.orders[order_id] = build_order(canonical, order_id=order_id, seller_id=SELLER_ID, now=now)
            return order_id

    def order_view(self, order_id: str) -> dict:
        with self.lock:
            order = self.orders[order_id]
            return {
                "order_id": order_id,
                "status": order["OrderStatus"],
                "status_name": STATUS_NAMES[order["OrderStatus"]],
                "is_seen": order["IsSeen"],
                "ship_status": order["Ship"]["ShipStatus"],
                "pay_status": order["Pay"]["PayStatus"],
                "tracking_numbers": tracking_numbers(order),
                "order": _jsonable(order),
            }

    def cancel_order(self, order_id: str) -> None:
        """The buyer cancels: OrderStatus 4 with reason 100 (注文者都合: キャンセル); IsSeen unchanged."""
        with self.lock:
            order = self.orders[order_id]
            if order["OrderStatus"] == CANCELLED:
                return
            order["OrderStatus"] = CANCELLED
            order["CancelReason"] = BUYER_CANCEL_REASON
            order["Version"] += 1
            order["LastUpdateTime"] = now_jst().replace(microsecond=0)

    def throttled_response(self) -> Response:
        return error_response(403, ERROR_MESSAGES[403])

    def error_response(self, status: int) -> Response:
        return error_response(status, ERROR_MESSAGES.get(status, "Error"))

    def on_reset(self) -> None:
        self.unlinked.clear()  # order serials keep counting so ids are never reused

    # ---- the store APIs --------------------------------------------------------------------------------
    def _api(self, name: str, handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
        """The API's own 10 req/s bucket, then the handler; YahooApiError becomes <Error>."""

        def run(request: Request) -> Response:
            refusal = self.limit(name, API_RATE, API_RATE)
            if refusal is not None:
                return refusal
            try:
                return handler(request)
            except YahooApiError as error:
                return error.response()

        return run

    def order_list(self, request: Request) -> Response:
        root = self._request_xml(request)
        search = root.find("Search")
        fields = [name.strip() for name in (child_text(search, "Field") or "").split(",") if name.strip()]
        if not fields:
            raise YahooApiError("Invalid Request : Field is required")
        result = _positive(child_text(search, "Result"), 10, "Result")
        start = _positive(child_text(search, "Start"), 1, "Start")
        sort = child_text(search, "Sort") or "+order_time"
        if sort not in ("+order_time", "-order_time"):
            raise YahooApiError("Invalid Request : Sort must be +order_time or -order_time")
        predicates = search_predicates(search.find("Condition") if search is not None else None)
        matched = [order for order in self.orders.values() if all(p(order) for p in predicates)]
        matched.sort(key=lambda o: (o["OrderTime"], _serial(o["OrderId"])), reverse=sort == "-order_time")
        page = matched[start - 1 : start - 1 + result]
        return order_list_response(page, total=len(matched), start=start, fields=fields)

    def order_info(self, request: Request) -> Response:
        root = self._request_xml(request)
        target = root.find("Target")
        order = self._order(child_text(target, "OrderId"))
        field_text = child_text(target, "Field")
        fields = {name.strip() for name in field_text.split(",")} if field_text else None
        return order_info_response(order, fields)

    def order_status_change(self, request: Request) -> Response:
        root = self._request_xml(request)
        target = root.find("Target")
        order = self._order(child_text(target, "OrderId"))
        is_point_fix = _boolean(child_text(target, "IsPointFix"), "IsPointFix")
        status = _integer(child_text(root, "Order/OrderStatus"), "OrderStatus")
        reason = child_text(root, "Order/CancelReason")
        cancel_reason = _integer(reason, "CancelReason") if reason else None
        change_order_status(order, status=status, is_point_fix=is_point_fix, cancel_reason=cancel_reason)
        order["OperationUser"] = child_text(target, "OperationUser") or order["OperationUser"]
        touch(order, now_jst().replace(microsecond=0))
        return ok_result_set()

    def order_ship_status_change(self, request: Request) -> Response:
        root = self._request_xml(request)
        target = root.find("Target")
        order = self._order(child_text(target, "OrderId"))
        if (point_fix := child_text(target, "IsPointFix")) is not None:
            _boolean(point_fix, "IsPointFix")
        change_ship_status(order, _children(root.find("Order/Ship")), today=now_jst().date())
        touch(order, now_jst().replace(microsecond=0))
        return ok_result_set()

    def order_pay_status_change(self, request: Request) -> Response:
        root = self._request_xml(request)
        order = self._order(child_text(root.find("Target"), "OrderId"))
        change_pay_status(order, _children(root.find("Order/Pay")), today=now_jst().date())
        touch(order, now_jst().replace(microsecond=0))
        return ok_result_set()

    def set_stock(self, request: Request) -> Response:
        form = request.form()
        self._check_seller(_first(form, "seller_id"))
        return set_stock(self, form)

    def get_stock(self, request: Request) -> Response:
        form = request.form()
        self._check_seller(_first(form, "seller_id"))
        return get_stock(self, form)

    # ---- helpers ---------------------------------------------------------------------------------------
    def _request_xml(self, request: Request) -> ET.Element:
        root = parse_request(request.body)
        self._check_seller(child_text(root, "SellerId"))
        return root

    def _check_seller(self, seller_id: str | None) -> None:
        if not seller_id:
            raise YahooApiError("Invalid Request : SellerId is required")
        if seller_id != SELLER_ID:
            raise YahooApiError(f"Invalid Request : SellerId {seller_id} is not the store of this token")

    def _order(self, order_id: str | None) -> dict:
        if not order_id:
            raise YahooApiError("Invalid Request : OrderId is required")
        if order_id not in self.orders:
            raise YahooApiError(f"Invalid Request : OrderId {order_id} does not exist")
        return self.orders[order_id]


def _serial(order_id: str) -> int:
    return int(order_id.rsplit("-", 1)[1])


def _positive(text: str | None, default: int, name: str) -> int:
    if text is None:
        return default
    if not text.isdigit() or int(text) < 1:
        raise YahooApiError(f"Invalid Request : {name} must be a positive integer")
    return int(text)


def _integer(text: str | None, name: str) -> int:
    if text is None or not text.lstrip("-").isdigit():
        raise YahooApiError(f"Invalid Request : {name} is required and must be a number")
    return int(text)


def _boolean(text: str | None, name: str) -> bool:
    if text not in ("true", "false"):
        raise YahooApiError(f"Invalid Request : {name} is required and must be true or false")
    return text == "true"


def _children(node: ET.Element | None) -> dict[str, str]:
    return {} if node is None else {child.tag: (child.text or "").strip() for child in node}


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _jsonable(value: object) -> object:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value
