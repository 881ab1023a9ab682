"""Rendering the demo's Japanese templates on an order."""

from datetime import date

import pytest

from notifications.rendering import mail_render, template_syntax_error
from shipping.models import Carrier, Shipment

pytestmark = pytest.mark.django_db


def test_confirmation_subject_names_the_shop_and_the_order_number(mail_templates, shop_order):
    rendered = mail_render(template=mail_templates["order_confirmation"], order=shop_order)

    assert (
        rendered.subject
        == "【さくら堂 楽天市場店】ご注文ありがとうございます（注文番号 100001-20261126-00000042）"
    )


def test_confirmation_body_lists_lines_total_and_wished_delivery(mail_templates, shop_order):
    rendered = mail_render(template=mail_templates["order_confirmation"], order=shop_order)

    assert rendered.body.startswith("山田 太郎 様\n\nさくら堂 楽天市場店をご利用いただき")
    assert "・オーガニックコットン Tシャツ ブラック M × 2\n・自家焙煎コーヒー豆 200g × 1\n" in rendered.body
    assert "合計金額：7940円\n" in rendered.body
    assert "お届け希望日：2026年12月5日\n" in rendered.body
    assert "お届け希望時間帯：14時～16時\n" in rendered.body


def test_shop_name_falls_back_to_the_channel_name(mail_templates, shop_order):
    shop_order.channel.display_name = ""
    shop_order.channel.save()

    rendered = mail_render(template=mail_templates["order_confirmation"], order=shop_order)

    assert rendered.subject.startswith("【rakuten】")


def test_shipping_notice_links_each_parcel_to_its_carrier_tracking_page(mail_templates, shop_order):
    yamato = Carrier.objects.create(
        code="yamato",
        name="ヤマト運輸",
        tracking_url_template="https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id={number}",
    )
    sagawa = Carrier.objects.create(
        code="sagawa",
        name="佐川急便",
        tracking_url_template="https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={number}",
    )
    Shipment.objects.create(order=shop_order, carrier=yamato, tracking_number="444413758703")
    Shipment.objects.create(order=shop_order, carrier=sagawa, tracking_number="360123456789")

    rendered = mail_render(template=mail_templates["shipping_notice"], order=shop_order)

    assert (
        "配送業者：ヤマト運輸\nお問い合わせ番号：444413758703\n"
        "配送状況：https://jizen.kuronekoyamato.co.jp/jizen/servlet/crjz.b.NQ0010?id=444413758703\n"
    ) in rendered.body
    assert "配送状況：https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo=360123456789\n" in (
        rendered.body
    )


def test_delivery_date_change_shows_the_date_from_extra_context(mail_templates, shop_order):
    rendered = mail_render(
        template=mail_templates["delivery_date_change"],
        order=shop_order,
        extra_context={"new_delivery_date": date(2026, 12, 8)},
    )

    assert "変更後のお届け予定日：2026年12月8日\n" in rendered.body


def test_plain_text_mails_are_not_html_escaped(mail_templates, shop_order):
    shop_order.buyer_name = "R&D <研究所>"
    shop_order.save()

    rendered = mail_render(template=mail_templates["order_confirmation"], order=shop_order)

    assert rendered.body.startswith("R&D <研究所> 様")


def test_a_subject_becomes_one_line(mail_templates, shop_order):
    template = mail_templates["order_confirmation"]
    template.subject = "ご注文\n{{ order.external_id }}\r\n確認"

    rendered = mail_render(template=template, order=shop_order)

    assert rendered.subject == "ご注文 100001-20261126-00000042 確認"


def test_syntax_errors_are_reported_for_the_admin_form():
    assert template_syntax_error("{{ order.external_id }}") is None
    assert "for" in template_syntax_error("{% for line in order.lines.all %}")


def test_a_mail_queued_from_the_english_dashboard_is_still_japanese(mail_templates, shop_order):
    """Choice labels follow the dashboard's language (orders.models); the buyer reads Japanese."""
    from django.utils import translation

    with translation.override("en"):
        rendered = mail_render(template=mail_templates["order_confirmation"], order=shop_order)

    assert "お届け希望時間帯：14時～16時\n" in rendered.body
