"""What each shop should show: reads only.

Low stock is split, not mirrored. A SKU with plenty of free stock is shown in full on every shop that
lists it (after each shop's buffer, percentage and cap): selling the same unit twice would take more sales
within one sync than there are units. Below OMS_STOCK_SPLIT_BELOW units that is no longer true, and the
time between a sale on one shop and the new quantity on the others is enough to sell the last units on
each of them. So below it, the free units are divided among the enabled shops listing the SKU: the shops'
quantities then add up to at most the free stock, and a shop can only sell what is its own. The remainder of
the division goes to a different shop for different SKUs (rotated by the SKU's id), so no shop is always
last; each shop's own buffer, percentage and cap still apply on top.
"""

from collections import defaultdict

from django.conf import settings

from channels.models import Channel, Listing


def _share(free: int, channel_ids: list[int], sku_id: int) -> dict[int, int]:
    """`free` units divided among the channels, the remainder one each to the first shops of a rotated order."""
    count = len(channel_ids)
    base, extra = divmod(free, count)
    start = sku_id % count
    rotated = channel_ids[start:] + channel_ids[:start]
    return {channel_id: base + (1 if position < extra else 0) for position, channel_id in enumerate(rotated)}


def listing_quantities(*, channel: Channel, free: dict[int, int]) -> dict[int, int]:
    """SKU id -> the quantity `channel` should show, for the SKUs in `free` (SKU id -> free stock)."""
    threshold = settings.OMS_STOCK_SPLIT_BELOW
    low = [sku_id for sku_id, units in free.items() if units < threshold]
    sharing: dict[int, list[int]] = defaultdict(list)
    if low:
        rows = (
            Listing.objects.filter(sku_id__in=low, channel__enabled=True)
            .order_by("channel_id")
            .values_list("sku_id", "channel_id")
            .distinct()
        )
        for sku_id, channel_id in rows:
            sharing[sku_id].append(channel_id)
    quantities = {}
    for sku_id, units in free.items():
        shops = sharing.get(sku_id, [])
        if units < threshold and len(shops) > 1 and channel.pk in shops:
            units = _share(max(units, 0), shops, sku_id)[channel.pk]
        quantities[sku_id] = channel.quantity_to_publish(units)
    return quantities
