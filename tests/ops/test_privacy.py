"""Personal data: buyer data past each channel's retention is anonymised while the books keep what they need;
a buyer's data can be exported (APPI 開示) and erased on request (APPI 削除)."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from channels.models import Channel, QuarantinedPayload
from notifications.models import MailTemplate, OutboundMail
from orders.intake import order_import
from orders.models import Hold, OrderEvent, OrderStatus
from orders.privacy import ANONYMISED, ErasureRefused, buyer_erase, orders_anonymise_due
from orders.tasks import personal_data_anonymise_due
from shipping.models import Carrier, Shipment
from tests.factories import ChannelFactory, OrderFactory, OrderLineFactory, ShipToFactory
from tests.orders.test_intake import canonical

pytestmark = pytest.mark.django_db
S = OrderStatus

RAKUTEN_PAYLOAD = {
    "orderNumber": "100001-20260801-00000001",
    "orderDatetime": "2026-08-01T10:00:00+0900",
    "totalPrice": 5960,
    "remarks": "[配送日時指定:]\n山田様へ",
    "OrdererModel": {"familyName": "山田", "firstName": "太郎", "emailAddress": "taro@example.jp"},
    "PackageModelList": [
        {
            "basketId": 1,
            "SenderModel": {
                "familyName": "山田",
                "zipCode1": "100",
                "zipCode2": "0001",
                "subAddress": "千代田1-1",
            },
            "ItemModelList": [{"itemName": "Tシャツ ブラック M", "units": 2, "price": 2980}],
        }
    ],
}


def closed_order(channel, *, days_ago: int, status=S.SHIPPED, email="taro@example.jp", payload=None):
    """A shipped (or cancelled) order with everything the OMS copies buyer data into, closed `days_ago`."""
    order = OrderFactory(
        channel=channel,
        status=status,
        buyer_email=email,
        remarks="玄関前に置いてください 山田",
        merge_key="abc123",
        total=5960,
        subtotal=5960,
        raw_payload=payload if payload is not None else RAKUTEN_PAYLOAD,
    )
    ShipToFactory(order=order, address2="皇居外苑ビル 3F")
    OrderLineFactory(order=order, name="Tシャツ ブラック M", quantity=2, unit_price=2980)
    Hold.objects.create(
        order=order,
        code="remarks",
        message="備考欄に記入があります: 玄関前に置いてください 山田",
        suggestion={"ship_to": 1, "city": "千代田区"},
        resolved_at=timezone.now(),
    )
    OrderEvent.objects.create(
        order=order, kind="hold_added", actor="system", message="備考欄に記入があります: 山田"
    )
    OrderEvent.objects.create(
        order=order,
        kind="address_edited",
        actor="user:op",
        before={"address1": "千代田1-1", "phone": "090-1234-5678"},
        after={"address1": "千代田1-2"},
    )
    template, _created = MailTemplate.objects.get_or_create(
        code="shipping_notice", defaults={"name": "発送", "subject": "s", "body": "b"}
    )
    OutboundMail.objects.create(
        order=order,
        template=template,
        to=order.buyer_email,
        subject="山田 太郎 様 発送のお知らせ",
        body="山田 太郎 様\n〒100-0001 東京都千代田区千代田1-1",
        status="sent",
    )
    carrier, _created = Carrier.objects.get_or_create(code="yamato", defaults={"name": "ヤマト運輸"})
    if status == S.SHIPPED:
        Shipment.objects.create(
            order=order, carrier=carrier, tracking_number="123456789012", shipped_at=timezone.now()
        )
    closed = OrderEvent.objects.create(
        order=order,
        kind="status_changed",
        actor="system",
        before={"status": "printed"},
        after={"status": status},
    )
    OrderEvent.objects.filter(pk=closed.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return order


@pytest.fixture
def amazon():
    return ChannelFactory(name="amazon-jp", kind=Channel.Kind.AMAZON)


def test_amazon_channels_keep_buyer_data_90_days_and_others_until_told(amazon):
    rakuten = ChannelFactory(name="rakuten")
    rakuten_30 = ChannelFactory(name="rakuten-30", personal_data_retention_days=30)

    assert (amazon.retention_days, rakuten.retention_days, rakuten_30.retention_days) == (90, None, 30)


def test_the_retention_job_anonymises_orders_past_retention_and_keeps_the_books(amazon):
    order = closed_order(amazon, days_ago=91)
    ordered_at, line = order.ordered_at, order.lines.get()

    assert personal_data_anonymise_due.apply().get() == 1

    order.refresh_from_db()
    assert (order.buyer_name, order.buyer_kana, order.buyer_email, order.buyer_phone) == (
        ANONYMISED,
        "",
        "",
        "",
    )
    assert order.remarks == "" and order.merge_key == ""
    ship_to = order.ship_tos.get()
    assert (
        ship_to.name,
        ship_to.postal_code,
        ship_to.city,
        ship_to.address1,
        ship_to.address2,
        ship_to.phone,
    ) == (
        ANONYMISED,
        "",
        "",
        "",
        "",
        "",
    )
    # The books: order number, amounts, dates, lines, status, shipments, channel.
    assert order.external_id.startswith("100001-") and order.total == 5960 and order.subtotal == 5960
    assert order.ordered_at == ordered_at and order.status == S.SHIPPED and order.channel == amazon
    assert list(order.lines.values_list("name", "quantity", "unit_price")) == [(line.name, 2, 2980)]
    assert order.shipments.get().tracking_number == "123456789012"
    assert order.raw_payload["orderNumber"] == "100001-20260801-00000001"
    assert order.raw_payload["totalPrice"] == 5960
    assert order.raw_payload["PackageModelList"][0]["ItemModelList"][0]["itemName"] == "Tシャツ ブラック M"
    # Nothing personal left anywhere the OMS copied it.
    stored = json.dumps(
        [
            order.raw_payload,
            list(order.holds.values("message", "suggestion")),
            list(order.events.values("message", "before", "after")),
            list(order.mails.values("to", "subject", "body")),
        ],
        ensure_ascii=False,
    )
    for value in ("山田", "太郎", "taro@example.jp", "千代田1-1", "100-0001", "090-1234-5678", "玄関前"):
        assert value not in stored, value
    assert order.events.filter(kind="anonymised", actor="system").exists()


def test_orders_within_retention_open_orders_and_kept_channels_are_left_alone(amazon):
    recent = closed_order(amazon, days_ago=89)
    kept = closed_order(ChannelFactory(name="rakuten"), days_ago=400)
    open_order = OrderFactory(channel=amazon, status=S.READY)
    cancelled = closed_order(amazon, days_ago=120, status=S.CANCELLED)

    assert orders_anonymise_due() == 1

    for order in (recent, kept, open_order):
        order.refresh_from_db()
        assert order.buyer_name == "山田 太郎"
    cancelled.refresh_from_db()
    assert cancelled.buyer_name == ANONYMISED
    assert orders_anonymise_due() == 0  # nothing twice


def test_an_anonymised_order_still_opens_in_the_dashboard(admin_client, amazon):
    order = closed_order(amazon, days_ago=91)
    orders_anonymise_due()

    page = admin_client.get(f"/orders/{order.pk}/")

    assert page.status_code == 200
    assert order.external_id in page.content.decode() and ANONYMISED in page.content.decode()


def test_a_shop_re_sending_an_anonymised_order_does_not_bring_its_buyer_back(amazon):
    order = closed_order(amazon, days_ago=91, payload={"orderNumber": "x"})
    order.external_id = canonical().external_id
    order.save()
    orders_anonymise_due()

    order_import(channel=amazon, canonical=canonical(), payload={"orderNumber": "x", "buyer": "山田 太郎"})

    order.refresh_from_db()
    assert order.buyer_name == ANONYMISED and "山田" not in json.dumps(order.raw_payload, ensure_ascii=False)


def test_personal_fields_of_stored_payloads_go_amazon_json_and_yahoo_xml(amazon):
    amazon_payload = {
        "AmazonOrderId": "503-1234567-1234567",
        "OrderTotal": {"Amount": "5960", "CurrencyCode": "JPY"},
        "BuyerInfo": {"BuyerEmail": "x@marketplace.amazon.co.jp", "BuyerName": "山田"},
        "ShippingAddress": {"Name": "山田 太郎", "AddressLine1": "千代田1-1", "PostalCode": "100-0001"},
        "items": [{"SellerSKU": "TSHIRT", "Title": "Tシャツ", "QuantityOrdered": 2}],
    }
    yahoo_xml = (
        "<ResultSet><Result><OrderInfo><OrderId>shop-1</OrderId><TotalPrice>5960</TotalPrice>"
        "<Ship><ShipLastName>山田</ShipLastName><ShipAddress1>千代田1-1</ShipAddress1></Ship>"
        "<Pay><BillMailAddress>taro@example.jp</BillMailAddress></Pay>"
        "<Item><Title>Tシャツ</Title><Quantity>2</Quantity></Item></OrderInfo></Result></ResultSet>"
    )
    on_amazon = closed_order(amazon, days_ago=100, payload=amazon_payload)
    on_yahoo = closed_order(
        ChannelFactory(name="yahoo", kind=Channel.Kind.YAHOO, personal_data_retention_days=30),
        days_ago=31,
        payload=yahoo_xml,
    )
    QuarantinedPayload.objects.create(
        channel=amazon,
        external_id=on_amazon.external_id,
        payload=amazon_payload,
        error="x",
        resolved_at=timezone.now(),
    )

    assert orders_anonymise_due() == 2

    on_amazon.refresh_from_db()
    on_yahoo.refresh_from_db()
    assert on_amazon.raw_payload == {
        "AmazonOrderId": "503-1234567-1234567",
        "OrderTotal": {"Amount": "5960", "CurrencyCode": "JPY"},
        "items": [{"SellerSKU": "TSHIRT", "Title": "Tシャツ", "QuantityOrdered": 2}],
    }
    assert (
        "<OrderId>shop-1</OrderId>" in on_yahoo.raw_payload
        and "<Title>Tシャツ</Title>" in on_yahoo.raw_payload
    )
    for value in ("山田", "千代田", "taro@"):
        assert value not in on_yahoo.raw_payload
    assert "BuyerInfo" not in QuarantinedPayload.objects.get().payload


def test_export_buyer_data_writes_everything_held_about_the_buyer(amazon, capsys):
    closed_order(amazon, days_ago=10)
    closed_order(ChannelFactory(name="rakuten"), days_ago=5, email="TARO@example.jp")
    closed_order(amazon, days_ago=5, email="someone-else@example.jp")

    call_command("export_buyer_data", "--email", "taro@example.jp")

    data = json.loads(capsys.readouterr().out)
    assert len(data["orders"]) == 2
    first = data["orders"][0]
    assert first["buyer"]["name"] == "山田 太郎" and first["buyer"]["email"] == "taro@example.jp"
    assert first["ship_to"][0]["address1"] == "千代田1-1"
    assert first["mails"][0]["body"].startswith("山田 太郎 様")
    assert first["lines"] == [{"item": "Tシャツ ブラック M", "quantity": 2, "unit_price": 2980}]
    assert first["shop_data"]["OrdererModel"]["familyName"] == "山田"


def test_export_of_an_unknown_buyer_says_so():
    with pytest.raises(CommandError, match="no order"):
        call_command("export_buyer_data", "--email", "nobody@example.jp")


def test_erase_buyer_data_anonymises_every_order_of_the_buyer(amazon, capsys):
    mine = [closed_order(amazon, days_ago=3), closed_order(amazon, days_ago=1, status=S.CANCELLED)]
    other = closed_order(amazon, days_ago=3, email="someone-else@example.jp")

    call_command("erase_buyer_data", "--email", "taro@example.jp")

    assert "anonymised 2 order(s)" in capsys.readouterr().out
    for order in mine:
        order.refresh_from_db()
        assert order.buyer_name == ANONYMISED and order.buyer_email == ""
        assert order.events.filter(kind="anonymised", actor="command:erase_buyer_data").exists()
    other.refresh_from_db()
    assert other.buyer_name == "山田 太郎"


def test_erasure_is_refused_while_an_order_of_the_buyer_is_not_shipped(amazon):
    shipped = closed_order(amazon, days_ago=3)
    waiting = OrderFactory(channel=amazon, status=S.PRINTED, buyer_email="taro@example.jp")

    with pytest.raises(ErasureRefused) as refused:
        buyer_erase(email="taro@example.jp", actor="test")
    with pytest.raises(CommandError, match=waiting.external_id):
        call_command("erase_buyer_data", "--email", "taro@example.jp")

    assert refused.value.open_orders == [waiting.external_id]
    shipped.refresh_from_db()
    assert shipped.buyer_name == "山田 太郎"
