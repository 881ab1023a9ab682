"""Low stock is divided among the shops listing a SKU; plenty is shown in full on each (channels.selectors)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from channels.selectors import _share, listing_quantities
from tests.factories import ChannelFactory, ListingFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shops():
    return [ChannelFactory(name=name) for name in ("rakuten-x", "yahoo-x", "amazon-x")]


def _shown(shops, sku, free):
    return [listing_quantities(channel=shop, free={sku.pk: free})[sku.pk] for shop in shops]


def test_plenty_of_stock_is_shown_in_full_on_every_shop(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 10
    sku = SKUFactory()
    for shop in shops:
        ListingFactory(channel=shop, sku=sku)

    assert _shown(shops, sku, 10) == [10, 10, 10]


def test_low_stock_is_divided_so_the_shops_together_show_what_we_have(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 10
    sku = SKUFactory()
    for shop in shops:
        ListingFactory(channel=shop, sku=sku)

    for free in range(10):
        shown = _shown(shops, sku, free)
        assert sum(shown) == free, (free, shown)
        assert max(shown) - min(shown) <= 1


def test_the_last_units_go_to_different_shops_for_different_skus(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 10
    skus = [SKUFactory() for _ in range(3)]
    for sku in skus:
        for shop in shops:
            ListingFactory(channel=shop, sku=sku)

    holders = {tuple(_shown(shops, sku, 1)) for sku in skus}

    assert holders == {(1, 0, 0), (0, 1, 0), (0, 0, 1)}


def test_only_enabled_shops_that_list_the_sku_share_it(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 10
    sku = SKUFactory()
    ListingFactory(channel=shops[0], sku=sku)
    ListingFactory(channel=shops[1], sku=sku)
    ListingFactory(channel=shops[2], sku=sku)
    shops[2].enabled = False
    shops[2].save()

    assert sum(_shown(shops[:2], sku, 5)) == 5


def test_a_shop_alone_with_a_sku_shows_all_of_it(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 10
    sku = SKUFactory()
    ListingFactory(channel=shops[0], sku=sku)

    assert listing_quantities(channel=shops[0], free={sku.pk: 3}) == {sku.pk: 3}


def test_each_shops_buffer_applies_to_its_share(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 10
    sku = SKUFactory()
    for shop in shops:
        ListingFactory(channel=shop, sku=sku)
    shops[0].stock_buffer = 1
    shops[0].save()
    share = _share(6, [shop.pk for shop in shops], sku.pk)

    assert _shown(shops, sku, 6) == [share[shops[0].pk] - 1, share[shops[1].pk], share[shops[2].pk]]


def test_the_split_can_be_turned_off(shops, settings):
    settings.OMS_STOCK_SPLIT_BELOW = 0
    sku = SKUFactory()
    for shop in shops:
        ListingFactory(channel=shop, sku=sku)

    assert _shown(shops, sku, 2) == [2, 2, 2]


@settings(max_examples=200, deadline=None)
@given(shops=st.integers(1, 6), sku_id=st.integers(1, 10_000), free=st.integers(0, 50))
def test_a_shops_share_never_shrinks_when_stock_grows_and_the_shares_add_up(shops, sku_id, free):
    """Each push task computes its own shop's share at its own moment: with shares monotonic in the free
    stock, shares computed from a later (smaller) stock never add up to more than was there."""
    ids = list(range(100, 100 + shops))
    now, more = _share(free, ids, sku_id), _share(free + 1, ids, sku_id)

    assert sum(now.values()) == free
    assert all(more[i] >= now[i] for i in ids)
