"""Amazon SP-API order (Orders v0 Order + its OrderItems) -> CanonicalOrder, and the date helpers it shares.

Everything Amazon-specific about one order lives here: status names, money objects, PaymentMethod(Details),
the "Scheduled" delivery window. The adapter (amazon.py) only moves JSON over HTTP.

A payload is {"order": <Order>, "items": [<OrderItem>, ...]}. Messages of PayloadError name fields, never
their values when those are a buyer's personal data (they end up in logs and the quarantine list).
"""

import re
import unicodedata
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from channels.adapters.base import CanonicalAddress, CanonicalLine, CanonicalOrder, PayloadError, RawOrder

JST = timezone(timedelta(hours=9))
FULL_WIDTH_SPACE = "\u3000"

# OrderStatus values (ordersV0.json). Pending ones carry no address and no prices yet.
NOT_READY_STATUSES = {"Pending", "PendingAvailability"}
CANCELLED_STATUSES = {"Canceled", "Unfulfillable"}  # Unfulfillable: Amazon will not fulfil it either
SHIPPED_STATUSES = {"Shipped", "InvoiceUnconfirmed"}
KNOWN_STATUSES = (
    NOT_READY_STATUSES | CANCELLED_STATUSES | SHIPPED_STATUSES | {"Unshipped", "PartiallyShipped"}
)

# PaymentMethod COD / CVS (コンビニ決済) / Other; for Other, PaymentMethodDetails says more.
PAYMENT_DETAILS = {
    "COD": "cod",
    "CashOnDelivery": "cod",
    "ConvenienceStore": "convenience_store",
    "CreditCard": "credit_card",
    "PointsAccount": "points",
    "GiftCertificate": "points",
}
POINTS_ONLY = {"PointsAccount", "GiftCertificate"}

# Canonical delivery time slots (orders.models.DeliveryTime) by (from hour, to hour) in JST.
TIME_SLOTS = {
    (8, 12): "08-12", (9, 12): "08-12", (12, 14): "12-14", (14, 16): "14-16", (16, 18): "16-18",
    (18, 20): "18-20", (19, 21): "19-21", (18, 21): "18-21", (20, 21): "20-21",
}  # fmt: skip
SPACES = re.compile(r"[\s\u3000]+")


def api_time(moment: datetime) -> str:
    """The SP-API date form: UTC, whole seconds, trailing Z (e.g. 2026-11-20T03:15:42Z)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: object) -> datetime | None:
    """An ISO-8601 date-time with offset or Z as an aware datetime; None when it is not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def person_name(raw: object) -> str:
    """ "山田太郎" stays as is; "山田 太郎" and "山田  太郎" become "山田　太郎" (one full-width space)."""
    return SPACES.sub(FULL_WIDTH_SPACE, str(raw or "").strip())


class _Reader:
    """Reads one order's fields, raising PayloadError with the order id and the field at fault."""

    def __init__(self, raw: RawOrder):
        self.order_id = raw.external_id or "?"

    def fail(self, problem: str) -> PayloadError:
        return PayloadError(f"Amazon order {self.order_id}: {problem}")

    def text(self, data: dict, name: str, *, required: bool = False, where: str = "") -> str:
        value = data.get(name)
        if value is None or value == "":
            if required:
                raise self.fail(f"{where}{name} is missing")
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(f"{where}{name} is not text")
        return str(value).strip()

    def time(self, data: dict, name: str) -> datetime:
        moment = parse_time(data.get(name))
        if moment is None:
            raise self.fail(f"{name} {data.get(name)!r} is not an ISO-8601 date-time with a time zone")
        return moment

    def yen(self, data: dict, name: str, *, where: str, required: bool = False) -> int:
        """A Money object {"CurrencyCode": "JPY", "Amount": "2980.00"} as int yen (0 when absent)."""
        money = data.get(name)
        if money is None:
            if required:
                raise self.fail(f"{where}{name} is missing (Amazon leaves prices out of Pending orders)")
            return 0
        if not isinstance(money, dict):
            raise self.fail(f"{where}{name} is not a Money object")
        if money.get("CurrencyCode", "JPY") != "JPY":
            raise self.fail(f"{where}{name} is in {money.get('CurrencyCode')!r}, not JPY")
        try:
            amount = Decimal(str(money.get("Amount")))
        except InvalidOperation:
            amount = Decimal("NaN")
        if not amount.is_finite():
            raise self.fail(f"{where}{name}.Amount {money.get('Amount')!r} is not a number")
        return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))

    def quantity(self, item: dict, name: str, *, where: str) -> int:
        value = item.get(name)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise self.fail(f"{where}{name} {value!r} is not a whole number >= 0")
        return value


