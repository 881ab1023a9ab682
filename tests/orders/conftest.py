"""Fixtures the order tests share."""

import pytest
from django.utils import translation

from inventory.services import stock_adjust
from tests.factories import ChannelFactory, ListingFactory, SKUFactory


@pytest.fixture
def channel(warehouse):
    """A Rakuten shop shipping with Yamato, with TSHIRT-BLK-M (5 in stock) listed."""
    channel = ChannelFactory(name="rakuten", default_carrier="yamato")
    sku = SKUFactory(code="TSHIRT-BLK-M")
    ListingFactory(channel=channel, sku=sku, external_item_id="tshirt", external_variant_id="TSHIRT-BLK-M")
    stock_adjust(sku=sku, delta=5, actor="test")
    return channel


@pytest.fixture
def shop(warehouse):
    """(A Rakuten shop, TSHIRT-BLK-M with 5 in stock listed on it)."""
    channel = ChannelFactory(name="rakuten")
    tshirt = SKUFactory(code="TSHIRT-BLK-M")
    ListingFactory(channel=channel, sku=tshirt, external_item_id="tshirt", external_variant_id="TSHIRT-BLK-M")
    stock_adjust(sku=tshirt, delta=5, actor="test")
    return channel, tshirt


@pytest.fixture
def english():
    """Refusals matched in English; tests/ops/test_translations.py sees that each has its Japanese."""
    with translation.override("en"):
        yield
