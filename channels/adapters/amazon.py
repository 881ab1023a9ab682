"""Amazon.co.jp adapter (SP-API): Orders v0 and Listings Items 2021-08-01 with LWA access tokens.

How changes are found: getOrders searches by LastUpdatedAfter, so new orders, status changes (Pending ->
Unshipped, shipped) and cancellations all come back. Pending orders (payment not authorised yet: no
address, no prices) are skipped; leaving Pending moves their LastUpdateDate, so a later poll finds them.
Only seller-fulfilled (MFN) orders are searched: FBA orders are Amazon's to ship.

Quota plan: getOrders allows one request a minute (burst 20) and getOrderItems one every two seconds
(burst 30), so the items of each order, one call per order, are the expensive part. They are kept in
Django's cache with the order's LastUpdateDate and fetched again only when that date moves; the orders a
poll's overlap repeats cost nothing. The rest is paced by the client-side token buckets (one per endpoint,
shared by the process), and orders are handed over a few at a time, so the first ones are imported while
the items of the others are still being fetched. A 429 QuotaExceeded carries no Retry-After: the shared
client backs off and empties the endpoint's bucket, so the next attempt waits for at least one more token
(a minute for getOrders) instead of spending its attempts within seconds.
"""

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from urllib.parse import quote, urlsplit

import requests
from django.core.cache import cache
from django.utils import timezone

from channels.adapters.amazon_client import (
    AmazonRefusal,
    LwaTokens,
    items_page_shape,
    json_body,
    lwa_base_url,
    one_order_shape,
    orders_page_shape,
    validator,
)
from channels.adapters.amazon_parse import JST, NOT_READY_STATUSES, api_time, parse_order, parse_time
from channels.adapters.base import (
    AdapterError,
    AuthError,
    CanonicalOrder,
    RawOrder,
    ShipmentUpdate,
    StockUpdate,
)
from channels.adapters.http import HttpClient, Limit, side_by_side

logger = logging.getLogger("channels.amazon")

MARKETPLACE_JP = "A1VC38T7YXB528"
ORDERS_PATH = "/orders/v0/orders"
LISTINGS_PATH = "/listings/2021-08-01/items"
USER_AGENT = "OMS/1.0 (Language=Python)"
# Default usage plans (rate per second, burst) of each operation [doc: ordersV0.json, listingsItems model].
LIMITS = {
    limit.name: limit
    for limit in (
        Limit("getOrders", rate=0.0167, burst=20),
        Limit("getOrder", rate=0.5, burst=30),
        Limit("getOrderItems", rate=0.5, burst=30),
        Limit("confirmShipment", rate=2.0, burst=10),
        Limit("getListingsItem", rate=5.0, burst=10),
        Limit("patchListingsItem", rate=5.0, burst=5),
    )
}
PAGE_SIZE = 100  # MaxResultsPerPage maximum
HAND_OVER = 20  # orders per yielded page: ~40 s of getOrderItems once the burst is spent
ITEMS_CACHE_SECONDS = 3 * 24 * 3600  # as long as a first poll looks back
# LastUpdatedBefore must lie at least two minutes before the request; a fresher `until` is left out.
BEFORE_MARGIN = timedelta(minutes=3)
QUANTITY_PATH = "/attributes/fulfillment_availability"
# ShipmentUpdate.carrier_code -> (carrierCode, carrierName). The English carrier names of Amazon's carrier
# list [unverified: the list itself could not be consulted]; the Japanese name rides along in carrierName.
CARRIERS = {
    "yamato": ("Yamato Transport", "ヤマト運輸"),
    "sagawa": ("Sagawa Express", "佐川急便"),
    "japanpost": ("Japan Post", "日本郵便"),
}


