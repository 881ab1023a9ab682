"""Fixtures for the dashboard tests: a user per role, a shop, and orders with holds to act on."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from channels.adapters.base import CanonicalAddress
from inventory.services import stock_adjust
from oms.roles import ROLES, roles_ensure
from orders.intake import order_import
from tests.factories import ChannelFactory, ListingFactory, SKUFactory
from tests.orders.test_intake import buyer, canonical


@pytest.fixture
def users(db) -> dict:
    """{role: user} with one user in each role group (none of them a superuser)."""
    roles_ensure()
    made = {}
    for role in ROLES:
        # Signed in with force_login: no password, so no slow hashing in every test.
        user = get_user_model().objects.create_user(username=f"{role}-user")
        user.groups.add(Group.objects.get(name=role))
        made[role] = user
    return made


@pytest.fixture
def login(client, users):
    """Sign the test client in as a role and return it."""

    def as_role(role: str):
        client.force_login(users[role])
        return client

    return as_role


@pytest.fixture
def shop(warehouse):
    channel = ChannelFactory(name="rakuten", display_name="テスト店 楽天市場店")
    tshirt = SKUFactory(code="TSHIRT-BLK-M", name="Tシャツ ブラック M")
    ListingFactory(channel=channel, sku=tshirt, external_item_id="tshirt", external_variant_id="TSHIRT-BLK-M")
    stock_adjust(sku=tshirt, delta=20, actor="test")
    return channel


def import_order(channel, **changes):
    return order_import(channel=channel, canonical=canonical(**changes), payload={"orderNumber": "raw"}).order


# The postal code of 千代田区, 東京都 written with an address in 大阪市北区: the address check holds the order
# with a one-click fix that writes 梅田's postal code, 530-0001 (the address is consistent; the code is not).
MISMATCHED_ADDRESS = CanonicalAddress(
    name="山田 太郎",
    kana="ヤマダ タロウ",
    postal_code="100-0001",
    prefecture="大阪府",
    city="大阪市北区",
    address1="梅田1-1",
    phone="090-1234-5678",
    external_id="1",
)


@pytest.fixture
def mismatched_order(shop):
    return import_order(shop, external_id="R-MISMATCH", ship_tos=[MISMATCHED_ADDRESS])


@pytest.fixture
def remarks_order(shop):
    return import_order(shop, external_id="R-REMARKS", remarks="のし紙をお願いします", **buyer(2))


@pytest.fixture
def clean_order(shop):
    return import_order(shop, external_id="R-CLEAN", **buyer(3))
