"""Rakuten RMS adapter: 楽天ペイ受注API (Order API 2.0) and Inventory API 2.0 over ESA auth.

How changes are found: searchOrder has no "changed since" condition, so each poll runs these searches
(searchOrder answers order numbers only) and reads each order they name once (getOrder, 100 a call):
1. dateType 1 注文日 in [since, until]: orders placed in the window, whatever their status now.
2. orderProgress 100 注文確認待ち or 400 変更確定待ち, placed in the lookback (30 days): orders waiting for
   the shop. A new order stays 100 until we confirm it, so this also catches any order a window missed;
   an order being changed (400) is read again on every poll until the change is settled.
3. dateType 3 注文確定日 in the window: orders Rakuten released to 300 発送待ち, i.e. it took the payment
   (card authorised, prepaid money received): that sets `paid` [inferred from RMS manuals].
4. dateType 5 発送完了報告日 in the window: shipping reported, by us or by staff in RMS.
5. orderProgress 200 楽天処理中, placed in the lookback: the orders that left it since the last poll (a
   prepaid order waits there for the buyer's payment), whatever date 3 relies on.
6. orderProgress 800/900 (cancellation), placed in the lookback: the orders not seen cancelled before.
5 and 6 remember the order numbers of their last answer in Django's cache; the memory moves on only when
the caller asks for the page after the last one, so a poll that dies reads the same changes again.
Not seen: a change to an order placed before the lookback (other than leaving 100/400), and an edit in
RMS that moves no status and no date (e.g. an address corrected while 300).

Rate limits: the Order API publishes none; ~1 request/s per function is the usual advice [unverified]. The
Inventory API documents 1 request/s for bulk-upsert and 5/s for bulk-get. Each function has its own
token bucket, shared by every adapter of the same shop in the process.
"""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from channels.adapters.base import (
    AdapterError,
    CanonicalOrder,
    RawOrder,
    ShipmentUpdate,
    StockUpdate,
    TransientError,
)
from channels.adapters.rakuten_client import (
    RmsClient,
    check_get_order,
    check_messages,
    check_named,
    check_search,
)
from channels.adapters.rakuten_parse import CANCELLED, parse_order_model, rms_time
from channels.adapters.rakuten_stock import (
    BULK_GET_MAX,
    BULK_UPSERT_MAX,
    check_bulk_get,
    id_problem,
    shown_quantities,
    upsert_entries,
)

logger = logging.getLogger("channels.rakuten")

# getOrder version: 7 added SkuModelList (variantId); 10 is the newest the reference documents.
GET_ORDER_VERSION = 10
ORDERS_PER_CALL = 100  # getOrder and confirmOrder take at most 100 order numbers
SEARCH_PAGE_SIZE = 1000  # requestRecordsAmount maximum
SEARCH_CAP = 15_000  # results beyond the 15,000th of one search cannot be fetched
SEARCH_MAX_SPAN = timedelta(days=63)  # endDatetime at most 63 days after startDatetime
SEARCH_MAX_AGE = timedelta(days=729)  # startDatetime within the past 730 days (a day of margin)
CHANGE_LOOKBACK = timedelta(days=30)
ONE_SECOND = timedelta(seconds=1)
OLDEST_FIRST = [{"sortColumn": 1, "sortDirection": 1}]  # 注文日時 ascending: new orders join the last page
# deliveryCompany 配送会社 codes for ShipmentUpdate.carrier_code.
DELIVERY_COMPANIES = {"yamato": "1001", "sagawa": "1002", "japanpost": "1003"}
SHIPPING_NUMBER_MAX = 120
# confirmOrder answers that mean "nothing left to do": already cancelled (102), already moved on (103).
CONFIRM_DONE_CODES = ("ORDER_EXT_API_CONFIRM_ORDER_ERROR_102", "ORDER_EXT_API_CONFIRM_ORDER_ERROR_103")


