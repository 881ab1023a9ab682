"""A hold still active after an edit says what is wrong now: re-running the checks brings its message and
one-click fix up to date, and resolves it when its reason has gone."""

from dataclasses import replace
from datetime import date, timedelta

import pytest
from django.utils import timezone

from orders.editing import order_update, ship_to_update
from orders.intake import order_import
from orders.models import Order, OrderStatus
from tests.orders.test_intake import canonical

pytestmark = pytest.mark.django_db
S = OrderStatus


def active_hold(order: Order, code: str):
    return order.holds.get(code=code, resolved_at__isnull=True)


def test_changing_the_delivery_date_rewrites_the_active_holds_message_and_fix(channel):
    # given an order held because its wished date is too soon
    today = timezone.localdate()
    order = order_import(channel=channel, canonical=canonical(delivery_date=today), payload={}).order
    hold = active_hold(order, "delivery_date_invalid")
    assert f"{today:%Y/%m/%d}" in hold.message and "間に合いません" in hold.message

    # when staff change the date to another invalid one (in the past)
    order_update(order=order, changes={"delivery_date": date(2020, 1, 1)}, actor="user:alice")

    # then the same hold now speaks of the new date, and its fix is still a valid date
    updated = active_hold(order, "delivery_date_invalid")
    assert updated.pk == hold.pk
    assert "2020/01/01" in updated.message and "過去の日付" in updated.message
    assert f"{today:%Y/%m/%d}" not in updated.message
    assert date.fromisoformat(updated.suggestion["delivery_date"]) > today


def test_a_date_too_far_ahead_replaces_the_fix_with_none(channel):
    today = timezone.localdate()
    order = order_import(channel=channel, canonical=canonical(delivery_date=today), payload={}).order
    assert active_hold(order, "delivery_date_invalid").suggestion is not None

    far = today + timedelta(days=400)
    order_update(order=order, changes={"delivery_date": far}, actor="user:alice")

    hold = active_hold(order, "delivery_date_invalid")
    assert "先すぎます" in hold.message and f"{far:%Y/%m/%d}" in hold.message
    assert hold.suggestion is None


def test_another_wrong_postal_code_rewrites_the_mismatch_hold(channel):
    address = replace(canonical().ship_tos[0], postal_code="530-0001", prefecture="東京都", city="渋谷区")
    address = replace(address, address1="神宮前1-2-3")
    order = order_import(channel=channel, canonical=canonical(ship_tos=[address]), payload={}).order
    assert "530-0001" in active_hold(order, "postcode_address_mismatch").message

    ship_to_update(ship_to=order.ship_tos.get(), changes={"postal_code": "100-0001"}, actor="user:alice")

    hold = active_hold(order, "postcode_address_mismatch")
    assert "100-0001" in hold.message and "530-0001" not in hold.message
    assert hold.suggestion["postal_code"] == "150-0001"


def test_a_fixed_date_resolves_the_hold(channel):
    order = order_import(
        channel=channel, canonical=canonical(delivery_date=timezone.localdate()), payload={}
    ).order

    order_update(order=order, changes={"delivery_date": None}, actor="user:alice")

    order.refresh_from_db()
    assert not order.holds.filter(resolved_at__isnull=True).exists()
    assert order.status == S.READY
