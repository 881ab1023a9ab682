"""Japan Post ゆうパックプリントR (ゆうプリR): the OMS's own import-filter layout, documented in docs/yupurir-filter.md.

ゆうプリR has no fixed CSV layout: a shop registers a フィルタ that maps its columns (reference §4.3). This is the
layout our filter maps. Slot codes are those of orders.checks.slots (60 午前中, 62 12-14, … 67 19-21).
The issued-data file the filter's output side writes back is the same columns plus お問い合せ番号.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shipping.labels.encoding import date_text

if TYPE_CHECKING:
    from shipping.labels import Sender
    from shipping.labels.encoding import FieldWriter
    from shipping.labels.parcels import Parcel

NAME = "日本郵便 ゆうプリR"
CUSTOMER_REF_LIMIT = 15  # お客様側管理番号: 半角英数 15文字
SHIP_DATE_COLUMN = "発送予定日"  # written by the export, the same on each of its labels
DATE_FORMAT = "%Y%m%d"
MAIL_KIND_YUPACK = "0"  # 郵便種別 0 ゆうパック
# 保冷種別 (§4.3, the common layout our filter follows): 0 なし, 1 チルド, 2 冷凍; from inventory Temperature
COOL = {"ambient": "0", "chilled": "1", "frozen": "2"}
PAYMENT_PREPAID = "0"  # 元払/代引 0 元払
PAYMENT_COD = "2"  # 元払/代引 2 代引
HONORIFIC = "様"
GIFT_NOTE = "ギフト"
PIECES = "1"
ADDRESS = 50  # bytes per address line (全角25文字)
RESULT_NUMBER_COLUMN = "お問い合せ番号"  # appended by ゆうプリR's output filter (our issued-data layout)

HEADER = (
    "お客様側管理番号",
    "発送予定日",
    "郵便種別",
    "保冷種別",
    "元払/代引",
    "お届け先郵便番号",
    "お届け先住所1",
    "お届け先住所2",
    "お届け先住所3",
    "お届け先名",
    "お届け先敬称",
    "お届け先電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所1",
    "ご依頼主住所2",
    "ご依頼主住所3",
    "ご依頼主名",
    "ご依頼主電話番号",
    "品名",
    "配達希望日",
    "配達希望時間帯",
    "代引金額",
    "代引消費税額",
    "記事",
    "個数",
)
COLUMN_COUNT = 25
assert len(HEADER) == COLUMN_COUNT  # nosec B101 # checks the column table itself, at import

ADDRESS_COLUMNS = ["お届け先住所1", "お届け先住所2", "お届け先住所3"]
SENDER_ADDRESS_COLUMNS = ["ご依頼主住所1", "ご依頼主住所2", "ご依頼主住所3"]
LIMITS = {
    "お客様側管理番号": CUSTOMER_REF_LIMIT,
    "お届け先郵便番号": 8,
    **dict.fromkeys(ADDRESS_COLUMNS + SENDER_ADDRESS_COLUMNS, ADDRESS),
    "お届け先名": 40,
    "お届け先電話番号": 15,
    "ご依頼主郵便番号": 8,
    "ご依頼主名": 40,
    "ご依頼主電話番号": 15,
    "品名": 50,
    "代引金額": 7,
    "代引消費税額": 7,
    "記事": 40,
}


def sender_columns(sender: Sender, fields: FieldWriter) -> dict[str, str]:
    """The columns of the shop (ご依頼主) and the constant codes: written once per export."""
    sender_address = fields.fit(
        "ご依頼主住所",
        [(column, ADDRESS) for column in SENDER_ADDRESS_COLUMNS],
        [sender.address, sender.building],
    )
    return {
        "郵便種別": MAIL_KIND_YUPACK,
        "お届け先敬称": HONORIFIC,
        "ご依頼主郵便番号": sender.postal_code,
        **dict(zip(SENDER_ADDRESS_COLUMNS, sender_address, strict=True)),
        "ご依頼主名": sender.name,
        "ご依頼主電話番号": sender.phone,
        "個数": PIECES,
    }


def parcel_columns(parcel: Parcel, fields: FieldWriter) -> dict[str, str]:
    """The columns of one parcel."""
    address = fields.fit(
        "お届け先住所",
        [(column, ADDRESS) for column in ADDRESS_COLUMNS],
        [parcel.prefecture + parcel.city, parcel.address1, parcel.address2],
    )
    (item,) = fields.item_names([("品名", LIMITS["品名"])], parcel.items)
    return {
        "お客様側管理番号": parcel.customer_ref,
        "保冷種別": COOL[parcel.temperature],
        "元払/代引": PAYMENT_COD if parcel.cod_amount else PAYMENT_PREPAID,
        "お届け先郵便番号": parcel.postal_code,
        **dict(zip(ADDRESS_COLUMNS, address, strict=True)),
        "お届け先名": parcel.name,
        "お届け先電話番号": parcel.phone,
        "品名": item,
        "配達希望日": date_text(parcel.delivery_date, DATE_FORMAT),
        "配達希望時間帯": parcel.slot_code,
        "記事": GIFT_NOTE if parcel.is_gift else "",
        # the same columns on every label, blank unless 代引: a layout's labels share one line form
        "代引金額": str(parcel.cod_amount) if parcel.cod_amount else "",
        "代引消費税額": str(parcel.cod_tax) if parcel.cod_amount else "",
    }
