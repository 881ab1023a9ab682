"""Sagawa e飛伝Ⅱ/Ⅲ 出荷データ CSV: the 74-column layout with a header row (reference/marketplace_apis.md §4.2).

Address and name columns hold 全角16文字 (32 Shift_JIS bytes) each: the address is spread over お届け先住所１-３
(都道府県+市区町村, 町域・番地, 建物), a long name spills into お届け先名称２.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from shipping.labels.encoding import date_text

if TYPE_CHECKING:
    from shipping.labels import Sender
    from shipping.labels.encoding import FieldWriter
    from shipping.labels.parcels import Parcel

NAME = "佐川急便 e飛伝"
CUSTOMER_REF_LIMIT = 16  # お客様管理番号: 半角英数 16文字
SHIP_DATE_COLUMN = "出荷日"  # written by the export, the same on each of its labels
DATE_FORMAT = "%Y%m%d"
PIECES = "1"  # 出荷個数: one label per ship-to
SPEED_STANDARD = "000"  # スピード指定 000 飛脚宅配便
# クール便指定 (§4.2): 001 指定なし, 002 飛脚クール便(冷蔵), 003 飛脚クール便(冷凍); from inventory Temperature
COOL = {"ambient": "001", "chilled": "002", "frozen": "003"}
PREPAID = "1"  # 元着区分 1 元払
GIFT_NOTE = "ギフト"  # in 編集０１, a free column e飛伝 keeps with the parcel and returns in its data
FIELD = 32  # 全角16文字
# お客様コード (§4.2): the 12-digit contract code, or blank for the account logged in to e飛伝. [0-9], not \d,
# which also takes full-width digits.
_CUSTOMER_CODE = re.compile(r"(?:[0-9]{12})?")

HEADER = (
    "お届け先コード取得区分",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先郵便番号",
    "お届け先住所１",
    "お届け先住所２",
    "お届け先住所３",
    "お届け先名称１",
    "お届け先名称２",
    "お客様管理番号",
    "お客様コード",
    "部署ご担当者コード取得区分",
    "部署ご担当者コード",
    "部署ご担当者名称",
    "荷送人電話番号",
    "ご依頼主コード取得区分",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主郵便番号",
    "ご依頼主住所１",
    "ご依頼主住所２",
    "ご依頼主名称１",
    "ご依頼主名称２",
    "荷姿",
    "品名１",
    "品名２",
    "品名３",
    "品名４",
    "品名５",
    "荷札荷姿",
    "荷札品名１",
    "荷札品名２",
    "荷札品名３",
    "荷札品名４",
    "荷札品名５",
    "荷札品名６",
    "荷札品名７",
    "荷札品名８",
    "荷札品名９",
    "荷札品名１０",
    "荷札品名１１",
    "出荷個数",
    "スピード指定",
    "クール便指定",
    "配達日",
    "配達指定時間帯",
    "配達指定時間（時分）",
    "代引金額",
    "消費税",
    "決済種別",
    "保険金額",
    "指定シール１",
    "指定シール２",
    "指定シール３",
    "営業所受取",
    "SRC区分",
    "営業所受取営業所コード",
    "元着区分",
    "メールアドレス",
    "ご不在時連絡先",
    "出荷日",
    "お問い合せ送り状No.",
    "出荷場印字区分",
    "集約解除指定",
    "編集０１",
    "編集０２",
    "編集０３",
    "編集０４",
    "編集０５",
    "編集０６",
    "編集０７",
    "編集０８",
    "編集０９",
    "編集１０",
)
COLUMN_COUNT = 74
assert len(HEADER) == COLUMN_COUNT  # nosec B101 # checks the column table itself, at import

ADDRESS_COLUMNS = ["お届け先住所１", "お届け先住所２", "お届け先住所３"]
NAME_COLUMNS = ["お届け先名称１", "お届け先名称２"]
SENDER_ADDRESS_COLUMNS = ["ご依頼主住所１", "ご依頼主住所２"]
SENDER_NAME_COLUMNS = ["ご依頼主名称１", "ご依頼主名称２"]
ITEM_COLUMNS = ["品名１", "品名２", "品名３", "品名４", "品名５"]

LIMITS = {
    "お届け先電話番号": 14,
    "お届け先郵便番号": 8,
    "お客様管理番号": CUSTOMER_REF_LIMIT,
    "お客様コード": 12,
    "ご依頼主電話番号": 14,
    "ご依頼主郵便番号": 8,
    "代引金額": 7,
    "消費税": 7,
    **dict.fromkeys(ADDRESS_COLUMNS + NAME_COLUMNS + SENDER_ADDRESS_COLUMNS + SENDER_NAME_COLUMNS, FIELD),
    **dict.fromkeys(ITEM_COLUMNS, FIELD),
}


def sender_columns(sender: Sender, fields: FieldWriter) -> dict[str, str]:
    """The columns of the shop (ご依頼主, お客様コード) and the constant codes: written once per export."""
    sender_address = fields.fit(
        "ご依頼主住所",
        [(column, FIELD) for column in SENDER_ADDRESS_COLUMNS],
        [sender.address, sender.building],
    )
    sender_name = fields.fit("ご依頼主名", [(column, FIELD) for column in SENDER_NAME_COLUMNS], [sender.name])
    return {
        "お客様コード": _customer_code(sender, fields),
        "ご依頼主電話番号": sender.phone,
        "ご依頼主郵便番号": sender.postal_code,
        **dict(zip(SENDER_ADDRESS_COLUMNS, sender_address, strict=True)),
        **dict(zip(SENDER_NAME_COLUMNS, sender_name, strict=True)),
        "出荷個数": PIECES,
        "スピード指定": SPEED_STANDARD,
        "元着区分": PREPAID,
    }


def parcel_columns(parcel: Parcel, fields: FieldWriter) -> dict[str, str]:
    """The columns of one parcel."""
    address = fields.fit(
        "お届け先住所",
        [(column, FIELD) for column in ADDRESS_COLUMNS],
        [parcel.prefecture + parcel.city, parcel.address1, parcel.address2],
    )
    name = fields.fit("お届け先名", [(column, FIELD) for column in NAME_COLUMNS], [parcel.name])
    items = fields.item_names([(column, FIELD) for column in ITEM_COLUMNS], parcel.items)
    return {
        "お届け先電話番号": parcel.phone,
        "お届け先郵便番号": parcel.postal_code,
        **dict(zip(ADDRESS_COLUMNS, address, strict=True)),
        **dict(zip(NAME_COLUMNS, name, strict=True)),
        "お客様管理番号": parcel.customer_ref,
        **dict(zip(ITEM_COLUMNS, items, strict=True)),
        "クール便指定": COOL[parcel.temperature],
        "配達日": date_text(parcel.delivery_date, DATE_FORMAT),
        "配達指定時間帯": parcel.slot_code,
        "編集０１": GIFT_NOTE if parcel.is_gift else "",
        # the same columns on every label, blank unless 代引: a layout's labels share one line form
        "代引金額": str(parcel.cod_amount) if parcel.cod_amount else "",
        "消費税": str(parcel.cod_tax) if parcel.cod_amount else "",
    }


def _customer_code(sender: Sender, fields: FieldWriter) -> str:
    """お客様コード. It is written as set, not cleaned, so it is checked: a wrong one is a problem of every order
    of the shop (e飛伝 would refuse the rows) and is left out of the template, since a character outside
    Shift_JIS cannot even be measured or written."""
    code = sender.sagawa_customer_code
    if _CUSTOMER_CODE.fullmatch(code):
        return code
    fields.problems.append(
        f"お客様コード「{code}」は空欄か12桁の数字です（OMS_SENDER['sagawa_customer_code']）"
    )
    return ""
