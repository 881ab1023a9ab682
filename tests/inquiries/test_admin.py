"""The inbox's admin pages open, and their actions go through the services."""

import pytest
from django.urls import reverse

from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread():
    channel = ChannelFactory(kind="yahoo", name="yahoo-shop")
    thread = InquiryThread.objects.create(
        channel=channel, external_id="T1", order=OrderFactory(channel=channel), subject="配送について"
    )
    InquiryMessage.objects.create(thread=thread, direction="in", body="いつ届きますか？", external_id="1")
    return thread


def test_thread_pages_show_the_messages_read_only(admin_client, thread):
    listing = admin_client.get(reverse("admin:notifications_inquirythread_changelist"))
    page = admin_client.get(reverse("admin:notifications_inquirythread_change", args=[thread.pk]))

    assert listing.status_code == page.status_code == 200
    assert "いつ届きますか？" in page.content.decode()


def test_the_close_action_closes_through_the_service(admin_client, thread, settings):
    settings.OMS_INQUIRY_TRIGGERS = False

    admin_client.post(
        reverse("admin:notifications_inquirythread_changelist"),
        {"action": "close_threads", "_selected_action": [thread.pk]},
    )

    assert InquiryThread.objects.get().status == InquiryThread.Status.CLOSED


def test_a_template_page_previews_it_on_a_thread_and_refuses_a_broken_one(admin_client, thread):
    template = ReplyTemplate.objects.create(
        code="thanks", name="お礼", body="{{ shop_name }} です。{{ order_number }}"
    )
    page = admin_client.get(reverse("admin:notifications_replytemplate_change", args=[template.pk]))
    broken = admin_client.post(
        reverse("admin:notifications_replytemplate_add"),
        {"code": "bad", "name": "壊れた", "body": "{% if %}"},
    )

    assert thread.order.external_id in page.content.decode()
    assert "テンプレートの書式エラー" in broken.content.decode()
