"""The inbox pages: the list with its filters and unread counts, a thread with its messages and order, the reply
(template, one-click tracking number, preview, send), status / assignee / memo, and who may see any of it."""

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from channels.adapters.inquiries import CanonicalInquiry, InquiryMessageData
from notifications.inquiry_services import inquiry_import, inquiry_reply
from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from oms.roles import CUSTOMER_SERVICE, OPERATOR, WAREHOUSE
from shipping.models import Carrier, Shipment
from tests.dashboard.conftest import login, users  # noqa: F401  (fixtures: a signed-in client per role)
from tests.factories import ChannelFactory, OrderFactory

# login and users are fixtures used by name below.
# ruff: noqa: F811

pytestmark = pytest.mark.django_db
Status = InquiryThread.Status
State = InquiryMessage.State
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
TRACKING = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number={number}"
TEMPLATE_BODY = (
    "{% if buyer_name %}{{ buyer_name }} 様{% else %}お客様{% endif %}\n"
    "お届け希望日 {{ delivery_date|date:'n月j日' }} にお届けします。\n"
    "{% if tracking_url %}{{ tracking_url }}{% else %}お問い合わせ番号 {{ tracking_number }}{% endif %}"
)


@pytest.fixture(autouse=True)
def _no_triggers(settings):
    """Replies stay pending: these tests are about the pages (test_inbox_e2e sends them to the shops)."""
    settings.OMS_INQUIRY_TRIGGERS = False


def ask(channel, number: str, *, external_id: str, name: str = "山田 太郎", body: str = "いつ届きますか？"):
    canonical = CanonicalInquiry(
        external_id=external_id,
        subject=f"{number} について",
        external_order_id=number,
        buyer_name=name,
        buyer_contact="" if channel.kind == "yahoo" else "abc@pc.fw.rakuten.ne.jp",
        completed=False,
        messages=[InquiryMessageData(f"{external_id}-1", "in", body, T0)],
    )
    return inquiry_import(channel=channel, canonical=canonical).thread


@pytest.fixture
def shops():
    rakuten = ChannelFactory(kind="rakuten", name="rakuten-shop", display_name="さくら堂 楽天市場店")
    yahoo = ChannelFactory(kind="yahoo", name="yahoo-shop", display_name="さくら堂 Yahoo!店")
    return rakuten, yahoo


@pytest.fixture
def shipped_yahoo_thread(shops):
    """A Yahoo buyer (whose name Yahoo does not show in its inquiries) asks about an order that has shipped."""
    _rakuten, yahoo = shops
    order = OrderFactory(
        channel=yahoo, external_id="sakura-10000042", delivery_date=date(2026, 12, 5), buyer_name="鈴木 花子"
    )
    carrier, _ = Carrier.objects.get_or_create(
        code="yamato", defaults={"name": "ヤマト運輸", "tracking_url_template": TRACKING}
    )
    Shipment.objects.create(order=order, carrier=carrier, tracking_number="444413758703", shipped_at=T0)
    return ask(yahoo, order.external_id, external_id="Y-1", name="")


@pytest.fixture
def template():
    return ReplyTemplate.objects.create(code="shipped", name="発送のご案内", body=TEMPLATE_BODY)


def url(name: str, *args) -> str:
    return reverse(f"dashboard:{name}", args=args)


def listed(response) -> list[int]:
    return [thread.pk for thread in response.context["threads"]]


# --- the list ---------------------------------------------------------------------------------------------


