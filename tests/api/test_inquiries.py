"""The inquiry endpoints: list with filters and cursor pages, one thread with its messages, reply (text or
template) and close; the `inquiries:*` scopes; only what the shop shows about the buyer."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channels.adapters.inquiries import CanonicalInquiry, InquiryMessageData
from notifications.inquiry_services import inquiry_import
from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from orders.models import OrderEvent
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db
Status = InquiryThread.Status
State = InquiryMessage.State
T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_triggers(settings):
    """Replies stay pending and closing tells no shop: the endpoints are the subject here (test_inbox_e2e
    sends to the simulators)."""
    settings.OMS_INQUIRY_TRIGGERS = False


@pytest.fixture
def reader(make_client):
    return make_client("inquiries:read")


@pytest.fixture
def writer(make_client):
    return make_client("inquiries:read", "inquiries:write")


def ask(channel, number: str, *, external_id: str, name: str = "山田 太郎", minutes: int = 0):
    canonical = CanonicalInquiry(
        external_id=external_id,
        subject=f"{number} について",
        external_order_id=number,
        buyer_name=name,
        buyer_contact="" if channel.kind == "yahoo" else "abc@pc.fw.rakuten.ne.jp",
        completed=False,
        messages=[
            InquiryMessageData(f"{external_id}-1", "in", "いつ届きますか？", T0 + timedelta(minutes=minutes))
        ],
    )
    return inquiry_import(channel=channel, canonical=canonical).thread


@pytest.fixture
def threads():
    rakuten = ChannelFactory(kind="rakuten", name="rakuten")
    yahoo = ChannelFactory(kind="yahoo", name="yahoo")
    order = OrderFactory(channel=yahoo, external_id="sakura-10000042", delivery_date=date(2026, 12, 5))
    return {
        "rakuten": ask(rakuten, "R-1", external_id="R-1"),
        "yahoo": ask(yahoo, order.external_id, external_id="Y-1", name="", minutes=1),
        "order": order,
    }


# --- reading --------------------------------------------------------------------------------------------


def test_the_list_shows_every_shops_threads_newest_first(reader, threads):
    response = reader.get("/api/v1/inquiries/")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [threads["yahoo"].pk, threads["rakuten"].pk]
    yahoo = rows[0]
    assert yahoo["order"] == {"id": threads["order"].pk, "external_id": "sakura-10000042"}
    assert (yahoo["channel"], yahoo["marketplace"], yahoo["status"], yahoo["status_label"]) == (
        "yahoo",
        "yahoo",
        "new",
        "未対応",
    )
    assert (yahoo["unread"], yahoo["message_count"], yahoo["buyer_name"]) == (True, 1, "")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("channel=yahoo", ["yahoo"]),
        ("status=closed", ["rakuten"]),
        ("status=open", ["yahoo"]),
        ("unread=true", ["yahoo"]),
        ("unread=false", ["rakuten"]),
        ("order={order}", ["yahoo"]),
    ],
)
def test_the_list_filters_by_channel_status_order_and_unread(reader, threads, query, expected):
    InquiryThread.objects.filter(pk=threads["rakuten"].pk).update(status=Status.CLOSED, unread=False)

    response = reader.get(f"/api/v1/inquiries/?{query.format(order=threads['order'].pk)}")

    assert [row["id"] for row in response.json()["results"]] == [threads[name].pk for name in expected]


def test_the_list_pages_with_a_cursor_and_refuses_a_bad_one(reader):
    channel = ChannelFactory(kind="rakuten", name="rakuten")
    made = [ask(channel, f"R-{n}", external_id=f"R-{n}", minutes=n) for n in range(5)]

    first = reader.get("/api/v1/inquiries/?page_size=2").json()
    second = reader.get(first["next"]).json()
    third = reader.get(second["next"]).json()

    seen = [row["id"] for page in (first, second, third) for row in page["results"]]
    assert seen == sorted((thread.pk for thread in made), reverse=True)
    assert third["next"] is None
    assert reader.get("/api/v1/inquiries/?cursor=bm9wZQ").status_code == 400
    assert reader.get("/api/v1/inquiries/?status=nope").json()["error"]["field"] == "status"


def test_the_list_costs_the_same_number_of_queries_whatever_its_length(reader):
    channel = ChannelFactory(kind="rakuten", name="rakuten")
    counts = []
    reader.get("/api/v1/inquiries/")  # the key's first use is recorded once
    for upto in (2, 10):
        for n in range(InquiryThread.objects.count(), upto):
            ask(channel, f"R-{n}", external_id=f"R-{n}")
        with CaptureQueriesContext(connection) as queries:
            assert len(reader.get("/api/v1/inquiries/").json()["results"]) == upto
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_one_thread_comes_with_its_messages_and_is_not_marked_read(reader, threads):
    thread = threads["yahoo"]

    response = reader.get(f"/api/v1/inquiries/{thread.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert [(m["direction"], m["body"], m["state"], m["sent"]) for m in body["messages"]] == [
        ("in", "いつ届きますか？", "received", True)
    ]
    assert (body["memo"], body["message_count"], body["buyer_name"]) == ("", 1, "")
    assert "鈴木" not in response.content.decode() and "taro@example.jp" not in response.content.decode()
    assert InquiryThread.objects.get(pk=thread.pk).unread is True
    assert reader.get("/api/v1/inquiries/999999/").json()["error"]["code"] == "not_found"


# --- writing ----------------------------------------------------------------------------------------------


def test_a_reply_is_written_pending_until_the_shop_accepts_it(writer, threads):
    thread = threads["yahoo"]

    response = writer.post(
        f"/api/v1/inquiries/{thread.pk}/reply/", {"body": "明日発送いたします。"}, format="json"
    )

    assert response.status_code == 201
    message = response.json()
    assert (message["direction"], message["body"], message["state"], message["sent"]) == (
        "out",
        "明日発送いたします。",
        "pending",
        False,
    )
    reply = InquiryMessage.objects.get(pk=message["id"])
    assert reply.created_by is None and reply.thread == thread
    assert InquiryThread.objects.get(pk=thread.pk).status == Status.IN_PROGRESS
    event = OrderEvent.objects.get(order=threads["order"], kind="inquiry_reply_queued")
    assert event.actor == f"api:{writer.api_key.name}"


@pytest.mark.parametrize("by", ["code", "id"])
def test_a_reply_from_a_template_is_rendered_with_the_orders_variables(writer, threads, by):
    template = ReplyTemplate.objects.create(
        code="wish",
        name="お届け日",
        body="{{ order_number }} は {{ delivery_date|date:'n月j日' }} にお届けします。",
    )
    thread = threads["yahoo"]

    response = writer.post(
        f"/api/v1/inquiries/{thread.pk}/reply/",
        {"template": str(getattr(template, "code" if by == "code" else "pk"))},
        format="json",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["body"] == "sakura-10000042 は 12月5日 にお届けします。"
    assert response.json()["template"] == "wish"


def test_a_reply_the_shop_would_refuse_is_a_409_and_writes_nothing(writer, threads):
    thread = threads["rakuten"]  # Rakuten takes links to its own domains only

    response = writer.post(
        f"/api/v1/inquiries/{thread.pk}/reply/",
        {"body": "https://example.com/track をご覧ください"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reply_refused"
    assert "楽天" in response.json()["error"]["message"]
    assert not InquiryMessage.objects.filter(direction="out").exists()


def test_a_reply_needs_a_body_or_a_known_template(writer, threads):
    url = f"/api/v1/inquiries/{threads['yahoo'].pk}/reply/"

    empty = writer.post(url, {"body": "  "}, format="json")
    unknown = writer.post(url, {"template": "nope"}, format="json")

    assert (empty.status_code, empty.json()["error"]["field"]) == (400, "body")
    assert (unknown.status_code, unknown.json()["error"]["field"]) == (400, "template")
    assert writer.post(url, {"body": 42}, format="json").json()["error"]["field"] == "body"  # not text


def test_closing_is_idempotent_and_a_closed_thread_takes_no_reply(writer, threads):
    thread = threads["yahoo"]

    first = writer.post(f"/api/v1/inquiries/{thread.pk}/close/")
    second = writer.post(f"/api/v1/inquiries/{thread.pk}/close/")
    reply = writer.post(f"/api/v1/inquiries/{thread.pk}/reply/", {"body": "追伸"}, format="json")

    assert (first.status_code, first.json()["status"]) == (200, "closed")
    assert (second.status_code, second.json()["status"]) == (200, "closed")
    assert OrderEvent.objects.filter(order=threads["order"], kind="inquiry_closed").count() == 1
    assert reply.status_code == 409
    assert writer.post("/api/v1/inquiries/999999/close/").status_code == 404


# --- scopes ----------------------------------------------------------------------------------------------------


def test_every_endpoint_needs_its_scope(make_client, threads):
    thread = threads["yahoo"]
    orders_only = make_client("orders:read", "orders:write")
    reader = make_client("inquiries:read")
    calls = [
        ("get", "/api/v1/inquiries/", "inquiries:read"),
        ("get", f"/api/v1/inquiries/{thread.pk}/", "inquiries:read"),
        ("post", f"/api/v1/inquiries/{thread.pk}/reply/", "inquiries:write"),
        ("post", f"/api/v1/inquiries/{thread.pk}/close/", "inquiries:write"),
    ]

    for method, url, scope in calls:
        refused = getattr(orders_only, method)(url, {"body": "x"}, format="json")
        assert refused.status_code == 403, url
        assert refused.json()["error"]["code"] == "missing_scope"
        assert scope in refused.json()["error"]["message"]
        if scope == "inquiries:write":
            assert getattr(reader, method)(url, {"body": "x"}, format="json").status_code == 403, url
    assert not InquiryMessage.objects.filter(direction="out").exists()
    assert InquiryThread.objects.get(pk=thread.pk).status == Status.NEW


def test_anonymous_callers_are_refused(client, threads):
    assert client.get("/api/v1/inquiries/").status_code == 401
