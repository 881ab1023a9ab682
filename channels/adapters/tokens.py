"""Access tokens cached in the shared cache per channel (Yahoo ID連携, Amazon LWA): one refresh serves every
worker process until shortly before the token expires."""

import math
import time

from django.core.cache import cache


def token_cache_key(channel_pk: object) -> str:
    return f"oms:token:{channel_pk}"


def cache_seconds(expires_in: float, margin: float) -> int:
    """How long to keep a token: until shortly before it expires (a short-lived one at least a second)."""
    return max(1, math.floor(expires_in - min(margin, expires_in * 0.2)))


class CachedToken:
    """Hands out a live access token for one channel; subclasses say how to get a new one (`_fetch`)."""

    expiry_margin = 60.0  # seconds before expiry a token stops being handed out

    def __init__(self, *, http, channel_pk: object, credentials: dict):
        self.http = http
        self.key = token_cache_key(channel_pk)
        self.credentials = credentials
        # This client's own copy, so a poll's hundreds of calls don't each ask the shared cache.
        self._held: tuple[str, float] | None = None

    def get(self, *, renew: bool = False) -> str:
        """The cached token, or a fresh one when there is none or `renew` (the API refused the cached one)."""
        if not renew:
            if self._held and time.monotonic() < self._held[1]:
                return self._held[0]
            token = cache.get(self.key)
            if token:
                self._hold(token, self.expiry_margin)
                return token
        token, expires_in = self._fetch()
        seconds = cache_seconds(expires_in, self.expiry_margin)
        cache.set(self.key, token, seconds)
        self._hold(token, seconds)
        return token

    def _hold(self, token: str, seconds: float) -> None:
        # At most a minute; a token read from the shared cache is still good for `expiry_margin` after its entry.
        self._held = (token, time.monotonic() + min(seconds, 60.0))

    def forget(self) -> None:
        self._held = None
        cache.delete(self.key)

    def _fetch(self) -> tuple[str, float]:
        """A new (token, seconds until it expires); raises AuthError when the credentials are refused."""
        raise NotImplementedError