def test_the_inbox_lists_every_shops_threads_with_unread_counts_per_shop(login, shops):
    rakuten, yahoo = shops
    ask(rakuten, "R-1", external_id="R-1")
    ask(rakuten, "R-2", external_id="R-2")
    ask(yahoo, "Y-1", external_id="Y-1", name="")

    response = login(CUSTOMER_SERVICE).get(url("inbox"))

    assert response.status_code == 200
    assert len(listed(response)) == 3
    unread = {row["channel"].name: row["unread"] for row in response.context["unread_by_shop"]}
    assert unread == {"rakuten-shop": 2, "yahoo-shop": 1}
    assert '未対応 (<span class="tab-count">3</span>)' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel={yahoo}", ["yahoo"]),
        ("status=in_progress", ["taken"]),
        ("status=closed", []),
        ("assignee={cs}", ["taken"]),
        ("assignee=none", ["yahoo", "read"]),
        ("unread=on", ["yahoo"]),
        ("q=R-READ", ["read"]),
    ],
)
def test_the_inbox_filters_by_shop_status_assignee_unread_and_order_number(
    login, users, shops, query, expected
):
    rakuten, yahoo = shops
    threads = {
        "taken": ask(rakuten, "R-TAKEN", external_id="R-1"),
        "read": ask(rakuten, "R-READ", external_id="R-2"),
        "yahoo": ask(yahoo, "Y-NEW", external_id="Y-1", name=""),
    }
    cs = users[CUSTOMER_SERVICE]
    InquiryThread.objects.filter(pk=threads["taken"].pk).update(
        assignee=cs, status=Status.IN_PROGRESS, unread=False
    )
    InquiryThread.objects.filter(pk=threads["read"].pk).update(unread=False)

    response = login(CUSTOMER_SERVICE).get(f"{url('inbox')}?{query.format(yahoo=yahoo.pk, cs=cs.pk)}")

    assert sorted(listed(response)) == sorted(threads[name].pk for name in expected)


