"""Yahoo!ショッピング orders: the store's record built from a canonical order, orderList search, status rules.

A record keeps top-level OrderInfo fields at its top and the Pay/Ship/Seller/Buyer/Detail nodes as
sub-dicts, plus "Item" (a list), exactly as yahoo_render writes them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from channels.simulators.base import JST
from channels.simulators.yahoo_render import YahooApiError, child_text, flat_value

# OrderStatus 注文ステータス
RESERVED, PROCESSING, ON_HOLD, CANCELLED, COMPLETED = 1, 2, 3, 4, 5
# ShipStatus 出荷ステータス: 0 出荷不可, 1 出荷可, 2 出荷処理中, 3 出荷完了, 4 着荷完了
SHIP_BLOCKED, SHIP_READY, SHIPPED = 0, 1, 3
STATE_NAMES = {RESERVED: "Reserve", PROCESSING: "Processing", ON_HOLD: "Hold", CANCELLED: "Cancel",
               COMPLETED: "Complete"}  # fmt: skip
STATUS_NAMES = {RESERVED: "予約中", PROCESSING: "処理中", ON_HOLD: "保留", CANCELLED: "キャンセル",
                COMPLETED: "完了"}  # fmt: skip
# Which OrderStatus a store may move an order to, from each status [inferred from the store manager].
ALLOWED_MOVES = {
    RESERVED: {RESERVED, PROCESSING, ON_HOLD, CANCELLED},
    PROCESSING: {PROCESSING, ON_HOLD, CANCELLED, COMPLETED},
    ON_HOLD: {PROCESSING, ON_HOLD, CANCELLED, COMPLETED},
    CANCELLED: set(),
    COMPLETED: set(),
}
# キャンセル理由: 100-180 注文者都合, 200-230 ストア都合 [code: kunitake1028 CancelReason].
CANCEL_REASONS = {100, 110, 120, 130, 140, 150, 160, 170, 180, 200, 210, 220, 230}
BUYER_CANCEL_REASON = 100


@dataclass(frozen=True)
class Payment:
    method: str  # PayMethod
    name: str  # PayMethodName
    pay_kind: int  # PayKind: 0 カード, 1 ネットバンキング, 3 振込, 4 代引, 5 コンビニ, 6 電子マネー, 7 その他
    prepaid: bool  # PayType 1 前払い: unpaid (PayStatus 0) and not shippable (ShipStatus 0) until paid
    charge: int = 0  # PayCharge 手数料


PAYMENTS = {
    "credit_card": Payment("payment_a1", "クレジットカード決済", 0, prepaid=False),
    "cod": Payment("payment_d1", "商品代引", 4, prepaid=False, charge=330),
    "bank_transfer": Payment("payment_b1", "銀行振込", 3, prepaid=True),
    "convenience_store": Payment("payment_a7", "コンビニ決済（その他）", 5, prepaid=True),
    "deferred": Payment("payment_a19", "PayPayクレジット", 6, prepaid=False),
    "points": Payment("payment_z1", "ポイント全額払い", 7, prepaid=False),
}
TIME_SLOT = re.compile(r"(\d{1,2})-(\d{1,2})")
ADDRESS_KEYS = ("postal_code", "prefecture", "city", "address1", "address2")


def item_code_of(sku: str) -> str:
    """Yahoo item_code (商品コード) for one of our SKUs: the product code, lower-cased."""
    return sku.split("-", 1)[0].lower()


def build_order(canonical: dict, *, order_id: str, seller_id: str, now: datetime) -> dict:
    """The store's record of a new order (OrderStatus 2 処理中, IsSeen false = 新規注文)."""
    buyer, ship_to = canonical["buyer"], canonical["ship_to"]
    payment = PAYMENTS.get(canonical.get("payment") or "credit_card", PAYMENTS["credit_card"])
    items = [_item(line, number) for number, line in enumerate(canonical["items"], start=1)]
    subtotal = sum(item["UnitPrice"] * item["Quantity"] for item in items)
    total = subtotal + payment.charge
    ship_kana = ship_to.get("kana") or (buyer.get("kana", "") if ship_to["name"] == buyer["name"] else "")
    ship_last, ship_first = _split(ship_to["name"])
    ship_last_kana, ship_first_kana = _split(ship_kana)
    bill_last, bill_first = _split(buyer["name"])
    bill_last_kana, bill_first_kana = _split(buyer.get("kana", ""))
    # The canonical buyer has no address of their own unless given: bill to the delivery address then.
    address = {key: buyer.get(key) or ship_to.get(key) or "" for key in ADDRESS_KEYS}
    return {
        "OrderId": order_id, "Version": 1, "ParentOrderId": None, "DeviceType": 3, "IsActive": True,
        "IsSeen": False, "IsSplit": False, "CancelReason": None, "IsRoyalty": False, "IsAffiliate": False,
        "OrderTime": now, "LastUpdateTime": now, "PublicationTime": now, "Suspect": 0,
        "OrderStatus": PROCESSING, "StoreStatus": None, "BuyerComments": canonical.get("remarks") or "",
        "SellerComments": "", "Notes": "", "OperationUser": None,
        "Pay": {
            "PayStatus": 0 if payment.prepaid or payment.pay_kind == 4 else 1,
            "PayType": 1 if payment.prepaid else 0, "PayKind": payment.pay_kind,
            "PayMethod": payment.method, "PayMethodName": payment.name, "PayDate": None,
            "BillFirstName": bill_first, "BillFirstNameKana": bill_first_kana, "BillLastName": bill_last,
            "BillLastNameKana": bill_last_kana, "BillZipCode": address["postal_code"],
            "BillPrefecture": address["prefecture"], "BillCity": address["city"],
            "BillAddress1": address["address1"], "BillAddress2": address["address2"],
            "BillPhoneNumber": buyer.get("phone", ""), "BillMailAddress": buyer.get("email", ""),
        },
        "Ship": {
            "ShipStatus": SHIP_BLOCKED if payment.prepaid else SHIP_READY, "ShipMethod": "postage1",
            "ShipMethodName": "宅配便", "ShipRequestDate": _wished_date(canonical.get("delivery_date")),
            "ShipRequestTime": _wished_time(canonical.get("delivery_time")), "ShipNotes": None,
            "ShipCompanyCode": None, "ShipInvoiceNumber1": None, "ShipInvoiceNumber2": None,
            "ShipUrl": None, "ShipDate": None, "ArrivalDate": None, "NeedGiftWrap": False,
            "ShipFirstName": ship_first, "ShipFirstNameKana": ship_first_kana, "ShipLastName": ship_last,
            "ShipLastNameKana": ship_last_kana, "ShipZipCode": ship_to["postal_code"],
            "ShipPrefecture": ship_to["prefecture"], "ShipCity": ship_to["city"],
            "ShipAddress1": ship_to.get("address1", ""), "ShipAddress2": ship_to.get("address2", ""),
            "ShipPhoneNumber": ship_to.get("phone", ""),
        },
        "Seller": {"SellerId": seller_id},
        "Buyer": {"IsLogin": True},
        "Detail": {
            "PayCharge": payment.charge, "ShipCharge": 0, "GiftWrapCharge": 0, "Discount": 0,
            "UsePoint": total if payment.method == "payment_z1" else 0, "TotalPrice": total,
            "SettleAmount": total,
        },
        "Item": items,
    }  # fmt: skip


