"""Products, SKUs and channel health: read-only, and a channel never shows its credentials."""

import json

import pytest
from django.utils import timezone

from channels.models import Channel
from tests.factories import ChannelFactory, SetComponentFactory, SKUFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reader(make_client):
    return make_client("products:read", "channels:read")


def test_products_list_their_skus(reader, db):
    sku = SKUFactory(code="TSHIRT-BLK-M", product__code="TSHIRT", jan="4901234567894")
    SKUFactory(code="TSHIRT-BLK-L", product=sku.product)

    response = reader.get("/api/v1/products/")

    [product] = response.json()["results"]
    assert product["code"] == "TSHIRT"
    assert [s["code"] for s in product["skus"]] == ["TSHIRT-BLK-L", "TSHIRT-BLK-M"]
    assert reader.get("/api/v1/products/TSHIRT/").json()["code"] == "TSHIRT"
    assert reader.get("/api/v1/products/NOPE/").status_code == 404


def test_skus_show_their_product_and_set_components(reader, db):
    part = SetComponentFactory(set_sku__code="GIFT-SET", component__code="HONEY-300G", quantity=2)

    listed = reader.get("/api/v1/skus/?code=GIFT-SET").json()["results"]
    detail = reader.get("/api/v1/skus/GIFT-SET/").json()

    assert listed == [detail]
    assert detail["is_set"] is True
    assert detail["product"] == part.set_sku.product.code
    assert detail["components"] == [{"sku": "HONEY-300G", "quantity": 2}]
    assert reader.get("/api/v1/skus/NOPE/").status_code == 404


def test_skus_filter_by_product_and_jan(reader, db):
    SKUFactory(code="A-1", product__code="A", jan="4901234567894")
    SKUFactory(code="B-1", product__code="B")

    assert [s["code"] for s in reader.get("/api/v1/skus/?product=A").json()["results"]] == ["A-1"]
    assert [s["code"] for s in reader.get("/api/v1/skus/?jan=4901234567894").json()["results"]] == ["A-1"]


def test_channel_health_is_shown_without_credentials(reader, db):
    channel = ChannelFactory(name="yahoo", kind=Channel.Kind.YAHOO)
    Channel.objects.filter(pk=channel.pk).update(
        healthy=False, health_error="401 from the shop", last_polled_at=timezone.now()
    )

    response = reader.get("/api/v1/channels/")

    [row] = response.json()["results"]
    assert (row["name"], row["kind"], row["healthy"], row["health_error"]) == (
        "yahoo",
        "yahoo",
        False,
        "401 from the shop",
    )
    assert {"enabled", "last_polled_at", "last_pushed_at"} <= row.keys()
    text = json.dumps(response.json()) + reader.get("/api/v1/channels/yahoo/").content.decode()
    assert "credentials" not in text.replace("credentials_expire_at", "")
    assert "100001" not in text and "service_secret" not in text
    assert reader.get("/api/v1/channels/nope/").status_code == 404
