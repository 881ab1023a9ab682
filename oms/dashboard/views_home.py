"""Home: status tabs with live counts, today's orders per shop, the last 14 days, channel health, unread inquiries."""

from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from channels.models import Channel
from notifications.inquiry_selectors import inquiry_counts
from oms.dashboard import selectors
from oms.dashboard.charts import stacked_bar_chart
from oms.roles import capability_required

# How often the status counts refresh themselves (htmx polling), in seconds.
STATUS_POLL_SECONDS = 5


@require_GET
@capability_required("orders_view")
def home(request):
    today = timezone.localdate()
    channels = list(Channel.objects.order_by("name"))
    days = selectors.daily_order_counts(today=today)
    context = {
        "tabs": selectors.status_tabs(),
        "poll_seconds": STATUS_POLL_SECONDS,
        "today": today,
        "today_by_shop": selectors.orders_today_by_channel(today=today, channels=channels),
        "chart": stacked_bar_chart(days, channels),
        "chart_total": sum(day.total for day in days),
        "health": selectors.channel_health(channels=channels),
        # Unread buyer inquiries per shop, for those who answer them (the inbox is theirs alone).
        "inquiries_unread": _inquiries_unread(channels) if request.can["inquiries"] else None,
    }
    return render(request, "dashboard/home.html", context)


def _inquiries_unread(channels: list[Channel]) -> list[dict]:
    unread = inquiry_counts().unread_by_channel
    return [{"channel": channel, "unread": unread.get(channel.name, 0)} for channel in channels]


@require_GET
@capability_required("orders_view")
def status_counts(request):
    """The status tabs alone, for htmx polling; `current` keeps the selected tab highlighted."""
    context = {
        "tabs": selectors.status_tabs(),
        "poll_seconds": STATUS_POLL_SECONDS,
        "current_status": request.GET.get("current", ""),
        "base_query": request.GET.get("keep", ""),
    }
    return render(request, "dashboard/_status_tabs.html", context)
