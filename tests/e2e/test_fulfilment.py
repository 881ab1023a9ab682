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
from orders.editing import order_split, orders_merge
from orders.models import Order
from shipping.inspection import inspection_scan
from shipping.labels import labels_export
from shipping.pdf.picking_list import picking_list_pdf
from shipping.picking import picking_batch_create
from shipping.services import order_ship
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


def test_merged_and_split_orders_are_reported_under_the_shop_orders_they_were_bought_on(
    shops, celery_processes
):
    """Two orders of one buyer merged (同梱), then the first order's line split off again (分割, our number
    -bk-1, which no shop knows): each parcel must reach the shop under the order its items were bought on,
    with their own item ids (Amazon checks them), or the shop keeps showing that order unshipped."""
    push_all()
    body = canonical_order("TOTE-BLK", 1, delivery_date="", delivery_time="", payment="credit_card")
    placed = {
        kind: [sim.control("POST", "/_sim/orders", json=body).json()["order_id"] for _ in range(2)]
        for kind, sim in shops.items()
    }
    for channel in Channel.objects.all():
        assert not channel_poll(channel=channel).error
    numbers = iter(f"{n:011d}{n % 7}" for n in range(444413758, 444413800))
    expected = {}
    for kind, (first_id, second_id) in placed.items():
        first, second = (
            Order.objects.get(channel__kind=kind, external_id=oid) for oid in (first_id, second_id)
        )
        merged = orders_merge(target=first, others=[second], actor="user:cs")
        part = order_split(
            order=merged, quantities={merged.lines.get(bought_on__isnull=True).pk: 1}, actor="user:cs"
        )
        for order in (merged, part):
            order.refresh_from_db()
            assert order.status == "ready", list(order.holds.filter(resolved_at__isnull=True))
        expected[kind] = {second_id: next(numbers), first_id: next(numbers)}
        order_ship(order=merged, parcels=[("yamato", expected[kind][second_id])], actor="user:warehouse")
        order_ship(order=part, parcels=[("yamato", expected[kind][first_id])], actor="user:warehouse")
    celery_processes.start_worker()

    def shops_show_them() -> bool:
        return all(
            number
            in "".join(map(str, shops[kind].control("GET", f"/_sim/orders/{oid}").json()["tracking_numbers"]))
            for kind in KINDS
            for oid, number in expected[kind].items()
        )

    wait_until(shops_show_them, timeout=90, message=lambda: celery_processes.log("worker")[-3000:])
    for kind, (_first_id, second_id) in placed.items():
        second = Order.objects.get(channel__kind=kind, external_id=second_id)
        assert second.status == "cancelled"  # merged: its own timeline shows what its shop was told
        assert second.events.filter(kind="shop_answer").exists()
    assert not Order.objects.filter(shipments__push_error__gt="").exists()
