"""The list pages cost the same number of queries for 5 orders as for 25 (STYLE.md: no N+1)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import Hold
from shipping.models import Carrier, Shipment
from tests.factories import ChannelFactory, OrderFactory, OrderLineFactory, ShipToFactory

pytestmark = pytest.mark.django_db


def make_orders(count: int, channels) -> None:
    carrier, _created = Carrier.objects.get_or_create(
        code="yamato", defaults={"name": "ヤマト運輸", "tracking_url_template": "https://example.jp/{number}"}
    )
    for n in range(count):
        order = OrderFactory(channel=channels[n % len(channels)], buyer_phone=f"090-0000-{n:04d}")
        ShipToFactory(order=order)
        OrderLineFactory(order=order)
        Hold.objects.create(order=order, code="remarks", message="備考あり")
        Shipment.objects.create(
            order=order, carrier=carrier, tracking_number=f"1234{n:08d}", shipped_at=timezone.now()
        )


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        reverse("dashboard:order_list"),
        reverse("dashboard:order_list") + "?status=new&sort=-total",
        reverse("dashboard:order_list") + "?q=090-0000-0001",
        reverse("dashboard:order_list") + "?hold=remarks&carrier=yamato&ordered_from=2020-01-01",
        reverse("dashboard:home"),
        reverse("dashboard:status_counts"),
    ],
)
def test_a_page_costs_the_same_number_of_queries_for_5_and_25_orders(login, url):
    channels = [ChannelFactory(name="rakuten"), ChannelFactory(name="yahoo", kind="yahoo")]
    client = login("operator")
    make_orders(5, channels)
    few = queries_for(client, url)

    make_orders(20, channels)
    many = queries_for(client, url)

    assert few == many


def test_an_order_slip_costs_a_fixed_number_of_queries(login, mismatched_order):
    client = login("operator")
    url = reverse("dashboard:order_slip", args=[mismatched_order.pk])
    few = queries_for(client, url)
    for _n in range(5):
        OrderLineFactory(order=mismatched_order)

    assert queries_for(client, url) == few
