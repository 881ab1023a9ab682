"""Order intake: idempotent import, SKU mapping, allocation, holds and status, updates and cancellations."""

from dataclasses import replace
from datetime import datetime

import pytest

from channels.adapters.base import CanonicalAddress, CanonicalLine, CanonicalOrder
from inventory.models import StockLevel
from inventory.services import stock_adjust
from orders.intake import order_import
from orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db
S = OrderStatus
JST = datetime.fromisoformat("2026-11-26T10:00:00+09:00").tzinfo


def canonical(**changes) -> CanonicalOrder:
    order = CanonicalOrder(
        external_id="100001-20261126-00000001",
        ordered_at=datetime(2026, 11, 26, 10, 0, tzinfo=JST),
        updated_at=None,
        cancelled=False,
        buyer_name="山田 太郎",
        buyer_kana="ヤマダ タロウ",
        buyer_email="taro@example.jp",
        buyer_phone="090-1234-5678",
        payment_method="credit_card",
        paid=True,
        subtotal=5960,
        shipping_fee=0,
        payment_fee=0,
        discount=0,
        total=5960,
        remarks="",
        is_gift=False,
        delivery_date=None,  # wishes are checked in tests/orders/checks and test_checks_on_intake
        delivery_time="14-16",
        ship_tos=[
            CanonicalAddress(
                name="山田 太郎",
                kana="ヤマダ タロウ",
                postal_code="100-0001",
                prefecture="東京都",
                city="千代田区",
                address1="千代田1-1",
                phone="090-1234-5678",
                external_id="1",
            )
        ],
        lines=[CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "Tシャツ ブラック M", 2, 2980)],
    )
    return replace(order, **changes)


def buyer(n: int) -> dict:
    """Changes that make an order go to another person (so it is no merge candidate of the others)."""
    address = CanonicalAddress(
        name=f"顧客 {n}号",
        postal_code="100-0001",
        prefecture="東京都",
        city="千代田区",
        address1=f"千代田{n}-1",
    )
    return {"buyer_name": f"顧客 {n}号", "ship_tos": [address]}


def test_new_order_is_stored_allocated_and_ready(shop):
    channel, tshirt = shop

    result = order_import(channel=channel, canonical=canonical(), payload={"v": 1})

    order = result.order
    assert result.created
    assert order.status == S.READY
    assert (order.buyer_name, order.delivery_time, order.total) == ("山田 太郎", "14-16", 5960)
    line = order.lines.get()
    assert (line.sku, line.quantity, line.allocated_quantity) == (tshirt, 2, 2)
    assert order.ship_tos.get().prefecture == "東京都"
    assert StockLevel.objects.get(sku=tshirt).allocated == 2
    assert list(order.events.values_list("kind", flat=True)) == ["imported", "status_changed"]


def test_importing_the_same_payload_again_changes_nothing(shop):
    channel, tshirt = shop
    for _ in range(5):
        result = order_import(channel=channel, canonical=canonical(), payload={"v": 1})

    assert not result.created and not result.changed
    assert Order.objects.count() == 1
    assert StockLevel.objects.get(sku=tshirt).allocated == 2


def test_unknown_item_holds_the_order(shop):
    channel, _tshirt = shop
    order = order_import(
        channel=channel, canonical=canonical(lines=[CanonicalLine("1", "mystery", "X-1", "謎の商品", 1, 100)]),
        payload={},
    ).order  # fmt: skip

    assert order.status == S.ON_HOLD
    assert list(order.holds.values_list("code", flat=True)) == ["unknown_sku"]


def test_not_enough_stock_waits_for_stock(shop):
    channel, tshirt = shop
    order = order_import(
        channel=channel, canonical=canonical(lines=[CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "T", 6, 2980)]),
        payload={},
    ).order  # fmt: skip

    assert order.status == S.AWAITING_STOCK
    hold = order.holds.get()
    assert hold.code == "insufficient_stock" and "TSHIRT-BLK-M" in hold.message
    assert StockLevel.objects.get(sku=tshirt).allocated == 0


def test_remarks_and_prepayment_each_add_their_hold(shop):
    channel, _tshirt = shop
    order = order_import(
        channel=channel,
        canonical=canonical(remarks="不在の場合は宅配ボックスへ", payment_method="bank_transfer", paid=False),
        payload={},
    ).order

    assert set(order.holds.values_list("code", flat=True)) == {"remarks", "payment_pending"}
    assert order.status == S.ON_HOLD


def test_payment_seen_on_the_shop_clears_the_payment_hold(shop):
    channel, _tshirt = shop
    order_import(
        channel=channel, canonical=canonical(payment_method="bank_transfer", paid=False), payload={"v": 1}
    )

    order = order_import(
        channel=channel, canonical=canonical(payment_method="bank_transfer", paid=True), payload={"v": 2}
    ).order

    assert order.status == S.READY
    assert not order.holds.filter(resolved_at__isnull=True).exists()


def test_cancellation_on_the_shop_releases_the_stock(shop):
    channel, tshirt = shop
    order_import(channel=channel, canonical=canonical(), payload={"v": 1})

    result = order_import(channel=channel, canonical=canonical(cancelled=True), payload={"v": 2})

    assert result.changed and result.order.status == S.CANCELLED
    assert StockLevel.objects.get(sku=tshirt).allocated == 0


