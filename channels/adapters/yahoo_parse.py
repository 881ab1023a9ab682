"""Yahoo!ショッピング orderInfo XML -> CanonicalOrder, and the XML, time and code helpers the adapter shares.

Everything Yahoo-specific about one order lives here: field names, date forms, PayMethod/PayKind codes,
ShipRequestTime slots. The adapter (yahoo.py) only moves documents over HTTP.
"""

import re
import unicodedata
import xml.etree.ElementTree as ET  # nosec B405 # xml_root refuses DTDs; expat expands no external entity
from datetime import date, datetime, timedelta, timezone

from channels.adapters.base import CanonicalAddress, CanonicalLine, CanonicalOrder, PayloadError, RawOrder

JST = timezone(timedelta(hours=9))
FULL_WIDTH_SPACE = "\u3000"

# OrderStatus 注文ステータス: 1 予約中, 2 処理中, 3 保留, 4 キャンセル, 5 完了.
ORDER_STATUSES = {1, 2, 3, 4, 5}
PROCESSING, CANCELLED = 2, 4
# ShipStatus 出荷ステータス: 3 出荷完了 and 4 着荷完了 mean the parcel has left.
SHIPPED_STATUSES = {3, 4}

# What we ask orderInfo for (its Field list); the parser reads nothing else.
ORDER_INFO_FIELDS = (
    "OrderId", "Version", "OrderTime", "LastUpdateTime", "OrderStatus", "IsSeen", "CancelReason",
    "BuyerComments",
    "PayStatus", "PayType", "PayKind", "PayMethod", "PayMethodName", "PayDate",
    "BillFirstName", "BillFirstNameKana", "BillLastName", "BillLastNameKana", "BillPhoneNumber", "BillMailAddress",
    "ShipStatus", "ShipRequestDate", "ShipRequestTime", "ShipCompanyCode", "ShipInvoiceNumber1",
    "ShipInvoiceNumber2", "ShipDate", "NeedGiftWrap", "GiftWrapType", "GiftWrapMessage",
    "ShipFirstName", "ShipFirstNameKana", "ShipLastName", "ShipLastNameKana", "ShipZipCode", "ShipPrefecture",
    "ShipCity", "ShipAddress1", "ShipAddress2", "ShipPhoneNumber",
    "PayCharge", "ShipCharge", "GiftWrapCharge", "Discount", "UsePoint", "TotalPrice",
    "LineId", "ItemId", "Title", "SubCode", "Quantity", "UnitPrice",
)  # fmt: skip

# PayMethod 支払方法 codes we know, then PayKind 支払種別 for any other method.
PAY_METHODS = {
    "payment_a1": "credit_card",  # クレジットカード決済
    "payment_b1": "bank_transfer",  # 銀行振込
    "payment_d1": "cod",  # 商品代引
    "payment_a6": "convenience_store",  # コンビニ決済（セブン-イレブン）
    "payment_a7": "convenience_store",  # コンビニ決済（その他）
    "payment_a19": "deferred",  # PayPayクレジット (旧 PayPayあと払い)
    "payment_z1": "points",  # ポイント全額払い
}
PAY_KINDS = {0: "credit_card", 1: "bank_transfer", 3: "bank_transfer", 4: "cod", 5: "convenience_store"}

# Canonical delivery time slots (orders.models.DeliveryTime) by (from hour, to hour).
TIME_SLOTS = {
    (8, 12): "08-12", (9, 12): "08-12", (12, 14): "12-14", (14, 16): "14-16", (16, 18): "16-18",
    (18, 20): "18-20", (19, 21): "19-21", (18, 21): "18-21", (20, 21): "20-21",
}  # fmt: skip
MORNING_WORDS = ("午前中", "午前")
NO_WISH_WORDS = ("指定なし", "なし", "指定無し")
HOURS = re.compile(r"(\d{1,2})(?::\d{2})?(?:時)?\s*[～〜~\-－ー]\s*(\d{1,2})(?::\d{2})?(?:時)?")


