"""The control API (/_sim/...) and simulated shoppers, mixed into every Simulator.

A marketplace adds control calls of its own through `control_extra` (Amazon: /_sim/maildir, /_sim/relay).
"""

from __future__ import annotations

import re
import sys
import threading
import traceback
from dataclasses import dataclass, field
from urllib.parse import unquote

from channels.simulators.base_http import (
    BadRequest,
    Request,
    Response,
    body_dict,
    control_error,
    is_number,
    json_response,
)

FAULT_KINDS = ("500", "503", "429", "timeout", "malformed", "duplicate_page")


@dataclass
class FaultConfig:
    error_rate: float = 0.0
    kinds: list[str] = field(default_factory=lambda: list(FAULT_KINDS))
    timeout_seconds: float = 35.0


@dataclass
class ShopperConfig:
    rate_per_min: float = 0.0
    defect_rate: float = 0.0
    # Share of shopper orders whose buyer then asks a question about it (問い合わせ).
    inquiry_rate: float = 0.05


class ControlAPI:
    """Mixin for Simulator: answers /_sim/ calls (never faulted, never authenticated) and runs shoppers."""

    def _control(self, request: Request) -> Response:
        route = (request.method, request.path.rstrip("/"))
        simple = {
            ("GET", "/_sim/credentials"): lambda: json_response(self.credentials()),
            ("POST", "/_sim/orders"): lambda: self._control_create_order(request),
            ("GET", "/_sim/listings"): self._control_listings,
            ("POST", "/_sim/faults"): lambda: self._control_set_faults(request),
            ("GET", "/_sim/faults"): self._faults_view,
            ("POST", "/_sim/shoppers"): lambda: self._control_set_shoppers(request),
            ("GET", "/_sim/shoppers"): self._shoppers_view,
            ("POST", "/_sim/inquiries"): lambda: self._control_inquiry(request),
            ("GET", "/_sim/inquiries"): self._control_inquiries,
            ("GET", "/_sim/stats"): self._control_stats,
            ("POST", "/_sim/reset"): self._control_reset,
        }
        try:
            with self.lock:
                if route in simple:
                    return simple[route]()
                return self._control_with_id(request, route)
        except BadRequest as exc:
            return control_error(str(exc))

    def _control_with_id(self, request: Request, route: tuple[str, str]) -> Response:
        method, path = route
        if found := re.fullmatch(r"/_sim/orders/([^/]+)(/cancel)?", path):
            order_id, cancel = unquote(found.group(1)), found.group(2)
            if order_id not in self.orders:
                return control_error("not found", 404)
            if cancel and method == "POST":
                self.cancel_order(order_id)
                for sale in self.sales:
                    if sale["order_id"] == order_id:
                        sale["cancelled"] = True
                return json_response(self.order_view(order_id))
            if not cancel and method == "GET":
                return json_response(self.order_view(order_id))
        if found := re.fullmatch(r"/_sim/listings/([^/]+)", path):
            sku = unquote(found.group(1))
            if method == "PUT":
                quantity = body_dict(request).get("quantity")
                if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
                    raise BadRequest("quantity must be an integer >= 0")
                self.set_listing(sku, quantity)
            if method in ("GET", "PUT"):
                if sku not in self.listings:
                    return control_error("not found", 404)
                return json_response({"sku": sku, "quantity": self.listings[sku]})
        if found := re.fullmatch(r"/_sim/inquiries/([^/]+)(/messages)?", path):
            inquiry_id, messages = unquote(found.group(1)), found.group(2)
            if inquiry_id not in self.inquiries:
                return control_error("inquiry not found", 404)
            if messages and method == "POST":
                self.buyer_writes(inquiry_id, body_dict(request).get("body"))
                return json_response(self.inquiry_view(inquiry_id), 201)
            if not messages and method == "GET":
                return json_response(self.inquiry_view(inquiry_id))
        extra = self.control_extra(request, method, path)
        if extra is not None:
            return extra
        return control_error(f"unknown control call {method} {path}", 404)

    def control_extra(self, request: Request, method: str, path: str) -> Response | None:
        """A marketplace's own control calls (lock held); None when the call is not one of them."""
        return None

    def _control_create_order(self, request: Request) -> Response:
        canonical = body_dict(request)
        problem = validate_canonical(canonical)
        if problem:
            raise BadRequest(problem)
        order_id = self._place_order(canonical)
        return json_response({"order_id": order_id}, 201)

    def _place_order(self, canonical: dict) -> str:
        """Store the order in the shop's shape, take the units off the listings and count the sale."""
        order_id = self.create_order(canonical)
        for item in canonical["items"]:
            self.adjust_listing(item["sku"], -item["quantity"])
            self.record_sale(item["sku"], item["quantity"], order_id)
        return order_id

    def _control_listings(self) -> Response:
        return json_response([{"sku": s, "quantity": q} for s, q in sorted(self.listings.items())])

    def _control_set_faults(self, request: Request) -> Response:
        body = body_dict(request)
        rate = body.get("error_rate", self.faults.error_rate)
        kinds = body.get("kinds", self.faults.kinds)
        timeout = body.get("timeout_seconds", self.faults.timeout_seconds)
        if not is_number(rate) or not 0 <= rate <= 1:
            raise BadRequest("error_rate must be a number between 0 and 1")
        if not isinstance(kinds, list) or any(k not in FAULT_KINDS for k in kinds):
            raise BadRequest(f"kinds must be a list drawn from {list(FAULT_KINDS)}")
        if not is_number(timeout) or timeout < 0:
            raise BadRequest("timeout_seconds must be a number >= 0")
        self.faults = FaultConfig(float(rate), [str(k) for k in kinds], float(timeout))
        return self._faults_view()

    def _faults_view(self) -> Response:
        config = self.faults
        return json_response(
            {
                "error_rate": config.error_rate,
                "kinds": config.kinds,
                "timeout_seconds": config.timeout_seconds,
            }
        )

    def _control_set_shoppers(self, request: Request) -> Response:
        body = body_dict(request)
        rate = body.get("rate_per_min", self.shoppers.rate_per_min)
        defect = body.get("defect_rate", self.shoppers.defect_rate)
        asking = body.get("inquiry_rate", self.shoppers.inquiry_rate)
        if not is_number(rate) or rate < 0:
            raise BadRequest("rate_per_min must be a number >= 0")
        if not is_number(defect) or not 0 <= defect <= 1:
            raise BadRequest("defect_rate must be a number between 0 and 1")
        if not is_number(asking) or not 0 <= asking <= 1:
            raise BadRequest("inquiry_rate must be a number between 0 and 1")
        self.set_shoppers(float(rate), float(defect), float(asking))
        return self._shoppers_view()

    def set_shoppers(
        self, rate_per_min: float, defect_rate: float = 0.0, inquiry_rate: float | None = None
    ) -> None:
        """Simulated buyers place orders at this Poisson rate (0 stops them); also the --shoppers option.
        `inquiry_rate` (kept when None) is the share of their orders they ask a question about."""
        with self.lock:
            asking = self.shoppers.inquiry_rate if inquiry_rate is None else inquiry_rate
            self.shoppers = ShopperConfig(rate_per_min, defect_rate, asking)
            if rate_per_min > 0 and self._shopper_thread is None:
                self._shopper_thread = threading.Thread(
                    target=self._shopper_loop, name="shoppers", daemon=True
                )
                self._shopper_thread.start()
        self._shopper_wake.set()

    def _shoppers_view(self) -> Response:
        config = self.shoppers
        return json_response(
            {
                "rate_per_min": config.rate_per_min,
                "defect_rate": config.defect_rate,
                "inquiry_rate": config.inquiry_rate,
            }
        )

    def _control_inquiry(self, request: Request) -> Response:
        body = body_dict(request)
        order_id, text, subject = body.get("order_id"), body.get("body"), body.get("subject")
        if not isinstance(text, str) or not text.strip():
            raise BadRequest("body must be a non-empty string")
        if subject is not None and (not isinstance(subject, str) or not subject.strip()):
            raise BadRequest("subject must be a non-empty string when given")
        if order_id not in self.orders:
            return control_error("order not found", 404)
        inquiry_id = self.ask_inquiry(order_id, text, subject=subject)
        return json_response({"inquiry_id": inquiry_id}, 201)

    def _control_inquiries(self) -> Response:
        return json_response([self.inquiry_view(inquiry_id) for inquiry_id in self.inquiries])

    def _control_stats(self) -> Response:
        sold: dict[str, int] = {}
        cancelled: dict[str, int] = {}
        for sale in self.sales:
            sold[sale["sku"]] = sold.get(sale["sku"], 0) + sale["quantity"]
            if sale.get("cancelled"):
                cancelled[sale["sku"]] = cancelled.get(sale["sku"], 0) + sale["quantity"]
        return json_response(
            {
                "orders": len(self.orders),
                "inquiries": len(self.inquiries),
                "sold": sold,
                "cancelled": cancelled,
                **self.counters,
            }
        )

    def _control_reset(self) -> Response:
        self.orders.clear()
        self.listings.clear()
        self.listing_ids.clear()
        self.sales.clear()
        self.inquiries.clear()
        self.faults = FaultConfig()
        self.shoppers = ShopperConfig()
        self.counters = dict.fromkeys(self.counters, 0)
        self._buckets.clear()
        self._last_bodies.clear()
        self._shopper_wake.set()
        self.on_reset()
        return json_response({"reset": True})

    # ---- simulated shoppers ----------------------------------------------------------------------------
    def _shopper_loop(self) -> None:
        while True:
            self._shopper_wake.clear()
            rate = self.shoppers.rate_per_min
            if rate <= 0:
                self._shopper_wake.wait()
                continue
            if self._shopper_wake.wait(self.shopper_rng.expovariate(rate / 60.0)):
                continue  # the rate changed (or a reset): draw a new wait with the new rate
            if self.shoppers.rate_per_min <= 0:
                continue
            try:
                self.shop_once()
            except Exception:
                traceback.print_exc(file=sys.stderr)

    def shop_once(self) -> str | None:
        """One shopper buys 1-2 units of a listed SKU that shows at least that many; None if nothing shows."""
        from channels.simulators import datagen

        with self.lock:
            in_stock = sorted(sku for sku, shown in self.listings.items() if shown > 0)
            if not in_stock:
                return None
            sku = self.shopper_rng.choice(in_stock)
            quantity = min(self.shopper_rng.choice((1, 1, 2)), self.listings[sku])
            canonical = datagen.canonical_order(
                self.shopper_rng, [(sku, quantity)], defect_rate=self.shoppers.defect_rate
            )
            order_id = self._place_order(canonical)
            self.counters["shopper_orders"] += 1
            if self.maybe_ask_about(order_id, self.shoppers.inquiry_rate):
                self.counters["shopper_inquiries"] += 1
            return order_id


def validate_canonical(order: dict) -> str | None:
    """Why a canonical order (DESIGN.md) cannot be accepted, or None. Content defects are allowed."""
    items = order.get("items")
    if not isinstance(items, list) or not items:
        return "items must be a non-empty list"
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("sku"), str) or not item["sku"]:
            return f"items[{index}].sku must be a non-empty string"
        quantity, price = item.get("quantity"), item.get("price", 0)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            return f"items[{index}].quantity must be an integer >= 1"
        if not is_number(price) or price < 0:
            return f"items[{index}].price must be a number >= 0"
    for part, fields in (("buyer", ("name",)), ("ship_to", ("name", "postal_code", "prefecture", "city"))):
        value = order.get(part)
        if not isinstance(value, dict):
            return f"{part} must be an object"
        for name in fields:
            if not isinstance(value.get(name), str):
                return f"{part}.{name} must be a string"
    for name in ("delivery_date", "delivery_time", "payment", "remarks"):
        if order.get(name) is not None and not isinstance(order[name], str):
            return f"{name} must be a string or null"
    return None
