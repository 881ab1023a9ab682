"""Admin: template preview on a real order, syntax check on save, resend and confirm actions."""

import pytest
from django.urls import reverse

from notifications.models import OutboundMail
from notifications.services import mail_queue
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def preview_url(template) -> str:
    return reverse("admin:notifications_mailtemplate_preview", args=[template.pk])


def test_the_preview_renders_the_template_on_the_chosen_order(admin_client, mail_templates, shop_order):
    OrderFactory(external_id="someone-else")

    response = admin_client.get(preview_url(mail_templates["order_confirmation"]), {"order": shop_order.pk})

    content = response.content.decode()
    assert response.status_code == 200
    assert "【さくら堂 楽天市場店】ご注文ありがとうございます（注文番号 100001-20261126-00000042）" in content
    assert "・オーガニックコットン Tシャツ ブラック M × 2" in content


def test_the_preview_without_an_order_uses_the_newest(admin_client, mail_templates, shop_order):
    newest = OrderFactory(external_id="100001-20261127-00000001")

    response = admin_client.get(preview_url(mail_templates["order_confirmation"]))

    assert newest.external_id in response.content.decode()


def test_the_preview_says_when_the_order_does_not_exist(admin_client, mail_templates):
    response = admin_client.get(preview_url(mail_templates["order_confirmation"]), {"order": "999999"})

    assert "注文 999999 が見つかりません" in response.content.decode()


def test_the_change_page_links_to_the_preview(admin_client, mail_templates):
    template = mail_templates["shipping_notice"]

    response = admin_client.get(reverse("admin:notifications_mailtemplate_change", args=[template.pk]))

    assert preview_url(template) in response.content.decode()


def test_a_template_that_does_not_compile_is_not_saved(admin_client, mail_templates):
    template = mail_templates["order_confirmation"]
    url = reverse("admin:notifications_mailtemplate_change", args=[template.pk])

    response = admin_client.post(
        url,
        {
            "code": template.code,
            "name": template.name,
            "subject": template.subject,
            "body": "{% for line in order.lines.all %}",
            "enabled": "on",
        },
    )

    assert response.status_code == 200
    assert "テンプレートの書式エラー" in response.content.decode()
    template.refresh_from_db()
    assert template.body.startswith("{{ order.buyer_name }}")


def test_the_resend_action_queues_a_failed_mail_again(admin_client, mail_templates, shop_order, monkeypatch):
    monkeypatch.setattr("notifications.services._enqueue_send", lambda *args: None)
    mail = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
    OutboundMail.objects.filter(pk=mail.pk).update(status="failed", attempts=1, last_error="送信結果不明")

    admin_client.post(
        reverse("admin:notifications_outboundmail_changelist"),
        {"action": "resend", "_selected_action": [mail.pk]},
    )

    mail.refresh_from_db()
    assert mail.status == "queued"
    assert mail.order.events.last().actor == "user:admin"
