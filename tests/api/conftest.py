"""API test fixtures: keys with chosen scopes, clients that send them, and a small shop with orders."""

import pytest
from rest_framework.test import APIClient

from inventory.services import order_allocate, stock_adjust
from oms.api.keys import api_key_create
from oms.models import Scope
from orders.services import order_hold_add, order_status_change
from tests.factories import (
    ChannelFactory,
    ListingFactory,
    OrderFactory,
    OrderLineFactory,
    ShipToFactory,
    SKUFactory,
)

ALL_SCOPES = list(Scope.values)


@pytest.fixture
def make_client(db):
    """make_client("orders:read", ...) → an APIClient sending a fresh key with exactly those scopes."""

    def make(*scopes: str, name: str = "test-3pl", language: str = "en") -> APIClient:
        api_key, raw_key = api_key_create(name=name, scopes=list(scopes))
        client = APIClient(HTTP_ACCEPT_LANGUAGE=language)
        client.credentials(HTTP_AUTHORIZATION=f"Token {raw_key}")
        client.api_key, client.raw_key = api_key, raw_key
        return client

    return make


@pytest.fixture
def api(make_client):
    """A client whose key holds every scope."""
    return make_client(*ALL_SCOPES)


@pytest.fixture
def shop(warehouse):
    """The rakuten channel with two stocked SKUs (10 each) listed on it."""
    channel = ChannelFactory(name="rakuten")
    skus = {}
    for code in ("TSHIRT-BLK-M", "HONEY-300G"):
        skus[code] = SKUFactory(code=code)
        ListingFactory(channel=channel, sku=skus[code])
        stock_adjust(sku=skus[code], delta=10, actor="test")
    return channel, skus


def make_order(channel, sku, *, quantity: int = 1, status: str = "ready", holds=(), allocate=True, **fields):
    """An order with one address and one line, allocated, with the given active holds and status."""
    order = OrderFactory(channel=channel, status="new", **fields)
    ShipToFactory(order=order)
    OrderLineFactory(order=order, sku=sku, quantity=quantity, unit_price=2980)
    if allocate:
        order_allocate(order=order, actor="test")
    for code in holds:
        order_hold_add(order=order, code=code, actor="test")
    path = {"new": [], "printed": ["ready", "printed"]}.get(status, [status])
    for step in path:  # the workflow reaches 印刷済み only through 印刷待ち
        order_status_change(order=order, to_status=step, actor="test")
    order.refresh_from_db()
    return order
