"""The order slip's history (履歴) in people's words: field names as the slip labels them, status, hold and
template names, actors by name, the raw values kept in title attributes (oms/templatetags/dashboard_timeline)."""

import re

import pytest

from tests.dashboard.conftest import import_order
from tests.dashboard.test_slip import slip
from tests.orders.test_intake import buyer

pytestmark = pytest.mark.django_db


@pytest.fixture
def eventful_order(shop, users):
    """An order whose timeline holds what a walkthrough met as raw keys: a status change, an edited wish, a
    hold, a queued mail, a user with a name and the shop as actors."""
    from notifications.models import MailTemplate, OutboundMail
    from orders.services import event_record

    order = import_order(shop, external_id="R-EVENTS", **buyer(6))
    user = users["operator"]
    user.last_name = "山田"
    user.save(update_fields=["last_name"])
    template, _ = MailTemplate.objects.update_or_create(
        code="thanks_test", defaults={"name": "ご購入御礼", "subject": "s", "body": "b"}
    )
    mail = OutboundMail.objects.create(
        order=order, template=template, to="a@example.jp", subject="s", body="b"
    )
    order.events.all().delete()  # only the events below
    record = {"order": order, "actor": "user:operator-user"}
    event_record(
        kind="status_changed", before={"status": "awaiting_payment"}, after={"status": "ready"}, **record
    )
    event_record(
        kind="edited",
        before={"delivery_date": "None", "delivery_time": ""},
        after={"delivery_date": "2026-11-30", "delivery_time": "08-12"},
        **record,
    )
    event_record(kind="hold_added", after={"hold": "remarks"}, order=order, actor=f"channel:{shop.name}")
    event_record(
        kind="mail_queued", after={"mail_id": mail.pk, "template": "thanks_test"}, order=order, actor="system"
    )
    return order


def history_of(response) -> str:
    return response.content.decode().split('id="timeline"')[1].split("</section>")[0]


def shown(html: str) -> str:
    """The text a person reads (tags, and so title attributes, left out), one space between words."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace(" ,", ",")


def test_the_history_shows_field_status_hold_and_template_names_and_who_by_name(login, eventful_order):
    history = shown(history_of(login("operator").get(slip(eventful_order))))

    assert "ステータス: 入金待ち → ステータス: 印刷待ち" in history
    assert (
        "お届け希望日: —, お届け希望時間帯: 指定なし → お届け希望日: 2026-11-30, お届け希望時間帯: 午前中"
        in history
    )
    assert "保留理由: 備考あり" in history
    assert "メールテンプレート: ご購入御礼" in history
    assert "山田" in history and "テスト店 楽天市場店" in history
    for raw in ("status:", "delivery_date", "hold:", "template:", "mail_id", "user:", "channel:", "system"):
        assert raw not in history


def test_the_history_names_automatic_steps_as_the_system(login, eventful_order):
    history = shown(history_of(login("operator").get(slip(eventful_order))))

    assert "メール送信待ち システム メールテンプレート: ご購入御礼" in history


def test_the_history_keeps_the_raw_values_in_title_attributes(login, eventful_order):
    history = history_of(login("operator").get(slip(eventful_order)))

    assert 'title="user:operator-user"' in history
    assert 'title="hold: remarks"' in history
    assert f'title="mail_id: {eventful_order.mails.get().pk}, template: thanks_test"' in history


def test_the_english_history_names_the_fields_in_english(login, eventful_order):
    history = shown(history_of(login("operator").get(slip(eventful_order), HTTP_ACCEPT_LANGUAGE="en")))

    assert (
        "Wished delivery date: —, Wished time slot: No preference" in history
    )  # choice labels translated too
    assert "Status: Awaiting payment → Status: Ready to print" in history
    assert "Hold: Remarks" in history
    assert "Mail template: ご購入御礼" in history
    assert "System" in history


def test_the_english_order_list_names_statuses_in_english(login, eventful_order):
    page = login("operator").get("/orders/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Ready to print" in page and "印刷待ち" not in page
