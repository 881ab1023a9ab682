"""Webhooks: subscriptions, an outbox written in the transaction of each change, signed and retried delivery.

The services call `webhooks.emit(event, payload)` (or `emit_batch` for a page of changes) inside their
transaction; see oms.webhooks.services. A payload may be given as a function: it is only called when some
active subscription wants the event, so changes nobody subscribed to never build one. The names below
import lazily, so any module may import this package at load time.
"""

from collections.abc import Callable


def emit(event: str, payload: dict | Callable[[], dict]) -> int:
    from oms.webhooks.services import emit as _emit

    return _emit(event, payload)


def emit_batch(items: list[tuple[str, dict]] | Callable[[], list[tuple[str, dict]]]) -> int:
    from oms.webhooks.services import emit_batch as _emit_batch

    return _emit_batch(items)


def emit_stock_changed(*, sku_ids: set[int]) -> int:
    from oms.webhooks.services import emit_stock_changed as _emit_stock_changed

    return _emit_stock_changed(sku_ids=sku_ids)
