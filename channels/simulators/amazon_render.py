"""Amazon simulator: canonical order -> stored record, and record -> SP-API Orders v0 / Listings JSON shapes.

A stored record keeps Python values (UTC datetimes, int yen); rendering turns them into the strings the real
API sends: ISO-8601 UTC dates with a trailing Z, money as {"CurrencyCode": "JPY", "Amount": "2980.00"}.
"""

from __future__ import annotations

import hashlib
import random
import re
from datetime import UTC, date, datetime, time, timedelta

from channels.simulators.base import JST

MARKETPLACE_ID = "A1VC38T7YXB528"  # Amazon.co.jp
CURRENCY = "JPY"
ORDER_ID_PREFIXES = ("249", "250", "503")  # first block of the 3-7-7 ids seen on Amazon.co.jp orders
RELAY_DOMAIN = "marketplace.amazon.co.jp"  # buyer e-mails reach the seller through Amazon's relay
SHIP_SERVICE_LEVEL = "Std JP Kanto8"  # [inferred] a JP standard-shipping service level name
CONSUMPTION_TAX_PERCENT = 10
GIFT_WORDS = ("ギフト", "のし", "熨斗", "ラッピング", "包装", "プレゼント", "メッセージカード")
# OrderStatus values for which the Orders API returns ShippingAddress (ordersV0.json, OrderAddress).
ADDRESS_STATUSES = ("Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed")
NAMED_SLOTS = {"午前中": (8, 12)}
SLOT_PATTERN = re.compile(r"^\s*(\d{1,2})(?::00)?\s*[-~〜～]\s*(\d{1,2})(?::00)?\s*$")
COMPACT_SLOT_PATTERN = re.compile(r"^(\d{2})(\d{2})$")  # carrier style "1416"

# canonical payment -> (PaymentMethod, PaymentMethodDetails)
PAYMENTS = {
    "cod": ("COD", ["COD"]),
    "convenience_store": ("CVS", ["ConvenienceStore"]),
    "credit_card": ("Other", ["CreditCard"]),
    "points": ("Other", ["PointsAccount"]),
}


