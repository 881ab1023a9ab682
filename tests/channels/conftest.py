"""Helpers and fixtures shared by the channel tests that talk to a marketplace simulator over HTTP.

Fixtures here are visible to every test below tests/channels (the simulator tests too); plain helpers are
imported from this module.
"""

import time
from datetime import datetime, timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels.adapters import http
from channels.adapters.base import RawOrder
from tests.factories import ChannelFactory


def base_order(**changes: object) -> dict:
    """A canonical order (the body of the simulators' POST /_sim/orders), a fresh copy on every call:
    `changes` replace whole top-level keys."""
    order = {
        "items": [
            {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": 2980},
            {"sku": "SOCKS-WHT-L", "quantity": 1, "price": 980},
        ],
        "buyer": {
            "name": "山田 太郎",
            "kana": "ヤマダ タロウ",
            "email": "taro@example.jp",
            "phone": "090-1234-5678",
        },
        "ship_to": {
            "name": "山田 太郎",
            "postal_code": "100-0001",
            "prefecture": "東京都",
            "city": "千代田区",
            "address1": "千代田1-1",
            "address2": "パレス千代田 101号室",
            "phone": "090-1234-5678",
        },
        "delivery_date": "2026-12-05",
        "delivery_time": "14-16",
        "payment": "credit_card",
        "remarks": "不在時は宅配ボックスへ",
    }
    return order | changes


def post_order(sim, order: dict) -> str:
    """Place `order` through the simulator's control API; its order id."""
    answer = sim.control("POST", "orders", json=order)
    assert answer.status_code == 201, answer.text
    return answer.json()["order_id"]


def place(sim, **changes: object) -> str:
    """Place the base order, with `changes`; its order id."""
    return post_order(sim, base_order(**changes))


def view(sim, order_id: str) -> dict:
    """An order as the simulator keeps it."""
    return sim.control("GET", f"orders/{order_id}").json()


def stats(sim) -> dict:
    return sim.control("GET", "stats").json()


def sim_channel(sim, **credential_changes: str):
    """A channel of the simulator's kind that talks to it, with its credentials (some changed)."""
    return ChannelFactory(kind=sim.kind, base_url=sim.url, credentials=sim.credentials | credential_changes)


def fetched(adapter, since: datetime, until: datetime | None = None) -> list[RawOrder]:
    """Every order of every page the adapter fetches from `since` (until a second from now)."""
    until = until or timezone.now() + timedelta(seconds=1)
    return [raw for page in adapter.fetch_orders(since=since, until=until) for raw in page]


def fetched_ids(adapter, since: datetime, until: datetime | None = None) -> list[str]:
    return [raw.external_id for raw in fetched(adapter, since, until)]


def next_second() -> datetime:
    """Sleep past the current second and answer the time: the marketplaces' timestamps are whole seconds, so
    a window that starts now begins after every order placed so far."""
    time.sleep(1.05)
    return timezone.now()


@pytest.fixture
def local_cache(settings):
    """Tokens, the change memory and cached order items go to a per-process memory cache, emptied for each
    test: they are process-wide and keyed by channel pk, which the next test's channel may reuse."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def fresh_client_buckets(monkeypatch):
    """Each test starts with full client-side buckets: they are process-wide and keyed by channel pk (and a
    simulator may get a port an earlier one had)."""
    monkeypatch.setattr(http, "_BUCKETS", {})
