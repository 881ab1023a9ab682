"""The shared HTTP helper's pacing and fan-out (channels.adapters.http)."""

import math
import threading
import time

import pytest

from channels.adapters.http import HttpClient, Limit, TokenBucket, side_by_side


def test_a_bucket_tells_how_many_calls_would_go_without_waiting():
    bucket = TokenBucket(rate=0.001, burst=3)

    assert bucket.available() == pytest.approx(3, abs=0.01)
    bucket.acquire()
    bucket.acquire()
    assert bucket.available() == pytest.approx(1, abs=0.01)


def test_with_our_pacing_off_any_number_of_calls_is_ready(settings):
    settings.OMS_CLIENT_RATE_LIMITS = False
    client = HttpClient(base_url="http://127.0.0.1:9", scope="test-ready-off")

    assert client.calls_ready(Limit("op", rate=0.5, burst=2)) == math.inf


def test_with_pacing_on_the_calls_ready_are_the_buckets_tokens(settings):
    settings.OMS_CLIENT_RATE_LIMITS = True
    client = HttpClient(base_url="http://127.0.0.1:9", scope=f"test-ready-on-{time.monotonic()}")

    assert client.calls_ready(Limit("op", rate=0.001, burst=7)) == pytest.approx(7, abs=0.01)


def test_side_by_side_keeps_the_order_and_overlaps_the_calls(settings):
    settings.OMS_MARKETPLACE_CONCURRENCY = 4
    running, most = [0], [0]
    lock = threading.Lock()

    def call(n):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return n * 10

    assert side_by_side(call, range(8)) == [n * 10 for n in range(8)]
    assert most[0] > 1


def test_side_by_side_raises_the_first_error(settings):
    settings.OMS_MARKETPLACE_CONCURRENCY = 3

    def call(n):
        if n == 2:
            raise ValueError("order 2 broke")
        return n

    with pytest.raises(ValueError, match="order 2 broke"):
        side_by_side(call, range(5))


def test_side_by_side_with_concurrency_one_calls_in_turn(settings):
    settings.OMS_MARKETPLACE_CONCURRENCY = 1
    threads = set()

    side_by_side(lambda n: threads.add(threading.get_ident()), range(4))

    assert threads == {threading.get_ident()}