def iso(moment: datetime) -> str:
    """The Orders API date form: UTC, whole seconds, trailing Z (e.g. 2026-11-20T03:15:42Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime | None:
    """An ISO-8601 date or date-time as UTC; a value without offset counts as UTC; None if unparsable."""
    value = text.strip()
    if not value or " " in value:  # a "+09:00" sent unencoded arrives as " 09:00": the real API refuses it
        return None
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def money(amount: int) -> dict:
    return {"CurrencyCode": CURRENCY, "Amount": f"{amount}.00"}


def payment_of(canonical_payment: str | None) -> tuple[str, list[str]]:
    """Amazon has COD, CVS (コンビニ決済 = convenience-store payment) and Other for everything else."""
    key = (canonical_payment or "").strip().lower()
    return PAYMENTS.get(key, ("Other", ["Standard"]))


def asin_for(sku: str) -> str:
    """A stable ASIN-like id per SKU (B0 + 8 upper-case alphanumerics)."""
    digest = hashlib.blake2b(sku.encode("utf-8"), digest_size=8).digest()
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "B0" + "".join(alphabet[byte % 36] for byte in digest[:8])


def new_order_id(rng: random.Random, taken: set[str] | dict) -> str:
    while True:
        order_id = (
            f"{rng.choice(ORDER_ID_PREFIXES)}-{rng.randint(0, 9_999_999):07d}-{rng.randint(0, 9_999_999):07d}"
        )
        if order_id not in taken:
            return order_id


def relay_email(rng: random.Random) -> str:
    local = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(16))
    return f"{local}@{RELAY_DOMAIN}"


def is_gift(canonical: dict) -> bool:
    remarks = canonical.get("remarks") or ""
    return any(word in remarks for word in GIFT_WORDS)


def parse_slot(slot: str | None) -> tuple[int, int] | None:
    """A canonical time slot ("14-16", "午前中", "1416") as (start hour, end hour) in JST, or None."""
    text = (slot or "").strip()
    if text in NAMED_SLOTS:
        return NAMED_SLOTS[text]
    found = SLOT_PATTERN.match(text) or COMPACT_SLOT_PATTERN.match(text)
    if not found:
        return None
    start, end = int(found.group(1)), int(found.group(2))
    return (start, end) if 0 <= start < end <= 24 else None


def _jst(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(0), JST) + timedelta(hours=hour)


def _end_of_day(day: date) -> datetime:
    return _jst(day, 24) - timedelta(seconds=1)


def schedule(purchase: datetime, delivery_date: str | None, delivery_time: str | None) -> dict:
    """Ship and delivery windows. A wished date (お届け日時指定) becomes a "Scheduled" order whose
    Earliest/LatestDeliveryDate span that JST day or its time slot; otherwise a "Standard" estimate.
    A slot without a date cannot be expressed on Amazon and is dropped."""
    ordered_on = purchase.astimezone(JST).date()
    try:
        wished = date.fromisoformat(delivery_date) if delivery_date else None
    except ValueError:
        wished = None
    if wished is None:
        return {
            "category": "Standard",
            "EarliestShipDate": purchase,
            "LatestShipDate": _end_of_day(ordered_on + timedelta(days=2)),
            "EarliestDeliveryDate": _jst(ordered_on + timedelta(days=2), 0),
            "LatestDeliveryDate": _end_of_day(ordered_on + timedelta(days=4)),
        }
    slot = parse_slot(delivery_time)
    earliest = _jst(wished, slot[0]) if slot else _jst(wished, 0)
    latest = _jst(wished, slot[1]) if slot else _end_of_day(wished)
    return {
        "category": "Scheduled",
        "EarliestShipDate": purchase,
        "LatestShipDate": max(_end_of_day(wished - timedelta(days=1)), _end_of_day(ordered_on)),
        "EarliestDeliveryDate": earliest,
        "LatestDeliveryDate": latest,
    }


def shipping_address(ship_to: dict) -> dict:
    """Japanese address in Amazon's fields: StateOrRegion = 都道府県, City = 市区町村, lines = the rest."""
    address = {
        "Name": ship_to.get("name", ""),
        "AddressLine1": ship_to.get("address1", ""),
        "AddressLine2": ship_to.get("address2", ""),
        "AddressLine3": ship_to.get("address3", ""),
        "City": ship_to.get("city", ""),
        "StateOrRegion": ship_to.get("prefecture", ""),
        "PostalCode": ship_to.get("postal_code", ""),
        "CountryCode": "JP",
        "Phone": ship_to.get("phone", ""),
        "AddressType": "Residential",
    }
    return {key: value for key, value in address.items() if value}  # the API leaves out empty fields


def build_record(
    canonical: dict, *, rng: random.Random, taken: dict, now: datetime, pending_seconds: float
) -> dict:
    """The stored form of a new order. COD needs no payment authorisation, so it starts Unshipped."""
    order_id = new_order_id(rng, taken)
    method, details = payment_of(canonical.get("payment"))
    pending_until = now if method == "COD" else now + timedelta(seconds=pending_seconds)
    gift = is_gift(canonical)
    items = [
        {
            "OrderItemId": f"{rng.randint(10**13, 10**14 - 1)}",
            "SellerSKU": line["sku"],
            "ASIN": asin_for(line["sku"]),
            "Title": str(line.get("name") or line.get("title") or line["sku"]),
            "QuantityOrdered": int(line["quantity"]),
            "QuantityShipped": 0,
            "unit_price": round(float(line.get("price", 0))),
            "IsGift": gift,
        }
        for line in canonical["items"]
    ]
    buyer = canonical.get("buyer") or {}
    return {
        "AmazonOrderId": order_id,
        "purchase": now,
        "updated": now,
        "pending_until": pending_until,
        "status": "Pending" if pending_until > now else "Unshipped",
        "payment": method,
        "payment_details": details,
        "ShippingAddress": shipping_address(canonical.get("ship_to") or {}),
        "BuyerInfo": {"BuyerEmail": relay_email(rng), "BuyerName": buyer.get("name", "")},
        "schedule": schedule(now, canonical.get("delivery_date"), canonical.get("delivery_time")),
        "items": items,
        "packages": [],
    }


def order_total(record: dict) -> int:
    return sum(item["unit_price"] * item["QuantityOrdered"] for item in record["items"])


