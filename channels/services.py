"""Channel writes: marking listings for a stock push and recording what a shop was told."""

from django.utils import timezone

from channels.models import Channel, Listing


def listings_mark_for_push(*, sku_ids: set[int]) -> int:
    """Flag the listings of these SKUs so the next push sends their new quantity. Returns rows marked."""
    return Listing.objects.filter(sku_id__in=sorted(sku_ids), needs_push=False).update(needs_push=True)


def listing_record_push(*, listing: Listing, quantity: int) -> None:
    """Remember what the shop now shows, so an unchanged value is not sent again."""
    now = timezone.now()
    Listing.objects.filter(pk=listing.pk).update(
        last_pushed_quantity=quantity, last_pushed_at=now, needs_push=False
    )
    Channel.objects.filter(pk=listing.channel_id).update(last_pushed_at=now)


def channel_set_credentials(*, channel: Channel, credentials: dict) -> Channel:
    """Store new credentials (encrypted) and clear a previous credentials failure."""
    channel.credentials = credentials
    channel.healthy = True
    channel.health_error = ""
    channel.save(update_fields=["credentials_encrypted", "healthy", "health_error"])
    return channel
