"""Fixtures for the inbox tests: a shop (simulator over HTTP + its channel), orders placed in it, and helpers
that poll and send the way the Celery tasks do."""

import time
from dataclasses import dataclass
from datetime import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from channels.adapters import http, inquiries
from channels.inquiry_push import inquiry_reply_send
from channels.inquiry_sync import inquiries_poll
from channels.models import Channel
from notifications.models import InquiryMessage, InquiryThread
from tests.factories import ChannelFactory, OrderFactory

KINDS = ("rakuten", "yahoo", "amazon")
HTTP_FAULTS = ["500", "503", "429", "timeout", "malformed"]


def canonical_order(sku: str = "TSHIRT-BLK-M", quantity: int = 1) -> dict:
    return {
        "items": [{"sku": sku, "quantity": quantity, "price": 2980}],
        "buyer": {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email": "taro@example.jp", "phone": "090-1234-5678"},
        "ship_to": {"name": "山田 太郎", "postal_code": "100-0001", "prefecture": "東京都", "city": "千代田区",
                    "address1": "千代田1-1", "address2": "", "phone": "090-1234-5678"},
        "delivery_date": "2026-12-05", "delivery_time": "14-16", "payment": "credit_card", "remarks": "",
    }  # fmt: skip


@pytest.fixture(autouse=True)
def _inbox_settings(settings, monkeypatch):
    """Fast retries and timeouts, no Celery (the tests call the services the tasks call), a per-process cache
    for tokens and leases, and fresh client-side buckets."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    settings.OMS_INQUIRY_TRIGGERS = False
    settings.OMS_CLIENT_RATE_LIMITS = False
    settings.OMS_HTTP_READ_TIMEOUT = 0.25
    settings.EMAIL_TIMEOUT = 0.25
    settings.OMS_INQUIRY_RETRY_BASE_SECONDS = 0.05
    settings.OMS_INQUIRY_VERIFY_AFTER_SECONDS = 0.8  # longer than a faulted call takes to land (0.4 s)
    monkeypatch.setattr(http, "_BUCKETS", {})
    monkeypatch.setattr(inquiries, "ADAPTER_OPTIONS", {"backoff_base": 0.01, "max_attempts": 10})


@dataclass
class Shop:
    kind: str
    sim: object
    channel: Channel

    def place_order(self, *, imported: bool = True) -> tuple[str, object]:
        """An order placed in the shop; with `imported`, the OMS has it too (as the order poll leaves it)."""
        answer = self.sim.control("POST", "orders", json=canonical_order())
        assert answer.status_code == 201, answer.text
        order_id = answer.json()["order_id"]
        order = OrderFactory(channel=self.channel, external_id=order_id) if imported else None
        return order_id, order

    def ask(self, order_id: str, body: str = "いつ届きますか？") -> str:
        answer = self.sim.control("POST", "inquiries", json={"order_id": order_id, "body": body})
        assert answer.status_code == 201, answer.text
        return answer.json()["inquiry_id"]

    def view(self, inquiry_id: str) -> dict:
        return self.sim.control("GET", f"inquiries/{inquiry_id}").json()

    def faults(self, kinds: list[str], rate: float = 0.35, timeout_seconds: float = 0.4) -> None:
        config = {"error_rate": rate, "kinds": kinds, "timeout_seconds": timeout_seconds}
        assert self.sim.control("POST", "faults", json=config).status_code == 200

    def no_faults(self) -> None:
        self.sim.control("POST", "faults", json={"error_rate": 0})

    def poll(self):
        result = inquiries_poll(channel=self.channel)
        assert not result.error, result.error
        return result

    def thread(self, inquiry_id: str) -> InquiryThread:
        """The OMS thread of the shop's inquiry (Amazon's thread is the relay address and the order)."""
        if self.kind != "amazon":
            return InquiryThread.objects.get(channel=self.channel, external_id=inquiry_id)
        view = self.view(inquiry_id)
        return InquiryThread.objects.get(
            channel=self.channel, external_id=f"{view['relay_address']}#{view['order_id']}"
        )


@pytest.fixture
def make_shop(start_simulator, db):
    def make(kind: str) -> Shop:
        extra = ("--smtp-port", "0") if kind == "amazon" else ()
        sim = start_simulator(kind, extra_args=extra)
        credentials = dict(sim.credentials)
        if kind == "amazon":
            mailbox = sim.control("GET", "maildir").json()
            credentials |= {
                "inquiry_maildir": mailbox["maildir"],
                "reply_from": "shop@example.jp",
                "smtp_host": mailbox["smtp"]["host"],
                "smtp_port": mailbox["smtp"]["port"],
            }
        channel = ChannelFactory(kind=kind, name=f"{kind}-shop", base_url=sim.url, credentials=credentials)
        return Shop(kind=kind, sim=sim, channel=channel)

    return make


def poll_until_clean(shop: Shop, tries: int = 15):
    """Poll until one poll gets through every fault (a failed poll leaves the cursor where it was)."""
    errors = []
    for _ in range(tries):
        result = inquiries_poll(channel=shop.channel)
        if not result.error:
            return result
        errors.append(result.error)
    raise AssertionError(f"no poll got through: {errors}")


def send_until_settled(reply: InquiryMessage, seconds: float = 30.0) -> InquiryMessage:
    """Run send attempts as the task and its retries would, until the reply is sent or waits for a person."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        reply.refresh_from_db()
        if reply.state == InquiryMessage.State.SENT:
            return reply
        if reply.state == InquiryMessage.State.FAILED and reply.retry_at is None:
            return reply  # a person decides
        if reply.retry_at is not None:
            time.sleep(max(0.0, (reply.retry_at - timezone.now()).total_seconds()))
        inquiry_reply_send(message_id=reply.pk, expected_attempts=reply.attempts)
    raise AssertionError(f"reply {reply.pk} not settled: {reply.state} {reply.error}")


def now() -> datetime:
    return timezone.now()
