"""The one HTTP client helper every adapter uses: timeouts on every call, retries with backoff on 5xx,
timeouts and broken connections, `Retry-After` on throttling, a client-side token bucket per endpoint
limit, and logs without personal data or secrets (method, path, status, duration only).
"""

import logging
import math
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import requests

from channels.adapters.base import AuthError, TransientError
from oms import metrics

logger = logging.getLogger("channels.http")


def default_timeout() -> tuple[float, float]:
    """(connect, read) seconds for every marketplace call; OMS_HTTP_READ_TIMEOUT tunes the read part."""
    from django.conf import settings

    return (5.0, float(getattr(settings, "OMS_HTTP_READ_TIMEOUT", 30.0)))


class TokenBucket:
    """Client-side rate limit: `rate` requests per second refilled, up to `burst` at once (thread-safe)."""

    def __init__(self, rate: float, burst: float):
        self.rate, self.burst = rate, burst
        self.tokens = burst
        self.updated = time.monotonic()
        self.lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token, returning how long the caller must sleep first (0 when one was free)."""
        with self.lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            self.tokens -= 1
            return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def available(self) -> float:
        """Tokens there are now (calls that would not wait)."""
        with self.lock:
            return min(self.burst, self.tokens + (time.monotonic() - self.updated) * self.rate)

    def acquire(self) -> None:
        delay = self.wait_time()
        if delay > 0:
            time.sleep(delay)

    def penalise(self, seconds: float) -> None:
        """The server throttled us: empty the bucket so the next calls wait `seconds`."""
        with self.lock:
            self.tokens = min(self.tokens, -seconds * self.rate)
            self.updated = time.monotonic()


# Buckets are shared by every client of the same (channel, endpoint) in this process.
_BUCKETS: dict[tuple[str, str], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def bucket_for(scope: str, name: str, rate: float, burst: float) -> TokenBucket:
    with _BUCKETS_LOCK:
        key = (scope, name)
        if key not in _BUCKETS:
            _BUCKETS[key] = TokenBucket(rate, burst)
        return _BUCKETS[key]


@dataclass(frozen=True)
class Limit:
    """A marketplace rate limit for one endpoint (requests per second, burst)."""

    name: str
    rate: float
    burst: float


class HttpClient:
    """requests.Session with the project's retry, throttle and logging rules, for one channel."""

    def __init__(
        self,
        *,
        base_url: str,
        scope: str,
        max_attempts: int = 5,
        timeout: tuple[float, float] | None = None,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        is_throttled: Callable[[requests.Response], bool] | None = None,
        is_auth_failure: Callable[[requests.Response], bool] | None = None,
        channel: str = "",
    ):
        self.base_url = base_url.rstrip("/")
        self.scope = scope
        self.channel = channel  # the metrics label (oms.metrics): errors and throttles by channel
        self.max_attempts = max_attempts
        self.timeout = timeout or default_timeout()
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.is_throttled = is_throttled or (lambda r: r.status_code == 429)
        self.is_auth_failure = is_auth_failure or (lambda r: r.status_code in (401, 403))
        self.session = requests.Session()
        # Proxy settings are read from the environment once, not on every call (requests would, each time).
        self.session.proxies = requests.utils.get_environ_proxies(self.base_url)
        self.session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        self.session.trust_env = False

    def calls_ready(self, limit: Limit) -> float:
        """How many calls to `limit`'s endpoint could go now without waiting (any number with pacing off)."""
        if not _client_limits_on():
            return math.inf
        return bucket_for(self.scope, limit.name, limit.rate, limit.burst).available()

    def _backoff(self, attempt: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def request(
        self,
        method: str,
        path: str,
        *,
        limit: Limit | None = None,
        validate: Callable[[requests.Response], None] | None = None,
        **kwargs,
    ) -> requests.Response:
        """Send with retries. `validate` may raise ValueError for a broken body (retried like a 5xx).

        Raises AuthError at once on an auth failure, TransientError when retries run out."""
        url = f"{self.base_url}{path}"
        kwargs.setdefault("timeout", self.timeout)
        bucket = (
            bucket_for(self.scope, limit.name, limit.rate, limit.burst)
            if limit and _client_limits_on()
            else None
        )
        last_error = ""
        for attempt in range(1, self.max_attempts + 1):
            if bucket:
                bucket.acquire()
            started = time.monotonic()
            try:
                response = self.session.request(method, url, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_error = exc.__class__.__name__
                logger.warning("%s %s %s attempt=%d", method, path, last_error, attempt)
                metrics.marketplace_error(
                    self.channel, "timeout" if isinstance(exc, requests.Timeout) else "connection"
                )
                time.sleep(self._backoff(attempt))
                continue
            elapsed_ms = (time.monotonic() - started) * 1000
            logger.info(
                "%s %s -> %d in %.0f ms attempt=%d", method, path, response.status_code, elapsed_ms, attempt
            )
            if self.is_throttled(response):
                wait = _retry_after(response) or self._backoff(attempt)
                metrics.marketplace_throttled(self.channel)
                if bucket:
                    bucket.penalise(wait)
                else:
                    time.sleep(wait)
                last_error = f"throttled ({response.status_code})"
                continue
            if self.is_auth_failure(response):
                metrics.marketplace_error(self.channel, "auth")
                raise AuthError(f"{method} {path}: HTTP {response.status_code} {_short(response)}")
            if response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                metrics.marketplace_error(self.channel, "server")
                time.sleep(self._backoff(attempt))
                continue
            if validate is not None:
                try:
                    validate(response)
                except ValueError as exc:
                    last_error = f"broken body: {exc}"
                    logger.warning("%s %s broken body attempt=%d", method, path, attempt)
                    metrics.marketplace_error(self.channel, "body")
                    time.sleep(self._backoff(attempt))
                    continue
            return response
        raise TransientError(f"{method} {path} failed after {self.max_attempts} attempts: {last_error}")


T = TypeVar("T")
R = TypeVar("R")


def side_by_side(call: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """`call` on each item, up to OMS_MARKETPLACE_CONCURRENCY at once, results in the items' order.

    For independent per-order requests: waiting on the network overlaps, while each endpoint's token bucket
    still paces the calls. The first error is raised once the other calls have finished."""
    from django.conf import settings

    items = list(items)
    workers = min(len(items), max(1, int(getattr(settings, "OMS_MARKETPLACE_CONCURRENCY", 1))))
    if workers <= 1:
        return [call(item) for item in items]
    with ThreadPoolExecutor(workers, thread_name_prefix="marketplace") as pool:
        return list(pool.map(call, items))


def _client_limits_on() -> bool:
    """OMS_CLIENT_RATE_LIMITS=0 turns our own pacing off (benchmarks against simulators without limits)."""
    from django.conf import settings

    return bool(getattr(settings, "OMS_CLIENT_RATE_LIMITS", True))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), 120.0)
    except ValueError:
        return None


def _short(response: requests.Response) -> str:
    """A little of an error body for the channel's health message (bodies of errors carry no buyer data)."""
    return response.text[:200].replace("\n", " ")