def render_order(record: dict) -> dict:
    """The Order object of getOrders/getOrder (fields the API leaves out for a status are left out)."""
    status = record["status"]
    ordered = sum(item["QuantityOrdered"] for item in record["items"])
    shipped = sum(item["QuantityShipped"] for item in record["items"])
    plan = record["schedule"]
    order = {
        "AmazonOrderId": record["AmazonOrderId"],
        "SellerOrderId": record["AmazonOrderId"],
        "PurchaseDate": iso(record["purchase"]),
        "LastUpdateDate": iso(record["updated"]),
        "OrderStatus": status,
        "FulfillmentChannel": "MFN",
        "SalesChannel": "Amazon.co.jp",
        "ShipServiceLevel": SHIP_SERVICE_LEVEL,
        "OrderTotal": money(order_total(record)),
        "NumberOfItemsShipped": shipped,
        "NumberOfItemsUnshipped": 0 if status == "Canceled" else ordered - shipped,
        "PaymentMethod": record["payment"],
        "PaymentMethodDetails": list(record["payment_details"]),
        "IsReplacementOrder": False,
        "MarketplaceId": MARKETPLACE_ID,
        "ShipmentServiceLevelCategory": plan["category"],
        "OrderType": "StandardOrder",
        "EarliestShipDate": iso(plan["EarliestShipDate"]),
        "LatestShipDate": iso(plan["LatestShipDate"]),
        "EarliestDeliveryDate": iso(plan["EarliestDeliveryDate"]),
        "LatestDeliveryDate": iso(plan["LatestDeliveryDate"]),
        "IsBusinessOrder": False,
        "IsPrime": False,
        "IsPremiumOrder": False,
        "IsGlobalExpressEnabled": False,
        "IsSoldByAB": False,
        "IsIBA": False,
        "IsISPU": False,
        "IsAccessPointOrder": False,
        "BuyerInfo": dict(record["BuyerInfo"]),
    }
    if status == "Canceled":
        del order["OrderTotal"]
    if status in ADDRESS_STATUSES:
        order["ShippingAddress"] = dict(record["ShippingAddress"])
    return order


def render_item(item: dict, *, priced: bool) -> dict:
    """One OrderItem. While the order is Pending the API leaves out prices, taxes and gift status."""
    rendered = {
        "ASIN": item["ASIN"],
        "SellerSKU": item["SellerSKU"],
        "OrderItemId": item["OrderItemId"],
        "Title": item["Title"],
        "QuantityOrdered": item["QuantityOrdered"],
        "QuantityShipped": item["QuantityShipped"],
        "ProductInfo": {"NumberOfItems": "1"},
        "ConditionId": "New",
        "ConditionSubtypeId": "New",
        "IsTransparency": False,
    }
    if priced:
        line_total = item["unit_price"] * item["QuantityOrdered"]  # ItemPrice = unit price x quantity, 税込
        included_tax = line_total * CONSUMPTION_TAX_PERCENT // (100 + CONSUMPTION_TAX_PERCENT)
        rendered.update(
            {
                "ItemPrice": money(line_total),
                "ItemTax": money(included_tax),
                "ShippingPrice": money(0),
                "ShippingTax": money(0),
                "PromotionDiscount": money(0),
                "PromotionDiscountTax": money(0),
                "IsGift": "true" if item["IsGift"] else "false",
            }
        )
    return rendered


def render_listing(sku: str, quantity: int, included: list[str]) -> dict:
    """A Listings Items 2021-08-01 item with the requested data sets (default: summaries)."""
    listing: dict = {"sku": sku}
    if "summaries" in included:
        listing["summaries"] = [
            {
                "marketplaceId": MARKETPLACE_ID,
                "asin": asin_for(sku),
                "productType": "PRODUCT",
                "conditionType": "new_new",
                "status": ["BUYABLE"] if quantity > 0 else ["DISCOVERABLE"],
                "itemName": sku,
            }
        ]
    if "attributes" in included:
        listing["attributes"] = {
            "fulfillment_availability": [{"fulfillment_channel_code": "DEFAULT", "quantity": quantity}]
        }
    if "fulfillmentAvailability" in included:
        listing["fulfillmentAvailability"] = [{"fulfillmentChannelCode": "DEFAULT", "quantity": quantity}]
    if "issues" in included:
        listing["issues"] = []
    if "identifiers" in included:
        listing["identifiers"] = [{"marketplaceId": MARKETPLACE_ID, "asin": asin_for(sku)}]
    return listing