def parse_order(raw: RawOrder) -> CanonicalOrder:
    """The canonical form of {"order": Order, "items": [OrderItem]}; PayloadError when it cannot be read."""
    read = _Reader(raw)
    payload = raw.payload
    if not isinstance(payload, dict) or not isinstance(payload.get("order"), dict):
        raise read.fail('the payload is not {"order": {...}, "items": [...]}')
    order, items = payload["order"], payload.get("items")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise read.fail("items is not a list of OrderItem objects")
    order_id = read.text(order, "AmazonOrderId", required=True)
    read.order_id = order_id
    status = read.text(order, "OrderStatus", required=True)
    if status not in KNOWN_STATUSES:
        raise read.fail(f"OrderStatus {status!r} is not one the OMS knows")
    if status in NOT_READY_STATUSES:
        raise read.fail(
            f"it is still {status}: Amazon gives no address or prices before payment is authorised; "
            "it is imported once it is Unshipped"
        )
    if order.get("FulfillmentChannel", "MFN") != "MFN":
        raise read.fail("it is fulfilled by Amazon (FBA, FulfillmentChannel AFN): the OMS does not ship it")
    cancelled = status in CANCELLED_STATUSES
    ship_to = _ship_to(read, order) if not cancelled else _optional_ship_to(read, order)
    lines, money = _lines(read, items, required=not cancelled)  # a cancelled order's prices may be gone
    buyer = order.get("BuyerInfo") if isinstance(order.get("BuyerInfo"), dict) else {}
    payment_method = _payment_method(read, order)
    delivery_date, delivery_time, remarks = _delivery_wish(read, order)
    return CanonicalOrder(
        external_id=order_id,
        ordered_at=read.time(order, "PurchaseDate"),
        updated_at=read.time(order, "LastUpdateDate"),
        cancelled=cancelled,
        # Buyers' names need Amazon's PII access; without it the recipient's name stands in.
        buyer_name=person_name(buyer.get("BuyerName")) or (ship_to.name if ship_to else ""),
        buyer_kana="",  # Amazon has no furigana
        buyer_email=read.text(buyer, "BuyerEmail", where="BuyerInfo."),
        # Amazon gives one phone number, the recipient's; it is the only way to reach the buyer too.
        buyer_phone=ship_to.phone if ship_to else "",
        payment_method=payment_method,
        paid=payment_method != "cod",  # an order leaves Pending only once its payment is authorised
        subtotal=money["subtotal"],
        shipping_fee=money["shipping"],
        payment_fee=money["cod_fee"],
        discount=money["discount"],
        total=_total(read, order, money),
        remarks=remarks,
        is_gift=money["gift"],
        delivery_date=delivery_date,
        delivery_time=delivery_time,
        ship_tos=[ship_to] if ship_to else [],
        lines=lines,
        shipped_on_marketplace=status in SHIPPED_STATUSES,
        needs_ack=False,  # Amazon has no "take the order" step
    )


def _optional_ship_to(read: _Reader, order: dict) -> CanonicalAddress | None:
    """A cancelled order's address if it can be read: Amazon leaves it out, and a cancellation must get through."""
    try:
        return _ship_to(read, order)
    except PayloadError:
        return None


def _ship_to(read: _Reader, order: dict) -> CanonicalAddress:
    """ShippingAddress: StateOrRegion = 都道府県, City = 市区町村, AddressLine1..3 = the rest."""
    address = order.get("ShippingAddress")
    if not isinstance(address, dict):
        raise read.fail("ShippingAddress is missing (Amazon sends it from Unshipped on)")
    where = "ShippingAddress."
    country = read.text(address, "CountryCode", where=where) or "JP"
    if country != "JP":
        raise read.fail(f"it ships to country {country}: the OMS ships within Japan only")
    lines = [
        read.text(address, name, where=where) for name in ("AddressLine1", "AddressLine2", "AddressLine3")
    ]
    if not lines[0]:
        raise read.fail("ShippingAddress.AddressLine1 is missing")
    return CanonicalAddress(
        name=person_name(read.text(address, "Name", required=True, where=where)),
        postal_code=_postal_code(read, read.text(address, "PostalCode", required=True, where=where)),
        prefecture=read.text(address, "StateOrRegion", required=True, where=where),
        city=read.text(address, "City", where=where),
        address1=lines[0],
        address2=" ".join(line for line in lines[1:] if line),
        phone=unicodedata.normalize("NFKC", read.text(address, "Phone", where=where)),
    )


