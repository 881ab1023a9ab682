"""Per-key rate limit: every API key (or session user) has its own budget, OMS_API_RATE (default 600/min).

The budget is a sliding window counted with atomic increments: the calls of the current window plus the
previous window's, weighted by how much of it still lies within the last `duration` seconds. DRF's own
throttle reads a list of timestamps, adds one and writes it back, so parallel calls of one key each saw the
same list and were all let through (782 of 600 with eight clients); an increment cannot be lost that way.
"""

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from oms.models import ApiKey

DEFAULT_RATE = "600/min"


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Counts calls per API key, per session user, or per client address for anonymous calls.

    DRF answers 429 with Retry-After once the budget is spent. The count lives in the default cache, so web
    processes sharing Redis share the budget and count atomically (the file cache of a single-machine setup
    without Redis increments by read and write, so there it is approximate under concurrency). A refused call
    does not count."""

    scope = "api_key"

    def get_rate(self) -> str:
        return (
            getattr(settings, "OMS_API_RATE", None)
            or api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
            or DEFAULT_RATE
        )

    def get_cache_key(self, request, view) -> str:
        if isinstance(request.auth, ApiKey):
            ident = f"key{request.auth.pk}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user{request.user.pk}"
        else:
            ident = f"addr{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        now = self.timer()
        window, elapsed = divmod(now, self.duration)
        current = f"{key}:{int(window)}"
        self.cache.add(current, 0, timeout=2 * self.duration)  # kept while it is the previous window too
        try:
            count = self.cache.incr(current)
        except ValueError:  # expired between add and incr
            self.cache.add(current, 1, timeout=2 * self.duration)
            count = 1
        previous = self.cache.get(f"{key}:{int(window) - 1}", 0)
        weight = 1 - elapsed / self.duration
        if count + previous * weight <= self.num_requests:
            return True
        self.cache.decr(current)
        # until enough of the previous window has slid out, or until the next window when this one is full
        left = self.duration - elapsed
        if count > self.num_requests or not previous:
            self._wait = left
        else:
            self._wait = min(left, self.duration * (1 - (self.num_requests - count) / previous) - elapsed)
        return False

    def wait(self) -> float:
        return max(self._wait, 1)
