"""The inbox against each shop's simulator over HTTP (and, for Amazon, a Maildir and SMTP): questions asked in
the shop arrive once, linked to their order; replies from the inbox appear in the shop exactly once."""

import pytest

from channels.inquiry_push import inquiry_shop_complete
from notifications.inquiry_services import inquiry_close, inquiry_reply
from notifications.models import InquiryMessage, InquiryThread
from orders.models import OrderEvent
from tests.inquiries.conftest import HTTP_FAULTS, KINDS, poll_until_clean, send_until_settled

pytestmark = pytest.mark.django_db

Status = InquiryThread.Status
State = InquiryMessage.State


@pytest.mark.parametrize("kind", KINDS)
def test_a_question_asked_in_the_shop_appears_once_linked_to_its_order(make_shop, kind):
    shop = make_shop(kind)
    order_id, order = shop.place_order()
    inquiry_id = shop.ask(order_id, "いつ届きますか？")

    first, second = shop.poll(), shop.poll()

    thread = shop.thread(inquiry_id)
    assert InquiryThread.objects.count() == 1
    assert (first.threads_created, second.threads_created) == (1, 0)
    assert thread.order == order
    assert thread.external_order_id == order_id
    assert (thread.status, thread.unread) == (Status.NEW, True)
    assert [(m.direction, m.body) for m in thread.messages.all()] == [("in", "いつ届きますか？")]
    assert thread.last_message_at is not None


@pytest.mark.parametrize("kind", KINDS)
def test_a_reply_from_the_inbox_appears_in_the_shop_and_once_in_the_thread(make_shop, kind):
    shop = make_shop(kind)
    order_id, order = shop.place_order()
    inquiry_id = shop.ask(order_id)
    shop.poll()
    thread = shop.thread(inquiry_id)

    reply = inquiry_reply(
        thread=thread, body="明日発送いたします。\nよろしくお願いいたします。", actor="user:cs"
    )
    assert reply.state == State.PENDING
    reply = send_until_settled(reply)
    shop.poll()

    assert reply.state == State.SENT, reply.error
    assert reply.external_id
    assert [r.strip() for r in shop.view(inquiry_id)["replies"]] == [
        "明日発送いたします。\nよろしくお願いいたします。"
    ]
    thread.refresh_from_db()
    assert thread.status == Status.REPLIED
    assert list(thread.messages.values_list("direction", flat=True)) == ["in", "out"]
    assert OrderEvent.objects.filter(order=order, kind="inquiry_reply_sent").count() == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_buyer_writing_again_makes_the_thread_unanswered_and_unread(make_shop, kind):
    shop = make_shop(kind)
    order_id, _order = shop.place_order()
    inquiry_id = shop.ask(order_id)
    shop.poll()
    thread = shop.thread(inquiry_id)
    send_until_settled(inquiry_reply(thread=thread, body="明日発送いたします。", actor="user:cs"))
    shop.poll()

    shop.sim.control("POST", f"inquiries/{inquiry_id}/messages", json={"body": "時間指定もできますか？"})
    shop.poll()

    thread.refresh_from_db()
    assert (thread.status, thread.unread) == (Status.NEW, True)
    bodies = [m.body for m in thread.messages.all()]
    assert bodies == ["いつ届きますか？", "明日発送いたします。", "時間指定もできますか？"]


@pytest.mark.parametrize("kind", ["rakuten", "yahoo"])
def test_faults_while_polling_are_retried_and_lose_or_duplicate_nothing(make_shop, kind):
    shop = make_shop(kind)
    asked = []
    for _ in range(4):
        order_id, _order = shop.place_order()
        asked.append(shop.ask(order_id))
    shop.faults([*HTTP_FAULTS, "duplicate_page"])

    poll_until_clean(shop)
    poll_until_clean(shop)
    shop.no_faults()

    assert shop.sim.control("GET", "stats").json()["faults_injected"] > 0
    assert sorted(InquiryThread.objects.values_list("external_id", flat=True)) == sorted(asked)
    assert InquiryMessage.objects.count() == 4
    assert all(t.order_id for t in InquiryThread.objects.all())


