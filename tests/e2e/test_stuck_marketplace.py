"""A marketplace that answers nothing (every call times out) does not slow down the stock pushes to the
other shops: PostgreSQL, Redis, the three simulators over HTTP, beat, and workers by queue group as
docker-compose.yml runs them."""

import json
import time

import pytest
import redis

from channels.models import Channel
from inventory.models import SKU
from inventory.services import stock_adjust
from tests.e2e.conftest import push_all, shown, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

HEALTHY, STUCK = ("rakuten", "yahoo"), "amazon"
SKU_CODE = "TEA-SENCHA"
# docker-compose.yml: one worker group per queue (oms.queues); the stock pushes have a worker of their own.
WORKER_QUEUES = {"worker-polling": "polling", "worker-stock": "stock,celery"}


def _start_workers(celery_processes) -> None:
    for name, queues in WORKER_QUEUES.items():
        celery_processes.start(
            name,
            [
                "worker",
                "-Q",
                queues,
                "--loglevel=INFO",
                "--concurrency=4",
                "--pool=threads",
                f"--hostname={name}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
        )
    for name in WORKER_QUEUES:
        wait_until(
            lambda n=name: " ready." in celery_processes.log(n), timeout=60, message=f"{name} not ready"
        )


def _sale_reaches_healthy_shops(shops, celery_processes) -> float:
    """Staff take one unit off the shelf; seconds until both healthy shops show the new quantity."""
    sku = SKU.objects.get(code=SKU_CODE)
    expected = shown(shops[HEALTHY[0]], SKU_CODE) - 1
    started = time.monotonic()
    stock_adjust(sku=sku, delta=-1, actor="test")  # the push is triggered when this commits
    wait_until(
        lambda: all(shown(shops[kind], SKU_CODE) == expected for kind in HEALTHY),
        timeout=120,
        interval=0.1,
        message=lambda: celery_processes.log("worker-stock")[-3000:],
    )
    return time.monotonic() - started


def _failed_calls(redis_url: str, channel_name: str) -> set[str]:
    """Which of this channel's polls and pushes ended with an error, from Celery's result backend."""
    client = redis.Redis.from_url(redis_url)
    failed = set()
    for key in client.scan_iter("celery-task-meta-*"):
        result = json.loads(client.get(key)).get("result")
        if isinstance(result, dict) and result.get("channel") == channel_name and result.get("error"):
            failed.add("push" if "sent" in result else "poll")
    return failed


def _faults_injected(shop) -> int:
    return shop.control("GET", "/_sim/stats").json()["faults_injected"]


def test_a_stuck_marketplace_does_not_delay_stock_pushes_to_the_other_shops(
    shops, celery_processes, settings
):
    # Given: every shop shows the stock, workers by queue group and beat run, pushes follow stock changes.
    # Calls time out after 3 s and are tried 5 times: one stuck call holds its worker thread for ~20 s.
    settings.OMS_SYNC_TRIGGERS = True
    celery_processes.env["OMS_HTTP_READ_TIMEOUT"] = "3"
    push_all()
    _start_workers(celery_processes)
    celery_processes.start_beat()
    normal = max(_sale_reaches_healthy_shops(shops, celery_processes) for _ in range(3))
    before_stuck = shown(shops[STUCK], SKU_CODE)

    # When: one marketplace stops answering, and its polls and pushes hang until they time out
    shops[STUCK].control(
        "POST", "/_sim/faults", json={"error_rate": 1.0, "kinds": ["timeout"], "timeout_seconds": 60}
    )
    wait_until(lambda: _faults_injected(shops[STUCK]) >= 2, timeout=30, message="no call to the stuck shop")
    stuck = []
    for _ in range(4):  # spread over the ~20 s the stuck shop's push hangs in a stock worker thread
        stuck.append(_sale_reaches_healthy_shops(shops, celery_processes))
        time.sleep(2)

    # Then: the healthy shops hear of each sale about as fast as before
    bound = 2 * normal + 5
    print(f"normal latency {normal:.2f} s; with a stuck shop {', '.join(f'{s:.2f}' for s in stuck)} s")
    assert max(stuck) <= bound, (stuck, normal)
    # ... while the stuck shop's polls and pushes time out, and it still shows the quantity from before
    stuck_name = Channel.objects.get(kind=STUCK).name
    wait_until(
        lambda: {"poll", "push"} <= _failed_calls(celery_processes.env["REDIS_URL"], stuck_name),
        timeout=90,
        interval=1,
        message=lambda: celery_processes.log("worker-polling")[-2000:],
    )
    assert shown(shops[STUCK], SKU_CODE) == before_stuck
    assert Channel.objects.get(kind=STUCK).health_error
