"""Order services: status workflow, holds and the audit trail."""

import pytest

from orders.models import OrderEvent, OrderStatus
from orders.services import (
    IllegalStatusTransition,
    order_hold_add,
    order_hold_resolve,
    order_refresh_status,
    order_status_change,
    status_for_holds,
)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
S = OrderStatus


def test_allowed_change_is_applied_and_audited(channel):
    order = OrderFactory(status=S.READY)

    order_status_change(order=order, to_status=S.PRINTED, actor="user:alice", note="picking list")

    order.refresh_from_db()
    assert order.status == S.PRINTED
    event = OrderEvent.objects.get(order=order, kind="status_changed")
    assert (event.actor, event.before, event.after) == (
        "user:alice",
        {"status": "ready"},
        {"status": "printed"},
    )


def test_illegal_change_is_refused_with_a_message():
    order = OrderFactory(status=S.SHIPPED, external_id="100001-20261126-00000042")

    with pytest.raises(IllegalStatusTransition) as refused:
        order_status_change(order=order, to_status=S.NEW, actor="user:alice")

    assert "100001-20261126-00000042" in str(refused.value)
    assert "出荷済み" in str(refused.value) and "新規受付" in str(refused.value)
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert not OrderEvent.objects.filter(order=order).exists()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.NEW, S.SHIPPED),
        (S.READY, S.SHIPPED),
        (S.CANCELLED, S.READY),
        (S.ON_HOLD, S.PRINTED),
        (S.READY, S.NEW),
    ],
)
def test_skipping_steps_is_not_allowed(start, target):
    order = OrderFactory(status=start)
    with pytest.raises(IllegalStatusTransition):
        order_status_change(order=order, to_status=target, actor="system")


def test_a_hold_is_added_once_per_code():
    order = OrderFactory()

    first = order_hold_add(order=order, code="remarks", actor="system")
    again = order_hold_add(order=order, code="remarks", actor="system")

    assert first.pk == again.pk
    assert first.message == "備考欄に記入があります。内容を確認してください"
    assert order.holds.count() == 1


def test_unknown_hold_code_is_refused():
    with pytest.raises(ValueError, match="no_such_code"):
        order_hold_add(order=OrderFactory(), code="no_such_code", actor="system")


def test_resolving_a_hold_records_who_released_it(django_user_model):
    user = django_user_model.objects.create_user("alice")
    order = OrderFactory()
    hold = order_hold_add(order=order, code="phone_invalid", actor="system")

    order_hold_resolve(hold=hold, actor="user:alice", user=user)

    hold.refresh_from_db()
    assert hold.resolved_by == user and hold.resolved_at is not None
    assert OrderEvent.objects.filter(order=order, kind="hold_resolved", actor="user:alice").exists()
    # the code can be raised again later as a new hold
    assert order_hold_add(order=order, code="phone_invalid", actor="system").pk != hold.pk


def test_status_follows_the_most_urgent_hold():
    assert status_for_holds(set()) == S.READY
    assert status_for_holds({"payment_pending"}) == S.AWAITING_PAYMENT
    assert status_for_holds({"payment_pending", "insufficient_stock"}) == S.AWAITING_STOCK
    assert status_for_holds({"insufficient_stock", "remarks"}) == S.ON_HOLD


def test_refresh_moves_a_new_order_to_its_waiting_status_and_on_when_released():
    order = OrderFactory(status=S.NEW)
    hold = order_hold_add(order=order, code="insufficient_stock", actor="system")

    order_refresh_status(order=order, actor="system")
    order.refresh_from_db()
    assert order.status == S.AWAITING_STOCK

    order_hold_resolve(hold=hold, actor="system")
    order_refresh_status(order=order, actor="system")
    order.refresh_from_db()
    assert order.status == S.READY


def test_refresh_leaves_printed_orders_alone():
    order = OrderFactory(status=S.PRINTED)
    order_hold_add(order=order, code="remarks", actor="system")

    order_refresh_status(order=order, actor="system")

    order.refresh_from_db()
    assert order.status == S.PRINTED
