"""factory-boy factories for the domain model."""

import factory
from django.utils import timezone

from channels.models import Channel, Listing
from inventory.models import SKU, Product, SetComponent, Warehouse
from orders.models import Order, OrderLine, ShipTo


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"P{n:04d}")
    name = factory.Sequence(lambda n: f"商品{n}")


class SKUFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SKU

    product = factory.SubFactory(ProductFactory)
    code = factory.Sequence(lambda n: f"SKU{n:05d}")
    name = factory.Sequence(lambda n: f"商品 バリエーション{n}")
    price = 1000


class SetComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SetComponent

    set_sku = factory.SubFactory(SKUFactory, is_set=True)
    component = factory.SubFactory(SKUFactory)
    quantity = 1


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"WH{n}")
    name = factory.Sequence(lambda n: f"倉庫{n}")


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("name",)

    kind = Channel.Kind.RAKUTEN
    name = factory.Sequence(lambda n: f"shop{n}")
    base_url = "http://127.0.0.1:8101"
    credentials = factory.LazyFunction(
        lambda: {"service_secret": "s", "license_key": "k", "shop_id": "100001"}
    )


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing

    channel = factory.SubFactory(ChannelFactory)
    sku = factory.SubFactory(SKUFactory)
    external_item_id = factory.LazyAttribute(lambda o: o.sku.code.lower())
    external_variant_id = factory.LazyAttribute(lambda o: o.sku.code)


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    channel = factory.SubFactory(ChannelFactory)
    external_id = factory.Sequence(lambda n: f"100001-20261126-{n:08d}")
    ordered_at = factory.LazyFunction(timezone.now)
    buyer_name = "山田 太郎"
    buyer_kana = "ヤマダ タロウ"
    buyer_email = "taro@example.jp"
    buyer_phone = "090-1234-5678"
    total = 2980


class ShipToFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipTo

    order = factory.SubFactory(OrderFactory)
    name = "山田 太郎"
    kana = "ヤマダ タロウ"
    postal_code = "100-0001"
    prefecture = "東京都"
    city = "千代田区"
    address1 = "千代田1-1"
    phone = "090-1234-5678"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    sku = factory.SubFactory(SKUFactory)
    name = factory.LazyAttribute(lambda o: o.sku.name if o.sku else "不明な商品")
    quantity = 1
    unit_price = 1000
