"""Logs: JSON lines with the request or task id, and nothing personal or secret in them: not from a full
import-to-ship flow, not from text that slips through (redaction)."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from channels.models import Channel
from channels.sync import channel_poll, channel_push_stock
from notifications.models import OutboundMail
from notifications.tasks import send_outbound_mail
from oms.demo import demo_seed
from oms.logs import ContextFilter, JsonFormatter, RedactingFilter
from oms.redaction import redact_data, redact_text
from orders.models import Order, OrderStatus
from shipping.services import order_ship
from shipping.tasks import push_shipment
from tests.e2e.conftest import canonical_order

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """The lines the production handler (filters + JSON formatter) writes, as parsed objects."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


@pytest.mark.django_db
def test_a_request_s_log_lines_carry_its_id(client, json_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="req-from-proxy-0001")

    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-from-proxy-0001"
    not_found = [line for line in json_lines() if line["logger"] == "django.request"]
    assert not_found and not_found[0]["request_id"] == "req-from-proxy-0001"
    assert not_found[0]["level"] == "WARNING" and not_found[0]["path"] == "/no-such-page/"


@pytest.mark.django_db
def test_a_request_without_an_id_gets_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")

    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.django_db
def test_a_task_s_log_lines_carry_its_id_and_name(json_lines):
    from inventory.tasks import stock_reconcile

    result = stock_reconcile.apply()

    line = next(line for line in json_lines() if line["message"].startswith("stock reconciliation"))
    assert line["task_id"] == result.id
    assert line["task_name"] == "inventory.tasks.stock_reconcile"


@pytest.fixture
def rakuten_shop(start_simulator, tmp_path, monkeypatch):
    """The demo shop with its Rakuten channel pointed at a fresh simulator (the others disabled)."""
    monkeypatch.setattr("oms.demo.LOGIN_FILE", tmp_path / "login.txt")
    monkeypatch.setattr("oms.demo.VAR_DIR", tmp_path)
    sim = start_simulator("rakuten", seed=7, rate_limits="off")
    demo_seed()
    Channel.objects.exclude(kind="rakuten").update(enabled=False)
    Channel.objects.filter(kind="rakuten").update(base_url=sim.url, stock_buffer=0)
    return sim, Channel.objects.get(kind="rakuten")


BUYER = {
    "name": "鈴木 花子",
    "kana": "スズキ ハナコ",
    "email": "hanako.suzuki@example.jp",
    "phone": "090-8765-4321",
}
SHIP_TO = {
    "name": "鈴木 一郎",
    "postal_code": "530-0001",
    "prefecture": "大阪府",
    "city": "大阪市北区",
    "address1": "梅田3-1-1",
    "address2": "グランドビル1205号",
    "phone": "06-6345-0123",
}


@pytest.mark.django_db
def test_a_full_import_to_ship_flow_logs_no_personal_data_and_no_secret(rakuten_shop, caplog, json_lines):
    sim, shop = rakuten_shop
    caplog.set_level(logging.DEBUG)
    connection.force_debug_cursor = True  # SQL (with buyer data as parameters) would be logged at DEBUG
    try:
        assert not channel_push_stock(channel=shop).error
        placed = sim.control(
            "POST",
            "/_sim/orders",
            json=canonical_order(
                "TOTE-BLK",
                1,
                buyer=BUYER,
                ship_to=SHIP_TO,
                delivery_date="",
                delivery_time="",
                payment="credit_card",
            ),
        ).json()["order_id"]
        assert not channel_poll(channel=shop).error
        order = Order.objects.get(channel=shop, external_id=placed)
        assert order.status == OrderStatus.READY, list(order.holds.values_list("code", flat=True))
        order_ship(order=order, parcels=[("yamato", "123456789012")], actor="user:packer")
        for shipment in order.shipments.all():
            assert push_shipment.apply(args=[shipment.pk]).successful()
        for mail in OutboundMail.objects.filter(order=order):
            send_outbound_mail.apply(args=[mail.pk, mail.attempts])
    finally:
        connection.force_debug_cursor = False

    assert (
        OutboundMail.objects.filter(order=order, status="sent").count() == 2
    )  # confirmation, shipping notice
    assert any(r.name == "channels.http" for r in caplog.records), "the flow made no logged marketplace call"
    ship_to = order.ship_tos.get()
    personal = [
        order.buyer_name,
        order.buyer_kana,
        order.buyer_email,
        order.buyer_phone,
        ship_to.name,
        ship_to.postal_code,
        ship_to.address1,
        ship_to.address2,
        ship_to.phone,
        "鈴木",
        "花子",
    ]
    secrets = [value for value in shop.credentials.values() if isinstance(value, str) and len(value) >= 6]
    assert secrets, "the channel has no credentials to leak"
    raw = caplog.text
    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in json_lines())
    for text in (raw, written):
        for value in [*filter(None, personal), *secrets, settings.SECRET_KEY]:
            assert value not in text, value


def test_redaction_catches_contact_data_addresses_and_secrets():
    text = redact_text(
        "mail to taro@example.jp tel 090-1234-5678 / 0312345678 〒100-0001 東京都千代田区千代田1-1 "
        "Authorization: Bearer abcdef0123456789 ESA c2VjcmV0OmxpY2Vuc2U= key oms_ab12cd_0123456789abcdef "
        "{'buyer_name': '山田 太郎', 'ShipLastName': \"山田\", 'sku': 'TSHIRT-BLK-M'} password=hunter22"
    )

    for leaked in (
        "taro@",
        "1234-5678",
        "0312345678",
        "100-0001",
        "千代田1-1",
        "abcdef0123456789",
        "c2VjcmV0",
        "0123456789abcdef",
        "山田",
        "hunter22",
    ):
        assert leaked not in text, leaked
    assert "'sku': 'TSHIRT-BLK-M'" in text


def test_redaction_keeps_order_numbers_amounts_and_dates():
    text = (
        "order 100001-20261126-00000001 total 5960 shipped 2026-11-26 tracking 123456789012 "
        "amazon 503-1234567-1234567"
    )

    assert redact_text(text) == text


def test_redaction_of_data_blanks_personal_and_secret_keys():
    assert redact_data(
        {"order": 12, "buyer_email": "a@b.jp", "credentials": {"x": 1}, "lines": [{"sku": "A"}]}
    ) == {
        "order": 12,
        "buyer_email": "[redacted]",
        "credentials": "[redacted]",
        "lines": [{"sku": "A"}],
    }


def test_log_format_json_is_selected_by_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    env.update(OMS_VAR_DIR=str(tmp_path), LOG_FORMAT="json")
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "import logging; logging.getLogger('oms.test').warning('buyer %s wrote', 'taro@example.jp')",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    line = next(line for line in lines if line["logger"] == "oms.test")
    assert line["message"] == "buyer [redacted] wrote" and line["level"] == "WARNING"
