"""Reply templates: rendered with the order's variables (tracking link, delivery date), previewed, and the
one-click tracking offer; only what the shop itself shows about the buyer."""

from datetime import date

import pytest
from django.utils import timezone

from notifications.inquiry_replies import reply_context, reply_preview, reply_template_error, tracking_offer
from notifications.models import InquiryThread, ReplyTemplate
from shipping.models import Carrier, Shipment
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db

TRACKING = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number={number}"
BODY = (
    "{% if buyer_name %}{{ buyer_name }} 様{% else %}お客様{% endif %}\n"
    "ご注文 {{ order_number }} は {{ carrier_name }} でお届けします（お届け希望日 {{ delivery_date|date:'n月j日' }}"
    " {{ delivery_time }}）。\n"
    "お問い合わせ番号: {{ tracking_number }}\n"
    "{% if tracking_url %}{{ tracking_url }}{% endif %}\n"
    "{{ shop_name }}"
)


def shipped_thread(kind: str, buyer_name: str) -> InquiryThread:
    channel = ChannelFactory(kind=kind, name=f"{kind}-shop", display_name=f"さくら堂 {kind}")
    order = OrderFactory(
        channel=channel, external_id="ORDER-1", delivery_date=date(2026, 12, 5), delivery_time="14-16"
    )
    carrier, _ = Carrier.objects.get_or_create(
        code="yamato", defaults={"name": "ヤマト運輸", "tracking_url_template": TRACKING}
    )
    Shipment.objects.create(
        order=order, carrier=carrier, tracking_number="444413758703", shipped_at=timezone.now()
    )
    return InquiryThread.objects.create(
        channel=channel, external_id="T1", order=order, external_order_id="ORDER-1", buyer_name=buyer_name,
        subject="配送について",
    )  # fmt: skip


@pytest.fixture
def template():
    return ReplyTemplate.objects.create(code="shipped", name="発送のご案内", body=BODY)


def test_a_template_renders_with_the_tracking_link_and_the_delivery_date(template):
    thread = shipped_thread("amazon", "山田 太郎")

    text = reply_preview(template, thread)

    assert text == (
        "山田 太郎 様\n"
        "ご注文 ORDER-1 は ヤマト運輸 でお届けします（お届け希望日 12月5日 14時～16時）。\n"
        "お問い合わせ番号: 444413758703\n"
        "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number=444413758703\n"
        "さくら堂 amazon"
    )


def test_a_yahoo_reply_names_nobody_because_yahoo_shows_no_buyer_name(template):
    thread = shipped_thread("yahoo", "")

    text = reply_preview(template, thread)

    assert text.startswith("お客様\n")
    assert "山田" not in text  # the order knows the name; the template is not offered it


def test_a_rakuten_reply_leaves_out_the_carriers_link_that_rakuten_does_not_take(template):
    thread = shipped_thread("rakuten", "山田 太郎")

    text = reply_preview(template, thread)

    assert "444413758703" in text
    assert "kuronekoyamato" not in text
    assert reply_context(thread=thread)["tracking_url"] == ""


def test_the_tracking_number_is_offered_in_one_click():
    offer = tracking_offer(thread=shipped_thread("yahoo", ""))

    assert (offer.carrier, offer.number) == ("ヤマト運輸", "444413758703")
    assert offer.url.endswith("number=444413758703")
    assert offer.text == (
        "ヤマト運輸のお問い合わせ番号は 444413758703 です。\n"
        "配送状況はこちらからご確認いただけます: https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number=444413758703"
    )


def test_no_offer_without_a_tracking_number():
    channel = ChannelFactory(kind="yahoo", name="yahoo-shop")
    thread = InquiryThread.objects.create(
        channel=channel, external_id="T2", order=OrderFactory(channel=channel)
    )

    assert tracking_offer(thread=thread) is None


def test_a_template_that_does_not_compile_is_reported():
    assert reply_template_error("{% if %}") is not None
    assert reply_template_error(BODY) is None
