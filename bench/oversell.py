"""Oversell rehearsal: shoppers on three shops want 200 units of 20 SKUs that have 100 units in total.
Counted: units sold beyond stock, with our settings and with a 7-minute poll-and-push interval (CROSS MALL's
published interval) in the same run.
"""

import time
from collections import Counter

from bench.common import Report, reset_shop, simulators
from bench.workers import running_oms

KINDS = ("rakuten", "yahoo", "amazon")
SKUS = 20
UNITS_PER_SKU = 5
DEMAND = 200


def _rehearse(*, interval: int, triggers: bool, split_below: int, quick: bool) -> tuple[int, int]:
    """Returns (units sold over the three shops, units oversold)."""
    from django.conf import settings as django_settings

    from channels.models import Channel, Listing
    from channels.services import channel_schedule_sync
    from channels.sync import channel_push_stock
    from inventory.models import SKU
    from inventory.services import stock_set_count

    # Shoppers buy 1-2 units (1.5 on average); a shop's shoppers keep going while any listing shows stock.
    rate_per_shop = 20.0 if quick else 15.0  # orders per minute per shop
    with simulators(
        KINDS, rate_limits="real", seed=11, env_extra={"AMAZON_SIM_PENDING_SECONDS": "0"}
    ) as sims:
        reset_shop(sims, stock=0, poll_interval=interval)
        chosen = list(SKU.objects.filter(is_set=False).order_by("code")[:SKUS])
        for sku in chosen:
            stock_set_count(sku=sku, counted=UNITS_PER_SKU, actor="bench")
        Listing.objects.exclude(sku__in=chosen).delete()
        django_settings.OMS_STOCK_SPLIT_BELOW = split_below  # the first push, here, as the workers will
        for channel in Channel.objects.all():
            channel_schedule_sync(channel=channel)
            assert not channel_push_stock(channel=channel).error
        settings = {
            "OMS_SYNC_TRIGGERS": int(triggers),
            "OMS_PUSH_SWEEP_SECONDS": interval if not triggers else 5,
            "OMS_STOCK_SPLIT_BELOW": split_below,
        }
        with running_oms(**settings):
            for sim in sims.values():
                sim.control("POST", "/_sim/shoppers", json={"rate_per_min": rate_per_shop, "defect_rate": 0})
            deadline = time.monotonic() + (120 if quick else 300)
            sold: Counter = Counter()
            while time.monotonic() < deadline:
                time.sleep(5)
                sold = Counter()
                for sim in sims.values():
                    sold.update(sim.control("GET", "/_sim/stats").json()["sold"])
                if sum(sold.values()) >= DEMAND or all(
                    all(row["quantity"] == 0 for row in sim.control("GET", "/_sim/listings").json())
                    for sim in sims.values()
                ):
                    break
            for sim in sims.values():
                sim.control("POST", "/_sim/shoppers", json={"rate_per_min": 0})
    oversold = sum(max(units - UNITS_PER_SKU, 0) for units in sold.values())
    return sum(sold.values()), oversold


def run(report: Report, *, quick: bool = False) -> None:
    from django.conf import settings

    ours = settings.OMS_STOCK_SPLIT_BELOW
    sold_ours, oversold_ours = _rehearse(interval=15, triggers=True, split_below=ours, quick=quick)
    sold_mirror, oversold_mirror = _rehearse(interval=15, triggers=True, split_below=0, quick=quick)
    # CROSS MALL shows every shop the whole stock, every 7 minutes.
    sold_slow, oversold_slow = _rehearse(interval=7 * 60, triggers=False, split_below=0, quick=quick)
    report.add(
        "oversold units, our settings",
        oversold_ours,
        "units",
        note=f"{sold_ours} sold of 100 in stock; low stock split below {ours} units",
    )
    report.add(
        "oversold units, our sync with every shop showing all stock",
        oversold_mirror,
        "units",
        note=f"{sold_mirror} sold of 100 in stock; OMS_STOCK_SPLIT_BELOW=0",
    )
    report.add(
        "oversold units, 7-minute interval",
        oversold_slow,
        "units",
        note=f"{sold_slow} sold of 100 in stock; target: ours < a tenth of this",
    )
    if oversold_slow:
        report.add("oversell ratio ours / 7-minute", oversold_ours / oversold_slow, "×")