class RakutenAdapter:
    """MarketplaceAdapter for one Rakuten shop (channel.credentials: service_secret, license_key, shop_id)."""

    stock_batch_size = BULK_UPSERT_MAX  # bulk-upsert takes at most 400 variants a call

    def __init__(
        self,
        channel,
        *,
        timeout: tuple[float, float] | None = None,
        backoff_base: float | None = None,
        max_attempts: int | None = None,
        rate_limits: bool | None = None,
    ):
        self.channel = channel
        options = {"timeout": timeout, "backoff_base": backoff_base, "max_attempts": max_attempts}
        # Off only to measure our own throughput against a simulator with its limits off (bench).
        rate_limits = (
            getattr(settings, "OMS_CLIENT_RATE_LIMITS", True) if rate_limits is None else rate_limits
        )
        self.client = RmsClient(
            channel, rate_limits=rate_limits, **{k: v for k, v in options.items() if v is not None}
        )
        self.search_page_size = SEARCH_PAGE_SIZE
        self.detail_page_size = ORDERS_PER_CALL
        self.change_lookback = CHANGE_LOOKBACK

    # ---- orders ---------------------------------------------------------------------------------------------
    def fetch_orders(self, *, since: datetime, until: datetime) -> Iterator[list[RawOrder]]:
        """Orders placed or changed in [since, until] (see the module docstring), up to 100 a page."""
        if since > until:
            return
        now = timezone.now()
        lookback = max(until - self.change_lookback, now - SEARCH_MAX_AGE)
        since = max(since, now - SEARCH_MAX_AGE)
        taken: set[str] = set()
        searches = (
            ("placed", {"dateType": 1}, since),
            ("waiting", {"dateType": 1, "orderProgressList": [100, 400]}, lookback),
            ("fixed", {"dateType": 3}, since),
            ("shipped", {"dateType": 5}, since),
        )
        for name, condition, start in searches:
            for numbers in self._search(condition, start, until):
                logger.info("rakuten search %s: %d orders", name, len(numbers))
                yield from self._pages(numbers, taken)
        sweeps = (("processing", [200], "left"), ("cancelled", sorted(CANCELLED), "entered"))
        for name, progress, wanted in sweeps:
            current = {
                number
                for numbers in self._search({"dateType": 1, "orderProgressList": progress}, lookback, until)
                for number in numbers
            }
            before = self._remembered(name)
            changed = sorted(before - current if wanted == "left" else current - before)
            logger.info("rakuten sweep %s: %d now, %d %s", name, len(current), len(changed), wanted)
            yield from self._pages(changed, taken)
            self._remember(name, current)

    def fetch_order(self, external_id: str) -> RawOrder:
        models, errors = self._get_orders([external_id])
        if external_id not in models:
            raise AdapterError(
                f"Rakuten getOrder: order {external_id} not found ({errors.get(external_id, '')})"
            )
        return RawOrder(external_id=external_id, payload=models[external_id])

    def parse_order(self, raw: RawOrder) -> CanonicalOrder:
        return parse_order_model(raw)

    def acknowledge(self, external_ids: list[str]) -> None:
        """confirmOrder (注文確認, 100 -> 300), 100 orders a call.

        Orders cancelled meanwhile or already confirmed are no error; other refusals are logged, not raised,
        so one bad order cannot stop every later poll (the poll reads orders still at 100 again)."""
        numbers = list(dict.fromkeys(external_ids))
        for start in range(0, len(numbers), ORDERS_PER_CALL):
            chunk = numbers[start : start + ORDERS_PER_CALL]
            answer = self.client.order_call(
                "confirmOrder", {"orderNumberList": chunk}, partial(check_named, chunk)
            )
            confirmed = 0
            for message in answer.get("MessageModelList") or []:
                if message.get("messageType") != "ERROR":
                    confirmed += 1
                elif message.get("messageCode") not in CONFIRM_DONE_CODES:
                    logger.warning(
                        "rakuten confirmOrder %s refused: %s %s",
                        message.get("orderNumber"), message.get("messageCode"), message.get("message"),
                    )  # fmt: skip
            logger.info("rakuten confirmOrder asked=%d confirmed=%d", len(chunk), confirmed)

    def _pages(self, numbers: list[str], taken: set[str]) -> Iterator[list[RawOrder]]:
        """getOrder for the numbers not taken yet in this fetch, a page of up to detail_page_size each."""
        wanted = [number for number in dict.fromkeys(numbers) if number not in taken]
        taken.update(wanted)
        size = min(self.detail_page_size, ORDERS_PER_CALL)
        for start in range(0, len(wanted), size):
            chunk = wanted[start : start + size]
            models, errors = self._get_orders(chunk)
            for number, error in errors.items():
                logger.warning("rakuten getOrder %s: %s", number, error)
            page = [
                RawOrder(external_id=number, payload=models[number]) for number in chunk if number in models
            ]
            if page:
                yield page

    def _get_orders(self, numbers: list[str]) -> tuple[dict[str, dict], dict[str, str]]:
        """({order number: OrderModel}, {order number: why it was not returned}) of one getOrder call."""
        body = {"orderNumberList": numbers, "version": GET_ORDER_VERSION}
        answer = self.client.order_call("getOrder", body, partial(check_get_order, numbers))
        models = {model["orderNumber"]: model for model in answer["OrderModelList"]}
        reasons = {
            message.get("orderNumber"): f"{message.get('messageCode')} {message.get('message')}"
            for message in answer.get("MessageModelList") or []
            if message.get("messageType") == "ERROR"
        }
        errors = {number: reasons.get(number, "not returned") for number in numbers if number not in models}
        return models, errors

    # ---- searchOrder ----------------------------------------------------------------------------------------
    def _search(self, condition: dict, start: datetime, end: datetime) -> Iterator[list[str]]:
        """Order numbers matching `condition` with its date in [start, end], a page at a time; windows past
        63 days are split, and so is a window holding more than the 15,000 results one search can reach."""
        start = start.replace(microsecond=0)
        end = end.replace(microsecond=0)
        while start <= end:
            chunk_end = min(start + SEARCH_MAX_SPAN, end)
            yield from self._search_window(condition, start, chunk_end)
            start = chunk_end + ONE_SECOND

    def _search_window(self, condition: dict, start: datetime, end: datetime) -> Iterator[list[str]]:
        page = 1
        while True:
            body = {
                **condition,
                "startDatetime": rms_time(start),
                "endDatetime": rms_time(end),
                "PaginationRequestModel": {
                    "requestRecordsAmount": self.search_page_size,
                    "requestPage": page,
                    "SortModelList": OLDEST_FIRST,
                },
            }
            answer = self.client.order_call("searchOrder", body, partial(check_search, page))
            numbers = answer["orderNumberList"]
            paging = answer.get("PaginationResponseModel") or {}
            if (
                page == 1
                and (paging.get("totalRecordsAmount") or 0) > SEARCH_CAP
                and end - start > ONE_SECOND
            ):
                middle = start + (end - start) // 2
                yield from self._search_window(condition, start, middle)
                yield from self._search_window(condition, middle + ONE_SECOND, end)
                return
            if numbers:
                yield numbers
            if not numbers or page >= (paging.get("totalPages") or 0):
                return
            page += 1

    # ---- change memory --------------------------------------------------------------------------------------
    def _memory_key(self, name: str) -> str:
        return f"oms:rakuten:{self.channel.pk}:{name}"

    def _remembered(self, name: str) -> set[str]:
        return set(cache.get(self._memory_key(name)) or ())

    def _remember(self, name: str, numbers: set[str]) -> None:
        timeout = int(self.change_lookback.total_seconds()) * 2
        cache.set(self._memory_key(name), sorted(numbers), timeout=timeout)

    # ---- stock ----------------------------------------------------------------------------------------------
    def push_stock(self, updates: list[StockUpdate]) -> None:
        """bulk-upsert (mode ABSOLUTE), 400 variants a call; answers 204 No Content."""
        entries = upsert_entries(updates)
        for start in range(0, len(entries), BULK_UPSERT_MAX):
            chunk = entries[start : start + BULK_UPSERT_MAX]
            self.client.inventory_call("bulk-upsert", {"inventories": chunk}, expect=204)
            logger.info("rakuten bulk-upsert variants=%d", len(chunk))

    def fetch_stock(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """bulk-get, 1000 variants a call: what the shop shows now; unknown variants are left out."""
        wanted = [(item, variant) for item, variant in dict.fromkeys(keys) if not id_problem(item, variant)]
        shown: dict[tuple[str, str], int] = {}
        for start in range(0, len(wanted), BULK_GET_MAX):
            chunk = wanted[start : start + BULK_GET_MAX]
            body = {"inventories": [{"manageNumber": item, "variantId": variant} for item, variant in chunk]}
            answer = self.client.inventory_call(
                "bulk-get", body, expect=200, check=partial(check_bulk_get, chunk)
            )
            shown.update(shown_quantities(chunk, answer))
        return shown

    # ---- shipping -------------------------------------------------------------------------------------------
    def push_shipment(self, shipment: ShipmentUpdate) -> str:
        """updateOrderShipping: add the parcel (carrier, tracking number, date) to the order's 送付先.

        Idempotent: the order is read first and after each attempt; a tracking number already on the
        basket is not sent again. Moves the order to 500 発送済 on the shop."""
        company = DELIVERY_COMPANIES.get(shipment.carrier_code)
        if company is None:
            raise AdapterError(f"Rakuten has no deliveryCompany code for carrier {shipment.carrier_code!r}")
        number = shipment.tracking_number.strip()
        if not number or len(number) > SHIPPING_NUMBER_MAX:
            raise AdapterError(f"tracking number must be 1-{SHIPPING_NUMBER_MAX} characters")
        order_number = shipment.external_order_id
        answer = ""
        attempts = self.client.max_attempts
        for attempt in range(1, attempts + 2):  # each attempt reads the order first, and once more at the end
            basket = self._basket(order_number, shipment.ship_to_external_id)
            if any(s.get("shippingNumber") == number for s in basket.get("ShippingModelList") or []):
                return answer or f"楽天: お荷物伝票番号 {number} は登録済み (送付先ID {basket['basketId']})"
            if attempt > attempts:
                break
            parcel = {"deliveryCompany": company, "shippingNumber": number,
                      "shippingDate": shipment.shipped_on.isoformat()}  # fmt: skip
            body = {
                "orderNumber": order_number,
                "BasketidModelList": [{"basketId": basket["basketId"], "ShippingModelList": [parcel]}],
            }
            try:
                reply = self.client.order_call("updateOrderShipping", body, check_messages, once=True)
            except TransientError as exc:
                logger.warning("rakuten updateOrderShipping %s attempt=%d: %s", order_number, attempt, exc)
                continue
            answer = "楽天: " + " ".join(m.get("message") or "" for m in reply["MessageModelList"]).strip()
        raise TransientError(f"Rakuten updateOrderShipping {order_number}: tracking number not registered")

    def _basket(self, order_number: str, basket_id: str) -> dict:
        """The PackageModel (送付先) the parcel goes to: the one named, else the order's first."""
        order = self.fetch_order(order_number).payload
        progress = order.get("orderProgress")
        if progress in CANCELLED:
            raise AdapterError(f"Rakuten order {order_number} is cancelled (orderProgress {progress})")
        if progress in (100, 200):
            raise AdapterError(
                f"Rakuten order {order_number} is not confirmed yet (orderProgress {progress}): "
                "shipping can be reported from 300 発送待ち"
            )
        packages = [p for p in order.get("PackageModelList") or [] if p.get("packageDeleteFlag") != 1]
        if basket_id:
            packages = [p for p in packages if str(p.get("basketId")) == str(basket_id)]
        if not packages:
            raise AdapterError(f"Rakuten order {order_number} has no 送付先 {basket_id or ''}".strip())
        return packages[0]
