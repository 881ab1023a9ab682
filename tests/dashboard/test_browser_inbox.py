"""The inbox in a real browser (Debian's chromium through Playwright, against the live test server): a
customer-service user answers a Yahoo buyer's question with a template, previews it and sends it; the reply
goes to the Yahoo simulator over HTTP and the thread moves to 返信済み. A warehouse user cannot see the inbox.

Skipped with the reason where chromium or Playwright is missing (tests/dashboard/test_browser.py).
"""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from channels.inquiry_sync import inquiries_poll
from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from oms.roles import CUSTOMER_SERVICE, WAREHOUSE, roles_ensure
from shipping.models import Carrier, Shipment
from tests.dashboard.test_browser import browser, eager_celery, live_server  # noqa: F401  (fixtures)
from tests.factories import ChannelFactory, OrderFactory
from tests.inquiries.conftest import canonical_order

# browser, eager_celery and live_server are fixtures used by name below.
# ruff: noqa: F811

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "inbox-browser-test-1"
TRACKING = "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number={number}"
TEMPLATE = (
    "{% if buyer_name %}{{ buyer_name }} 様{% else %}お客様{% endif %}\n"
    "ご注文 {{ order_number }} はお届け希望日 {{ delivery_date|date:'n月j日' }} にお届けします。\n"
    "配送状況: {{ tracking_url }}\n"
    "{{ shop_name }}"
)


@pytest.fixture
def people(db):
    roles_ensure()
    made = {}
    for role in (CUSTOMER_SERVICE, WAREHOUSE):
        user = get_user_model().objects.create_user(username=f"{role}-browser", password=PASSWORD)
        user.groups.add(Group.objects.get(name=role))
        made[role] = user
    return made


@pytest.fixture
def yahoo_question(start_simulator, settings):
    """A Yahoo order that has shipped, and its buyer's question polled into the inbox from the simulator."""
    settings.OMS_CLIENT_RATE_LIMITS = False
    sim = start_simulator("yahoo")
    channel = ChannelFactory(
        kind="yahoo", name="yahoo-shop", display_name="さくら堂 Yahoo!店", base_url=sim.url,
        credentials=dict(sim.credentials),
    )  # fmt: skip
    placed = sim.control("POST", "orders", json=canonical_order())
    assert placed.status_code == 201, placed.text
    order = OrderFactory(
        channel=channel,
        external_id=placed.json()["order_id"],
        delivery_date=date(2026, 12, 5),
        status="shipped",
    )
    carrier, _ = Carrier.objects.get_or_create(
        code="yamato", defaults={"name": "ヤマト運輸", "tracking_url_template": TRACKING}
    )
    Shipment.objects.create(
        order=order, carrier=carrier, tracking_number="444413758703", shipped_at=timezone.now()
    )
    asked = sim.control("POST", "inquiries", json={"order_id": order.external_id, "body": "いつ届きますか？"})
    assert asked.status_code == 201, asked.text
    assert not inquiries_poll(channel=channel).error
    template = ReplyTemplate.objects.create(code="delivery", name="お届け予定のご案内", body=TEMPLATE)
    thread = InquiryThread.objects.get(channel=channel)
    return {"sim": sim, "inquiry_id": asked.json()["inquiry_id"], "thread": thread, "template": template}


@pytest.fixture
def sign_in(browser, live_server, people):
    contexts = []

    def open_as(role: str):
        context = browser.new_context(locale="ja-JP", viewport={"width": 1400, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", people[role].username)
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_as
    for context in contexts:
        context.close()


def test_customer_service_answers_with_a_template_after_a_preview_and_the_thread_is_replied(
    sign_in, live_server, yahoo_question, eager_celery
):
    thread, template = yahoo_question["thread"], yahoo_question["template"]
    page = sign_in(CUSTOMER_SERVICE)
    assert page.locator("#home-inquiries tr[data-channel=yahoo-shop] .unread-count").inner_text() == "1"

    page.click(".mainnav .inbox-link")
    page.wait_for_url(re.compile(r"/inbox/$"))
    row = page.locator(f"#thread-{thread.pk}")
    assert row.locator(".inquiry-status").inner_text() == "未対応"
    row.locator("td a").first.click()
    page.wait_for_url(re.compile(rf"/inbox/{thread.pk}/$"))
    assert "いつ届きますか？" in page.locator("#messages").inner_text()
    assert "ショップが表示しない" in page.locator("#thread-buyer").inner_text()  # Yahoo hides the name
    assert page.locator("#send-reply").count() == 0  # nothing goes out before a preview

    page.select_option("#id_template", label=template.name)  # htmx swaps in the rendered template
    preview = page.locator("#reply-preview-text")
    preview.wait_for()
    text = preview.inner_text()
    assert "お届け希望日 12月5日" in text
    assert "number=444413758703" in text
    assert text.startswith("お客様")
    page.click("#send-reply")

    page.wait_for_selector(".message.success")
    assert "返信を送信しました" in page.locator(".messages").inner_text()
    assert page.locator("#thread-status").inner_text() == "返信済み"
    reply = InquiryMessage.objects.get(thread=thread, direction="out")
    assert (reply.state, reply.template_id, reply.body) == (InquiryMessage.State.SENT, template.pk, text)
    in_the_shop = yahoo_question["sim"].control("GET", f"inquiries/{yahoo_question['inquiry_id']}").json()
    assert [body.strip() for body in in_the_shop["replies"]] == [text]


def test_a_warehouse_user_has_no_inbox_link_and_is_refused_the_inbox(sign_in, live_server, yahoo_question):
    page = sign_in(WAREHOUSE)

    assert page.locator(".mainnav .inbox-link").count() == 0
    assert page.locator("#home-inquiries").count() == 0
    for path in ("/inbox/", f"/inbox/{yahoo_question['thread'].pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
