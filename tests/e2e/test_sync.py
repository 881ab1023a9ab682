"""Order intake and stock sync end to end: three simulators over HTTP, PostgreSQL, Redis, a real Celery
worker and beat as separate processes."""

import random
import time
from collections import Counter

import pytest
import requests
from django.db.models import Sum

from channels.models import Channel, Listing, SyncCursor
from channels.sync import channel_poll, channel_push_stock
from inventory.models import SKU, StockLevel
from inventory.selectors import sku_free_stock, stock_drift
from oms.demo import demo_seed
from orders.models import Order, OrderLine
from tests.e2e.conftest import KINDS, canonical_order, push_all, shown, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_orders_from_all_three_shops_arrive_once_with_every_field_mapped(shops, celery_processes):
    push_all()
    placed = {
        kind: sim.control("POST", "/_sim/orders", json=canonical_order("TSHIRT-BLK-M", 2)).json()["order_id"]
        for kind, sim in shops.items()
    }
    celery_processes.start_worker()
    celery_processes.start_beat()

    wait_until(
        lambda: Order.objects.count() >= 3, timeout=60, message=lambda: celery_processes.log("worker")[-3000:]
    )
    time.sleep(5)  # several more polls: nothing may be duplicated

    assert Order.objects.count() == 3
    for kind, external_id in placed.items():
        order = Order.objects.get(channel__kind=kind, external_id=external_id)
        ship_to = order.ship_tos.get()
        line = order.lines.get()
        # Amazon tells sellers no buyer phone: its adapter takes the recipient's.
        expected_phone = "0312345678" if kind == "amazon" else "09012345678"
        assert (order.buyer_phone.replace("-", ""), order.total >= 5960) == (expected_phone, True), kind
        assert (ship_to.name, ship_to.postal_code.replace("-", ""), ship_to.prefecture, ship_to.city) == (
            "山田\u3000花子",
            "1000001",
            "東京都",
            "千代田区",
        ), kind
        assert "千代田1-1" in ship_to.address1 + ship_to.address2, kind
        assert (line.sku.code, line.quantity, line.unit_price, line.allocated_quantity) == (
            "TSHIRT-BLK-M",
            2,
            2980,
            2,
        )
        assert (order.payment_method, order.delivery_time, str(order.delivery_date)) == (
            "cod",
            "14-16",
            "2026-12-05",
        )
        if kind != "amazon":  # Amazon does not tell sellers the buyer's kana
            assert order.buyer_kana.replace("\u3000", " ") == "ヤマダ タロウ", kind
    assert StockLevel.objects.get(sku__code="TSHIRT-BLK-M").allocated == 6


def test_a_sale_on_one_shop_lowers_the_quantity_on_the_other_two(shops, celery_processes):
    push_all()
    before = shown(shops["yahoo"], "HONEY-300G")
    assert before == shown(shops["amazon"], "HONEY-300G") == shown(shops["rakuten"], "HONEY-300G") > 3
    celery_processes.start_worker()
    celery_processes.start_beat()

    shops["rakuten"].control("POST", "/_sim/orders", json=canonical_order("HONEY-300G", 3))

    wait_until(
        lambda: (
            shown(shops["yahoo"], "HONEY-300G") == before - 3
            and shown(shops["amazon"], "HONEY-300G") == before - 3
        ),
        timeout=60,
        message=lambda: celery_processes.log("worker")[-3000:],
    )
    # the set that contains honey followed too (2 coffee + 1 honey per set)
    free_set = sku_free_stock(sku_ids=[SKU.objects.get(code="SET-COFFEE-B").pk]).popitem()[1]
    wait_until(lambda: shown(shops["yahoo"], "SET-COFFEE-B") == free_set, timeout=30)


def test_re_polling_the_same_window_five_times_creates_no_duplicates(shops):
    push_all()
    for sim in shops.values():
        for n in range(3):
            sim.control("POST", "/_sim/orders", json=canonical_order("SOCKS-BLK-M", 1 + n % 2))
    for _round in range(5):
        SyncCursor.objects.update(position=None)
        for channel in Channel.objects.all():
            result = channel_poll(channel=channel)
            assert not result.error, result.error

    assert Order.objects.count() == 9
    assert Counter(Order.objects.values_list("channel__kind", flat=True)) == dict.fromkeys(KINDS, 3)
    assert StockLevel.objects.get(sku__code="SOCKS-BLK-M").allocated == 3 * (1 + 2 + 1)


