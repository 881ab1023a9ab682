"""Yahoo!ショッピング adapter: ストアAPI orders (XML), mark-seen, shipping and stock (setStock) with Bearer tokens.

How changes are found: orderList has no "changed since" condition (no LastUpdateTime search). Each poll
lists the orders placed in a lookback period before the window up to its end, asking only for OrderId,
OrderTime, LastUpdateTime, IsSeen and OrderStatus, and fetches the details (orderInfo) of those placed in
the window, changed in it (a buyer's cancellation, OrderStatus 4, moves LastUpdateTime too) or still new
(OrderStatus 2 and IsSeen false, a safety net for any order a window missed). Orders placed before the
lookback that change are not seen.
"""

import logging
import re
import unicodedata
import xml.etree.ElementTree as ET  # nosec B405 # parsed by yahoo_parse.xml_root, which refuses DTDs
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

import requests

from channels.adapters.base import (
    AdapterError,
    AuthError,
    CanonicalOrder,
    RawOrder,
    ShipmentUpdate,
    StockUpdate,
)
from channels.adapters.http import HttpClient, Limit, side_by_side
from channels.adapters.yahoo_auth import TokenSource, auth_base_url, signature_headers
from channels.adapters.yahoo_parse import (
    ORDER_INFO_FIELDS,
    PROCESSING,
    build_request,
    parse_order_info,
    parse_time,
    text_of,
    xml_root,
    yahoo_time,
)
from channels.adapters.yahoo_stock import (
    MAX_ITEMS,
    check_get_stock,
    check_set_stock,
    latest_quantities,
    refused_items,
    set_stock_form,
    shown_quantities,
    stock_code,
)

logger = logging.getLogger("channels.yahoo")

API = "/ShoppingWebService/V1"
STORE_APIS = ("orderList", "orderInfo", "orderStatusChange", "orderShipStatusChange", "setStock", "getStock")
# Every store API has its own limit of 10 requests per second [doc help/FAQ].
LIMITS = {name: Limit(name, rate=10.0, burst=10.0) for name in STORE_APIS}
THROTTLED_MESSAGE = "Your Request was Forbidden"  # Yahoo's 403 over the limit
REAUTHORISE_CODES = {"px-04102": "authorise the app again", "px-04303": "the app may not use the order APIs"}
LIST_PAGE_SIZE = 500  # orderList Result: no documented maximum
DETAIL_PAGE_SIZE = 50  # orders handed over per page: an orderInfo each, ~5 s at 10 req/s
CHANGE_LOOKBACK = timedelta(days=30)
LIST_FIELDS = "OrderId,OrderTime,LastUpdateTime,IsSeen,OrderStatus"
# ShipCompanyCode 配送会社コード for ShipmentUpdate.carrier_code.
SHIP_COMPANY_CODES = {"yamato": "1001", "sagawa": "1002", "japanpost": "1003"}
SHIP_DONE = 3  # ShipStatus 3 出荷完了


class YahooRefusal(AdapterError):
    """Yahoo refused a well-formed call with <Error><Message>..(<Code>..)</Error>; retrying will not help."""

    def __init__(self, api: str, status: int, message: str, code: str = ""):
        self.api, self.status, self.message, self.code = api, status, message, code
        super().__init__(f"Yahoo {api}: HTTP {status} {message}" + (f" ({code})" if code else ""))


@dataclass(frozen=True)
class _Answer:
    root: ET.Element
    text: str


@dataclass(frozen=True)
class _ListRow:
    order_id: str
    ordered_at: datetime | None
    updated_at: datetime | None
    is_new: bool  # OrderStatus 2 and IsSeen false: 新規注文


def is_throttled(response: requests.Response) -> bool:
    return response.status_code == 429 or (response.status_code == 403 and THROTTLED_MESSAGE in response.text)