def _item(line: dict, number: int) -> dict:
    sku = line["sku"]
    return {
        "LineId": number,
        "ItemId": item_code_of(sku),
        "Title": line.get("title") or line.get("name") or sku,
        "SubCode": sku,
        "IsTaxable": True,
        "ItemTaxRatio": 10,
        "UnitPrice": int(line.get("price", 0)),
        "Quantity": line["quantity"],
    }


def _split(full_name: str) -> tuple[str, str]:
    """("山田", "太郎") from "山田 太郎" (half- or full-width space); a name without a space is all family."""
    parts = full_name.replace("\u3000", " ").strip().split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (full_name.strip(), "")


def _wished_date(value: str | None) -> date | str | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return value  # keep what the buyer's side sent; the OMS flags it


def _wished_time(value: str | None) -> str | None:
    """Canonical slot "14-16" -> "14:00～16:00", the ShipRequestTime form [code: kunitake1028 docblock]."""
    if not value:
        return None
    found = TIME_SLOT.fullmatch(value)
    return f"{int(found[1]):02d}:00～{int(found[2]):02d}:00" if found else value


# ---- orderList search ----------------------------------------------------------------------------------
Predicate = Callable[[dict], bool]


def parse_yahoo_time(text: str, name: str) -> datetime:
    """YYYYMMDDhhmmss in JST, the timestamp form of every orderList condition."""
    try:
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=JST)
    except ValueError as exc:
        raise YahooApiError(f"Invalid Request : {name} must be YYYYMMDDhhmmss") from exc


def search_predicates(condition: ET.Element | None) -> list[Predicate]:
    """Predicates for the <Condition> keys the simulator understands; other keys are ignored."""
    predicates: list[Predicate] = []
    for key, field in (("OrderTime", "OrderTime"), ("PublicationTime", "PublicationTime")):
        if text := child_text(condition, f"{key}From"):
            since = parse_yahoo_time(text, f"{key}From")
            predicates.append(lambda order, f=field, t=since: order[f].replace(microsecond=0) >= t)
        if text := child_text(condition, f"{key}To"):
            until = parse_yahoo_time(text, f"{key}To")
            predicates.append(lambda order, f=field, t=until: order[f].replace(microsecond=0) <= t)
    for key in ("OrderStatus", "ShipStatus", "PayStatus", "DeviceType"):
        if text := child_text(condition, key):
            wanted = _int_list(text, key)
            predicates.append(lambda order, k=key, w=wanted: flat_value(order, k)[1] in w)
    for key in ("IsSeen", "IsActive", "IsSplit"):
        if text := child_text(condition, key):
            if text not in ("true", "false"):
                raise YahooApiError(f"Invalid Request : {key} must be true or false")
            predicates.append(lambda order, k=key, v=text == "true": order[k] is v)
    for key in ("OrderId", "SellerId", "ShipInvoiceNumber1"):
        if text := child_text(condition, key):
            predicates.append(lambda order, k=key, v=text: flat_value(order, k)[1] == v)
    return predicates


