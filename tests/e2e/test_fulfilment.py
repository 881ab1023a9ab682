"""Fulfilment end to end: a ready order from each shop → picking list → 検品 → label CSV → carrier
simulator → tracking import → each shop shows the order shipped with our tracking number, and the
shipping mail reaches a real SMTP server once. PostgreSQL, Redis, a real worker and the simulators."""

import subprocess
import sys
from collections import Counter

import pytest

from channels.models import Channel
from channels.sync import channel_poll
from inventory.models import StockLevel
from orders.models import Order
from shipping.inspection import inspection_scan
from shipping.labels import labels_export
from shipping.pdf.picking_list import picking_list_pdf
from shipping.picking import picking_batch_create
from shipping.tracking import tracking_import, tracking_number_valid
from tests.e2e.conftest import KINDS, canonical_order, push_all, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _scan_everything(order: Order) -> None:
    assert inspection_scan(order=order, code=order.external_id, actor="user:packer").ok
    for line in order.lines.select_related("sku"):
        for _ in range(line.quantity):
            result = inspection_scan(order=order, code=line.sku.jan, actor="user:packer")
            assert result.ok, result.message
    order.refresh_from_db()
    assert order.verified_at is not None


def test_a_ready_order_ships_and_every_shop_shows_our_tracking_number(
    shops, celery_processes, smtp, tmp_path
):
    push_all()
    placed = {
        kind: sim.control(
            "POST",
            "/_sim/orders",
            json=canonical_order("TOTE-BLK", 2, delivery_date="", delivery_time="", payment="credit_card"),
        ).json()["order_id"]
        for kind, sim in shops.items()
    }
    for channel in Channel.objects.all():
        assert not channel_poll(channel=channel).error
    orders = {kind: Order.objects.get(channel__kind=kind, external_id=oid) for kind, oid in placed.items()}
    assert {order.status for order in orders.values()} == {"ready"}, [o.holds.all() for o in orders.values()]
    on_hand_before = StockLevel.objects.get(sku__code="TOTE-BLK").on_hand

    batch = picking_batch_create(actor="user:picker")
    assert picking_list_pdf(batch).startswith(b"%PDF")
    for order in orders.values():
        _scan_everything(order)
    export = labels_export(carrier="yamato", actor="user:warehouse")
    assert len(export.exported) == 3, export.skipped
    labels = tmp_path / "labels.csv"
    labels.write_bytes(export.content)
    result = tmp_path / "result.csv"
    subprocess.run(
        [sys.executable, "-m", "shipping.simulators.carrier", "yamato", str(labels), "--out", str(result)],
        check=True,
        timeout=60,
    )
    celery_processes.start_worker()
    imported = tracking_import(carrier="yamato", content=result.read_bytes(), actor="user:warehouse")

    assert not imported.errors, imported.errors
    for order in orders.values():
        order.refresh_from_db()
        assert order.status == "shipped"
    numbers = {kind: order.shipments.get().tracking_number for kind, order in orders.items()}
    assert all(tracking_number_valid(n) for n in numbers.values())
    assert StockLevel.objects.get(sku__code="TOTE-BLK").on_hand == on_hand_before - 6

    def shop_shows_it() -> bool:
        views = {kind: shops[kind].control("GET", f"/_sim/orders/{placed[kind]}").json() for kind in KINDS}
        return all(numbers[kind] in "".join(map(str, views[kind]["tracking_numbers"])) for kind in KINDS)

    wait_until(shop_shows_it, timeout=90, message=lambda: celery_processes.log("worker")[-3000:])
    for order in orders.values():
        assert order.events.filter(kind="shop_answer").exists()

    def mails() -> Counter:
        return Counter(m.decoded_header("Subject").split("（")[0] for m in smtp.messages)

    wait_until(lambda: sum(mails().values()) >= 6, timeout=60, message=lambda: str(mails()))
    subjects = mails()
    assert sum(count for subject, count in subjects.items() if "発送いたしました" in subject) == 3
    assert sum(count for subject, count in subjects.items() if "ご注文ありがとうございます" in subject) == 3
    assert len(smtp.messages) == 6
