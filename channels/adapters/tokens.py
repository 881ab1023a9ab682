"""Access tokens cached in the shared cache per channel (Yahoo ID連携, Amazon LWA): one refresh serves every
worker process until shortly before the token expires."""

import math

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

    def get(self, *, renew: bool = False) -> str:
        """The cached token, or a fresh one when there is none or `renew` (the API refused the cached one)."""
        if not renew:
            token = cache.get(self.key)
            if token:
                return token
        token, expires_in = self._fetch()
        cache.set(self.key, token, cache_seconds(expires_in, self.expiry_margin))
        return token

    def forget(self) -> None:
        cache.delete(self.key)

    def _fetch(self) -> tuple[str, float]:
        """A new (token, seconds until it expires); raises AuthError when the credentials are refused."""
        raise NotImplementedError