def test_changed_quantity_reallocates(shop):
    channel, tshirt = shop
    order_import(channel=channel, canonical=canonical(), payload={"v": 1})

    order = order_import(
        channel=channel,
        canonical=canonical(lines=[CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "T", 3, 2980)]),
        payload={"v": 2},
    ).order

    assert order.lines.get().allocated_quantity == 3
    assert StockLevel.objects.get(sku=tshirt).allocated == 3


def test_a_released_remarks_hold_is_not_raised_again_by_an_update(shop, django_user_model):
    from orders.services import order_hold_resolve, order_refresh_status

    channel, _tshirt = shop
    order = order_import(
        channel=channel, canonical=canonical(remarks="ギフト包装希望"), payload={"v": 1}
    ).order
    order_hold_resolve(hold=order.holds.get(code="remarks"), actor="user:alice")
    order_refresh_status(order=order, actor="user:alice")

    order = order_import(
        channel=channel,
        canonical=canonical(remarks="ギフト包装希望", delivery_time="18-20"),
        payload={"v": 2},
    ).order

    assert order.status == S.READY
    assert order.delivery_time == "18-20"


def test_waiting_orders_are_allocated_oldest_first_when_stock_arrives(shop):
    from orders.intake import orders_allocate_waiting

    channel, tshirt = shop
    six = [CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "T", 6, 2980)]
    older = order_import(
        channel=channel, canonical=canonical(external_id="A-1", lines=six, **buyer(1)), payload={}
    ).order
    newer = order_import(
        channel=channel,
        canonical=canonical(
            external_id="A-2", lines=six, ordered_at=datetime(2026, 11, 26, 11, 0, tzinfo=JST), **buyer(2)
        ),
        payload={},
    ).order
    stock_adjust(sku=tshirt, delta=3, actor="test")  # 8 free: enough for one order of 6

    assert orders_allocate_waiting() == 1

    older.refresh_from_db()
    newer.refresh_from_db()
    assert (older.status, newer.status) == (S.READY, S.AWAITING_STOCK)


def test_a_page_allocates_first_come_first_served_with_a_fixed_number_of_queries(
    shop, django_assert_max_num_queries
):
    from orders.intake import orders_import

    channel, tshirt = shop  # 5 units free
    two = [CanonicalLine("1", "tshirt", "TSHIRT-BLK-M", "T", 2, 2980)]
    page = [(canonical(external_id=f"P-{n}", lines=two, **buyer(n)), {"n": n}) for n in range(30)]

    with django_assert_max_num_queries(30):
        results = orders_import(channel=channel, items=page)

    statuses = [r.order.status for r in results]
    assert statuses[:2] == [S.READY, S.READY]
    assert set(statuses[2:]) == {S.AWAITING_STOCK}
    assert StockLevel.objects.get(sku=tshirt).allocated == 4
    assert Order.objects.filter(status=S.READY).count() == 2
    assert Order.objects.get(external_id="P-3").holds.get().code == "insufficient_stock"


def test_a_page_that_repeats_an_order_imports_it_once(shop):
    from orders.intake import orders_import

    channel, _tshirt = shop
    results = orders_import(channel=channel, items=[(canonical(), {"v": 1}), (canonical(), {"v": 1})])

    assert len(results) == 1 and Order.objects.count() == 1


def test_a_pages_confirmation_mails_read_as_if_each_order_were_read_back(shop):
    """Intake renders confirmation mails from the orders it has just saved; they must be what rendering
    the stored order gives."""
    from notifications.models import MailTemplate, OutboundMail
    from notifications.rendering import mail_render
    from orders.intake import orders_import

    channel, _tshirt = shop
    template = MailTemplate.objects.update_or_create(
        code="order_confirmation",
        defaults={
            "name": "ご注文確認",
            "subject": "【{{ shop_name }}】{{ order.external_id }} {{ order.get_status_display }}",
            "body": "{{ order.buyer_name }} 様 {{ order.ordered_at }} {{ order.total }}円"
            " {{ order.paid_at|date:'Y' }}\n"
            "{% for line in order.lines.all %}{{ line.name }}×{{ line.quantity }}@{{ line.unit_price }}"
            " {{ line.sku.code }}\n{% endfor %}{{ order.lines.count }}行 {{ order.get_delivery_time_display }}"
            " {{ order.delivery_date|date:'n月j日' }} {% for s in order.shipments.all %}x{% endfor %}"
            "{% for link in tracking_links %}{{ link.url }}{% endfor %} {{ order.channel.name }}",
            "enabled": True,
        },
    )[0]
    page = [(canonical(external_id=f"M-{n}", **buyer(n)), {"n": n}) for n in range(2)]  # 5 units: 2 orders

    orders_import(channel=channel, items=page)

    mails = OutboundMail.objects.filter(template=template).select_related("order").order_by("order_id")
    assert mails.count() == 2
    for mail in mails:
        again = mail_render(template=template, order=Order.objects.get(pk=mail.order_id))
        assert (mail.subject, mail.body) == (again.subject, again.body)
        assert "Tシャツ ブラック M×2@2980 TSHIRT-BLK-M" in mail.body
