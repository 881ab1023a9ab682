"""Celery tasks for sync (thin: they take ids, load the row and call a channels.sync service)."""

import logging

from celery import shared_task
from django.core.cache import cache

from channels.models import Channel, ChannelAlert, Listing
from channels.sync import channel_listing_drift, channel_poll, channel_push_stock

logger = logging.getLogger(__name__)
REQUEUE_SECONDS = 1


@shared_task(acks_late=True)
def poll_channel(channel_id: int) -> dict:
    channel = Channel.objects.filter(pk=channel_id, enabled=True).first()
    if channel is None:
        return {"skipped": "disabled or deleted"}
    return channel_poll(channel=channel).__dict__


@shared_task(acks_late=True)
def push_channel_stock(channel_id: int) -> dict:
    channel = Channel.objects.filter(pk=channel_id, enabled=True).first()
    if channel is None:
        return {"skipped": "disabled or deleted"}
    result = channel_push_stock(channel=channel)
    # Another worker is pushing this channel: come back for what it did not see, once. Without the key,
    # every beat sweep would start one more skip-and-requeue loop while a stuck shop holds the lease,
    # filling the stock queue that every other shop's pushes share.
    if result.skipped and cache.add(f"oms:push-requeued:{channel_id}", 1, timeout=REQUEUE_SECONDS + 1):
        push_channel_stock.apply_async(args=[channel_id], countdown=REQUEUE_SECONDS)
    if result.skipped:
        return {"skipped": "another worker is pushing this channel"}
    return {
        "channel": channel.name,
        "sent": result.sent,
        "unchanged": result.unchanged,
        "error": result.error,
    }


@shared_task
def push_stock_all() -> list[int]:
    """One push task per channel with pending listings, so a slow shop never delays another."""
    channel_ids = sorted(
        set(
            Listing.objects.filter(needs_push=True, channel__enabled=True).values_list(
                "channel_id", flat=True
            )
        )
    )
    for channel_id in channel_ids:
        push_channel_stock.delay(channel_id)
    return channel_ids


@shared_task
def check_listing_drift() -> int:
    """Compare each shop's shown quantity with what we pushed; a difference becomes a channel alert."""
    found = 0
    for channel in Channel.objects.filter(enabled=True, healthy=True):
        try:
            drifts = channel_listing_drift(channel=channel)
        except Exception as exc:
            logger.warning("drift check of %s failed: %s", channel.name, exc)
            continue
        for drift in drifts:
            ChannelAlert.objects.create(
                channel=channel,
                kind="stock_drift",
                message=f"{drift.sku_code}: ショップの在庫数 {drift.shown}（OMS が送った値 {drift.pushed}）",
            )
        found += len(drifts)
    return found