class YahooAdapter:
    """MarketplaceAdapter for one Yahoo!ショッピング store (channel.credentials: client_id, client_secret,
    refresh_token, seller_id; optional public_key + public_key_version for 公開鍵認証)."""

    stock_batch_size = MAX_ITEMS  # setStock takes at most 1000 items a call
    # Pages may be fetched while the one before is imported (channels.sync): listing and orderInfo keep no
    # state that an import must come first for.
    fetch_ahead = True

    def __init__(
        self,
        channel,
        *,
        timeout: tuple[float, float] | None = None,
        backoff_base: float | None = None,
    ):
        self.channel = channel
        self.credentials = channel.credentials
        self.seller_id = self.credentials.get("seller_id") or ""
        options: dict = {
            "scope": f"yahoo:{channel.pk}",
            "is_throttled": is_throttled,
            "channel": channel.name,
        }
        if timeout is not None:
            options["timeout"] = timeout
        if backoff_base is not None:
            options["backoff_base"] = backoff_base
        # 401 comes back to us (refresh the token once); a 403 that is not throttling is an auth failure.
        self.http = HttpClient(
            base_url=channel.base_url, is_auth_failure=lambda r: r.status_code == 403, **options
        )
        self.auth_http = HttpClient(
            base_url=auth_base_url(channel.base_url), is_auth_failure=lambda r: False, **options
        )
        self.tokens = TokenSource(http=self.auth_http, channel_pk=channel.pk, credentials=self.credentials)
        self.list_page_size = LIST_PAGE_SIZE
        self.detail_page_size = DETAIL_PAGE_SIZE
        self.change_lookback = CHANGE_LOOKBACK
        self._ordered_at: dict[str, datetime] = {}  # OrderTime of the orders listed, for acknowledge()

    # ---- orders ---------------------------------------------------------------------------------------------
    def fetch_orders(self, *, since: datetime, until: datetime) -> Iterator[list[RawOrder]]:
        """Orders placed or changed in [since, until] (see the module docstring), a page of details at a time."""
        if since > until:
            return
        since_second = since.replace(microsecond=0)  # Yahoo's timestamps are whole seconds
        condition = {
            "OrderTimeFrom": yahoo_time(since - self.change_lookback),
            "OrderTimeTo": yahoo_time(until),
        }
        taken: set[str] = set()
        for rows in self._list_pages(condition):
            wanted = [
                row.order_id for row in rows if row.order_id not in taken and _wanted(row, since_second)
            ]
            taken.update(wanted)
            self._ordered_at.update({row.order_id: row.ordered_at for row in rows if row.ordered_at})
            logger.info("yahoo orderList page rows=%d wanted=%d", len(rows), len(wanted))
            for start in range(0, len(wanted), self.detail_page_size):
                yield side_by_side(self.fetch_order, wanted[start : start + self.detail_page_size])

    def fetch_order(self, external_id: str) -> RawOrder:
        """orderInfo with every field the parser reads; the payload is Yahoo's XML answer as text."""
        body = build_request(
            {"Target": {"OrderId": external_id, "Field": ",".join(ORDER_INFO_FIELDS)}}, self.seller_id
        )
        answer = self._call("orderInfo", xml=body, check=partial(_check_order_info, order_id=external_id))
        return RawOrder(external_id=external_id, payload=answer.text)

    def parse_order(self, raw: RawOrder) -> CanonicalOrder:
        return parse_order_info(raw)

    def acknowledge(self, external_ids: list[str]) -> None:
        """Mark new orders seen: orderStatusChange 2 -> 2 on each one that is still 処理中 and unseen.

        Orders that are reserved (1), held (3), cancelled or done, or already seen are left as they are:
        changing their status only to mark them seen would change what the store decided."""
        wanted = set(external_ids)
        if not wanted:
            return
        condition = {"OrderStatus": PROCESSING, "IsSeen": "false"}
        times = [self._ordered_at.get(order_id) for order_id in wanted]
        if all(times):  # only the span these orders were placed in, not every unseen order of the store
            condition.update(OrderTimeFrom=yahoo_time(min(times)), OrderTimeTo=yahoo_time(max(times)))
        unseen = {row.order_id for rows in self._list_pages(condition) for row in rows}
        marked = sorted(wanted & unseen)
        side_by_side(self._mark_seen, marked)
        logger.info("yahoo acknowledge asked=%d marked_seen=%d", len(wanted), len(marked))

    def _mark_seen(self, order_id: str) -> None:
        body = build_request(
            {"Target": {"OrderId": order_id, "IsPointFix": "false"}, "Order": {"OrderStatus": PROCESSING}},
            self.seller_id,
        )
        try:
            self._call("orderStatusChange", xml=body, check=_check_result_status)
        except YahooRefusal as refusal:
            if "Cannot Be Operated" not in refusal.message:
                raise
            # The buyer cancelled (or the store moved it) since we listed it; the next poll sees that.
            logger.warning("yahoo order %s not marked seen: %s", order_id, refusal.message)

    def _list_pages(self, condition: dict) -> Iterator[list[_ListRow]]:
        """orderList page by page (Start += Result until TotalCount), oldest order first."""
        start = 1
        while True:
            search = {
                "Result": self.list_page_size,
                "Start": start,
                "Sort": "+order_time",
                "Condition": condition,
                "Field": LIST_FIELDS,
            }
            answer = self._call(
                "orderList",
                xml=build_request({"Search": search}, self.seller_id),
                check=partial(_check_list_page, start=start),
            )
            infos = answer.root.findall("Search/OrderInfo")
            yield [_list_row(info) for info in infos if text_of(info, "OrderId")]
            start += len(infos)
            if not infos or start > int(text_of(answer.root, "Search/TotalCount") or 0):
                return

    # ---- stock and shipping --------------------------------------------------------------------------------
    def push_stock(self, updates: list[StockUpdate]) -> None:
        """setStock with absolute quantities, up to 1000 items a call (`item_code:subcode` for variants).

        Items whose ids cannot be written in setStock's comma lists are skipped, the rest are sent, then
        AdapterError names the skipped and refused ones."""
        latest, problems = latest_quantities(updates)
        items = list(latest.items())
        calls = 0
        for start in range(0, len(items), self.stock_batch_size):
            chunk = dict(items[start : start + self.stock_batch_size])
            form = set_stock_form(self.seller_id, chunk)
            answer = self._call("setStock", form=form, check=partial(check_set_stock, sent=chunk))
            problems += refused_items(answer.root)
            calls += 1
        logger.info("yahoo setStock items=%d calls=%d problems=%d", len(items), calls, len(problems))
        if problems:
            raise AdapterError(
                f"Yahoo setStock did not set {len(problems)} item(s): " + "; ".join(problems[:20])
            )

    def fetch_stock(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """getStock, up to 1000 items a call: what the shop shows now; unknown or unmanaged items are left out."""
        codes = {code: key for key in keys if (code := stock_code(*key)) is not None}
        listed = list(codes)
        shown: dict[tuple[str, str], int] = {}
        for start in range(0, len(listed), MAX_ITEMS):
            chunk = listed[start : start + MAX_ITEMS]
            form = {"seller_id": self.seller_id, "item_code": ",".join(chunk)}
            answer = self._call("getStock", form=form, check=partial(check_get_stock, asked=set(chunk)))
            shown.update(shown_quantities(answer.root, codes))
        return shown

    def push_shipment(self, shipment: ShipmentUpdate) -> str:
        """orderShipStatusChange: ShipStatus 3 出荷完了 with ShipCompanyCode, ShipInvoiceNumber1 and 2, ShipDate.

        Yahoo keeps two tracking numbers per order and each call replaces both, so every call sends the
        order's first two (ShipmentUpdate.order_tracking_numbers); a third parcel's number cannot be kept."""
        company = SHIP_COMPANY_CODES.get(shipment.carrier_code)
        if company is None:
            raise AdapterError(f"no Yahoo ShipCompanyCode for carrier {shipment.carrier_code!r}")
        numbers = [_invoice_number(number) for number in shipment.order_tracking_numbers]
        tracking = _invoice_number(shipment.tracking_number)
        if not tracking:
            raise AdapterError(f"Yahoo order {shipment.external_order_id}: the tracking number is empty")
        numbers = [number for number in dict.fromkeys([*numbers, tracking]) if number]
        ship = {
            "ShipStatus": SHIP_DONE,
            "ShipCompanyCode": company,
            "ShipInvoiceNumber1": numbers[0],
            "ShipDate": shipment.shipped_on.strftime("%Y%m%d"),
        }
        if len(numbers) > 1:
            ship["ShipInvoiceNumber2"] = numbers[1]
        body = build_request(
            {
                "Target": {"OrderId": shipment.external_order_id, "IsPointFix": "true"},
                "Order": {"Ship": ship},
            },
            self.seller_id,
        )
        answer = self._call("orderShipStatusChange", xml=body, check=_check_result_status)
        warnings = [text for node in answer.root.iter("Warning") if (text := (node.text or "").strip())]
        sent = ", ".join(f"ShipInvoiceNumber{n} {number}" for n, number in enumerate(numbers[:2], 1))
        summary = (
            f"Yahoo orderShipStatusChange OK: ShipStatus 3 (出荷完了), ShipCompanyCode {company}, "
            f"{sent}, ShipDate {ship['ShipDate']}"
        )
        if tracking not in numbers[:2]:
            summary += f"; Yahoo は伝票番号を2つまでしか持てないため {tracking} は送っていません"
        return summary + (f"; warnings: {' / '.join(warnings)}" if warnings else "")

    # ---- HTTP -----------------------------------------------------------------------------------------------
    def _call(
        self,
        api: str,
        *,
        xml: bytes | None = None,
        form: dict | None = None,
        check: Callable[[ET.Element], None] | None = None,
    ) -> _Answer:
        """One store API call: Bearer token (renewed once if Yahoo refuses it), limit, retries, <Error> mapping."""
        for renew in (False, True):
            response, root = self._send(api, self.tokens.get(renew=renew), xml=xml, form=form, check=check)
            if response.status_code == 401:
                if not renew:
                    logger.info("yahoo %s answered 401: renewing the access token once", api)
                    continue
                challenge = response.headers.get("WWW-Authenticate") or response.text[:200]
                raise AuthError(f"Yahoo {api} refused a freshly issued access token: {challenge}")
            if response.status_code == 200 and root is not None and root.tag != "Error":
                return _Answer(root, response.text)
            raise self._refusal(api, response, root)
        raise AssertionError("unreachable")

    def _send(
        self, api: str, token: str, *, xml: bytes | None, form: dict | None, check
    ) -> tuple[requests.Response, ET.Element | None]:
        headers = {"Authorization": f"Bearer {token}"}
        if xml is not None:
            headers["Content-Type"] = "application/xml; charset=UTF-8"
            headers.update(signature_headers(self.credentials, self.seller_id))
        parsed: dict[str, ET.Element] = {}

        def validate(response: requests.Response) -> None:
            # A 200 or 400 always carries XML; a broken one (cut off, a stale page) is retried.
            if response.status_code not in (200, 400):
                return
            root = xml_root(response.content)
            if response.status_code == 200 and check is not None and root.tag != "Error":
                check(root)
            parsed["root"] = root

        response = self.http.request(
            "POST",
            f"{API}/{api}",
            limit=LIMITS[api],
            data=xml if xml is not None else form,
            headers=headers,
            validate=validate,
        )
        return response, parsed.get("root")

    def _refusal(self, api: str, response: requests.Response, root: ET.Element | None) -> AdapterError:
        if root is None:
            try:
                root = xml_root(response.content)
            except ValueError:
                return YahooRefusal(api, response.status_code, response.text[:200].replace("\n", " "))
        message = text_of(root, "Message") or text_of(root, "Result/Status") or root.tag
        code = text_of(root, "Code")
        if code in REAUTHORISE_CODES:
            return AuthError(f"Yahoo {api}: {message} ({code}: {REAUTHORISE_CODES[code]})")
        if "SellerId" in message:
            return AuthError(f"Yahoo {api}: {message} (check seller_id in the channel's credentials)")
        return YahooRefusal(api, response.status_code, message, code)


# ---- answer checks (ValueError = broken or stale answer, retried) ---------------------------------------------
def _check_list_page(root: ET.Element, *, start: int) -> None:
    if root.tag != "Result" or text_of(root, "Status") != "OK":
        raise ValueError(
            f"orderList answer is <{root.tag}> with Status {text_of(root, 'Status') or 'missing'}"
        )
    total = text_of(root, "Search/TotalCount")
    if not total.isdigit():
        raise ValueError(f"orderList TotalCount is {total!r}")
    indexes = [text_of(info, "Index") for info in root.findall("Search/OrderInfo")]
    if indexes and indexes != [str(start + offset) for offset in range(len(indexes))]:
        raise ValueError(f"orderList page starts at Index {indexes[0]}, asked for {start}")


def _check_order_info(root: ET.Element, *, order_id: str) -> None:
    answered = text_of(root, "Result/OrderInfo/OrderId")
    if text_of(root, "Result/Status") == "OK" and answered != order_id:
        raise ValueError(f"orderInfo answered for order {answered or 'none'}, asked for {order_id}")


def _check_result_status(root: ET.Element) -> None:
    if not text_of(root, "Result/Status"):
        raise ValueError(f"answer <{root.tag}> has no Result/Status")


# ---- small helpers ------------------------------------------------------------------------------------------
def _list_row(info: ET.Element) -> _ListRow:
    return _ListRow(
        order_id=text_of(info, "OrderId"),
        ordered_at=_time_or_none(text_of(info, "OrderTime")),
        updated_at=_time_or_none(text_of(info, "LastUpdateTime")),
        is_new=text_of(info, "OrderStatus") == str(PROCESSING) and text_of(info, "IsSeen") == "false",
    )


def _wanted(row: _ListRow, since: datetime) -> bool:
    if row.is_new or row.ordered_at is None:  # an unreadable row is fetched; its parse tells what is wrong
        return True
    return row.ordered_at >= since or (row.updated_at is not None and row.updated_at >= since)


def _time_or_none(text: str) -> datetime | None:
    try:
        return parse_time(text) if text else None
    except ValueError:
        return None


def _invoice_number(number: str) -> str:
    """A tracking number as Yahoo's ShipInvoiceNumber: half width, no spaces or hyphens."""
    return re.sub(r"[\s\-‐ー－]", "", unicodedata.normalize("NFKC", number))