def test_cancellation_on_a_shop_returns_the_stock_everywhere(shops):
    push_all()
    order_id = (
        shops["yahoo"].control("POST", "/_sim/orders", json=canonical_order("TOTE-NAT", 2)).json()["order_id"]
    )
    channel_poll(channel=Channel.objects.get(kind="yahoo"))
    push_all()
    free_after_sale = shown(shops["rakuten"], "TOTE-NAT")

    shops["yahoo"].control("POST", f"/_sim/orders/{order_id}/cancel")
    SyncCursor.objects.update(position=None)
    channel_poll(channel=Channel.objects.get(kind="yahoo"))
    push_all()

    assert Order.objects.get(external_id=order_id).status == "cancelled"
    assert shown(shops["rakuten"], "TOTE-NAT") == free_after_sale + 2


def _expected_allocated() -> dict[str, int]:
    """What allocation must be: every open order's lines, sets counted as their components."""
    from inventory.models import SetComponent

    expected: Counter = Counter()
    parts = {}
    for set_code, component, quantity in SetComponent.objects.values_list(
        "set_sku__code", "component__code", "quantity"
    ):
        parts.setdefault(set_code, []).append((component, quantity))
    lines = OrderLine.objects.exclude(order__status="cancelled").filter(allocated_quantity__gt=0)
    for code, quantity in lines.values_list("sku__code", "allocated_quantity"):
        for component, per_set in parts.get(code, [(code, 1)]):
            expected[component] += quantity * per_set
    return expected


def test_500_orders_with_faults_and_a_killed_worker_end_with_exactly_500_orders(shops, celery_processes):
    rng = random.Random(42)
    push_all()
    skus = list(SKU.objects.filter(is_set=False).values_list("code", flat=True))
    for sim in shops.values():
        sim.control(
            "POST",
            "/_sim/faults",
            json={
                "error_rate": 0.3,
                "kinds": ["500", "503", "429", "timeout", "malformed", "duplicate_page"],
                "timeout_seconds": 2,
            },
        )
    placed: Counter = Counter()
    celery_processes.start_worker(concurrency=4)
    celery_processes.start_beat()
    for n in range(500):
        kind = KINDS[n % 3]
        answer = shops[kind].control(
            "POST", "/_sim/orders", json=canonical_order(rng.choice(skus), 1, payment="credit_card")
        )
        assert answer.status_code == 201, answer.text
        placed[kind] += 1
        if n == 200:
            wait_until(
                lambda: Order.objects.count() > 50,
                timeout=90,
                message=lambda: celery_processes.log("worker")[-2000:],
            )
            celery_processes.kill("worker")  # SIGKILL, mid-poll
            celery_processes.start_worker("worker2", concurrency=4)

    wait_until(
        lambda: Order.objects.count() >= 500,
        timeout=600,
        interval=2,
        message=lambda: f"{Order.objects.count()} orders; " + celery_processes.log("worker2")[-3000:],
    )
    time.sleep(10)
    assert Order.objects.count() == 500
    assert Counter(Order.objects.values_list("channel__kind", flat=True)) == placed
    assert stock_drift() == []
    allocated = dict(StockLevel.objects.values_list("sku__code").annotate(n=Sum("allocated")))
    expected = _expected_allocated()
    assert {k: v for k, v in allocated.items() if v} == {k: v for k, v in expected.items() if v}
    ordered = OrderLine.objects.aggregate(n=Sum("quantity"))["n"]
    assert ordered == 500


def test_a_throttled_marketplace_is_slowed_down_to_not_hammered(
    start_simulator, on_postgres, tmp_path, monkeypatch
):
    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    sim = start_simulator("rakuten", seed=3, rate_limits="real")
    demo_seed()
    channel = Channel.objects.get(kind="rakuten")
    Channel.objects.filter(pk=channel.pk).update(base_url=sim.url)
    channel.refresh_from_db()
    Listing.objects.filter(channel=channel).update(needs_push=True)

    started = time.monotonic()
    for _ in range(3):  # bulk-upsert allows 1 request per second
        Listing.objects.filter(channel=channel).update(needs_push=True, last_pushed_quantity=None)
        assert not channel_push_stock(channel=channel, batch_size=10).error
    elapsed = time.monotonic() - started

    stats = requests.get(f"{sim.url}/_sim/stats", timeout=5).json()
    batches = 3 * -(-Listing.objects.filter(channel=channel).count() // 10)
    assert stats["throttled"] <= 2, stats
    assert elapsed >= (batches - 1) * 0.9  # paced by our own token bucket, not by the shop's refusals
