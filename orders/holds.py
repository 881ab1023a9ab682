"""Hold codes (DESIGN.md): stable codes, the default message a person reads, and the status each implies."""

from dataclasses import dataclass

from orders.models import OrderStatus


@dataclass(frozen=True)
class HoldCode:
    code: str
    message: str  # Japanese first: staff read it; the code stays stable for machines
    message_en: str
    status: str  # the waiting status this hold puts the order in


HOLD_CODES: dict[str, HoldCode] = {
    h.code: h
    for h in (
        HoldCode(
            "postcode_unknown",
            "郵便番号が存在しません",
            "The postal code does not exist",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "postcode_address_mismatch",
            "郵便番号と住所（都道府県・市区町村）が一致しません",
            "The postal code's prefecture/city disagree with the address",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "phone_invalid",
            "電話番号が日本の電話番号ではありません",
            "Not a Japanese phone number",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "unknown_sku",
            "商品が SKU に紐付いていません",
            "A line's item is not linked to a SKU",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "insufficient_stock",
            "引当可能な在庫が不足しています",
            "Not enough free stock to allocate every line",
            OrderStatus.AWAITING_STOCK,
        ),
        HoldCode(
            "remarks",
            "備考欄に記入があります。内容を確認してください",
            "The buyer wrote remarks",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "delivery_date_invalid",
            "お届け希望日が過去・近すぎる・先すぎる日付です",
            "The wished delivery date is in the past, too soon, or too far away",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "delivery_time_invalid",
            "お届け希望時間帯が配送業者の時間帯にありません",
            "The wished time slot is not one the carrier offers",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "merge_candidate",
            "同じお客様・お届け先の未出荷の受注があります（同梱候補）",
            "Another open order from the same buyer and address exists",
            OrderStatus.ON_HOLD,
        ),
        HoldCode(
            "payment_pending",
            "入金が確認できていません",
            "Prepayment not received yet",
            OrderStatus.AWAITING_PAYMENT,
        ),
    )
}

# When several holds apply, the order shows the one a person must act on first.
STATUS_PRECEDENCE = [OrderStatus.ON_HOLD, OrderStatus.AWAITING_STOCK, OrderStatus.AWAITING_PAYMENT]


def hold_code(code: str) -> HoldCode:
    try:
        return HOLD_CODES[code]
    except KeyError:
        raise ValueError(f"unknown hold code {code!r}; add it to orders.holds.HOLD_CODES") from None
