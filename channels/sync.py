"""Sync with the shops: poll a channel's orders into the OMS, push free stock out to its listings.

Both run outside any long transaction: marketplace calls are slow, and stock row locks must stay short.
Each imported order is its own transaction, and the cursor only moves once every page is imported, so a
worker killed mid-poll loses nothing: the next poll re-reads the window and finds the orders unchanged.
"""

import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError
from django.utils import timezone

from channels.adapters import adapter_for
from channels.adapters.base import AdapterError, AuthError, PayloadError, StockUpdate, TransientError
from channels.models import Channel, Listing, SyncCursor
from channels.selectors import listing_quantities
from channels.services import (
    channel_record_failure,
    channel_record_success,
    listing_clear_unchanged,
    listing_record_push,
    quarantine_add,
    quarantine_resolve,
)
from inventory.selectors import sku_free_stock
from orders.intake import order_import, orders_import

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    channel: str
    skipped: bool = False
    fetched: int = 0
    created: int = 0
    updated: int = 0
    quarantined: int = 0
    acknowledged: int = 0
    error: str = ""


@dataclass
class PushResult:
    channel: str
    skipped: bool = False
    sent: int = 0
    unchanged: int = 0
    error: str = ""
    quantities: dict[str, int] = field(default_factory=dict)


class Lease:
    """A short cross-process lock in the shared cache, so one channel is polled (or pushed) by one worker
    at a time. It expires by itself if its holder dies."""

    def __init__(self, name: str, seconds: int):
        self.key, self.seconds, self.token = f"oms:lease:{name}", seconds, uuid.uuid4().hex

    def __enter__(self) -> bool:
        self.held = cache.add(self.key, self.token, timeout=self.seconds)
        return self.held

    def renew(self) -> None:
        """Keep holding it while the work goes on (call between pages); a dead holder's lease runs out soon."""
        if self.held and cache.get(self.key) == self.token:
            cache.set(self.key, self.token, timeout=self.seconds)

    def __exit__(self, *exc) -> None:
        if self.held and cache.get(self.key) == self.token:
            cache.delete(self.key)


IMPORT_ERRORS = (PayloadError, ValueError, KeyError, TypeError, IntegrityError)


def _import(channel: Channel, parsed: list, result: PollResult) -> None:
    """Import parsed orders as one batch; if the batch fails, order by order so only the culprit is quarantined."""
    try:
        imported = orders_import(
            channel=channel, items=[(canonical, raw.payload) for raw, canonical in parsed]
        )
    except IMPORT_ERRORS:
        if len(parsed) == 1:
            raise
        for one in parsed:
            try:
                _import(channel, [one], result)
            except IMPORT_ERRORS as exc:
                _quarantine(channel, one[0], exc, result)
        return
    quarantine_resolve(channel=channel, external_ids=[raw.external_id for raw, _canonical in parsed])
    result.created += sum(outcome.created for outcome in imported)
    result.updated += sum(outcome.changed and not outcome.created for outcome in imported)


def _quarantine(channel: Channel, raw, exc: Exception, result: PollResult) -> None:
    quarantine_add(channel=channel, external_id=raw.external_id, payload=raw.payload, error=str(exc))
    result.quarantined += 1
    logger.warning("quarantined order %s of %s: %s", raw.external_id, channel.name, exc)


def _import_page(channel: Channel, adapter, page, result: PollResult) -> list[str]:
    """Parse and import one page; returns the orders the shop waits for us to acknowledge."""
    parsed = []
    for raw in page:
        result.fetched += 1
        try:
            parsed.append((raw, adapter.parse_order(raw)))
        except IMPORT_ERRORS as exc:
            _quarantine(channel, raw, exc, result)
    if parsed:
        try:
            _import(channel, parsed, result)
        except IMPORT_ERRORS as exc:
            _quarantine(channel, parsed[0][0], exc, result)
    return [
        canonical.external_id for _raw, canonical in parsed if canonical.needs_ack and not canonical.cancelled
    ]


def _fetched_ahead(adapter, pages: Iterator[list]) -> Iterator[list]:
    """The adapter's pages, each next one fetched on a thread while the caller imports the one before, so the
    shop's answers and our database work overlap. Only for adapters that say their fetching keeps nothing
    that must wait for a page's import (`fetch_ahead`); the others are read in turn."""
    if not getattr(adapter, "fetch_ahead", False):
        yield from pages
        return
    end = object()
    pool = ThreadPoolExecutor(1, thread_name_prefix="fetch-ahead")
    try:
        upcoming = pool.submit(next, pages, end)
        while (page := upcoming.result()) is not end:
            upcoming = pool.submit(next, pages, end)
            yield page
    finally:
        # A failed import stops the poll at once: the fetch under way is left to end on its own.
        pool.shutdown(wait=False, cancel_futures=True)


