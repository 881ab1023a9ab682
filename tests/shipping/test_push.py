"""Reporting a parcel to the shop: what each report carries, retries counted on the shipment, one failure
event, and a safety-net sweep that re-sends only a lost enqueue or a long-overdue retry, never a parcel whose
retry is still waiting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.adapters.base import AdapterError, AuthError
from orders.models import OrderEvent
from shipping import tasks
from shipping.models import Carrier, Shipment
from tests.factories import OrderFactory, OrderLineFactory, ShipToFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment():
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    return Shipment.objects.create(order=OrderFactory(status="shipped"), carrier=carrier, tracking_number="1")


@pytest.fixture
def refusing_shop(monkeypatch):
    calls = []

    def refuse(*, shipment):
        calls.append(shipment.pk)
        raise refuse.error

    refuse.error = AdapterError("HTTP 503")
    monkeypatch.setattr(tasks, "shipment_push", refuse)
    return refuse, calls


def _failures(shipment) -> int:
    return OrderEvent.objects.filter(order=shipment.order, kind="shop_push_failed").count()


def test_a_failing_push_is_tried_a_bounded_number_of_times_and_reported_once(shipment, refusing_shop):
    _refuse, calls = refusing_shop

    result = tasks.push_shipment.apply(args=[shipment.pk])

    assert result.failed()
    shipment.refresh_from_db()
    assert len(calls) == shipment.push_attempts == tasks.MAX_PUSH_ATTEMPTS
    assert (shipment.push_error, shipment.push_retry_at) == ("HTTP 503", None)
    assert _failures(shipment) == 1


def test_a_refused_login_is_final_at_once(shipment, refusing_shop):
    refuse, calls = refusing_shop
    refuse.error = AuthError("invalid_client")

    assert tasks.push_shipment.apply(args=[shipment.pk]).failed()

    shipment.refresh_from_db()
    assert (len(calls), shipment.push_attempts, shipment.push_retry_at, _failures(shipment)) == (
        1,
        1,
        None,
        1,
    )


def test_a_failed_try_records_when_the_retry_is_due(shipment, refusing_shop, monkeypatch):
    def no_retry_now(*args, **kwargs):
        raise RuntimeError("retry scheduled")

    monkeypatch.setattr(tasks.push_shipment, "retry", no_retry_now)
    before = timezone.now()

    with pytest.raises(RuntimeError):
        tasks.push_shipment.apply(args=[shipment.pk], throw=True)

    shipment.refresh_from_db()
    assert shipment.push_attempts == 1
    assert before + timedelta(seconds=4) < shipment.push_retry_at < timezone.now() + timedelta(seconds=6)
    assert _failures(shipment) == 0


def test_the_sweep_resends_only_lost_enqueues_and_overdue_retries(monkeypatch):
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    now, long_ago = timezone.now(), timezone.now() - timedelta(minutes=30)

    def parcel(number, **fields):
        shipment = Shipment.objects.create(
            order=OrderFactory(status="shipped"), carrier=carrier, tracking_number=number
        )
        Shipment.objects.filter(pk=shipment.pk).update(created_at=long_ago, **fields)
        return shipment.pk

    lost = parcel("lost")  # never tried: its enqueue was lost
    overdue = parcel("overdue", push_attempts=6, push_retry_at=now - timedelta(minutes=10))
    parcel("waiting", push_attempts=6, push_retry_at=now + timedelta(minutes=2))  # its retry is still queued
    parcel("given-up", push_attempts=1, push_error="invalid_client")  # final: no retry scheduled
    parcel("done", push_attempts=1, pushed_at=now)
    parcel("spent", push_attempts=tasks.MAX_PUSH_ATTEMPTS, push_retry_at=now - timedelta(minutes=10))
    Shipment.objects.create(order=OrderFactory(status="shipped"), carrier=carrier, tracking_number="new")
    sent = []
    monkeypatch.setattr(tasks.push_shipment, "delay", sent.append)

    assert tasks.push_pending_shipments() == 2

    assert sorted(sent) == sorted([lost, overdue])


def test_the_first_parcel_carries_every_unit_and_each_report_has_the_orders_numbers(monkeypatch):
    """The OMS does not know which item went into which box: the first parcel carries them all (Amazon wants
    items per package), and every report lists the order's numbers (Yahoo keeps two per order)."""
    import channels.adapters
    from shipping.services import shipment_push

    sent = []

    class Shop:
        def push_shipment(self, update):
            sent.append(update)
            return "OK"

    monkeypatch.setattr(channels.adapters, "adapter_for", lambda channel: Shop())
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    order = OrderFactory(status="shipped")
    OrderLineFactory(order=order, external_line_id="item-1", quantity=2)
    OrderLineFactory(order=order, external_line_id="item-2", quantity=1)
    first, second = (
        Shipment.objects.create(order=order, carrier=carrier, tracking_number=number)
        for number in ("A1", "B2")
    )

    shipment_push(shipment=second)
    shipment_push(shipment=first)

    assert [(update.tracking_number, update.items) for update in sent] == [
        ("B2", []),
        ("A1", [("item-1", 2), ("item-2", 1)]),
    ]
    assert all(update.order_tracking_numbers == ["A1", "B2"] for update in sent)
    assert Shipment.objects.filter(pushed_at__isnull=False).count() == 2


