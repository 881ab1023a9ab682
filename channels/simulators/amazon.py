"""Amazon SP-API simulator (Amazon.co.jp): LWA tokens, Orders v0 and Listings Items 2021-08-01.

Endpoints (shapes from amzn/selling-partner-api-models ordersV0.json and listingsItems_2021-08-01.json):
- POST  /auth/o2/token                                   LWA (form or JSON body; refresh_token and grantless)
- GET   /orders/v0/orders                                getOrders        0.0167 r/s, burst 20
- GET   /orders/v0/orders/{orderId}                      getOrder         0.5 r/s, burst 30
- GET   /orders/v0/orders/{orderId}/orderItems           getOrderItems    0.5 r/s, burst 30
- POST  /orders/v0/orders/{orderId}/shipmentConfirmation confirmShipment  2 r/s, burst 10 -> 204
- GET   /listings/2021-08-01/items/{sellerId}/{sku}      getListingsItem  5 r/s, burst 10
- PATCH /listings/2021-08-01/items/{sellerId}/{sku}      patchListingsItem 5 r/s, burst 5
Buyer messages are e-mail, not API calls: amazon_mail (a Maildir, and the relay by SMTP or POST /_sim/relay).

Choices of this simulator where Amazon documents nothing (a real client must cope with the real service too):
- An order is Pending for AMAZON_SIM_PENDING_SECONDS (default 2 s) after it is placed, then Unshipped with
  LastUpdateDate = the moment it left Pending. COD orders need no payment authorisation: Unshipped at once.
  While Pending, orders carry no ShippingAddress and order items no prices or IsGift (as documented).
- The buyer's cancel moves Pending/Unshipped to Canceled (LastUpdateDate = now) and puts the units back on
  the listings; a PartiallyShipped or Shipped order is not cancelled (the buyer returns goods instead).
- confirmShipment moves Unshipped -> PartiallyShipped/Shipped by the confirmed quantities. Sending the same
  packageReferenceId again updates that package's carrier/tracking/shipDate without shipping more units.
- patchListingsItem applies the new quantity at once (Amazon processes ACCEPTED submissions within minutes);
  a SKU that is not listed answers 404 NOT_FOUND, except that a SKU named like the seller's catalogue
  (upper-case letters, digits, - and _) counts as listed: its first PATCH gives it a quantity (the demo shop's
  products exist on Amazon before the OMS first pushes stock); mode=VALIDATION_PREVIEW answers VALID unchanged.
- Without CreatedBefore/LastUpdatedBefore the search ends at the request time (echoed in the payload); the
  real API's two-minute margin applies only to explicitly given *Before values.
- Personal data (ShippingAddress Name/lines/Phone, BuyerName) is returned without a Restricted Data Token.
- Canonical remarks have no place in an Amazon order; gift remarks (ギフト, のし, ...) set IsGift "true".
- [inferred] Money amounts are "2980.00"; ItemPrice is 税込 (tax included) and ItemTax is the 10% consumption
  tax contained in it; getOrderItems pages hold 30 items; listing issue codes (INVALID_ATTRIBUTE_VALUE, ...)
  are this simulator's own.
"""

from __future__ import annotations

import os
import re
import uuid
from datetime import UTC, datetime
from urllib.parse import unquote

from channels.simulators import amazon_render as render
from channels.simulators.amazon_auth import (
    CREDENTIALS,
    DENIED,
    LWA_PATH,
    LwaTokens,
    amazon_error,
    request_id,
)
from channels.simulators.amazon_mail import AmazonMailbox
from channels.simulators.amazon_requests import (
    GENERIC_MESSAGE,
    InvalidInput,
    check_marketplaces,
    csv_values,
    items_page,
    listing_patch,
    order_query,
    orders_page,
    shipment_package,
)
from channels.simulators.base import BadRequest, Handler, Request, Response, Simulator, json_response

