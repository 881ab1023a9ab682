"""Home: status tabs with counts (also as a polled fragment), orders per shop, the chart, channel health."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import Channel
from oms.dashboard.selectors import channel_health
from orders.models import OrderStatus
from tests.factories import ChannelFactory, OrderFactory

pytestmark = pytest.mark.django_db
S = OrderStatus


def test_status_tabs_count_orders_per_status(login):
    shop = ChannelFactory(name="rakuten")
    for status in (S.ON_HOLD, S.ON_HOLD, S.READY):
        OrderFactory(channel=shop, status=status)

    response = login("warehouse").get(reverse("dashboard:status_counts"))

    counts = {tab.status: tab.count for tab in response.context["tabs"]}
    assert counts[S.ON_HOLD] == 2 and counts[S.READY] == 1 and counts[S.SHIPPED] == 0
    page = response.content.decode()
    assert "確認待ち" in page and 'hx-trigger="every 5s"' in page
    assert [tab.label for tab in response.context["tabs"]] == [
        "新規受付", "確認待ち", "引当待ち", "入金待ち", "印刷日待ち", "印刷待ち", "印刷済み", "出荷済み", "キャンセル"
    ]  # fmt: skip


def test_home_shows_todays_orders_per_shop_and_the_last_14_days(login):
    shop = ChannelFactory(name="rakuten", display_name="テスト 楽天市場店")
    OrderFactory(channel=shop, total=1000)
    OrderFactory(channel=shop, total=2500)
    OrderFactory(channel=shop, ordered_at=timezone.now() - timedelta(days=20))  # outside the chart

    response = login("customer_service").get(reverse("dashboard:home"))

    [today] = response.context["today_by_shop"]
    assert (today.orders, today.total) == (2, 3500)
    assert response.context["chart_total"] == 2
    assert len(response.context["chart"].bars) == 14
    assert "<svg" in response.content.decode()


def test_health_warns_before_credentials_expire_and_when_polling_is_late():
    now = timezone.now()
    rakuten = ChannelFactory(
        name="rakuten",
        credentials_expire_at=now + timedelta(days=10),
        last_polled_at=now - timedelta(minutes=1),
    )
    yahoo = ChannelFactory(
        name="yahoo",
        kind=Channel.Kind.YAHOO,
        credentials_expire_at=now + timedelta(days=10),
        last_polled_at=now - timedelta(hours=1),
    )
    amazon = ChannelFactory(name="amazon", kind=Channel.Kind.AMAZON, last_polled_at=now)

    health = {h.channel.pk: h for h in channel_health(now=now)}

    assert health[rakuten.pk].credential_state == "soon"  # Rakuten: warn 14 days ahead of the 90-day key
    assert health[yahoo.pk].credential_state == "ok"  # Yahoo: 4-week authorization, warn 7 days ahead
    assert health[yahoo.pk].poll_state == "late"
    assert health[rakuten.pk].poll_state == "ok"
    assert health[amazon.pk].credential_state == "none"


def test_expired_credentials_are_flagged():
    now = timezone.now()
    channel = ChannelFactory(name="rakuten", credentials_expire_at=now - timedelta(hours=1))

    [health] = channel_health(now=now)

    assert health.channel == channel and health.credential_state == "expired" and health.needs_attention
