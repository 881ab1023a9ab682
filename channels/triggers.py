"""Debounced triggers that start sync work right after a commit instead of waiting for beat."""

from django.conf import settings
from django.core.cache import cache

PUSH_KEY = "oms:stock-push-scheduled"


def stock_push_soon() -> None:
    """Schedule one stock push for all channels a moment from now; further calls in that moment join it.

    Beat also pushes every few seconds, so a lost trigger only costs latency, never correctness."""
    if not settings.OMS_SYNC_TRIGGERS:
        return
    delay = settings.OMS_STOCK_PUSH_DEBOUNCE_SECONDS
    if cache.add(PUSH_KEY, 1, timeout=max(delay, 0.1)):
        from channels.tasks import push_stock_all

        push_stock_all.apply_async(countdown=delay)