PENDING_SECONDS = 2.0
# operation -> (rate per second, burst, the x-amzn-RateLimit-Limit value): the default usage plans.
USAGE_PLANS = {
    "getOrders": (0.0167, 20, "0.0167"),
    "getOrder": (0.5, 30, "0.5"),
    "getOrderItems": (0.5, 30, "0.5"),
    "confirmShipment": (2.0, 10, "2.0"),
    "getListingsItem": (5.0, 10, "5.0"),
    "patchListingsItem": (5.0, 5, "5.0"),
}
ORDER_PATH = r"/orders/v0/orders/(?P<order_id>[^/]+)"
CATALOGUE_SKU = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,63}")
LISTING_PATH = r"/listings/2021-08-01/items/(?P<seller_id>[^/]+)/(?P<sku>[^/]+)"
ORDER_ID_FORMAT = re.compile(r"\d{3}-\d{7}-\d{7}")
ERROR_BODIES = {
    400: ("InvalidInput", GENERIC_MESSAGE),
    404: ("NotFound", "The requested resource was not found."),
    405: ("MethodNotAllowed", "The HTTP method is not allowed for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service temporarily unavailable. Please try again later."),
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class AmazonSimulator(AmazonMailbox, Simulator):
    kind = "amazon"
    paged_paths = (r"/orders/v0/orders", ORDER_PATH + "/orderItems")

    def __init__(
        self,
        *,
        seed: int = 1,
        rate_limits: bool = True,
        maildir: str | None = None,
        smtp_port: int | None = None,
    ):
        super().__init__(seed=seed, rate_limits=rate_limits)
        self.tokens = LwaTokens()
        self.pending_seconds = float(os.environ.get("AMAZON_SIM_PENDING_SECONDS", PENDING_SECONDS))
        self.setup_mailbox(maildir, smtp_port)

    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """The relay's SMTP listener (with --smtp-port) starts first, then the API."""
        print(f"amazon maildir: {self.maildir}", flush=True)
        if self.smtp_port is not None:
            self.start_smtp(host)
            print(f"amazon relay SMTP on {self.smtp_address[0]}:{self.smtp_address[1]}", flush=True)
        try:
            super().serve(port, host)
        finally:
            self.stop_smtp()

    # ---- Simulator interface ---------------------------------------------------------------------------
    def credentials(self) -> dict:
        return dict(CREDENTIALS)

    def routes(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", LWA_PATH, self.lwa_token),
            ("GET", r"/orders/v0/orders", self.get_orders),
            ("GET", ORDER_PATH, self.get_order),
            ("GET", ORDER_PATH + "/orderItems", self.get_order_items),
            ("POST", ORDER_PATH + "/shipmentConfirmation", self.confirm_shipment),
            ("GET", LISTING_PATH, self.get_listings_item),
            ("PATCH", LISTING_PATH, self.patch_listings_item),
        ]

    def authenticate(self, request: Request) -> Response | None:
        """SP-API calls need a live LWA access token in x-amz-access-token; the LWA endpoint needs none."""
        return None if request.path == LWA_PATH else self.tokens.refusal(request)

    def create_order(self, canonical: dict) -> str:
        with self.lock:
            record = render.build_record(
                canonical,
                rng=self.rng,
                taken=self.orders,
                now=utc_now(),
                pending_seconds=self.pending_seconds,
            )
            self.orders[record["AmazonOrderId"]] = record
            return record["AmazonOrderId"]

    def order_view(self, order_id: str) -> dict:
        with self.lock:
            record = self._advance(self.orders[order_id], utc_now())
            return {
                "order_id": order_id,
                "status": record["status"],
                "tracking_numbers": [package["trackingNumber"] for package in record["packages"]],
                "order": render.render_order(record),
                "items": [render.render_item(item, priced=True) for item in record["items"]],
                "packages": [dict(package) for package in record["packages"]],
            }

    def cancel_order(self, order_id: str) -> None:
        with self.lock:
            now = utc_now()
            record = self._advance(self.orders[order_id], now)
            if record["status"] not in ("Pending", "Unshipped"):
                return
            record["status"] = "Canceled"
            record["updated"] = now
            for item in record["items"]:
                self.adjust_listing(item["SellerSKU"], item["QuantityOrdered"])

    def throttled_response(self) -> Response:
        return amazon_error(429, "QuotaExceeded", "You exceeded your quota for the requested resource.")

    def error_response(self, status: int) -> Response:
        code, message = ERROR_BODIES.get(status, ERROR_BODIES[500])
        return amazon_error(status, code, message)

    def lwa_token(self, request: Request) -> Response:
        return self.tokens.exchange(request)

    # ---- Orders v0 -------------------------------------------------------------------------------------
    def get_orders(self, request: Request) -> Response:
        if refusal := self._throttle("getOrders"):
            return refusal
        now = utc_now()
        try:
            query = order_query(request, now)
        except InvalidInput as problem:
            return self._invalid("getOrders", problem)
        for record in self.orders.values():
            self._advance(record, now)
        page, next_token = orders_page(list(self.orders.values()), query)
        payload: dict = {"Orders": [render.render_order(record) for record in page]}
        if next_token:
            payload["NextToken"] = next_token
        payload[f"{query.family}Before"] = render.iso(query.before)
        return self._ok("getOrders", {"payload": payload})

    def get_order(self, request: Request) -> Response:
        if refusal := self._throttle("getOrder"):
            return refusal
        record = self._order_or_error(request, "getOrder")
        if isinstance(record, Response):
            return record
        return self._ok("getOrder", {"payload": render.render_order(record)})

    def get_order_items(self, request: Request) -> Response:
        if refusal := self._throttle("getOrderItems"):
            return refusal
        record = self._order_or_error(request, "getOrderItems")
        if isinstance(record, Response):
            return record
        try:
            items, next_token = items_page(record["AmazonOrderId"], record["items"], request.arg("NextToken"))
        except InvalidInput as problem:
            return self._invalid("getOrderItems", problem)
        priced = record["status"] != "Pending"
        payload: dict = {
            "AmazonOrderId": record["AmazonOrderId"],
            "OrderItems": [render.render_item(item, priced=priced) for item in items],
        }
        if next_token:
            payload["NextToken"] = next_token
        return self._ok("getOrderItems", {"payload": payload})

    def confirm_shipment(self, request: Request) -> Response:
        if refusal := self._throttle("confirmShipment"):
            return refusal
        record = self._order_or_error(request, "confirmShipment")
        if isinstance(record, Response):
            return record
        try:
            package = shipment_package(self._json_body(request), record)
            if record["status"] == "Pending":
                raise InvalidInput(
                    "The order is Pending: payment is not authorized yet, it cannot be shipped."
                )
            if record["status"] == "Canceled":
                raise InvalidInput("The order has been canceled and cannot be shipped.")
        except InvalidInput as problem:
            return self._invalid("confirmShipment", problem)
        self._record_package(record, package)
        return Response(204, b"", self._headers("confirmShipment"))

    def _record_package(self, record: dict, package: dict) -> None:
        names = ("carrierCode", "carrierName", "shippingMethod", "trackingNumber", "shipDate")
        kept = {name: package[name] for name in names if isinstance(package.get(name), str)}
        for known in record["packages"]:
            if known["packageReferenceId"] == package["packageReferenceId"]:
                known.update(kept)  # a re-sent package corrects its tracking; no more units ship
                break
        else:
            lines = [
                {"orderItemId": line["orderItemId"], "quantity": line["quantity"]}
                for line in package["orderItems"]
            ]
            record["packages"].append(
                {"packageReferenceId": package["packageReferenceId"], **kept, "orderItems": lines}
            )
            by_id = {item["OrderItemId"]: item for item in record["items"]}
            for line in lines:
                by_id[line["orderItemId"]]["QuantityShipped"] += line["quantity"]
        all_shipped = all(item["QuantityShipped"] >= item["QuantityOrdered"] for item in record["items"])
        record["status"] = "Shipped" if all_shipped else "PartiallyShipped"
        record["updated"] = utc_now()

    # ---- Listings Items 2021-08-01 ---------------------------------------------------------------------
    def get_listings_item(self, request: Request) -> Response:
        if refusal := self._throttle("getListingsItem"):
            return refusal
        sku = self._listing_or_error(request, "getListingsItem")
        if isinstance(sku, Response):
            return sku
        included = csv_values(request, "includedData") or ["summaries"]
        return self._ok("getListingsItem", render.render_listing(sku, self.listings[sku], included))

    def patch_listings_item(self, request: Request) -> Response:
        if refusal := self._throttle("patchListingsItem"):
            return refusal
        sku = self._listing_or_error(request, "patchListingsItem", catalogue_ok=True)
        if isinstance(sku, Response):
            return sku
        try:
            quantity, issues = listing_patch(self._json_body(request))
        except InvalidInput as problem:
            return self._invalid("patchListingsItem", problem)
        if issues:
            status = "INVALID"
        elif request.arg("mode") == "VALIDATION_PREVIEW":
            status = "VALID"
        else:
            status = "ACCEPTED"
            if quantity is not None:
                self.set_listing(sku, quantity)
        answer: dict = {"sku": sku, "status": status, "submissionId": uuid.uuid4().hex, "issues": issues}
        if "identifiers" in csv_values(request, "includedData"):
            answer["identifiers"] = render.render_listing(sku, 0, ["identifiers"])["identifiers"]
        return self._ok("patchListingsItem", answer)

    # ---- helpers ---------------------------------------------------------------------------------------
    def _advance(self, record: dict, now: datetime) -> dict:
        """Payment authorisation happens on its own: a Pending order is Unshipped once its time has come."""
        if record["status"] == "Pending" and now >= record["pending_until"]:
            record["status"] = "Unshipped"
            record["updated"] = max(record["updated"], record["pending_until"])
        return record

    def _order_or_error(self, request: Request, operation: str) -> dict | Response:
        order_id = request.params["order_id"]
        if not ORDER_ID_FORMAT.fullmatch(order_id):
            return self._invalid(operation, InvalidInput(f"Invalid AmazonOrderId: {order_id}."))
        record = self.orders.get(order_id)
        if record is None:
            return amazon_error(
                404, "NotFound", f"Order {order_id} was not found.", rate=USAGE_PLANS[operation][2]
            )
        return self._advance(record, utc_now())

    def _listing_or_error(
        self, request: Request, operation: str, catalogue_ok: bool = False
    ) -> str | Response:
        try:
            check_marketplaces(request, "marketplaceIds")
        except InvalidInput as problem:
            return self._invalid(operation, problem)
        if request.params["seller_id"] != CREDENTIALS["seller_id"]:
            return amazon_error(403, "Unauthorized", DENIED)
        sku = unquote(request.params["sku"])
        # The seller's catalogue (SKUs named like ours) is on Amazon already; its offer gets a quantity on
        # the first PATCH. Anything else is an unknown SKU.
        if sku not in self.listings and not (catalogue_ok and CATALOGUE_SKU.fullmatch(sku)):
            message = f"SKU '{sku}' not found in marketplace {render.MARKETPLACE_ID}"
            return amazon_error(404, "NOT_FOUND", message, rate=USAGE_PLANS[operation][2])
        return sku

    @staticmethod
    def _json_body(request: Request) -> object:
        try:
            return request.json()
        except BadRequest as exc:
            raise InvalidInput("The request body is not valid JSON.") from exc

    def _throttle(self, operation: str) -> Response | None:
        rate, burst, _ = USAGE_PLANS[operation]
        return self.limit(operation, rate, burst)

    @staticmethod
    def _headers(operation: str) -> dict[str, str]:
        return {"x-amzn-RateLimit-Limit": USAGE_PLANS[operation][2]} | request_id()

    def _ok(self, operation: str, body: dict) -> Response:
        return json_response(body, 200, self._headers(operation))

    def _invalid(self, operation: str, problem: InvalidInput) -> Response:
        return json_response({"errors": problem.errors()}, 400, self._headers(operation))