def _int_list(text: str, name: str) -> set[int]:
    try:
        return {int(part) for part in text.split(",") if part.strip()}
    except ValueError as exc:
        raise YahooApiError(f"Invalid Request : {name} must be a comma separated list of numbers") from exc


# ---- status changes -------------------------------------------------------------------------------------
def change_order_status(order: dict, *, status: int, is_point_fix: bool, cancel_reason: int | None) -> None:
    """orderStatusChange rules: allowed moves, IsPointFix on completion, a reason on cancellation."""
    current = order["OrderStatus"]
    if status not in STATE_NAMES:
        raise YahooApiError("Invalid Request : OrderStatus must be 1, 2, 3, 4 or 5")
    if status not in ALLOWED_MOVES[current]:
        if current in (CANCELLED, COMPLETED):
            raise YahooApiError(f"Cannot Be Operated : {STATE_NAMES[current]}Order OrderStatus")
        raise YahooApiError("Cannot Be Operated : OrderStatus")
    if status == COMPLETED and not is_point_fix:
        raise YahooApiError("Invalid Request : IsPointFix must be true when OrderStatus is 5")
    if status == CANCELLED:
        if cancel_reason not in CANCEL_REASONS:
            raise YahooApiError("Invalid Request : CancelReason is required to cancel an order")
        order["CancelReason"] = cancel_reason
    order["OrderStatus"] = status


def change_ship_status(order: dict, ship: dict[str, str], *, today: date) -> None:
    """orderShipStatusChange: ShipStatus (+ carrier, invoice numbers, ShipDate YYYYMMDD) on a live order."""
    if order["OrderStatus"] == CANCELLED:
        raise YahooApiError("Cannot Be Operated : CancelOrder ShipStatus")
    try:
        status = int(ship.get("ShipStatus") or "")
    except ValueError as exc:
        raise YahooApiError("Invalid Request : ShipStatus is required (0-4)") from exc
    if not 0 <= status <= 4:
        raise YahooApiError("Invalid Request : ShipStatus must be 0, 1, 2, 3 or 4")
    target = order["Ship"]
    if ship.get("ShipDate"):
        try:
            target["ShipDate"] = datetime.strptime(ship["ShipDate"], "%Y%m%d").date()
        except ValueError as exc:
            raise YahooApiError("Invalid Request : ShipDate must be YYYYMMDD") from exc
    elif status >= SHIPPED and target["ShipDate"] is None:
        target["ShipDate"] = today
    if (code := ship.get("ShipCompanyCode")) and not re.fullmatch(r"\d{4}", code):
        raise YahooApiError("Invalid Request : ShipCompanyCode must be a 4 digit code")
    for name in ("ShipCompanyCode", "ShipInvoiceNumber1", "ShipInvoiceNumber2", "ShipUrl", "ShipNotes"):
        if name in ship:
            target[name] = ship[name] or None
    target["ShipStatus"] = status


def change_pay_status(order: dict, pay: dict[str, str], *, today: date) -> None:
    """orderPayStatusChange: the store confirms (1) or withdraws (0) a payment; a paid order may ship."""
    if order["OrderStatus"] == CANCELLED:
        raise YahooApiError("Cannot Be Operated : CancelOrder PayStatus")
    if pay.get("PayStatus") not in ("0", "1"):
        raise YahooApiError("Invalid Request : PayStatus must be 0 or 1")
    paid = pay["PayStatus"] == "1"
    target = order["Pay"]
    try:
        target["PayDate"] = datetime.strptime(pay["PayDate"], "%Y%m%d").date() if pay.get("PayDate") else None
    except ValueError as exc:
        raise YahooApiError("Invalid Request : PayDate must be YYYYMMDD") from exc
    if paid and target["PayDate"] is None:
        target["PayDate"] = today
    target["PayStatus"] = int(paid)
    if paid and order["Ship"]["ShipStatus"] == SHIP_BLOCKED:
        order["Ship"]["ShipStatus"] = SHIP_READY


def touch(order: dict, now: datetime) -> None:
    """Every store-side change: the store has now seen the order; Version and LastUpdateTime move."""
    order["IsSeen"] = True
    order["Version"] += 1
    order["LastUpdateTime"] = now


def tracking_numbers(order: dict) -> list[str]:
    ship = order["Ship"]
    return [n for n in (ship["ShipInvoiceNumber1"], ship["ShipInvoiceNumber2"]) if n]