@pytest.mark.parametrize("kind", ["rakuten", "yahoo"])
def test_faults_while_replying_are_retried_and_the_reply_reaches_the_shop_once(make_shop, kind):
    shop = make_shop(kind)
    inquiry_ids = [shop.ask(shop.place_order()[0]) for _ in range(3)]
    shop.poll()
    shop.faults(HTTP_FAULTS, rate=0.5)

    replies = [
        inquiry_reply(
            thread=shop.thread(inquiry_id), body=f"ご連絡ありがとうございます（{n}）", actor="user:cs"
        )
        for n, inquiry_id in enumerate(inquiry_ids)
    ]
    settled = [send_until_settled(reply) for reply in replies]
    shop.no_faults()
    poll_until_clean(shop)

    assert [reply.state for reply in settled] == [State.SENT] * 3, [r.error for r in settled]
    for n, inquiry_id in enumerate(inquiry_ids):
        assert shop.view(inquiry_id)["replies"] == [f"ご連絡ありがとうございます（{n}）"]
        thread = shop.thread(inquiry_id)
        assert thread.messages.filter(direction="out").count() == 1
        assert thread.status == Status.REPLIED


def test_smtp_refusals_of_amazons_relay_are_retried_and_the_reply_arrives_once(make_shop):
    shop = make_shop("amazon")
    inquiry_id = shop.ask(shop.place_order()[0])
    shop.poll()
    shop.faults(["500", "503", "429"], rate=0.6)  # the relay answers 451 without taking the mail

    reply = send_until_settled(
        inquiry_reply(thread=shop.thread(inquiry_id), body="本日発送しました。", actor="cs")
    )
    shop.no_faults()
    shop.poll()

    assert reply.state == State.SENT, reply.error
    assert shop.view(inquiry_id)["replies"] == ["本日発送しました。"]
    assert shop.thread(inquiry_id).messages.filter(direction="out").count() == 1


def test_an_amazon_reply_of_unknown_outcome_is_not_sent_again_but_waits_for_a_person(make_shop):
    shop = make_shop("amazon")
    inquiry_id = shop.ask(shop.place_order()[0])
    shop.poll()
    shop.faults(["timeout"], rate=1.0, timeout_seconds=0.6)  # the relay takes it, then answers too late

    reply = send_until_settled(
        inquiry_reply(thread=shop.thread(inquiry_id), body="本日発送しました。", actor="cs")
    )
    shop.no_faults()

    assert (reply.state, reply.retry_at, reply.outcome_unknown) == (State.FAILED, None, True)
    assert "送信結果不明" in reply.error and reply.reply_key in reply.error
    assert shop.view(inquiry_id)["replies"] == ["本日発送しました。"]


def test_yahoo_threads_carry_no_buyer_name(make_shop):
    shop = make_shop("yahoo")
    inquiry_id = shop.ask(shop.place_order()[0])

    shop.poll()

    thread = shop.thread(inquiry_id)
    assert thread.buyer_name == ""
    assert "山田" not in thread.buyer_contact
    assert thread.buyer_contact.endswith("***")


@pytest.mark.parametrize(("kind", "name"), [("rakuten", "山田 太郎"), ("amazon", "山田 太郎")])
def test_shops_that_show_the_buyers_name_keep_it(make_shop, kind, name):
    shop = make_shop(kind)
    inquiry_id = shop.ask(shop.place_order()[0])

    shop.poll()

    assert shop.thread(inquiry_id).buyer_name == name


@pytest.mark.parametrize("kind", ["rakuten", "yahoo"])
def test_closing_a_thread_marks_it_done_in_the_shop(make_shop, kind):
    shop = make_shop(kind)
    inquiry_id = shop.ask(shop.place_order()[0])
    shop.poll()
    thread = shop.thread(inquiry_id)
    send_until_settled(inquiry_reply(thread=thread, body="承知しました。", actor="cs"))

    assert inquiry_close(thread=thread, actor="user:cs") is True
    inquiry_shop_complete(thread=thread)

    assert shop.view(inquiry_id)["status"] == "completed"
    thread.refresh_from_db()
    assert (thread.status, thread.shop_completed) == (Status.CLOSED, True)