class AmazonAdapter:
    """MarketplaceAdapter for one Amazon.co.jp seller account (channel.credentials: lwa_app_id,
    lwa_client_secret, refresh_token, seller_id, marketplace_id)."""

    stock_batch_size = 1  # patchListingsItem takes one SKU per call
    # Pages may be fetched while the one before is imported (channels.sync): the items cache and the search
    # keep no state that an import must come first for.
    fetch_ahead = True

    def __init__(
        self,
        channel,
        *,
        timeout: tuple[float, float] | None = None,
        backoff_base: float | None = None,
        backoff_cap: float | None = None,
        max_attempts: int | None = None,
        rate_limits: bool = True,
    ):
        self.channel = channel
        credentials = channel.credentials
        self.seller_id = credentials.get("seller_id") or ""
        self.marketplace_id = credentials.get("marketplace_id") or MARKETPLACE_JP
        # Amazon counts quotas per selling partner and application: the buckets are shared the same way.
        options: dict = {
            "scope": f"amazon:{self.seller_id}@{urlsplit(channel.base_url).netloc}",
            "channel": channel.name,
        }
        for name, value in (
            ("timeout", timeout),
            ("backoff_base", backoff_base),
            ("backoff_cap", backoff_cap),
            ("max_attempts", max_attempts),
        ):
            if value is not None:
                options[name] = value
        self.http = HttpClient(base_url=channel.base_url, **options)
        lwa_http = HttpClient(
            base_url=lwa_base_url(channel.base_url), is_auth_failure=lambda r: False, **options
        )
        self.tokens = LwaTokens(http=lwa_http, channel_pk=channel.pk, credentials=credentials)
        # False turns this adapter's own pacing off (tests); OMS_CLIENT_RATE_LIMITS=0 does so for every client.
        self.rate_limits = rate_limits
        self.page_size = PAGE_SIZE
        self.hand_over = HAND_OVER
        # The end of the last search as Amazon's clock put it (LastUpdatedBefore of the answer).
        self.last_search_before: datetime | None = None

    # ---- orders ---------------------------------------------------------------------------------------------
    def fetch_orders(self, *, since: datetime, until: datetime) -> Iterator[list[RawOrder]]:
        """Orders last updated in [since, until] (up to the request's time when `until` is that recent),
        a few at a time, each with its items. Pending orders are left for a later poll."""
        params = {
            "MarketplaceIds": self.marketplace_id,
            "LastUpdatedAfter": api_time(since),
            "FulfillmentChannels": "MFN",
            "MaxResultsPerPage": str(self.page_size),
        }
        if until <= timezone.now() - BEFORE_MARGIN:
            params["LastUpdatedBefore"] = api_time(until)
        while True:
            page = self._json(
                "getOrders", "GET", ORDERS_PATH, params=params, shape=orders_page_shape(params)
            )["payload"]
            self._note_search_end(page)
            ready = [order for order in page["Orders"] if order.get("OrderStatus") not in NOT_READY_STATUSES]
            if skipped := len(page["Orders"]) - len(ready):
                logger.info("amazon %s: %d pending order(s) left for a later poll", self.channel.pk, skipped)
            start = 0
            while start < len(ready):
                # As many as the items quota lets through at once (a whole page with pacing off), at least
                # `hand_over`: the first orders are imported while the others' items are still paced.
                ready_now = self.http.calls_ready(LIMITS["getOrderItems"])
                size = max(self.hand_over, int(min(ready_now, len(ready))))
                yield self._with_items(ready[start : start + size])
                start += size
            if not page.get("NextToken"):
                return
            params = {"MarketplaceIds": self.marketplace_id, "NextToken": page["NextToken"]}

    def fetch_order(self, external_id: str) -> RawOrder:
        path = f"{ORDERS_PATH}/{quote(external_id, safe='')}"
        order = self._json("getOrder", "GET", path, shape=one_order_shape(external_id))["payload"]
        return self._with_items([order])[0]

    def parse_order(self, raw: RawOrder) -> CanonicalOrder:
        return parse_order(raw)

    def acknowledge(self, external_ids: list[str]) -> None:
        """Nothing to do: Amazon has no step where the seller takes an order (needs_ack is always False)."""

    def _with_items(self, orders: list[dict]) -> list[RawOrder]:
        """Each order with its items: from the cache while its LastUpdateDate is unchanged, else fetched.
        (Items hold SKUs, titles and prices: no buyer's data goes to the cache.)"""
        ids = [order.get("AmazonOrderId") for order in orders]
        keys = {
            order_id: self._items_key(order_id) for order_id in ids if isinstance(order_id, str) and order_id
        }
        cached = cache.get_many(list(keys.values()))
        updated = {
            order_id: order.get("LastUpdateDate")
            for order_id, order in zip(ids, orders, strict=True)
            if isinstance(order_id, str)
        }
        known: dict[str, list[dict]] = {}
        for order_id, key in keys.items():
            hit = cached.get(key)
            if updated[order_id] and isinstance(hit, dict) and hit.get("updated") == updated[order_id]:
                known[order_id] = hit["items"]
        missing = [order_id for order_id in keys if order_id not in known]
        fresh: dict[str, dict] = {}
        for order_id, items in zip(missing, side_by_side(self._order_items, missing), strict=True):
            known[order_id] = items
            fresh[keys[order_id]] = {"updated": updated[order_id], "items": items}
        raws = []
        for order_id, order in zip(ids, orders, strict=True):
            if order_id not in keys:  # no usable id: parse_order says so, and the order is quarantined
                raws.append(RawOrder(str(order_id or ""), {"order": order, "items": []}))
            else:
                raws.append(RawOrder(order_id, {"order": order, "items": known[order_id]}))
        if fresh:
            cache.set_many(fresh, ITEMS_CACHE_SECONDS)
        logger.debug("amazon %s: items fetched for %d of %d order(s)", self.channel.pk, len(fresh), len(raws))
        return raws

    def _items_key(self, order_id: str) -> str:
        return f"oms:amazon:items:{self.channel.pk}:{order_id}"

    def _order_items(self, order_id: str) -> list[dict]:
        """Every OrderItem of one order, following NextToken; an item a repeated page brings again is dropped."""
        path = f"{ORDERS_PATH}/{quote(order_id, safe='')}/orderItems"
        items: list[dict] = []
        seen: set[str] = set()
        token = None
        while True:
            params = {"NextToken": token} if token else None
            page = self._json(
                "getOrderItems", "GET", path, params=params, shape=items_page_shape(order_id, token)
            )
            for item in page["payload"]["OrderItems"]:
                item_id = item.get("OrderItemId")
                if isinstance(item_id, str):
                    if item_id in seen:
                        continue
                    seen.add(item_id)
                items.append(item)
            token = page["payload"].get("NextToken")
            if not token:
                return items

    def _note_search_end(self, page: dict) -> None:
        self.last_search_before = parse_time(page.get("LastUpdatedBefore")) or self.last_search_before

    # ---- stock ----------------------------------------------------------------------------------------------
    def push_stock(self, updates: list[StockUpdate]) -> None:
        """One patchListingsItem per SKU (fulfillment_availability, DEFAULT = seller-fulfilled). A SKU Amazon
        refuses does not stop the others; the refusals are raised together at the end."""
        refused = []
        for update in updates:
            body = {
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "replace",
                        "path": QUANTITY_PATH,
                        "value": [
                            {"fulfillment_channel_code": "DEFAULT", "quantity": max(0, update.quantity)}
                        ],
                    }
                ],
            }
            try:
                answer = self._json(
                    "patchListingsItem",
                    "PATCH",
                    self._listing_path(update.item_id),
                    params={"marketplaceIds": self.marketplace_id},
                    json=body,
                )
            except AmazonRefusal as exc:
                refused.append(f"{update.item_id}: {exc}")
                continue
            if answer.get("status") != "ACCEPTED":
                issues = "; ".join(
                    str(issue.get("message"))
                    for issue in answer.get("issues") or []
                    if isinstance(issue, dict)
                )
                refused.append(f"{update.item_id}: {answer.get('status')} {issues}".strip())
        if refused:
            raise AdapterError(f"Amazon refused {len(refused)} stock update(s): " + " | ".join(refused))

    def fetch_stock(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """getListingsItem with fulfillmentAvailability for each SKU; SKUs Amazon does not know are left out."""
        shown = {}
        for item_id, variant_id in keys:
            params = {"marketplaceIds": self.marketplace_id, "includedData": "fulfillmentAvailability"}
            try:
                listing = self._json("getListingsItem", "GET", self._listing_path(item_id), params=params)
            except AmazonRefusal as exc:
                if exc.status == 404:
                    continue
                raise
            quantity = _seller_fulfilled_quantity(listing)
            if quantity is not None:
                shown[(item_id, variant_id)] = quantity
        return shown

    def _listing_path(self, sku: str) -> str:
        return f"{LISTINGS_PATH}/{quote(self.seller_id, safe='')}/{quote(sku, safe='')}"

    # ---- shipments ------------------------------------------------------------------------------------------
    def push_shipment(self, shipment: ShipmentUpdate) -> str:
        """confirmShipment for one parcel (204 = done). Its packageReferenceId comes from the tracking number,
        so sending the same parcel again only corrects it. With ShipmentUpdate.items None the parcel holds every
        unshipped unit of the order; a parcel with no items is not sent (Amazon takes a package only with its
        items), and the answer says so."""
        if shipment.carrier_code not in CARRIERS:
            raise AdapterError(f"Amazon confirmShipment: unknown carrier {shipment.carrier_code!r}")
        carrier_code, carrier_name = CARRIERS[shipment.carrier_code]
        if shipment.items == []:
            return (
                f"Amazon: 追跡番号 {shipment.tracking_number} は送信しません（注文の商品はすべて最初の荷物で"
                "出荷通知済みです。Amazon は商品を含む荷物ごとにしか追跡番号を受け付けません）"
            )
        items = shipment.items or self._units_to_ship(shipment.external_order_id)
        reference = package_reference(shipment.tracking_number)
        body = {
            "marketplaceId": self.marketplace_id,
            "packageDetail": {
                "packageReferenceId": reference,
                "carrierCode": carrier_code,
                "carrierName": carrier_name,
                "trackingNumber": shipment.tracking_number,
                "shipDate": api_time(ship_moment(shipment.shipped_on)),
                "orderItems": [{"orderItemId": item_id, "quantity": quantity} for item_id, quantity in items],
            },
        }
        path = f"{ORDERS_PATH}/{quote(shipment.external_order_id, safe='')}/shipmentConfirmation"
        response = self._call("confirmShipment", "POST", path, json=body, ok=(204,))
        units = sum(quantity for _item, quantity in items)
        return (
            f"Amazon confirmShipment HTTP {response.status_code}: package {reference}, {carrier_code} "
            f"{shipment.tracking_number}, {units} unit(s)"
        )

    def _units_to_ship(self, order_id: str) -> list[tuple[str, int]]:
        """(OrderItemId, quantity) of every unit not shipped yet; when all are shipped, the whole order, so a
        parcel sent again with the same tracking number is accepted as a correction."""
        counts = [
            (item["OrderItemId"], item.get("QuantityOrdered"), item.get("QuantityShipped") or 0)
            for item in self._order_items(order_id)
            if isinstance(item.get("OrderItemId"), str)
        ]
        counts = [
            (item_id, ordered, shipped) for item_id, ordered, shipped in counts if isinstance(ordered, int)
        ]
        open_units = [
            (item_id, ordered - shipped) for item_id, ordered, shipped in counts if ordered > shipped
        ]
        everything = [(item_id, ordered) for item_id, ordered, _shipped in counts if ordered > 0]
        if not (open_units or everything):
            raise AdapterError(f"Amazon order {order_id} has no order items to ship")
        return open_units or everything

    # ---- HTTP -----------------------------------------------------------------------------------------------
    def _json(
        self, operation: str, method: str, path: str, *, shape: Callable[[dict], None] | None = None, **kw
    ):
        return json_body(self._call(operation, method, path, shape=shape, **kw))

    def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        ok: tuple[int, ...] = (200,),
        shape: Callable[[dict], None] | None = None,
        **kwargs,
    ) -> requests.Response:
        """One SP-API call with a live access token; a refused token is renewed once. Answers other than `ok`
        raise AmazonRefusal; a body that is cut or not of the expected `shape` is retried like a 5xx."""
        token = self.tokens.get()  # an LWA refusal is final: it is not retried with another token
        try:
            response = self._send(operation, method, path, token=token, shape=shape, **kwargs)
        except AuthError:  # the cached token may be revoked or expired early: one fresh token, one more try
            token = self.tokens.get(renew=True)
            response = self._send(operation, method, path, token=token, shape=shape, **kwargs)
        if response.status_code not in ok:
            raise AmazonRefusal(operation, response)
        return response

    def _send(
        self, operation: str, method: str, path: str, *, token: str, shape, **kwargs
    ) -> requests.Response:
        quota = LIMITS[operation]
        return self.http.request(
            method,
            path,
            limit=quota if self.rate_limits else None,
            validate=validator(shape),
            headers={"x-amz-access-token": token, "user-agent": USER_AGENT},
            **kwargs,
        )


def _seller_fulfilled_quantity(listing: dict) -> int | None:
    for entry in listing.get("fulfillmentAvailability") or []:
        if isinstance(entry, dict) and entry.get("fulfillmentChannelCode") == "DEFAULT":
            quantity = entry.get("quantity")
            return quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else None
    return None


def package_reference(tracking_number: str) -> str:
    """packageReferenceId must be a positive number unique within the order: the tracking number's digits
    (Japanese tracking numbers are 12 digits), else a number derived from it."""
    digits = re.sub(r"\D", "", tracking_number)
    if 0 < len(digits) <= 18 and int(digits) > 0:
        return str(int(digits))
    return str(int(hashlib.sha256(tracking_number.encode()).hexdigest()[:15], 16) or 1)


def ship_moment(shipped_on: date) -> datetime:
    """shipDate: the end of the JST shipping day, never in the future (Amazon refuses future ship dates and
    ones before the purchase; the end of the day is after any purchase made that day)."""
    end_of_day = datetime.combine(shipped_on, time(23, 59, 59), JST)
    return min(end_of_day, timezone.now())