def _postal_code(read: _Reader, raw: str) -> str:
    """ "1000001", "100-0001" or full-width digits -> "100-0001"."""
    digits = re.sub(r"[-ー－‐\s]", "", unicodedata.normalize("NFKC", raw))
    if not re.fullmatch(r"\d{7}", digits):
        raise read.fail("ShippingAddress.PostalCode is not a 7-digit Japanese postal code")
    return f"{digits[:3]}-{digits[3:]}"


def _lines(read: _Reader, items: list[dict], *, required: bool) -> tuple[list[CanonicalLine], dict]:
    """Lines (items Amazon cancelled have QuantityOrdered 0 and are left out) and the money totals."""
    lines: list[CanonicalLine] = []
    money = {"subtotal": 0, "shipping": 0, "cod_fee": 0, "discount": 0, "gift": False}
    for number, item in enumerate(items, start=1):
        where = f"OrderItems[{number}]."
        item_id = read.text(item, "OrderItemId", required=True, where=where)
        sku = read.text(item, "SellerSKU", required=True, where=where)
        quantity = read.quantity(item, "QuantityOrdered", where=where)
        line_total = read.yen(item, "ItemPrice", where=where, required=required and quantity > 0)
        money["subtotal"] += line_total
        money["shipping"] += read.yen(item, "ShippingPrice", where=where)
        money["cod_fee"] += read.yen(item, "CODFee", where=where)
        money["discount"] += sum(
            abs(read.yen(item, name, where=where))
            for name in ("PromotionDiscount", "ShippingDiscount", "CODFeeDiscount")
        )
        money["gift"] = money["gift"] or str(item.get("IsGift", "")).lower() == "true"
        if quantity == 0:
            continue
        lines.append(
            CanonicalLine(
                external_line_id=item_id,
                item_id=sku,
                variant_id="",
                name=read.text(item, "Title", where=where) or sku,
                quantity=quantity,
                # ItemPrice is the line's price (unit price x quantity), tax included on Amazon.co.jp.
                unit_price=int((Decimal(line_total) / quantity).quantize(Decimal(1), rounding=ROUND_HALF_UP)),
            )
        )
    if required and not lines:
        raise read.fail("it has no order item with a quantity")
    return lines, money


def _total(read: _Reader, order: dict, money: dict) -> int:
    if order.get("OrderTotal") is not None:
        return read.yen(order, "OrderTotal", where="")
    return money["subtotal"] + money["shipping"] + money["cod_fee"] - money["discount"]


def _payment_method(read: _Reader, order: dict) -> str:
    method = read.text(order, "PaymentMethod")
    details = order.get("PaymentMethodDetails") or []
    if not isinstance(details, list):
        raise read.fail("PaymentMethodDetails is not a list")
    if method == "COD":
        return "cod"
    if method == "CVS":
        return "convenience_store"
    known = [PAYMENT_DETAILS[d] for d in details if d in PAYMENT_DETAILS and d not in POINTS_ONLY]
    if known:
        return known[0]
    if details and all(detail in POINTS_ONLY for detail in details):
        return "points"
    return "other"  # "Standard" and anything new: Amazon collected the payment


def _delivery_wish(read: _Reader, order: dict) -> tuple[date | None, str, str]:
    """(date, canonical slot, remarks). Only a "Scheduled" order (お届け日時指定便) carries the buyer's wish:
    its Earliest/LatestDeliveryDate span the wished JST day or time slot. Other orders' dates are estimates.
    A window that is no canonical slot is kept as a remark, so a person reads it instead of it being lost."""
    if order.get("ShipmentServiceLevelCategory") != "Scheduled":
        return None, "", ""
    start = read.time(order, "EarliestDeliveryDate").astimezone(JST)
    end = read.time(order, "LatestDeliveryDate").astimezone(JST)
    day = start.date()
    midnight = datetime.combine(day, time(0), JST)
    if end < start or end - midnight > timedelta(days=1):
        raise read.fail("EarliestDeliveryDate and LatestDeliveryDate do not span one day")
    if end.second == 59:  # a window ending 15:59:59 (or 23:59:59) ends on the hour
        end += timedelta(seconds=1)
    from_hour, to_hour = _hour(start - midnight), _hour(end - midnight)
    if (from_hour, to_hour) == (0, 24):
        return day, "", ""
    slot = TIME_SLOTS.get((from_hour, to_hour))
    if slot:
        return day, slot, ""
    return day, "", f"Amazon お届け時間帯: {start:%H:%M}～{end:%H:%M}"


def _hour(offset: timedelta) -> int | None:
    """Whole hours since midnight; None for a time between full hours."""
    seconds = int(offset.total_seconds())
    return seconds // 3600 if seconds % 3600 == 0 else None
