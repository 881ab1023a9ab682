"""Rakuten 楽天ペイ受注API OrderModel (getOrder) -> CanonicalOrder, with the codes and formats it uses.

Everything Rakuten-specific about one order lives here: field names, orderProgress, settlementMethodCode,
shippingTerm and the "+0900" timestamps. The adapter (rakuten.py) only moves documents over HTTP.
"""

from datetime import date, datetime, timedelta, timezone
from typing import Any

from channels.adapters.base import CanonicalAddress, CanonicalLine, CanonicalOrder, PayloadError, RawOrder

JST = timezone(timedelta(hours=9))
FULL_WIDTH_SPACE = "\u3000"
UNKNOWN_AMOUNT = -9999  # what the Order API writes for an amount it does not know

# orderProgress ステータス: 100 注文確認待ち, 200 楽天処理中, 300 発送待ち, 400 変更確定待ち, 500 発送済,
# 600 支払手続き中, 700 支払手続き済, 800 キャンセル確定待ち, 900 キャンセル確定.
ORDER_PROGRESS = {100, 200, 300, 400, 500, 600, 700, 800, 900}
WAITING_FOR_SHOP = 100
CANCELLED = {800, 900}
SHIPPED = {500, 600, 700}
# Rakuten keeps an order in 200 楽天処理中 while it takes the payment (card authorisation, or a prepaid
# payment received: 代金預かり) and releases it to 300 発送待ち when that is done [inferred from RMS manuals].
SETTLED = {300, 400, 500, 600, 700}

# settlementMethodCode 決済方法コード -> orders.models.PaymentMethod; any other code is "other".
PAYMENT_METHODS = {
    1: "credit_card",  # クレジットカード
    2: "cod",  # 代金引換
    4: "points",  # 4-8 ポイント (per the reference)
    5: "points",
    6: "points",
    7: "points",
    8: "points",
    9: "bank_transfer",  # 銀行振込
    13: "convenience_store",  # コンビニ前払い (セブン-イレブン)
    21: "deferred",  # 後払い決済
}
# The buyer pays on or after delivery: such an order is never "paid" when we take it.
PAID_LATER = {"cod", "deferred"}

# shippingTerm お届け時間帯: 0 なし, 1 午前, 2 午後, 9 その他, else h1h2 (812 or "0812" = 8-12 o'clock).
TERM_NONE, TERM_MORNING = 0, 1
TERM_WORDS = {2: "午後", 9: "その他"}
CANONICAL_SLOTS = {"08-12", "12-14", "14-16", "16-18", "18-20", "19-21", "18-21", "20-21"}

# Datetimes in the order whose latest is the last moment the order records (RMS has no "updated" field).
MOMENT_FIELDS = (
    "orderDatetime",
    "shopOrderCfmDatetime",
    "orderFixDatetime",
    "shippingInstDatetime",
    "shippingCmplRptDatetime",
)


def rms_time(moment: datetime) -> str:
    """The Order API's timestamp form: "2026-12-01T09:30:00+0900" (JST, no colon in the offset)."""
    return moment.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+0900")


