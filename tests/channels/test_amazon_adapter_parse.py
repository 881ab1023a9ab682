"""Reading Amazon SP-API orders (Order + OrderItems JSON) into canonical orders, without any HTTP."""

from datetime import UTC, date, datetime

import pytest

from channels.adapters.amazon_parse import parse_order
from channels.adapters.base import PayloadError, RawOrder

ORDER_ID = "249-1234567-7654321"


def money(amount: int) -> dict:
    return {"CurrencyCode": "JPY", "Amount": f"{amount}.00"}


def item(
    item_id: str = "11111111111111", sku: str = "TSHIRT-BLK-M", quantity: int = 2, price: int = 2980, **extra
):
    return {
        "ASIN": "B0ABCDEFGH",
        "SellerSKU": sku,
        "OrderItemId": item_id,
        "Title": "Tシャツ 黒 M",
        "QuantityOrdered": quantity,
        "QuantityShipped": 0,
        "ItemPrice": money(price * quantity),
        "ItemTax": money(price * quantity * 10 // 110),
        "ShippingPrice": money(0),
        "PromotionDiscount": money(0),
        "IsGift": "false",
        **extra,
    }


def order(**changes) -> dict:
    base = {
        "AmazonOrderId": ORDER_ID,
        "PurchaseDate": "2026-11-20T01:15:42Z",
        "LastUpdateDate": "2026-11-20T01:17:00Z",
        "OrderStatus": "Unshipped",
        "FulfillmentChannel": "MFN",
        "OrderTotal": money(5960),
        "PaymentMethod": "Other",
        "PaymentMethodDetails": ["CreditCard"],
        "MarketplaceId": "A1VC38T7YXB528",
        "ShipmentServiceLevelCategory": "Standard",
        "EarliestDeliveryDate": "2026-11-21T15:00:00Z",
        "LatestDeliveryDate": "2026-11-23T14:59:59Z",
        "BuyerInfo": {"BuyerEmail": "abc123@marketplace.amazon.co.jp", "BuyerName": "山田 太郎"},
        "ShippingAddress": {
            "Name": "山田 花子",
            "AddressLine1": "千代田1-1",
            "AddressLine2": "パレス千代田",
            "AddressLine3": "101号室",
            "City": "千代田区",
            "StateOrRegion": "東京都",
            "PostalCode": "1000001",
            "CountryCode": "JP",
            "Phone": "０９０-１２３４-５６７８",
        },
    }
    return {key: value for key, value in (base | changes).items() if value is not None}


def parse(order_json: dict | None = None, items: list | None = None):
    payload = {
        "order": order() if order_json is None else order_json,
        "items": [item()] if items is None else items,
    }
    return parse_order(RawOrder(ORDER_ID, payload))


def test_amazon_fields_become_canonical_ones():
    parsed = parse()

    assert parsed.ordered_at == datetime(2026, 11, 20, 1, 15, 42, tzinfo=UTC)
    assert parsed.buyer_name == "山田\u3000太郎"  # one full-width space between family and given name
    [ship_to] = parsed.ship_tos
    assert (ship_to.name, ship_to.postal_code, ship_to.address2, ship_to.phone) == (
        "山田\u3000花子",
        "100-0001",
        "パレス千代田 101号室",
        "090-1234-5678",
    )
    assert parsed.buyer_phone == "090-1234-5678"  # Amazon's only phone number is the recipient's
    assert (parsed.lines[0].unit_price, parsed.subtotal, parsed.total) == (2980, 5960, 5960)
    assert (parsed.delivery_date, parsed.delivery_time) == (
        None,
        "",
    )  # a Standard order's dates are estimates


def test_fees_and_discounts_are_summed_over_the_items():
    items = [
        item(ShippingPrice=money(500), CODFee=money(330), PromotionDiscount=money(300)),
        item("22222222222222", "SOCKS-WHT-L", 1, 980, ShippingDiscount=money(-200)),
    ]

    parsed = parse(order(PaymentMethod="COD", PaymentMethodDetails=["COD"], OrderTotal=money(7270)), items)

    assert (parsed.subtotal, parsed.shipping_fee, parsed.payment_fee, parsed.discount, parsed.total) == (
        6940,
        500,
        330,
        500,
        7270,
    )
    assert (parsed.payment_method, parsed.paid) == ("cod", False)


@pytest.mark.parametrize(
    ("details", "method"),
    [
        (["CreditCard", "PointsAccount"], "credit_card"),
        (["PointsAccount"], "points"),
        (["GiftCertificate", "PointsAccount"], "points"),
        (["Standard"], "other"),
        ([], "other"),
    ],
)
def test_payment_method_details_name_the_payment(details, method):
    assert parse(order(PaymentMethodDetails=details)).payment_method == method


def test_convenience_store_payment_is_paid_once_the_order_is_unshipped():
    parsed = parse(order(PaymentMethod="CVS", PaymentMethodDetails=["ConvenienceStore"]))

    assert (parsed.payment_method, parsed.paid) == ("convenience_store", True)


@pytest.mark.parametrize(
    ("earliest", "latest", "wish"),
    [
        ("2026-12-04T23:00:00Z", "2026-12-05T03:00:00Z", (date(2026, 12, 5), "08-12", "")),
        ("2026-12-05T10:00:00Z", "2026-12-05T12:00:00Z", (date(2026, 12, 5), "19-21", "")),
        ("2026-12-05T09:00:00Z", "2026-12-05T10:59:59Z", (date(2026, 12, 5), "18-20", "")),
        ("2026-12-04T15:00:00Z", "2026-12-05T14:59:59Z", (date(2026, 12, 5), "", "")),
        (
            "2026-12-05T00:00:00Z",
            "2026-12-05T02:00:00Z",
            (date(2026, 12, 5), "", "Amazon お届け時間帯: 09:00～11:00"),
        ),
    ],
)
def test_a_scheduled_delivery_window_becomes_the_wished_date_and_slot(earliest, latest, wish):
    scheduled = order(
        ShipmentServiceLevelCategory="Scheduled", EarliestDeliveryDate=earliest, LatestDeliveryDate=latest
    )

    parsed = parse(scheduled)

    assert (parsed.delivery_date, parsed.delivery_time, parsed.remarks) == wish


def test_a_gift_item_makes_a_gift_order():
    assert parse(items=[item(IsGift="true")]).is_gift is True


def test_without_the_buyers_name_the_recipients_stands_in():
    assert parse(order(BuyerInfo={"BuyerEmail": "x@marketplace.amazon.co.jp"})).buyer_name == "山田\u3000花子"


def test_a_cancelled_order_reads_without_address_or_prices():
    cancelled = order(OrderStatus="Canceled", ShippingAddress=None, OrderTotal=None)
    bare = {
        key: value for key, value in item().items() if key not in ("ItemPrice", "ItemTax", "ShippingPrice")
    }

    parsed = parse(cancelled, [bare])

    assert (parsed.cancelled, parsed.ship_tos, parsed.total) == (True, [], 0)
    assert [line.item_id for line in parsed.lines] == ["TSHIRT-BLK-M"]


def test_items_amazon_cancelled_are_left_out():
    items = [item(), item("22222222222222", "SOCKS-WHT-L", quantity=0, price=0)]

    assert [line.item_id for line in parse(items=items).lines] == ["TSHIRT-BLK-M"]


@pytest.mark.parametrize("status", ["Shipped", "InvoiceUnconfirmed"])
def test_shipped_statuses_mean_shipped_on_amazon(status):
    assert parse(order(OrderStatus=status)).shipped_on_marketplace is True


def test_unfulfillable_counts_as_cancelled():
    assert parse(order(OrderStatus="Unfulfillable")).cancelled is True


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("not json", "payload is not"),
        ({"order": order()}, "items is not a list"),
        ({"order": order(AmazonOrderId=None), "items": [item()]}, "AmazonOrderId is missing"),
        ({"order": order(OrderStatus="Pending"), "items": [item()]}, "still Pending"),
        ({"order": order(OrderStatus="Lost"), "items": [item()]}, "OrderStatus 'Lost'"),
        ({"order": order(FulfillmentChannel="AFN"), "items": [item()]}, "FBA"),
        ({"order": order(ShippingAddress=None), "items": [item()]}, "ShippingAddress is missing"),
        ({"order": order(PurchaseDate="20.11.2026"), "items": [item()]}, "PurchaseDate"),
        ({"order": order(PurchaseDate="2026-11-20T01:15:42"), "items": [item()]}, "time zone"),
        ({"order": order(), "items": [item(ItemPrice=None)]}, "ItemPrice is missing"),
        ({"order": order(), "items": [item(ItemPrice={"CurrencyCode": "USD", "Amount": "9"})]}, "not JPY"),
        (
            {"order": order(), "items": [item(ItemPrice={"CurrencyCode": "JPY", "Amount": "abc"})]},
            "not a number",
        ),
        ({"order": order(), "items": [item(QuantityOrdered=-1)]}, "QuantityOrdered"),
        ({"order": order(), "items": [item(SellerSKU="")]}, "SellerSKU is missing"),
        ({"order": order(), "items": []}, "no order item"),
        ({"order": order(PaymentMethodDetails="CreditCard"), "items": [item()]}, "PaymentMethodDetails"),
    ],
)
def test_a_payload_that_cannot_be_read_is_a_payload_error(payload, message):
    with pytest.raises(PayloadError, match=message) as refused:
        parse_order(RawOrder(ORDER_ID, payload))

    assert ORDER_ID in str(refused.value)


@pytest.mark.parametrize(
    "changes",
    [
        {"PostalCode": "10000"},
        {"CountryCode": "US"},
        {"Name": ""},
        {"AddressLine1": ""},
        {"StateOrRegion": ""},
    ],
)
def test_a_broken_address_is_a_payload_error_that_does_not_repeat_personal_data(changes):
    address = order()["ShippingAddress"] | changes

    with pytest.raises(PayloadError, match=r"ShippingAddress|country") as refused:
        parse(order(ShippingAddress=address))

    assert not any(
        value and value in str(refused.value) for value in address.values() if value not in ("US",)
    )
