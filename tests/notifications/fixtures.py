"""Shared mail test data (tests/notifications and tests/e2e/test_mail.py): the demo's Japanese templates
and an order worth mailing about."""

from datetime import date

from notifications.models import MailTemplate
from oms.demo import MAIL_TEMPLATES
from orders.models import Order
from tests.factories import ChannelFactory, OrderFactory, OrderLineFactory, ShipToFactory


def create_mail_templates() -> dict[str, MailTemplate]:
    return {
        code: MailTemplate.objects.create(code=code, name=name, subject=subject, body=body)
        for code, name, subject, body in MAIL_TEMPLATES
    }


def create_shop_order() -> Order:
    """An order from さくら堂 楽天市場店 with two lines and a wished delivery date and time."""
    channel = ChannelFactory(name="rakuten", display_name="さくら堂 楽天市場店")
    order = OrderFactory(
        channel=channel,
        external_id="100001-20261126-00000042",
        buyer_name="山田 太郎",
        buyer_email="taro@example.jp",
        total=7940,
        delivery_date=date(2026, 12, 5),
        delivery_time="14-16",
    )
    ShipToFactory(order=order)
    OrderLineFactory(order=order, name="オーガニックコットン Tシャツ ブラック M", quantity=2)
    OrderLineFactory(order=order, name="自家焙煎コーヒー豆 200g", quantity=1)
    return order
