"""The quarantine page: payloads a shop sent that could not be imported, with the error, and a retry."""

import pytest
from django.urls import reverse

from channels.adapters.base import PayloadError
from channels.models import QuarantinedPayload
from orders.models import Order
from tests.dashboard.test_queries import queries_for
from tests.factories import ChannelFactory
from tests.orders.test_intake import canonical

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def quarantined(channel, number="R-BROKEN", error="SKU が見つかりません: tshirt-xl") -> QuarantinedPayload:
    return QuarantinedPayload.objects.create(
        channel=channel,
        external_id=number,
        payload={"orderNumber": number, "items": ["tshirt-xl"]},
        error=error,
    )


class FixedAdapter:
    """Parses every payload into the canonical test order, or fails like a parser that still cannot."""

    def __init__(self, *, fails: bool):
        self.fails = fails

    def parse_order(self, raw):
        if self.fails:
            raise PayloadError("itemNumber がありません")
        return canonical(external_id=raw.external_id)


def test_the_page_lists_the_open_payloads_with_their_error_and_data(login, shop):
    quarantined(shop)
    QuarantinedPayload.objects.create(
        channel=shop, external_id="R-OLD", payload={}, error="x", resolved_at="2026-11-01T00:00Z"
    )

    page = login("operator").get(reverse("dashboard:quarantine")).content.decode()

    assert "R-BROKEN" in page and "SKU が見つかりません: tshirt-xl" in page
    assert "&quot;orderNumber&quot;: &quot;R-BROKEN&quot;" in page
    assert "R-OLD" not in page
    assert (
        reverse(
            "dashboard:quarantine_retry", args=[QuarantinedPayload.objects.get(external_id="R-BROKEN").pk]
        )
        in page
    )


def test_a_retry_that_imports_closes_the_row(login, shop, monkeypatch):
    row = quarantined(shop)
    monkeypatch.setattr("channels.sync.adapter_for", lambda channel: FixedAdapter(fails=False))

    response = login("operator").post(reverse("dashboard:quarantine_retry", args=[row.pk]), follow=True)

    row.refresh_from_db()
    assert row.resolved_at is not None
    assert Order.objects.filter(external_id="R-BROKEN").exists()
    assert "注文 R-BROKEN を取り込みました。" in messages_of(response)


def test_a_retry_that_fails_again_keeps_the_row_with_the_new_error(login, shop, monkeypatch):
    row = quarantined(shop)
    monkeypatch.setattr("channels.sync.adapter_for", lambda channel: FixedAdapter(fails=True))

    response = login("operator").post(reverse("dashboard:quarantine_retry", args=[row.pk]), follow=True)

    row.refresh_from_db()
    assert row.resolved_at is None and row.attempts == 2 and row.error == "itemNumber がありません"
    assert "注文 R-BROKEN はまだ取り込めません: itemNumber がありません" in messages_of(response)


def test_the_menu_links_the_page_for_operators_only(login, shop):
    assert (
        reverse("dashboard:quarantine") in login("operator").get(reverse("dashboard:home")).content.decode()
    )
    assert (
        reverse("dashboard:quarantine")
        not in login("warehouse").get(reverse("dashboard:home")).content.decode()
    )


def test_the_page_costs_the_same_number_of_queries_for_5_and_25_payloads(login, db):
    channels = [ChannelFactory(name="rakuten"), ChannelFactory(name="yahoo", kind="yahoo")]
    client = login("operator")
    for n in range(5):
        quarantined(channels[n % 2], number=f"Q-{n}")
    few = queries_for(client, reverse("dashboard:quarantine"))

    for n in range(5, 25):
        quarantined(channels[n % 2], number=f"Q-{n}")

    assert queries_for(client, reverse("dashboard:quarantine")) == few