def test_the_inbox_costs_the_same_number_of_queries_for_2_and_12_threads(login, shops):
    rakuten, _yahoo = shops
    client = login(CUSTOMER_SERVICE)
    counts = []
    for upto in (2, 12):
        for n in range(InquiryThread.objects.count(), upto):
            ask(rakuten, f"R-{n}", external_id=f"R-{n}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("inbox")).status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# --- who may see it ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [WAREHOUSE, OPERATOR])
def test_roles_that_do_not_answer_inquiries_have_no_link_and_are_refused(login, shipped_yahoo_thread, role):
    client = login(role)
    thread = shipped_yahoo_thread
    message = InquiryMessage.objects.filter(thread=thread).first()

    home = client.get(url("home")).content.decode()
    slip = client.get(url("order_slip", thread.order_id)).content.decode()

    assert url("inbox") not in home
    assert 'id="home-inquiries"' not in home
    assert 'id="inquiries"' not in slip
    assert client.get(url("inbox")).status_code == 403
    assert client.get(url("inbox_thread", thread.pk)).status_code == 403
    assert client.get(url("inbox_preview", thread.pk)).status_code == 403
    for name, args in [
        ("inbox_preview", (thread.pk,)),
        ("inbox_reply", (thread.pk,)),
        ("inbox_update", (thread.pk,)),
        ("inbox_reply_settle", (thread.pk, message.pk)),
    ]:
        assert client.post(url(name, *args), {"body": "x", "status": "closed"}).status_code == 403
    assert not InquiryMessage.objects.filter(direction="out").exists()
    assert InquiryThread.objects.get(pk=thread.pk).status == Status.NEW


def test_customer_service_finds_the_inbox_in_the_menu_on_the_home_page_and_on_the_slip(
    login, shipped_yahoo_thread
):
    client = login(CUSTOMER_SERVICE)
    thread = shipped_yahoo_thread

    home = client.get(url("home"))
    slip = client.get(url("order_slip", thread.order_id)).content.decode()

    assert f'href="{url("inbox")}" class="inbox-link"' in home.content.decode()
    assert {row["channel"].name: row["unread"] for row in home.context["inquiries_unread"]} == {
        "rakuten-shop": 0,
        "yahoo-shop": 1,
    }
    assert f"{url('inbox')}?channel={thread.channel_id}&amp;unread=on" in home.content.decode()
    assert f'href="{url("inbox_thread", thread.pk)}"' in slip


# --- one thread ---------------------------------------------------------------------------------------------


def test_a_thread_shows_its_messages_both_ways_and_its_order_and_is_read_once_opened(
    login, shipped_yahoo_thread
):
    thread = shipped_yahoo_thread
    inquiry_reply(thread=thread, body="確認いたします。", actor="user:cs")

    response = login(CUSTOMER_SERVICE).get(url("inbox_thread", thread.pk))

    page = response.content.decode()
    assert [m.direction for m in response.context["thread_messages"]] == ["in", "out"]
    assert "いつ届きますか？" in page and "確認いたします。" in page
    assert f'href="{url("order_slip", thread.order_id)}"' in page
    assert "444413758703" in page
    assert InquiryThread.objects.get(pk=thread.pk).unread is False


def test_a_reply_not_accepted_by_the_shop_yet_is_not_shown_as_sent(login, shipped_yahoo_thread):
    thread = shipped_yahoo_thread
    reply = inquiry_reply(thread=thread, body="確認いたします。", actor="user:cs")

    page = login(CUSTOMER_SERVICE).get(url("inbox_thread", thread.pk)).content.decode()

    messages = page[page.index('id="messages"') : page.index('id="reply"')]
    assert f'data-state="pending" id="message-{reply.pk}"' in messages
    assert 'class="badge ok"' not in messages  # the "sent" badge


def test_a_yahoo_thread_shows_no_buyer_name_not_even_the_orders(login, shipped_yahoo_thread):
    page = login(CUSTOMER_SERVICE).get(url("inbox_thread", shipped_yahoo_thread.pk)).content.decode()

    assert "鈴木 花子" not in page
    assert "ショップが表示しない" in page


# --- the reply -------------------------------------------------------------------------------------------------


def preview(client, thread, **data):
    return client.post(url("inbox_preview", thread.pk), data, headers={"HX-Request": "true"})


def test_choosing_a_template_previews_it_with_the_orders_tracking_link_and_delivery_date(
    login, shipped_yahoo_thread, template
):
    response = preview(login(CUSTOMER_SERVICE), shipped_yahoo_thread, template=template.pk, action="template")

    assert response.status_code == 200
    used = [t.name for t in response.templates]
    assert "dashboard/inbox_reply_form.html" in used and "dashboard/base.html" not in used  # a fragment
    assert response.context["preview"].text == (
        "お客様\n"
        "お届け希望日 12月5日 にお届けします。\n"
        "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number=444413758703"
    )
    assert response.context["preview"].problems == []
    assert 'id="send-reply"' in response.content.decode()
    assert not InquiryMessage.objects.filter(direction="out").exists()


def test_the_tracking_number_goes_into_the_reply_in_one_click(login, shipped_yahoo_thread):
    response = preview(
        login(CUSTOMER_SERVICE), shipped_yahoo_thread, body="お待たせしております。", action="tracking"
    )

    text = response.context["preview"].text
    assert text.startswith("お待たせしております。\n\nヤマト運輸のお問い合わせ番号は 444413758703 です。")
    assert "number=444413758703" in text


def test_a_thread_without_a_tracking_number_offers_no_button(login, shops):
    thread = ask(shops[0], "R-1", external_id="R-1")

    page = login(CUSTOMER_SERVICE).get(url("inbox_thread", thread.pk)).content.decode()

    assert 'id="insert-tracking"' not in page
    assert 'id="preview-reply"' in page
    assert 'id="send-reply"' not in page  # Send appears only with a preview


def test_a_reply_the_shop_would_refuse_is_shown_with_the_reason_and_cannot_be_sent(login, shops):
    thread = ask(shops[0], "R-1", external_id="R-1")  # Rakuten takes links to its own domains only
    client = login(CUSTOMER_SERVICE)
    text = "こちらをご覧ください https://example.com/track"

    previewed = preview(client, thread, body=text)
    sent = client.post(url("inbox_reply", thread.pk), {"body": text, "previewed": text})

    assert "楽天の返信に入れられるリンク" in previewed.context["preview"].problems[0]
    assert 'id="send-reply"' not in previewed.content.decode()
    assert sent.status_code == 409
    assert "楽天の返信に入れられるリンク" in sent.content.decode()
    assert not InquiryMessage.objects.filter(direction="out").exists()


def test_the_previewed_reply_is_written_with_its_template_and_waits_for_the_shop(
    login, users, shipped_yahoo_thread, template
):
    client = login(CUSTOMER_SERVICE)
    thread = shipped_yahoo_thread
    text = preview(client, thread, template=template.pk, action="template").context["preview"].text

    response = client.post(
        url("inbox_reply", thread.pk), {"template": template.pk, "body": text, "previewed": text}
    )

    assert response.status_code == 302 and response.url == url("inbox_thread", thread.pk)
    reply = InquiryMessage.objects.get(direction="out")
    assert (reply.body, reply.template, reply.created_by, reply.state) == (
        text,
        template,
        users[CUSTOMER_SERVICE],
        State.PENDING,
    )
    assert InquiryThread.objects.get(pk=thread.pk).status == Status.IN_PROGRESS


def test_a_reply_changed_after_its_preview_is_shown_again_instead_of_sent(login, shipped_yahoo_thread):
    client = login(CUSTOMER_SERVICE)

    response = client.post(
        url("inbox_reply", shipped_yahoo_thread.pk), {"body": "書き直した返信", "previewed": "元の返信"}
    )

    assert response.status_code == 200
    assert response.context["preview"].text == "書き直した返信"
    assert not InquiryMessage.objects.filter(direction="out").exists()


def test_an_empty_reply_is_refused(login, shipped_yahoo_thread):
    response = login(CUSTOMER_SERVICE).post(url("inbox_reply", shipped_yahoo_thread.pk), {"body": "  "})

    assert response.status_code == 302
    assert not InquiryMessage.objects.filter(direction="out").exists()


# --- handling ----------------------------------------------------------------------------------------------------


def test_assignee_memo_and_status_are_saved_through_the_services(
    login, users, shipped_yahoo_thread, settings
):
    client = login(CUSTOMER_SERVICE)
    thread = shipped_yahoo_thread
    cs = users[CUSTOMER_SERVICE]

    client.post(
        url("inbox_update", thread.pk), {"status": "new", "assignee": cs.pk, "memo": "再送の可能性あり"}
    )
    thread.refresh_from_db()
    assert (thread.assignee, thread.memo, thread.status) == (cs, "再送の可能性あり", Status.IN_PROGRESS)

    client.post(url("inbox_update", thread.pk), {"status": "closed", "assignee": cs.pk, "memo": thread.memo})
    thread.refresh_from_db()
    assert thread.status == Status.CLOSED
    page = client.get(url("inbox_thread", thread.pk)).content.decode()
    assert 'id="reply-form"' not in page  # a closed thread takes no reply


def test_the_assignee_list_offers_only_people_who_answer_inquiries(login, users, shipped_yahoo_thread):
    form = login(CUSTOMER_SERVICE).get(url("inbox_thread", shipped_yahoo_thread.pk)).context["update_form"]

    names = {user.username for user in form.fields["assignee"].queryset}
    assert names == {"customer_service-user", "administrator-user"}


def test_a_failed_reply_is_sent_again_from_the_thread(login, shipped_yahoo_thread):
    thread = shipped_yahoo_thread
    reply = inquiry_reply(thread=thread, body="確認いたします。", actor="user:cs")
    InquiryMessage.objects.filter(pk=reply.pk).update(state=State.FAILED, error="HTTP 500", retry_at=None)

    response = login(CUSTOMER_SERVICE).post(
        url("inbox_reply_settle", thread.pk, reply.pk), {"action": "resend"}
    )

    assert response.status_code == 302
    reply.refresh_from_db()
    assert (reply.state, reply.error) == (State.FAILED, "")
    assert reply.retry_at is not None and reply.retry_at <= timezone.now()
