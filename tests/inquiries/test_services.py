"""Inbox services and selectors on the database: statuses, the reply's claim and sweep, lists and counts."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.adapters.inquiries import CanonicalInquiry, InquiryMessageData
from channels.inquiry_push import inquiry_replies_sweep, inquiry_reply_send
from notifications.inquiry_selectors import inquiry_counts, inquiry_get, inquiry_list, inquiry_unread_count
from notifications.inquiry_sending import (
    reply_claim,
    reply_confirm_sent,
    reply_requeue,
)
from notifications.inquiry_services import (
    inquiry_assign,
    inquiry_close,
    inquiry_import,
    inquiry_link_orders,
    inquiry_reply,
    inquiry_set_memo,
)
from notifications.models import InquiryMessage, InquiryThread
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db
Status = InquiryThread.Status
State = InquiryMessage.State
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_triggers(settings):
    settings.OMS_INQUIRY_TRIGGERS = False


def canonical(
    external_id="T1", *messages, order="100001-20261120-00000101", completed=False, name="山田 太郎"
):
    messages = messages or (InquiryMessageData("1", "in", "いつ届きますか？", T0),)
    return CanonicalInquiry(
        external_id=external_id,
        subject="ご注文について",
        external_order_id=order,
        buyer_name=name,
        buyer_contact="abc@pc.fw.rakuten.ne.jp",
        completed=completed,
        messages=list(messages),
    )


@pytest.fixture
def channel():
    return ChannelFactory(kind="rakuten", name="rakuten-shop")


def test_importing_the_same_thread_twice_stores_it_once(channel):
    order = OrderFactory(channel=channel, external_id="100001-20261120-00000101")

    first = inquiry_import(channel=channel, canonical=canonical())
    second = inquiry_import(channel=channel, canonical=canonical())

    assert (first.created, first.new_messages, second.created, second.new_messages) == (True, 1, False, 0)
    thread = InquiryThread.objects.get()
    assert (thread.order, thread.status, thread.unread, thread.last_message_at) == (
        order,
        Status.NEW,
        True,
        T0,
    )


def test_a_thread_already_answered_or_done_in_the_shop_arrives_as_such(channel):
    answered = canonical(
        "A", InquiryMessageData("1", "in", "?", T0), InquiryMessageData("2", "out", "はい", T0)
    )
    done = canonical("D", completed=True)

    inquiry_import(channel=channel, canonical=answered)
    inquiry_import(channel=channel, canonical=done)

    statuses = dict(InquiryThread.objects.values_list("external_id", "status"))
    assert statuses == {"A": Status.REPLIED, "D": Status.CLOSED}


def test_the_shop_marking_a_thread_done_closes_it_once(channel):
    inquiry_import(channel=channel, canonical=canonical())
    inquiry_import(channel=channel, canonical=canonical(completed=True))
    thread = InquiryThread.objects.get()
    assert thread.status == Status.CLOSED

    InquiryThread.objects.filter(pk=thread.pk).update(status=Status.IN_PROGRESS)  # reopened here
    inquiry_import(channel=channel, canonical=canonical(completed=True))

    assert InquiryThread.objects.get().status == Status.IN_PROGRESS


def test_a_reply_makes_a_new_thread_in_progress_and_is_refused_on_a_closed_one(channel):
    thread = inquiry_import(channel=channel, canonical=canonical()).thread

    reply = inquiry_reply(thread=thread, body="確認いたします。", actor="user:cs")
    thread.refresh_from_db()
    assert (reply.state, reply.attempts, thread.status, thread.unread) == (
        State.PENDING,
        0,
        Status.IN_PROGRESS,
        False,
    )
    assert reply.reply_key.startswith("<oms-inquiry-")

    inquiry_close(thread=thread, actor="user:cs", tell_shop=False)
    with pytest.raises(ValidationError):
        inquiry_reply(thread=thread, body="もう一度", actor="user:cs")


def test_a_claim_with_a_stale_token_takes_nothing(channel):
    thread = inquiry_import(channel=channel, canonical=canonical()).thread
    reply = inquiry_reply(thread=thread, body="確認いたします。", actor="cs")

    assert reply_claim(message_id=reply.pk, expected_attempts=0) is not None
    assert reply_claim(message_id=reply.pk, expected_attempts=0) is None
    assert inquiry_reply_send(message_id=reply.pk, expected_attempts=0).status == "skipped"


def test_the_shops_copy_of_a_reply_in_flight_marks_it_sent_instead_of_adding_a_message(channel):
    thread = inquiry_import(channel=channel, canonical=canonical()).thread
    reply = inquiry_reply(thread=thread, body="明日発送します。", actor="cs")
    reply_claim(message_id=reply.pk, expected_attempts=0)  # posted, then the worker died

    shop_copy = InquiryMessageData("reply:0", "out", "明日発送します。\r\n", T0 + timedelta(minutes=1))
    inquiry_import(
        channel=channel, canonical=canonical("T1", InquiryMessageData("1", "in", "?", T0), shop_copy)
    )

    reply.refresh_from_db()
    assert (reply.state, reply.external_id) == (State.SENT, "reply:0")
    assert thread.messages.count() == 2
    assert InquiryThread.objects.get().status == Status.REPLIED


def test_the_sweep_settles_a_reply_stuck_sending_by_the_shops_ability_to_be_read_back(channel):
    amazon = ChannelFactory(kind="amazon", name="amazon-shop", credentials={})
    stuck = []
    for shop in (channel, amazon):
        thread = inquiry_import(channel=shop, canonical=canonical(f"T-{shop.kind}")).thread
        reply = inquiry_reply(thread=thread, body="確認いたします。", actor="cs")
        reply_claim(message_id=reply.pk, expected_attempts=0)
        stuck.append(reply)
    InquiryMessage.objects.update(claimed_at=timezone.now() - timedelta(hours=1))

    result = inquiry_replies_sweep()

    rakuten, amazon_reply = (InquiryMessage.objects.get(pk=r.pk) for r in stuck)
    assert result.settled == 2
    assert (rakuten.state, rakuten.outcome_unknown, rakuten.retry_at is not None) == (
        State.FAILED,
        True,
        True,
    )
    assert (amazon_reply.state, amazon_reply.retry_at) == (State.FAILED, None)
    assert "送信結果不明" in amazon_reply.error
    assert (rakuten.pk, rakuten.attempts) in result.enqueued


def test_staff_settle_a_reply_of_unknown_outcome(channel):
    thread = inquiry_import(channel=channel, canonical=canonical()).thread
    replies = [inquiry_reply(thread=thread, body=f"返信{n}", actor="cs") for n in range(2)]
    unknown = {"state": State.FAILED, "error": "送信結果不明", "outcome_unknown": True}
    InquiryMessage.objects.filter(direction="out").update(**unknown)

    assert reply_confirm_sent(reply=replies[0], actor="user:cs") is True
    assert reply_requeue(reply=replies[1], actor="user:cs") is True

    first, second = (InquiryMessage.objects.get(pk=r.pk) for r in replies)
    assert first.state == State.SENT
    assert (second.state, second.outcome_unknown, second.retry_at is not None) == (State.FAILED, False, True)
    assert InquiryThread.objects.get().status == Status.REPLIED


def test_assigning_and_memo(channel):
    user = get_user_model().objects.create_user("cs1")
    thread = inquiry_import(channel=channel, canonical=canonical()).thread

    inquiry_assign(thread=thread, assignee=user, actor="user:lead")
    inquiry_set_memo(thread=thread, memo="  住所変更の相談。倉庫に確認中  ", actor="user:cs1")

    thread.refresh_from_db()
    assert (thread.assignee, thread.status, thread.memo) == (
        user,
        Status.IN_PROGRESS,
        "住所変更の相談。倉庫に確認中",
    )


def test_threads_are_linked_to_orders_that_arrive_later(channel):
    inquiry_import(channel=channel, canonical=canonical())
    order = OrderFactory(channel=channel, external_id="100001-20261120-00000101")

    assert inquiry_link_orders(channel=channel) == 1
    assert InquiryThread.objects.get().order == order


def test_the_list_filters_and_counts(channel):
    yahoo = ChannelFactory(kind="yahoo", name="yahoo-shop")
    inquiry_import(channel=channel, canonical=canonical("R1"))
    inquiry_import(channel=channel, canonical=canonical("R2", completed=True))
    inquiry_import(channel=yahoo, canonical=canonical("Y1", name="", order=""))
    InquiryMessage.objects.create(thread=InquiryThread.objects.get(external_id="Y1"), direction="in",
                                  body="ギフト包装はできますか", external_id="9")  # fmt: skip

    assert set(inquiry_list(filters={"status": "open"}).values_list("external_id", flat=True)) == {"R1", "Y1"}
    assert list(inquiry_list(filters={"channel": "yahoo-shop"}).values_list("external_id", flat=True)) == [
        "Y1"
    ]
    assert list(inquiry_list(filters={"q": "ギフト"}).values_list("external_id", flat=True)) == ["Y1"]
    assert list(inquiry_list(filters={"status": "closed"}).values_list("external_id", flat=True)) == ["R2"]
    counts = inquiry_counts()
    assert (counts.unread, counts.by_status["new"], counts.by_status["closed"]) == (2, 2, 1)
    assert counts.unread_by_channel == {"rakuten-shop": 1, "yahoo-shop": 1}
    assert inquiry_unread_count() == 2


def test_the_list_costs_the_same_number_of_queries_whatever_its_length(channel):
    def queries(threads: int) -> int:
        for n in range(threads):
            inquiry_import(channel=channel, canonical=canonical(f"Q{threads}-{n}"))
        with CaptureQueriesContext(connection) as captured:
            rows = list(inquiry_list())
            _ = [(t.channel.name, t.order, t.assignee, t.message_count) for t in rows]
        return len(captured)

    assert queries(2) == queries(10)


def test_one_thread_comes_with_its_messages_in_order(channel):
    later = InquiryMessageData("2", "in", "追伸", T0 + timedelta(minutes=5))
    thread = inquiry_import(
        channel=channel, canonical=canonical("T1", later, InquiryMessageData("1", "in", "?", T0))
    )

    loaded = inquiry_get(thread_id=thread.thread.pk)

    assert [m.body for m in loaded.messages.all()] == ["?", "追伸"]


def test_personal_data_retention_empties_the_orders_threads(channel):
    order = OrderFactory(channel=channel, external_id="100001-20261120-00000101")
    thread = inquiry_import(channel=channel, canonical=canonical()).thread
    inquiry_set_memo(thread=thread, memo="住所: 千代田1-1", actor="cs")

    from notifications.inquiry_services import inquiries_anonymise_for_order

    assert inquiries_anonymise_for_order(order=order) == 1
    thread.refresh_from_db()
    assert (thread.buyer_name, thread.buyer_contact, thread.memo) == ("匿名化済み", "", "")
    assert list(thread.messages.values_list("body", flat=True)) == ["匿名化済み"]
    assert thread.order == order
