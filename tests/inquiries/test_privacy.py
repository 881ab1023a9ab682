"""Personal data (APPI): anonymising an order, after its retention or on the buyer's erasure request, empties the
buyer's questions about it too, and a later poll of the shop does not write the name back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from channels.adapters.inquiries import CanonicalInquiry, InquiryMessageData
from notifications.inquiry_services import ANONYMISED, inquiry_import, inquiry_set_memo
from notifications.models import InquiryThread
from orders.models import Order
from orders.privacy import buyer_erase, order_anonymise, orders_anonymise_due
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_triggers(settings):
    settings.OMS_INQUIRY_TRIGGERS = False


def question(number: str, external_id: str, *messages: InquiryMessageData) -> CanonicalInquiry:
    return CanonicalInquiry(
        external_id=external_id,
        subject="配送先の変更（山田 太郎）",
        external_order_id=number,
        buyer_name="山田 太郎",
        buyer_contact="abc@pc.fw.rakuten.ne.jp",
        completed=False,
        messages=list(messages) or [InquiryMessageData("1", "in", "住所を千代田1-1に変えてください", T0)],
        shop_data={"item": "Tシャツ"},
    )


@pytest.fixture
def channel():
    return ChannelFactory(kind="rakuten", name="rakuten-shop", personal_data_retention_days=30)


def assert_anonymised(thread: InquiryThread) -> None:
    thread.refresh_from_db()
    assert (thread.buyer_name, thread.buyer_contact, thread.subject, thread.memo, thread.shop_data) == (
        ANONYMISED,
        "",
        ANONYMISED,
        "",
        {},
    )
    assert set(thread.messages.values_list("body", flat=True)) == {ANONYMISED}


def test_anonymising_an_order_empties_its_threads_and_leaves_other_orders_threads(channel):
    order = OrderFactory(channel=channel, external_id="R-1", status="shipped")
    other = OrderFactory(channel=channel, external_id="R-2", status="shipped")
    thread = inquiry_import(channel=channel, canonical=question("R-1", "T1")).thread
    inquiry_set_memo(thread=thread, memo="電話 090-1234-5678", actor="cs")
    kept = inquiry_import(channel=channel, canonical=question("R-2", "T2")).thread

    assert order_anonymise(order=order, actor="test", reason="削除請求") is True

    assert_anonymised(thread)
    assert thread.order == order and thread.status == InquiryThread.Status.NEW
    kept.refresh_from_db()
    assert kept.buyer_name == "山田 太郎" and kept.order == other


def test_a_thread_naming_the_order_but_not_linked_yet_is_anonymised_too(channel):
    order = OrderFactory(channel=channel, external_id="R-1", status="shipped")
    thread = inquiry_import(channel=channel, canonical=question("R-1", "T1")).thread
    InquiryThread.objects.filter(pk=thread.pk).update(order=None)

    order_anonymise(order=order, actor="test", reason="削除請求")

    assert_anonymised(thread)


def test_the_retention_job_and_an_erasure_request_reach_the_threads(channel):
    old = OrderFactory(channel=channel, external_id="R-OLD", status="shipped", buyer_email="a@example.jp")
    Order.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=31))
    OrderFactory(channel=channel, external_id="R-ERASE", status="cancelled", buyer_email="b@example.jp")
    old_thread = inquiry_import(channel=channel, canonical=question("R-OLD", "T1")).thread
    erased_thread = inquiry_import(channel=channel, canonical=question("R-ERASE", "T2")).thread

    assert orders_anonymise_due() == 1
    assert_anonymised(old_thread)
    erased_thread.refresh_from_db()
    assert erased_thread.buyer_name == "山田 太郎"

    buyer_erase(email="b@example.jp", actor="user:admin")
    assert_anonymised(erased_thread)


def test_a_later_poll_does_not_write_the_buyers_name_back_but_keeps_new_questions(channel):
    order = OrderFactory(channel=channel, external_id="R-1", status="shipped")
    thread = inquiry_import(channel=channel, canonical=question("R-1", "T1")).thread
    order_anonymise(order=order, actor="test", reason="削除請求")

    again = question(
        "R-1",
        "T1",
        InquiryMessageData("1", "in", "住所を千代田1-1に変えてください", T0),
        InquiryMessageData("2", "in", "返品できますか？", T0 + timedelta(days=1)),
    )
    result = inquiry_import(channel=channel, canonical=again)

    thread.refresh_from_db()
    assert (thread.buyer_name, thread.buyer_contact, thread.shop_data) == (ANONYMISED, "", {})
    assert result.new_messages == 1
    assert list(thread.messages.order_by("pk").values_list("body", flat=True)) == [
        ANONYMISED,
        "返品できますか？",
    ]
