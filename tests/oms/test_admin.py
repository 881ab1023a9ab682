"""Admin pages: every changelist answers, and its query count does not grow with the number of rows."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.services import order_allocate, stock_adjust
from notifications.models import MailTemplate, OutboundMail
from orders.services import order_hold_add, order_status_change
from shipping.models import Carrier, Shipment
from tests.factories import (
    ChannelFactory,
    ListingFactory,
    OrderFactory,
    OrderLineFactory,
    SetComponentFactory,
    ShipToFactory,
    WarehouseFactory,
)

pytestmark = pytest.mark.django_db


def _add_rows(count: int, template, carrier) -> None:
    channel = ChannelFactory()
    for _ in range(count):
        part = SetComponentFactory()
        ListingFactory(channel=channel, sku=part.component)
        stock_adjust(sku=part.component, delta=5, actor="test")
        order = OrderFactory(channel=channel, status="new")
        ShipToFactory(order=order)
        OrderLineFactory(order=order, sku=part.component, quantity=1)
        order_allocate(order=order, actor="test")
        order_hold_add(order=order, code="remarks", actor="test")
        order_status_change(order=order, to_status="on_hold", actor="test")
        Shipment.objects.create(order=order, carrier=carrier, tracking_number="444413758703")
        OutboundMail.objects.create(order=order, template=template, to="a@example.jp", subject="s", body="b")


def _changelist_query_counts(client) -> dict[str, int]:
    counts = {}
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(queries)
    return counts


def test_changelists_answer_with_a_constant_number_of_queries(admin_client):
    WarehouseFactory(code="MAIN")
    template = MailTemplate.objects.create(code="order_confirmation", name="確認", subject="s", body="b")
    carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    _add_rows(3, template, carrier)
    few = _changelist_query_counts(admin_client)

    _add_rows(12, template, carrier)
    many = _changelist_query_counts(admin_client)

    grown = {url: (few[url], many[url]) for url in few if many[url] != few[url]}
    assert grown == {}


def test_order_change_page_shows_its_lines_and_holds(admin_client):
    WarehouseFactory(code="MAIN")
    line = OrderLineFactory(name="オーガニックコットン Tシャツ")
    order_hold_add(order=line.order, code="phone_invalid", actor="test")

    response = admin_client.get(reverse("admin:orders_order_change", args=[line.order.pk]))

    content = response.content.decode()
    assert "オーガニックコットン Tシャツ" in content
    assert "phone_invalid" in content


def test_channel_credentials_are_never_shown_back(admin_client):
    channel = ChannelFactory(credentials={"service_secret": "TOP-SECRET-VALUE", "license_key": "LICENSE-XYZ"})

    response = admin_client.get(reverse("admin:channels_channel_change", args=[channel.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "TOP-SECRET-VALUE" not in content and "LICENSE-XYZ" not in content
    assert channel.credentials_encrypted not in content


def test_new_credentials_entered_in_admin_are_stored_encrypted(admin_client):
    channel = ChannelFactory()
    url = reverse("admin:channels_channel_change", args=[channel.pk])
    form = {
        "kind": channel.kind,
        "name": channel.name,
        "display_name": "",
        "base_url": channel.base_url,
        "enabled": "on",
        "poll_interval_seconds": 15,
        "stock_buffer": 0,
        "stock_percent": 100,
        "stock_cap": "",
        "default_carrier": "yamato",
        "credentials_expire_at_0": "",
        "credentials_expire_at_1": "",
        "new_credentials": '{"service_secret": "NEW-SECRET", "license_key": "NEW-KEY"}',
    }

    response = admin_client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    channel.refresh_from_db()
    assert channel.credentials["service_secret"] == "NEW-SECRET"
    assert "NEW-SECRET" not in channel.credentials_encrypted