def parse_rms_time(text: str) -> datetime:
    """ "2026-12-01T09:30:00+0900" (or "+09:00") -> aware datetime; ValueError when it is not one."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    return moment.astimezone(JST)


def delivery_slot(term: Any) -> tuple[str, str]:
    """(canonical slot, words for a wish no canonical slot holds) of a shippingTerm; ValueError if malformed.

    812 / "0812" -> ("08-12", ""); 1 (午前) -> ("08-12", ""); 2 -> ("", "午後"); 708 -> ("", "7時-8時")."""
    if term is None or term == "":
        return "", ""
    if isinstance(term, bool) or not isinstance(term, int | str) or not str(term).isdigit():
        raise ValueError(f"shippingTerm {term!r} is not a code")
    code = int(term)
    if code == TERM_NONE:
        return "", ""
    if code == TERM_MORNING:
        return "08-12", ""
    if code in TERM_WORDS:
        return "", TERM_WORDS[code]
    start, end = divmod(code, 100)
    if not (100 <= code <= 2424 and 0 <= start < end <= 24):
        raise ValueError(f"shippingTerm {term!r} is not 0, 1, 2, 9 or a time range h1h2")
    slot = f"{start:02d}-{end:02d}"
    return (slot, "") if slot in CANONICAL_SLOTS else ("", f"{start}時-{end}時")


class _Reader:
    """Reads fields of one OrderModel, raising PayloadError that names the order and the field.

    Messages name fields, never their values when they may be personal (names, addresses, phones)."""

    def __init__(self, order_number: str):
        self.order_number = order_number

    def fail(self, problem: str) -> PayloadError:
        return PayloadError(f"Rakuten order {self.order_number}: {problem}")

    def model(self, parent: dict, key: str, path: str) -> dict:
        value = parent.get(key)
        if not isinstance(value, dict):
            raise self.fail(f"{path}{key} is missing")
        return value

    def models(self, parent: dict, key: str, path: str) -> list[dict]:
        value = parent.get(key)
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.fail(f"{path}{key} is missing or not a list of objects")
        return value

    def text(self, parent: dict, key: str, path: str, *, required: bool = False) -> str:
        value = parent.get(key)
        if value is None:
            if required:
                raise self.fail(f"{path}{key} is missing")
            return ""
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise self.fail(f"{path}{key} is not text")
        value = value.strip()
        if required and not value:
            raise self.fail(f"{path}{key} is empty")
        return value

    def integer(self, parent: dict, key: str, path: str, *, default: int | None = None) -> int:
        value = parent.get(key)
        if value is None or value == UNKNOWN_AMOUNT:
            if default is None:
                raise self.fail(f"{path}{key} is missing" + (" (-9999)" if value is not None else ""))
            return default
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"{path}{key} is {value!r}, not a whole number")
        return value

    def moment(self, parent: dict, key: str, *, required: bool) -> datetime | None:
        value = parent.get(key)
        if value in (None, ""):
            if required:
                raise self.fail(f"{key} is missing")
            return None
        try:
            return parse_rms_time(value)
        except (TypeError, ValueError):
            raise self.fail(f"{key} is {value!r}, not a timestamp like 2026-12-01T09:30:00+0900") from None


def parse_order_model(raw: RawOrder) -> CanonicalOrder:
    """The canonical order of one getOrder OrderModel (version 7 or later); PayloadError says what is wrong."""
    order = raw.payload
    if not isinstance(order, dict):
        raise PayloadError(
            f"Rakuten order {raw.external_id}: payload is {type(order).__name__}, not an OrderModel object"
        )
    read = _Reader(raw.external_id)
    read.order_number = read.text(order, "orderNumber", "", required=True)
    progress = read.integer(order, "orderProgress", "")
    if progress not in ORDER_PROGRESS:
        raise read.fail(f"orderProgress {progress} is not one of 100-900")
    ordered_at = read.moment(order, "orderDatetime", required=True)
    moments = [read.moment(order, name, required=False) for name in MOMENT_FIELDS]
    buyer = read.model(order, "OrdererModel", "")
    settlement = read.model(order, "SettlementModel", "")
    payment_method = PAYMENT_METHODS.get(read.integer(settlement, "settlementMethodCode", "SettlementModel."))
    payment_method = payment_method or "other"
    cancelled = progress in CANCELLED
    ship_tos, lines = _packages(read, order)
    slot, unheld_wish = _delivery_time(read, order)
    remarks = read.text(order, "remarks", "")
    if unheld_wish:  # a wish no canonical slot holds stays visible to a person (it raises the remarks hold)
        remarks = "\n".join(part for part in (remarks, f"[お届け時間帯指定: {unheld_wish}]") if part)
    subtotal = read.integer(order, "goodsPrice", "", default=sum(x.unit_price * x.quantity for x in lines))
    total_price = read.integer(order, "totalPrice", "")
    billed = read.integer(order, "requestPrice", "", default=total_price)
    wrappings = _wrappings(read, order)
    wrapping_fee = sum(read.integer(w, "price", f"{name}.", default=0) for name, w in wrappings)
    return CanonicalOrder(
        external_id=read.order_number,
        ordered_at=ordered_at,
        updated_at=max(moment for moment in moments if moment is not None),
        cancelled=cancelled,
        buyer_name=_full_name(read, buyer, "familyName", "firstName", "OrdererModel.", required=True),
        buyer_kana=_full_name(read, buyer, "familyNameKana", "firstNameKana", "OrdererModel."),
        buyer_email=read.text(buyer, "emailAddress", "OrdererModel."),
        buyer_phone=_phone(read, buyer, "OrdererModel."),
        payment_method=payment_method,
        paid=not cancelled and progress in SETTLED and payment_method not in PAID_LATER,
        subtotal=subtotal,
        # ラッピング料 is part of 合計金額; the canonical order has no wrapping fee, so it goes with postage.
        shipping_fee=read.integer(order, "postagePrice", "", default=0) + wrapping_fee,
        # 代引料 (deliveryPrice) and 決済手数料 (paymentCharge) are both what the payment costs the buyer.
        payment_fee=read.integer(order, "deliveryPrice", "", default=0)
        + read.integer(order, "paymentCharge", "", default=0),
        # 合計金額 - 請求金額 = the coupons and points the buyer used.
        discount=max(total_price - billed, 0),
        total=billed,
        remarks=remarks,
        is_gift=read.integer(order, "giftCheckFlag", "", default=0) == 1 or bool(wrappings),
        delivery_date=_delivery_date(read, order),
        delivery_time=slot,
        ship_tos=ship_tos,
        lines=lines,
        shipped_on_marketplace=progress in SHIPPED,
        needs_ack=progress == WAITING_FOR_SHOP,
    )


def _wrappings(read: _Reader, order: dict) -> list[tuple[str, dict]]:
    """The gift wrappings (ラッピング) the buyer chose and the shop did not delete."""
    chosen = []
    for name in ("WrappingModel1", "WrappingModel2"):
        wrapping = order.get(name)
        if wrapping is None:
            continue
        if not isinstance(wrapping, dict):
            raise read.fail(f"{name} is not an object")
        if read.integer(wrapping, "deleteWrappingFlag", f"{name}.", default=0) != 1:
            chosen.append((name, wrapping))
    return chosen


def _full_name(
    read: _Reader, person: dict, family_key: str, given_key: str, path: str, *, required=False
) -> str:
    family, given = read.text(person, family_key, path), read.text(person, given_key, path)
    if required and not (family or given):
        raise read.fail(f"{path}{family_key} and {path}{given_key} are both empty")
    return FULL_WIDTH_SPACE.join(part for part in (family, given) if part)


def _phone(read: _Reader, person: dict, path: str) -> str:
    parts = [read.text(person, f"phoneNumber{n}", path) for n in (1, 2, 3)]
    return "-".join(part for part in parts if part)


def _postal_code(read: _Reader, person: dict, path: str) -> str:
    first = read.text(person, "zipCode1", path, required=True)
    second = read.text(person, "zipCode2", path)
    return f"{first}-{second}" if second else first


def _delivery_date(read: _Reader, order: dict) -> date | None:
    value = order.get("deliveryDate")
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise read.fail(f"deliveryDate is {value!r}, not a date like 2026-12-05") from None


def _delivery_time(read: _Reader, order: dict) -> tuple[str, str]:
    try:
        return delivery_slot(order.get("shippingTerm"))
    except ValueError as exc:
        raise read.fail(str(exc)) from None


def _packages(read: _Reader, order: dict) -> tuple[list[CanonicalAddress], list[CanonicalLine]]:
    """One ship-to per 送付先 (PackageModel) and its items; deleted packages and items are left out."""
    ship_tos: list[CanonicalAddress] = []
    lines: list[CanonicalLine] = []
    for p, package in enumerate(read.models(order, "PackageModelList", "")):
        path = f"PackageModelList[{p}]."
        if read.integer(package, "packageDeleteFlag", path, default=0) == 1:
            continue
        basket_id = read.text(package, "basketId", path, required=True)
        sender = read.model(package, "SenderModel", path)  # SenderModel 送付先 = the recipient
        sender_path = f"{path}SenderModel."
        ship_tos.append(
            CanonicalAddress(
                name=_full_name(read, sender, "familyName", "firstName", sender_path, required=True),
                kana=_full_name(read, sender, "familyNameKana", "firstNameKana", sender_path),
                postal_code=_postal_code(read, sender, sender_path),
                prefecture=read.text(sender, "prefecture", sender_path, required=True),
                city=read.text(sender, "city", sender_path, required=True),
                # RMS keeps the street, building and room in one field (subAddress).
                address1=read.text(sender, "subAddress", sender_path, required=True),
                phone=_phone(read, sender, sender_path),
                external_id=basket_id,
            )
        )
        for i, item in enumerate(read.models(package, "ItemModelList", path)):
            lines += _line(read, item, f"{path}ItemModelList[{i}].", len(ship_tos) - 1)
    if not ship_tos:
        raise read.fail("PackageModelList has no package (送付先)")
    if not lines:
        raise read.fail("the order has no items")
    return ship_tos, lines


def _line(read: _Reader, item: dict, path: str, ship_to_index: int) -> list[CanonicalLine]:
    if read.integer(item, "deleteItemFlag", path, default=0) == 1:
        return []
    quantity = read.integer(item, "units", path)
    if quantity < 1:
        raise read.fail(f"{path}units is {quantity}, not a positive quantity")
    unit_price = read.integer(item, "priceTaxIncl", path, default=-1)
    if unit_price < 0:  # before version 3 there is no priceTaxIncl: price is enough when it includes tax
        if read.integer(item, "includeTaxFlag", path, default=0) != 1:
            raise read.fail(f"{path}priceTaxIncl is missing and price does not include tax")
        unit_price = read.integer(item, "price", path)
    # SkuModelList (version 7+) holds the ordered SKU: its variantId is the shop's variant id.
    skus = item.get("SkuModelList")
    if skus is None:
        raise read.fail(f"{path}SkuModelList is missing: ask getOrder for version 7 or later")
    if not isinstance(skus, list) or not all(isinstance(sku, dict) for sku in skus):
        raise read.fail(f"{path}SkuModelList is not a list of objects")
    variant_id = read.text(skus[0], "variantId", f"{path}SkuModelList[0].") if skus else ""
    return [
        CanonicalLine(
            external_line_id=read.text(item, "itemDetailId", path, required=True),
            item_id=read.text(item, "manageNumber", path, required=True),
            variant_id=variant_id,
            name=read.text(item, "itemName", path),
            quantity=quantity,
            unit_price=unit_price,
            ship_to_index=ship_to_index,
        )
    ]