# ---- XML --------------------------------------------------------------------------------------------------
def xml_root(content: bytes | str) -> ET.Element:
    """Parse a Yahoo XML document; ValueError when it is broken. DTDs are refused, so no entity can expand."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ValueError("XML with a DTD is refused")
    try:
        return ET.fromstring(data)  # noqa: S314  # nosec B314 # DTDs refused above; expat resolves no external entity
    except ET.ParseError as exc:
        raise ValueError(f"XML is not well-formed ({exc})") from exc


def text_of(node: ET.Element | None, path: str) -> str:
    """Stripped text of node/path, "" when missing or empty."""
    if node is None:
        return ""
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def build_request(parts: dict, seller_id: str) -> bytes:
    """<Req>...<SellerId/></Req> from nested dicts (a value None is left out); text is escaped by ElementTree."""
    root = ET.Element("Req")
    _fill(root, parts)
    ET.SubElement(root, "SellerId").text = seller_id
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(
        root, encoding="utf-8", xml_declaration=False
    )


def _fill(parent: ET.Element, parts: dict) -> None:
    for name, value in parts.items():
        if value is None:
            continue
        child = ET.SubElement(parent, name)
        if isinstance(value, dict):
            _fill(child, value)
        else:
            child.text = str(value)


# ---- time -------------------------------------------------------------------------------------------------
def yahoo_time(moment: datetime) -> str:
    """YYYYMMDDhhmmss in JST, the form of every orderList condition."""
    if moment.tzinfo is None:
        raise ValueError("an aware datetime is needed for a Yahoo search condition")
    return moment.astimezone(JST).strftime("%Y%m%d%H%M%S")


def parse_time(text: str) -> datetime:
    """A Yahoo timestamp (ISO 8601 with +09:00, or YYYYMMDDhhmmss in JST) as an aware datetime; ValueError."""
    value = text.strip()
    if re.fullmatch(r"\d{14}", value):
        return datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=JST)
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=JST)


def parse_date(text: str) -> date:
    """YYYY-MM-DD (answers), YYYYMMDD (requests) or YYYY/MM/DD; ValueError."""
    value = unicodedata.normalize("NFKC", text).strip()
    for pattern in ("%Y-%m-%d", "%Y%m%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date")


# ---- orderInfo -> CanonicalOrder ----------------------------------------------------------------------------
def order_info_node(content: bytes | str) -> ET.Element:
    """The <OrderInfo> of an orderInfo answer (or a bare <OrderInfo> document); ValueError when absent."""
    root = xml_root(content)
    if root.tag == "OrderInfo":
        return root
    status = text_of(root, "Result/Status")
    info = root.find("Result/OrderInfo")
    if root.tag != "ResultSet" or status != "OK" or info is None:
        raise ValueError(f"not an orderInfo answer (root <{root.tag}>, Status {status or 'missing'})")
    return info


class _Reader:
    """Reads one <OrderInfo>, raising PayloadError that names the order and the field."""

    def __init__(self, info: ET.Element, order_id: str):
        self.info = info
        self.order_id = order_id

    def fail(self, problem: str) -> PayloadError:
        return PayloadError(f"Yahoo order {self.order_id}: {problem}")

    def text(self, path: str, *, required: bool = False) -> str:
        value = text_of(self.info, path)
        if required and not value:
            raise self.fail(f"{path} is missing")
        return value

    def integer(self, path: str, *, default: int | None = None, node: ET.Element | None = None) -> int:
        raw = text_of(self.info if node is None else node, path)
        if not raw:
            if default is None:
                raise self.fail(f"{path} is missing")
            return default
        try:
            return int(unicodedata.normalize("NFKC", raw).replace(",", ""))
        except ValueError:
            raise self.fail(f"{path} is {raw!r}, not a whole number") from None

    def boolean(self, path: str) -> bool:
        raw = self.text(path).lower()
        if raw not in ("", "true", "false", "0", "1"):
            raise self.fail(f"{path} is {raw!r}, not true or false")
        return raw in ("true", "1")

    def moment(self, path: str, *, required: bool) -> datetime | None:
        raw = self.text(path, required=required)
        if not raw:
            return None
        try:
            return parse_time(raw)
        except ValueError:
            raise self.fail(f"{path} is {raw!r}, not a timestamp") from None


def parse_order_info(raw: RawOrder) -> CanonicalOrder:
    """The canonical order of one orderInfo document; PayloadError says what is wrong and where."""
    if not isinstance(raw.payload, str | bytes):
        raise PayloadError(
            f"Yahoo order {raw.external_id}: payload is {type(raw.payload).__name__}, not XML text"
        )
    try:
        info = order_info_node(raw.payload)
    except ValueError as exc:
        raise PayloadError(f"Yahoo order {raw.external_id}: {exc}") from None
    read = _Reader(info, raw.external_id)
    order_id = read.text("OrderId", required=True)
    read.order_id = order_id
    status = read.integer("OrderStatus")
    if status not in ORDER_STATUSES:
        raise read.fail(f"OrderStatus {status} is not one of 1-5")
    lines = _lines(read)
    subtotal = sum(line.unit_price * line.quantity for line in lines)
    detail = "Detail/"
    # ギフト包装料 is charged with delivery; the canonical order has no separate wrapping fee.
    shipping_fee = read.integer(detail + "ShipCharge", default=0) + read.integer(
        detail + "GiftWrapCharge", default=0
    )
    return CanonicalOrder(
        external_id=order_id,
        ordered_at=read.moment("OrderTime", required=True),
        updated_at=read.moment("LastUpdateTime", required=False),
        cancelled=status == CANCELLED,
        buyer_name=_full_name(read, "Pay/BillLastName", "Pay/BillFirstName", required=True),
        buyer_kana=_full_name(read, "Pay/BillLastNameKana", "Pay/BillFirstNameKana"),
        buyer_email=read.text("Pay/BillMailAddress"),
        buyer_phone=read.text("Pay/BillPhoneNumber"),
        payment_method=_payment_method(read),
        paid=read.integer("Pay/PayStatus", default=0) == 1,
        subtotal=subtotal,
        shipping_fee=shipping_fee,
        payment_fee=read.integer(detail + "PayCharge", default=0),
        discount=abs(read.integer(detail + "Discount", default=0)),  # Yahoo may write 値引き negative
        total=read.integer(detail + "TotalPrice"),
        remarks=_remarks(read),
        is_gift=read.boolean("Ship/NeedGiftWrap") or bool(read.text("Ship/GiftWrapType")),
        delivery_date=_delivery_date(read),
        delivery_time=delivery_slot(read.text("Ship/ShipRequestTime"), read.fail),
        ship_tos=[_ship_to(read)],
        lines=lines,
        shipped_on_marketplace=read.integer("Ship/ShipStatus", default=0) in SHIPPED_STATUSES,
        # 新規注文 = OrderStatus 2 and IsSeen false: the store has not taken it yet.
        needs_ack=status == PROCESSING and not read.boolean("IsSeen"),
    )


def _full_name(read: _Reader, family_path: str, given_path: str, *, required: bool = False) -> str:
    family, given = read.text(family_path), read.text(given_path)
    if required and not (family or given):
        raise read.fail(f"{family_path} and {given_path} are both missing")
    return FULL_WIDTH_SPACE.join(part for part in (family, given) if part)


def _ship_to(read: _Reader) -> CanonicalAddress:
    return CanonicalAddress(
        name=_full_name(read, "Ship/ShipLastName", "Ship/ShipFirstName", required=True),
        kana=_full_name(read, "Ship/ShipLastNameKana", "Ship/ShipFirstNameKana"),
        postal_code=postal_code(read.text("Ship/ShipZipCode", required=True), read.fail),
        prefecture=read.text("Ship/ShipPrefecture", required=True),
        city=read.text("Ship/ShipCity", required=True),
        address1=read.text("Ship/ShipAddress1", required=True),
        address2=read.text("Ship/ShipAddress2"),
        phone=read.text("Ship/ShipPhoneNumber"),
    )


def postal_code(raw: str, fail) -> str:
    """ "1000001", "100-0001" or full-width digits -> "100-0001"; anything else is a PayloadError."""
    digits = re.sub(r"[-ー－‐\s]", "", unicodedata.normalize("NFKC", raw))
    if not re.fullmatch(r"\d{7}", digits):
        raise fail(f"ShipZipCode {raw!r} is not a 7-digit postal code")
    return f"{digits[:3]}-{digits[3:]}"


def _lines(read: _Reader) -> list[CanonicalLine]:
    items = read.info.findall("Item")
    if not items:
        raise read.fail("it has no Item")
    lines = []
    for number, item in enumerate(items, start=1):
        item_id = text_of(item, "ItemId")
        if not item_id:
            raise read.fail(f"Item {number} has no ItemId")
        quantity = read.integer("Quantity", node=item)
        unit_price = read.integer("UnitPrice", node=item)
        if quantity < 1 or unit_price < 0:
            raise read.fail(f"Item {number} ({item_id}) has Quantity {quantity} and UnitPrice {unit_price}")
        lines.append(
            CanonicalLine(
                external_line_id=text_of(item, "LineId") or str(number),
                item_id=item_id,
                variant_id=text_of(item, "SubCode"),
                name=text_of(item, "Title") or item_id,
                quantity=quantity,
                unit_price=unit_price,  # Yahoo prices are 税込 (tax included)
            )
        )
    return lines


def _payment_method(read: _Reader) -> str:
    method = read.text("Pay/PayMethod")
    if method in PAY_METHODS:
        return PAY_METHODS[method]
    if "後払い" in read.text("Pay/PayMethodName"):
        return "deferred"
    kind = read.integer("Pay/PayKind", default=-1)
    return PAY_KINDS.get(kind, "other")


def _remarks(read: _Reader) -> str:
    parts = [read.text("BuyerComments")]
    if message := read.text("Ship/GiftWrapMessage"):
        parts.append(f"ギフトメッセージ: {message}")
    return "\n".join(part for part in parts if part)


def _delivery_date(read: _Reader) -> date | None:
    raw = read.text("Ship/ShipRequestDate")
    if not raw:
        return None
    try:
        return parse_date(raw)
    except ValueError:
        raise read.fail(f"ShipRequestDate {raw!r} is not a date") from None


def delivery_slot(raw: str, fail) -> str:
    """ShipRequestTime ("14:00～16:00", "午前中", "指定なし") -> a canonical slot; PayloadError when unknown."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if not value or value in NO_WISH_WORDS:
        return ""
    if any(value.startswith(word) for word in MORNING_WORDS):
        return "08-12"
    found = HOURS.fullmatch(value)
    if found and (slot := TIME_SLOTS.get((int(found[1]), int(found[2])))):
        return slot
    raise fail(f"ShipRequestTime {raw!r} is not a delivery time slot the OMS knows")
