"""Celery tasks of the inventory app (thin: they call selectors/services)."""

import logging

from celery import shared_task

from inventory.selectors import stock_drift

logger = logging.getLogger(__name__)


@shared_task
def stock_reconcile() -> int:
    """Report (never silently fix) stock counters that disagree with the ledger or the allocations."""
    drifts = stock_drift()
    for drift in drifts:
        logger.error(
            "stock drift: level=%s sku=%s warehouse=%s %s counter=%s expected=%s",
            drift.stock_level_id,
            drift.sku_code,
            drift.warehouse_code,
            drift.field,
            drift.counter,
            drift.expected,
        )
    logger.info("stock reconciliation: %d drift(s)", len(drifts))
    return len(drifts)
