"""Core of every local marketplace: the Simulator base class (request loop, faults, rate limits, server).

Marketplace modules import everything they need from here; the HTTP plumbing lives in base_http and the
control API in base_control.
"""

from __future__ import annotations

import random
import re
import sys
import threading
import time
import traceback
from http.server import ThreadingHTTPServer
from typing import Any

from channels.simulators.base_control import FAULT_KINDS, ControlAPI, FaultConfig, ShopperConfig
from channels.simulators.base_http import (
    JST,
    BadRequest,
    Handler,
    Request,
    Response,
    TokenBucket,
    handler_class,
    json_response,
    now_jst,
    xml_response,
)
from channels.simulators.base_inquiries import InquiryStore

__all__ = [
    "FAULT_KINDS",
    "JST",
    "BadRequest",
    "Handler",
    "Request",
    "Response",
    "Simulator",
    "TokenBucket",
    "json_response",
    "now_jst",
    "xml_response",
]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog of 5 drops bursts of connections (the client retries a second later), which
    # would smear a burst past the rate limit it is meant to hit.
    request_queue_size = 128


class Simulator(InquiryStore, ControlAPI):
    # Paths of the paginated search endpoints; only these can serve a page twice (duplicate_page fault).
    paged_paths: tuple[str, ...] = ()
    """One marketplace. Subclasses speak the marketplace's API; this class runs the rest.

    Handlers run while holding `self.lock` (an RLock), so they may read and write shared state freely.
    """

    kind: str = "base"

    def __init__(self, *, seed: int = 1, rate_limits: bool = True):
        self.seed = seed
        self.rng = random.Random(seed)
        self.fault_rng = random.Random(seed + 1_000_003)  # faults never shift the generated data
        self.shopper_rng = random.Random(seed + 2_000_003)
        self.inquiry_rng = random.Random(seed + 3_000_003)  # questions never shift the orders either
        self.lock = threading.RLock()
        self.rate_limits = rate_limits
        self.orders: dict[str, dict] = {}
        self.listings: dict[str, int] = {}
        self.listing_ids: dict[str, dict] = {}
        self.sales: list[dict] = []
        self.inquiries: dict[str, dict] = {}
        self.faults = FaultConfig()
        self.shoppers = ShopperConfig()
        self.counters = {
            "requests": 0,
            "throttled": 0,
            "faults_injected": 0,
            "shopper_orders": 0,
            "shopper_inquiries": 0,
        }
        self._buckets: dict[str, TokenBucket] = {}
        self._last_bodies: dict[tuple[str, str], Response] = {}
        self._shopper_wake = threading.Event()
        self._shopper_thread: threading.Thread | None = None
        self._compiled: list[tuple[str, re.Pattern[str], Handler]] | None = None

    # ---- implemented by each marketplace -------------------------------------------------------------
    def credentials(self) -> dict:
        raise NotImplementedError

    def routes(self) -> list[tuple[str, str, Handler]]:
        raise NotImplementedError

    def authenticate(self, request: Request) -> Response | None:
        raise NotImplementedError

    def create_order(self, canonical: dict) -> str:
        raise NotImplementedError

    def order_view(self, order_id: str) -> dict:
        raise NotImplementedError

    def cancel_order(self, order_id: str) -> None:
        raise NotImplementedError

    def throttled_response(self) -> Response:
        raise NotImplementedError

    def error_response(self, status: int) -> Response:
        raise NotImplementedError

    def on_reset(self) -> None:
        """Optional hook: clear the marketplace's own extra state on POST /_sim/reset (lock held)."""

    # ---- helpers for subclasses ----------------------------------------------------------------------
    def limit(self, bucket: str, rate: float, burst: float) -> Response | None:
        """None when the call may proceed (or limits are off), else the marketplace's throttling answer."""
        if not self.rate_limits:
            return None
        with self.lock:
            tokens = self._buckets.get(bucket)
            if tokens is None:
                tokens = self._buckets[bucket] = TokenBucket(rate, burst)
        if tokens.take():
            return None
        with self.lock:
            self.counters["throttled"] += 1
        return self.throttled_response()

    def set_listing(self, sku: str, quantity: int, **ids: Any) -> None:
        with self.lock:
            self.listings[sku] = quantity
            if ids:
                self.listing_ids[sku] = {**self.listing_ids.get(sku, {}), **ids}

    def adjust_listing(self, sku: str, delta: int) -> int:
        """Add delta to a listing (never below 0); returns the new quantity. Unknown SKUs are ignored (0)."""
        with self.lock:
            if sku not in self.listings:
                return 0
            self.listings[sku] = max(0, self.listings[sku] + delta)
            return self.listings[sku]

    def listing(self, sku: str) -> int | None:
        with self.lock:
            return self.listings.get(sku)

    def record_sale(self, sku: str, quantity: int, order_id: str) -> None:
        with self.lock:
            self.sales.append({"sku": sku, "quantity": quantity, "order_id": order_id, "at": now_jst()})

    # ---- request loop ----------------------------------------------------------------------------------
    def dispatch(self, request: Request) -> tuple[Response, str | None]:
        """Answer one request; the second value names a transport-level fault ("malformed") or None."""
        if request.path.startswith("/_sim/"):
            return self._control(request), None
        with self.lock:
            self.counters["requests"] += 1
        fault = self._pick_fault()
        if fault in ("500", "503"):
            return self.error_response(int(fault)), None
        if fault == "429":
            return self.throttled_response(), None
        if fault == "timeout":
            time.sleep(self.faults.timeout_seconds)
        key = (request.method, request.path)
        paged = any(re.fullmatch(pattern, request.path) for pattern in self.paged_paths)
        if fault == "duplicate_page" and paged and key in self._last_bodies:
            return self._last_bodies[key], None
        response = self._serve_api(request)
        if 200 <= response.status < 300:
            self._last_bodies[key] = response
        return response, ("malformed" if fault == "malformed" else None)

    def _pick_fault(self) -> str | None:
        with self.lock:
            config = self.faults
            if config.error_rate <= 0 or not config.kinds or self.fault_rng.random() >= config.error_rate:
                return None
            self.counters["faults_injected"] += 1
            return self.fault_rng.choice(config.kinds)

    def _serve_api(self, request: Request) -> Response:
        refusal = self.authenticate(request)
        if refusal is not None:
            return refusal
        handler, allowed = self._match(request)
        if handler is None:
            return self.error_response(405 if allowed else 404)
        try:
            with self.lock:
                return handler(request)
        except BadRequest:
            return self.error_response(400)
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return self.error_response(500)

    def _match(self, request: Request) -> tuple[Handler | None, bool]:
        if self._compiled is None:
            self._compiled = [(m.upper(), re.compile(rx), h) for m, rx, h in self.routes()]
        path_known = False
        for method, pattern, handler in self._compiled:
            found = pattern.fullmatch(request.path)
            if found is None:
                continue
            path_known = True
            if method == request.method:
                request.params = {k: v for k, v in found.groupdict().items() if v is not None}
                return handler, True
        return None, path_known

    # ---- server ----------------------------------------------------------------------------------------
    def serve(self, port: int, host: str = "127.0.0.1") -> None:
        """Serve until stopped. Loopback only unless `host` says otherwise (docker-compose binds 0.0.0.0)."""
        server = _Server((host, port), handler_class(self))
        print(f"{self.kind} simulator on http://{host}:{server.server_address[1]}", flush=True)
        try:
            server.serve_forever()
        finally:
            server.server_close()