def channel_poll(*, channel: Channel) -> PollResult:
    """Fetch the orders created or changed since the cursor (with overlap) and import each one."""
    result = PollResult(channel=channel.name)
    lease = Lease(f"poll:{channel.pk}", seconds=90)
    with lease as held:
        if not held:
            result.skipped = True
            return result
        cursor, _created = SyncCursor.objects.get_or_create(channel=channel, feed="orders")
        until = timezone.now()
        start = cursor.position or until - timedelta(hours=settings.OMS_POLL_INITIAL_LOOKBACK_HOURS)
        since = start - timedelta(seconds=settings.OMS_POLL_OVERLAP_SECONDS)
        adapter = adapter_for(channel)
        try:
            previous: list[str] = []
            for page in _fetched_ahead(adapter, adapter.fetch_orders(since=since, until=until)):
                ids = [raw.external_id for raw in page]
                if ids and ids == previous:
                    # A flaky paginator served the same page twice, so the page after it was never seen:
                    # give up this poll without moving the cursor; the next one reads the window again.
                    raise TransientError("the shop returned the same page twice")
                previous = ids
                lease.renew()
                to_ack = _import_page(channel, adapter, page, result)
                if to_ack:
                    adapter.acknowledge(to_ack)
                    result.acknowledged += len(to_ack)
        except AuthError as exc:
            result.error = f"auth: {exc}"
            channel_record_failure(channel=channel, error=result.error, auth=True)
            return result
        except AdapterError as exc:
            result.error = str(exc)
            channel_record_failure(channel=channel, error=result.error, auth=False)
            return result
        SyncCursor.objects.filter(pk=cursor.pk).update(position=until)
        channel_record_success(channel=channel, polled=True)
    logger.info(
        "polled %s: fetched=%d created=%d updated=%d quarantined=%d",
        channel.name, result.fetched, result.created, result.updated, result.quarantined,
    )  # fmt: skip
    return result


def _stock_updates(channel: Channel, listings: list[Listing]) -> tuple[list, list]:
    free = sku_free_stock(sku_ids={listing.sku_id for listing in listings})
    shown = listing_quantities(channel=channel, free=free)
    send, unchanged = [], []
    for listing in listings:
        quantity = shown[listing.sku_id]
        (unchanged if quantity == listing.last_pushed_quantity else send).append((listing, quantity))
    return send, unchanged


def channel_push_stock(*, channel: Channel, batch_size: int | None = None) -> PushResult:
    """Send the shop the quantity to show for every listing whose stock changed, in bulk batches.

    A batch that fails stays marked and is sent again by the next push; values already shown are skipped."""
    result = PushResult(channel=channel.name)
    lease = Lease(f"push:{channel.pk}", seconds=60)
    with lease as held:
        if not held:
            result.skipped = True
            return result
        listings = list(channel.listings.filter(needs_push=True).select_related("sku").order_by("pk"))
        if not listings:
            return result
        generations = {listing.pk: listing.push_generation for listing in listings}
        send, unchanged = _stock_updates(channel, listings)
        for listing, _quantity in unchanged:
            listing_clear_unchanged(listing=listing, generation=generations[listing.pk])
        result.unchanged = len(unchanged)
        adapter = adapter_for(channel)
        size = batch_size or getattr(adapter, "stock_batch_size", 100)
        for start in range(0, len(send), size):
            batch = send[start : start + size]
            try:
                adapter.push_stock(
                    [
                        StockUpdate(lst.external_item_id, lst.external_variant_id, quantity)
                        for lst, quantity in batch
                    ]
                )
            except AdapterError as exc:
                result.error = str(exc)
                channel_record_failure(
                    channel=channel, error=f"stock push: {exc}", auth=isinstance(exc, AuthError)
                )
                return result
            for listing, quantity in batch:
                listing_record_push(listing=listing, quantity=quantity, generation=generations[listing.pk])
                result.quantities[listing.sku.code] = quantity
            result.sent += len(batch)
        if send and not result.error:
            channel_record_success(channel=channel, pushed=True)
    return result


@dataclass(frozen=True)
class ListingDrift:
    sku_code: str
    pushed: int
    shown: int


def channel_listing_drift(*, channel: Channel) -> list[ListingDrift]:
    """Listings whose quantity in the shop differs from what we last pushed (edited by hand in the shop)."""
    adapter = adapter_for(channel)
    listings = list(channel.listings.filter(last_pushed_quantity__isnull=False).select_related("sku"))
    shown = adapter.fetch_stock([(lst.external_item_id, lst.external_variant_id) for lst in listings])
    return [
        ListingDrift(
            lst.sku.code, lst.last_pushed_quantity, shown[(lst.external_item_id, lst.external_variant_id)]
        )
        for lst in listings
        if (lst.external_item_id, lst.external_variant_id) in shown
        and shown[(lst.external_item_id, lst.external_variant_id)] != lst.last_pushed_quantity
        and not lst.needs_push
    ]


def quarantine_retry(*, row) -> bool:
    """Parse and import a quarantined payload again (after a fix). True when it imported."""
    from channels.adapters.base import RawOrder

    if row.external_id.startswith("inquiry:"):  # a buyer inquiry (channels.inquiry_sync), not an order
        from channels.inquiry_sync import inquiry_quarantine_retry

        return inquiry_quarantine_retry(row=row)

    adapter = adapter_for(row.channel)
    try:
        canonical = adapter.parse_order(RawOrder(row.external_id, row.payload))
        order_import(channel=row.channel, canonical=canonical, payload=row.payload)
    except (PayloadError, ValueError, KeyError, TypeError) as exc:
        quarantine_add(channel=row.channel, external_id=row.external_id, payload=row.payload, error=str(exc))
        return False
    quarantine_resolve(channel=row.channel, external_ids=[row.external_id])
    return True