def test_a_parcel_is_reported_for_the_ship_to_it_went_to(monkeypatch):
    import channels.adapters
    from shipping.services import shipment_push

    sent = []

    class Shop:
        def push_shipment(self, update):
            sent.append(update.ship_to_external_id)
            return "OK"

    monkeypatch.setattr(channels.adapters, "adapter_for", lambda channel: Shop())
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    order = OrderFactory(status="shipped")
    ShipToFactory(order=order, external_id="basket-1")
    second = ShipToFactory(order=order, external_id="basket-2")

    shipment_push(
        shipment=Shipment.objects.create(order=order, carrier=carrier, tracking_number="1", ship_to=second)
    )
    shipment_push(shipment=Shipment.objects.create(order=order, carrier=carrier, tracking_number="2"))

    assert sent == ["basket-2", "basket-1"]  # a parcel without a ship-to goes to the order's first


def test_a_parcel_is_reported_under_each_shop_order_its_lines_were_bought_on(monkeypatch):
    """同梱 and 分割 move lines between our orders; the shop knows only its own orders and item ids."""
    import channels.adapters
    from shipping.services import shipment_push

    sent = []

    class Shop:
        def push_shipment(self, update):
            sent.append(update)
            return f"OK {update.external_order_id}"

    monkeypatch.setattr(channels.adapters, "adapter_for", lambda channel: Shop())
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    target = OrderFactory(status="shipped", external_id="A-1")
    ShipToFactory(order=target, external_id="basket-a")
    absorbed = OrderFactory(channel=target.channel, status="cancelled", external_id="B-1", merged_into=target)
    ShipToFactory(order=absorbed, external_id="basket-b")
    OrderLineFactory(order=target, external_line_id="a-item", quantity=1)
    OrderLineFactory(order=target, external_line_id="b-item", quantity=2, bought_on=absorbed)
    part = OrderFactory(channel=target.channel, status="shipped", external_id="A-1-bk-1", split_from=target)
    ShipToFactory(order=part, external_id="basket-a")
    OrderLineFactory(order=part, external_line_id="a-item-2", quantity=1, bought_on=target)
    merged_parcel = Shipment.objects.create(order=target, carrier=carrier, tracking_number="T1")
    split_parcel = Shipment.objects.create(order=part, carrier=carrier, tracking_number="T2")

    shipment_push(shipment=merged_parcel)
    shipment_push(shipment=split_parcel)

    reports = [(u.external_order_id, u.items, u.ship_to_external_id, u.order_tracking_numbers) for u in sent]
    assert reports == [
        ("A-1", [("a-item", 1)], "basket-a", ["T1", "T2"]),  # A-1's parcels: ours and its split part's
        ("B-1", [("b-item", 2)], "basket-b", ["T1"]),
        ("A-1", [("a-item-2", 1)], "basket-a", ["T1", "T2"]),  # the part is reported under A-1, not -bk-1
    ]
    assert absorbed.events.get(kind="shop_answer").message == "A-1 の荷物として報告: OK B-1"
    assert list(target.events.filter(kind="shop_answer").values_list("message", flat=True)) == [
        "OK A-1\nOK B-1",
        "A-1-bk-1 の荷物として報告: OK A-1",  # the split part's report, in the order the shop knows
    ]
