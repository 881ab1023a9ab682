"""Per-key rate limit: every API key (or session user) has its own budget, OMS_API_RATE (default 600/min)."""

from django.conf import settings
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from oms.models import ApiKey

DEFAULT_RATE = "600/min"


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Counts calls per API key, per session user, or per client address for anonymous calls.

    DRF answers 429 with Retry-After once the budget is spent. The count lives in the default cache, so
    web processes sharing Redis share the budget; the count is approximate under heavy concurrency."""

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