def test_a_question_about_an_order_not_imported_yet_is_linked_when_it_arrives(make_shop):
    shop = make_shop("rakuten")
    order_id, _none = shop.place_order(imported=False)
    inquiry_id = shop.ask(order_id)
    shop.poll()
    assert shop.thread(inquiry_id).order is None

    from tests.factories import OrderFactory

    order = OrderFactory(channel=shop.channel, external_id=order_id)
    shop.poll()

    assert shop.thread(inquiry_id).order == order


def test_a_rakuten_reply_with_a_link_rakuten_does_not_take_is_refused_before_it_is_sent(make_shop):
    from django.core.exceptions import ValidationError

    shop = make_shop("rakuten")
    inquiry_id = shop.ask(shop.place_order()[0])
    shop.poll()

    with pytest.raises(ValidationError, match="楽天のドメイン"):
        inquiry_reply(
            thread=shop.thread(inquiry_id), body="https://example.com/track をご覧ください", actor="cs"
        )

    assert InquiryMessage.objects.filter(direction="out").count() == 0


def test_a_broken_mail_is_quarantined_and_the_rest_imported(make_shop):
    import mailbox
    from email.message import EmailMessage

    from channels.models import QuarantinedPayload

    shop = make_shop("amazon")
    inquiry_id = shop.ask(shop.place_order()[0])
    broken = EmailMessage()
    broken["From"] = "nobody@marketplace.amazon.co.jp"
    broken["Subject"] = "注文番号 249-0000000-0000000"
    broken["Message-ID"] = "<broken@marketplace.amazon.co.jp>"
    broken.set_content("\n-- \nfooter only")
    mailbox.Maildir(shop.channel.credentials["inquiry_maildir"], create=False).add(broken)

    result = shop.poll()

    assert (result.quarantined, result.threads_created) == (1, 1)
    assert shop.thread(inquiry_id).messages.count() == 1
    row = QuarantinedPayload.objects.get(channel=shop.channel)
    assert row.external_id == "inquiry:<broken@marketplace.amazon.co.jp>"
    assert "no message text" in row.error


def test_shopper_questions_arrive_from_simulated_shoppers(make_shop):
    shop = make_shop("yahoo")
    shop.sim.control("PUT", "listings/TSHIRT-BLK-M", json={"quantity": 30})
    shop.sim.control("POST", "shoppers", json={"rate_per_min": 6000, "inquiry_rate": 1.0})

    import time

    deadline = time.monotonic() + 30
    while shop.sim.control("GET", "stats").json()["shopper_inquiries"] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    shop.sim.control("POST", "shoppers", json={"rate_per_min": 0})
    asked = shop.sim.control("GET", "stats").json()["inquiries"]

    shop.poll()

    assert asked >= 3
    assert InquiryThread.objects.count() == asked


@pytest.mark.parametrize("kind", ["rakuten", "yahoo"])
@pytest.mark.parametrize("fault", ["timeout", "malformed"])
def test_a_reply_whose_answer_was_lost_is_found_in_the_shop_and_not_posted_again(make_shop, kind, fault):
    shop = make_shop(kind)
    inquiry_id = shop.ask(shop.place_order()[0])
    shop.poll()
    reply = inquiry_reply(thread=shop.thread(inquiry_id), body="在庫がございます。", actor="cs")
    shop.faults([fault], rate=1.0)  # the shop takes the reply, its answer is lost or cut

    from channels.inquiry_push import inquiry_reply_send

    first = inquiry_reply_send(message_id=reply.pk, expected_attempts=0)
    reply.refresh_from_db()
    assert (first.status, reply.state, reply.outcome_unknown) == ("failed", State.FAILED, True)
    shop.no_faults()
    reply = send_until_settled(reply)

    assert (reply.state, reply.attempts) == (State.SENT, 2)
    assert shop.view(inquiry_id)["replies"] == ["在庫がございます。"]
