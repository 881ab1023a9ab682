"""mail_queue: one outbox row per order and template, written in the caller's transaction."""

import pytest
from django.db import transaction

from notifications.models import OutboundMail
from notifications.selectors import mail_list_for_order
from notifications.services import mail_queue
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr("notifications.services._enqueue_send", lambda *args: calls.append(args))
    return calls


def test_queuing_stores_the_rendered_mail_for_the_buyer(mail_templates, shop_order):
    mail = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")

    mail.refresh_from_db()
    assert (mail.status, mail.to, mail.attempts, mail.last_error) == ("queued", "taro@example.jp", 0, "")
    assert (
        mail.subject
        == "【さくら堂 楽天市場店】ご注文ありがとうございます（注文番号 100001-20261126-00000042）"
    )
    assert mail.body.startswith("山田 太郎 様\n")
    assert mail.message_id.startswith(f"<oms-mail-{shop_order.pk}-order_confirmation-")
    assert mail.message_id.endswith("@example.jp>")


def test_queuing_records_a_mail_queued_event_in_the_timeline(mail_templates, shop_order):
    mail = mail_queue(order=shop_order, template_code="order_confirmation", actor="user:staff")

    event = OrderEvent.objects.get(order=shop_order)
    assert (event.kind, event.actor, event.after) == (
        "mail_queued",
        "user:staff",
        {"mail_id": mail.pk, "template": "order_confirmation"},
    )
    assert event.message.startswith("ご注文確認メール: 【さくら堂 楽天市場店】")


def test_queuing_twice_returns_the_first_row_and_records_one_event(mail_templates, shop_order):
    first = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
    second = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")

    assert second.pk == first.pk
    assert OutboundMail.objects.count() == 1
    assert OrderEvent.objects.filter(kind="mail_queued").count() == 1


def test_each_template_gets_its_own_row(mail_templates, shop_order):
    mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
    mail_queue(order=shop_order, template_code="shipping_notice", actor="system")

    assert OutboundMail.objects.filter(order=shop_order).count() == 2


def test_a_disabled_template_queues_nothing(mail_templates, shop_order):
    mail_templates["order_confirmation"].enabled = False
    mail_templates["order_confirmation"].save()

    assert mail_queue(order=shop_order, template_code="order_confirmation", actor="system") is None
    assert not OutboundMail.objects.exists()
    assert not OrderEvent.objects.exists()


def test_an_order_without_buyer_email_queues_nothing(mail_templates, shop_order):
    shop_order.buyer_email = ""
    shop_order.save()

    assert mail_queue(order=shop_order, template_code="order_confirmation", actor="system") is None
    assert not OutboundMail.objects.exists()


def test_an_unknown_template_code_queues_nothing(mail_templates, shop_order):
    assert mail_queue(order=shop_order, template_code="no_such_mail", actor="system") is None


def test_the_row_rolls_back_with_the_callers_transaction(mail_templates, shop_order):
    with pytest.raises(RuntimeError), transaction.atomic():
        mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
        raise RuntimeError("the change that caused the mail failed")

    assert not OutboundMail.objects.exists()
    assert not OrderEvent.objects.exists()


def test_the_send_is_enqueued_only_after_commit(
    settings, mail_templates, shop_order, enqueued, django_capture_on_commit_callbacks
):
    settings.OMS_MAIL_TRIGGERS = True
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        mail = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
        assert enqueued == []

    for callback in callbacks:
        callback()
    assert enqueued == [(mail.pk, 0)]


def test_without_mail_triggers_nothing_is_enqueued(
    settings, mail_templates, shop_order, enqueued, django_capture_on_commit_callbacks
):
    settings.OMS_MAIL_TRIGGERS = False

    with django_capture_on_commit_callbacks(execute=True):
        mail_queue(order=shop_order, template_code="order_confirmation", actor="system")

    assert enqueued == []


def test_a_broken_template_is_a_visible_failure_not_a_failed_order_change(
    mail_templates, shop_order, enqueued, django_capture_on_commit_callbacks
):
    template = mail_templates["order_confirmation"]
    template.body = "{% for line in order.lines.all %}"
    template.save()

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        mail = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
        shop_order.remarks = "the caller's transaction still works"
        shop_order.save()

    mail.refresh_from_db()
    assert mail.status == "failed"
    assert mail.last_error.startswith("テンプレートエラー:")
    assert OrderEvent.objects.get(order=shop_order).kind == "mail_failed"
    assert enqueued == []


def test_an_orders_mails_are_listed_in_the_order_they_were_queued(mail_templates, shop_order):
    first = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
    second = mail_queue(order=shop_order, template_code="shipping_notice", actor="system")

    assert list(mail_list_for_order(order=shop_order)) == [first, second]
