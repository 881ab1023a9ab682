"""Two Celery workers at once share the work without doing any of it twice: 1,000 orders over three shops,
PostgreSQL, Redis, the simulators over HTTP, a real SMTP server, beat, and two worker processes."""

import itertools
import json
import random
import re
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest
import redis
from django.conf import settings

from channels.models import Channel, Listing
from inventory.models import SKU
from inventory.selectors import sku_free_stock
from inventory.services import stock_set_count
from notifications.models import OutboundMail
from orders.models import Order
from tests.e2e.conftest import KINDS, canonical_order, push_all, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ORDERS = 1000
WORKERS = ("worker1", "worker2")


def _order(n: int, sku: str) -> dict:
    """A clean order from a buyer of its own: it passes every check and is confirmed to the buyer by mail.
    (Orders to one address would all wait as merge candidates, 同梱候補, and get no confirmation.)"""
    return canonical_order(
        sku,
        1,
        buyer={
            "name": f"佐藤 花子{n}",
            "kana": "サトウ ハナコ",
            "email": f"hanako{n}@example.jp",
            "phone": "080-1111-2222",
        },
        ship_to={
            "name": f"佐藤 花子{n}",
            "postal_code": "530-0001",
            "prefecture": "大阪府",
            "city": "大阪市北区",
            "address1": f"梅田1-1-{n}",
            "address2": "",
            "phone": "080-1111-2222",
        },
        delivery_date="",
        delivery_time="",
        payment="credit_card",
    )


def _place_orders(shops) -> set[tuple[str, str]]:
    skus = sorted(SKU.objects.filter(is_set=False).values_list("code", flat=True))
    rng = random.Random(10)
    plan = [(KINDS[n % 3], _order(n, rng.choice(skus))) for n in range(ORDERS)]

    def place(item):
        kind, order = item
        answer = shops[kind].control("POST", "/_sim/orders", json=order)
        assert answer.status_code == 201, answer.text
        return kind, answer.json()["order_id"]

    with ThreadPoolExecutor(8) as pool:
        return set(pool.map(place, plan))


def _push_results(redis_url: str) -> list[dict]:
    """What every stock push task returned, from Celery's result backend (the same Redis)."""
    client = redis.Redis.from_url(redis_url)
    results = []
    for key in client.scan_iter("celery-task-meta-*"):
        meta = json.loads(client.get(key))
        result = meta.get("result")
        if meta.get("status") == "SUCCESS" and isinstance(result, dict) and "sent" in result:
            results.append(result)
    return results


PUSH_LOGGED = re.compile(
    r"^(\S+ \S+) INFO celery\.app\.trace \[[^]]*\] Task channels\.tasks\.push_channel_stock\[[^]]+\] "
    r"succeeded in ([\d.]+)s: \{'channel': '([^']*)'",
    re.MULTILINE,
)


def _push_intervals(logs: list[str]) -> dict[str, list[tuple[float, float]]]:
    """(start, end) of every push that ran (not skipped), per channel, from the workers' logs."""
    intervals: dict[str, list[tuple[float, float]]] = {}
    for log in logs:
        for stamp, seconds, channel in PUSH_LOGGED.findall(log):
            end = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
            intervals.setdefault(channel, []).append((end - float(seconds), end))
    return {channel: sorted(spans) for channel, spans in intervals.items()}


def _shops_show_free_stock(shops) -> bool:
    if Listing.objects.filter(needs_push=True).exists():
        return False
    free = sku_free_stock(sku_ids=list(SKU.objects.values_list("pk", flat=True)))
    for channel in Channel.objects.all():
        wanted = {
            listing.sku.code: channel.quantity_to_publish(free[listing.sku_id])
            for listing in channel.listings.select_related("sku")
        }
        shown = {
            row["sku"]: row["quantity"] for row in shops[channel.kind].control("GET", "/_sim/listings").json()
        }
        if any(shown.get(code) != quantity for code, quantity in wanted.items()):
            return False
    return True


def test_two_workers_import_1000_orders_once_mail_each_once_and_push_stock_without_duplicates(
    shops, celery_processes, smtp
):
    # Given: enough stock for every order, every shop showing it, two workers and beat
    for sku in SKU.objects.filter(is_set=False):
        stock_set_count(sku=sku, counted=100_000, actor="test")
    push_all()
    started = time.monotonic()
    for name in WORKERS:
        celery_processes.start_worker(name, concurrency=4)
    celery_processes.start_beat()
    logs = lambda: "\n".join(celery_processes.log(name)[-1500:] for name in WORKERS)  # noqa: E731

    # When: 1,000 buyers order on the three shops while the workers run
    placed = _place_orders(shops)

    # Then: every order arrives, is confirmed by mail and the shops show the new free stock
    wait_until(
        lambda: Order.objects.count() >= ORDERS,
        timeout=150,
        interval=1,
        message=lambda: f"{Order.objects.count()} orders; {logs()}",
    )
    wait_until(
        lambda: len(smtp.messages) >= ORDERS,
        timeout=90,
        interval=1,
        message=lambda: f"{len(smtp.messages)} mails; {logs()}",
    )
    wait_until(lambda: _shops_show_free_stock(shops), timeout=60, interval=1, message=logs)
    time.sleep(4)  # two more beat sweeps and several polls: nothing may be imported, sent or pushed again
    elapsed = time.monotonic() - started

    imported = Counter(Order.objects.values_list("channel__kind", "external_id"))
    assert set(imported) == placed
    assert max(imported.values()) == 1 and Order.objects.count() == ORDERS
    assert Counter(Order.objects.values_list("status", flat=True)) == {"ready": ORDERS}

    mails = OutboundMail.objects.filter(template__code="order_confirmation")
    assert mails.count() == ORDERS and mails.filter(status="sent").count() == ORDERS
    received = Counter(message.raw_header("Message-ID").decode() for message in smtp.messages)
    assert received == Counter(mails.values_list("message_id", flat=True))  # each mail once, none extra

    # Stock pushes: the debounce folds many sales into one push per shop. Pushes of a channel that told the
    # shop something can come at most once per debounce window (the trigger) plus once per beat sweep; a
    # second worker pushing the same change again would show up as more.
    debounce = settings.OMS_STOCK_PUSH_DEBOUNCE_SECONDS
    sweep = settings.CELERY_BEAT_SCHEDULE["stock-push-pending"]["schedule"]
    bound = int(elapsed / debounce + elapsed / sweep) + 2
    pushes = Counter(r["channel"] for r in _push_results(celery_processes.env["REDIS_URL"]) if r["sent"])
    print(
        f"{ORDERS} orders, mails and pushes done in {elapsed:.0f} s; pushes per shop {dict(pushes)} <= {bound}"
    )
    assert set(pushes) == set(Channel.objects.values_list("name", flat=True))
    assert max(pushes.values()) <= bound, (pushes, bound, elapsed)
    assert sum(pushes.values()) < ORDERS / 2  # far fewer pushes than sales: they were batched

    # Never two pushes to one shop at once (from either worker): each change went out once.
    intervals = _push_intervals([celery_processes.log(name) for name in WORKERS])
    assert set(pushes) <= set(intervals)
    for channel, spans in intervals.items():
        overlaps = [(a, b) for a, b in itertools.pairwise(spans) if b[0] < a[1] - 0.2]
        assert not overlaps, (channel, overlaps)

    # Both workers took part.
    for name in WORKERS:
        assert "succeeded in" in celery_processes.log(name), name
