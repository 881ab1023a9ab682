"""Sync latency: seconds from an order's placement on one shop to the new quantity on the other two,
with the marketplaces' real rate limits on and the default poll intervals (Rakuten/Yahoo 15 s, Amazon 30 s).
"""

import threading
import time
from collections import defaultdict

from bench.common import Report, percentile, reset_shop, simulators
from bench.workers import running_oms

KINDS = ("rakuten", "yahoo", "amazon")
DEFAULT_INTERVALS = {"rakuten": 15, "yahoo": 15, "amazon": 30}


def _order(sku: str) -> dict:
    return {
        "items": [{"sku": sku, "quantity": 1, "price": 1980}],
        "buyer": {
            "name": "鈴木 一郎",
            "kana": "スズキ イチロウ",
            "email": "ichiro@example.jp",
            "phone": "090-2222-3333",
        },
        "ship_to": {
            "name": "鈴木 一郎",
            "postal_code": "060-0001",
            "prefecture": "北海道",
            "city": "札幌市中央区",
            "address1": "北一条西1-1",
            "address2": "",
            "phone": "090-2222-3333",
        },
        "delivery_date": "",
        "delivery_time": "",
        "payment": "cod",
        "remarks": "",
    }


def _shown(sim, sku) -> int:
    return sim.control("GET", f"/_sim/listings/{sku}").json()["quantity"]


def _measure(sims, origin: str, sku: str, latencies: dict, timeout: float) -> None:
    others = [sims[k] for k in KINDS if k != origin]
    before = [_shown(sim, sku) for sim in others]
    placed = time.monotonic()
    sims[origin].control("POST", "/_sim/orders", json=_order(sku))
    pending = dict(enumerate(others))
    while pending and time.monotonic() - placed < timeout:
        for index, sim in list(pending.items()):
            if _shown(sim, sku) <= before[index] - 1:
                latencies[origin].append(time.monotonic() - placed)
                del pending[index]
        time.sleep(0.25)
    for _ in pending:
        latencies[origin].append(float("inf"))


def run(report: Report, *, quick: bool = False) -> None:
    from channels.models import Channel
    from channels.sync import channel_push_stock
    from inventory.models import SKU

    per_shop = 4 if quick else 10
    with simulators(KINDS, rate_limits="real", env_extra={"AMAZON_SIM_PENDING_SECONDS": "0"}) as sims:
        reset_shop(sims, stock=50)
        for kind, interval in DEFAULT_INTERVALS.items():
            Channel.objects.filter(kind=kind).update(poll_interval_seconds=interval)
        from channels.services import channel_schedule_sync

        for channel in Channel.objects.all():
            channel_schedule_sync(channel=channel)
            assert not channel_push_stock(channel=channel).error
        skus = list(SKU.objects.filter(is_set=False).order_by("code").values_list("code", flat=True))
        latencies: dict[str, list[float]] = defaultdict(list)
        with running_oms():
            time.sleep(5)  # worker and beat start
            threads = []
            for n in range(per_shop):
                for index, kind in enumerate(KINDS):
                    sku = skus[(n * len(KINDS) + index) % len(skus)]
                    thread = threading.Thread(target=_measure, args=(sims, kind, sku, latencies, 180))
                    thread.start()
                    threads.append(thread)
                time.sleep(4)
            for thread in threads:
                thread.join()
    targets = {"rakuten": 30, "yahoo": 30, "amazon": 90}
    for kind in KINDS:
        values = latencies[kind]
        report.add(f"sync latency p50, order on {kind}", percentile(values, 50), "s")
        report.add(
            f"sync latency p95, order on {kind}",
            percentile(values, 95),
            "s",
            baseline=7 * 60.0,
            note=f"target p95 < {targets[kind]} s; baseline = a 7-minute sync interval",
        )
