"""Yamato B2クラウド 外部データ取込: the 95-column 送り状発行データ layout (reference/marketplace_apis.md §4.1).

B2 maps columns by position; the header row is for people (B2 is set to start reading at row 2). Limits are
Shift_JIS bytes as the layout states them (全角16文字/半角32文字 = 32 bytes).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import jaconv

from shipping.labels.encoding import date_text

if TYPE_CHECKING:
    from shipping.labels import Sender
    from shipping.labels.encoding import FieldWriter
    from shipping.labels.parcels import Parcel

NAME = "ヤマト運輸 B2クラウド"
CUSTOMER_REF_LIMIT = 20  # お客様管理番号: 半角英数字 20文字
SHIP_DATE_COLUMN = "出荷予定日"  # written by the export, the same on each of its labels
DATE_FORMAT = "%Y/%m/%d"
INVOICE_PREPAID = "0"  # 送り状種類 0 発払い
INVOICE_COLLECT = "2"  # 送り状種類 2 コレクト (代引)
# クール区分 (§4.1): 0 通常, 1 クール冷凍, 2 クール冷蔵; from inventory.models.Temperature
COOL = {"ambient": "0", "chilled": "2", "frozen": "1"}
COLLECT_MAX = 300_000  # コレクト代金引換額: 1円以上 300,000円以下
HONORIFIC = "様"
GIFT_NOTE = "ギフト"

HEADER = (
    "お客様管理番号",
    "送り状種類",
    "クール区分",
    "伝票番号",
    "出荷予定日",
    "お届け予定日",
    "配達時間帯",
    "お届け先コード",
    "お届け先電話番号",
    "お届け先電話番号枝番",
    "お届け先郵便番号",
    "お届け先住所",
    "お届け先アパートマンション名",
    "お届け先会社・部門１",
    "お届け先会社・部門２",
    "お届け先名",
    "お届け先名(ｶﾅ)",
    "敬称",
    "ご依頼主コード",
    "ご依頼主電話番号",
    "ご依頼主電話番号枝番",
    "ご依頼主郵便番号",
    "ご依頼主住所",
    "ご依頼主アパートマンション",
    "ご依頼主名",
    "ご依頼主名(ｶﾅ)",
    "品名コード１",
    "品名１",
    "品名コード２",
    "品名２",
    "荷扱い１",
    "荷扱い２",
    "記事",
    "ｺﾚｸﾄ代金引換額（税込)",
    "内消費税額等",
    "止置き",
    "営業所コード",
    "発行枚数",
    "個数口表示フラグ",
    "請求先顧客コード",
    "請求先分類コード",
    "運賃管理番号",
    "クロネコwebコレクトデータ登録",
    "クロネコwebコレクト加盟店番号",
    "クロネコwebコレクト申込受付番号１",
    "クロネコwebコレクト申込受付番号２",
    "クロネコwebコレクト申込受付番号３",
    "お届け予定ｅメール利用区分",
    "お届け予定ｅメールe-mailアドレス",
    "入力機種",
    "お届け予定ｅメールメッセージ",
    "お届け完了ｅメール利用区分",
    "お届け完了ｅメールe-mailアドレス",
    "お届け完了ｅメールメッセージ",
    "クロネコ収納代行利用区分",
    "予備",
    "収納代行請求金額(税込)",
    "収納代行内消費税額等",
    "収納代行請求先郵便番号",
    "収納代行請求先住所",
    "収納代行請求先住所（アパートマンション名）",
    "収納代行請求先会社・部門名１",
    "収納代行請求先会社・部門名２",
    "収納代行請求先名(漢字)",
    "収納代行請求先名(カナ)",
    "収納代行問合せ先名(漢字)",
    "収納代行問合せ先郵便番号",
    "収納代行問合せ先住所",
    "収納代行問合せ先住所（アパートマンション名）",
    "収納代行問合せ先電話番号",
    "収納代行管理番号",
    "収納代行品名",
    "収納代行備考",
    "複数口くくりキー",
    "検索キータイトル1",
    "検索キー1",
    "検索キータイトル2",
    "検索キー2",
    "検索キータイトル3",
    "検索キー3",
    "検索キータイトル4",
    "検索キー4",
    "検索キータイトル5",
    "検索キー5",
    "予備",
    "予備",
    "投函予定メール利用区分",
    "投函予定メールe-mailアドレス",
    "投函予定メールメッセージ",
    "投函完了メール（お届け先宛）利用区分",
    "投函完了メール（お届け先宛）e-mailアドレス",
    "投函完了メール（お届け先宛）メールメッセージ",
    "投函完了メール（ご依頼主宛）利用区分",
    "投函完了メール（ご依頼主宛）e-mailアドレス",
    "投函完了メール（ご依頼主宛）メールメッセージ",
)
COLUMN_COUNT = 95
assert len(HEADER) == COLUMN_COUNT  # nosec B101 # checks the column table itself, at import

# Shift_JIS bytes per column that the OMS fills.
LIMITS = {
    "お客様管理番号": CUSTOMER_REF_LIMIT,
    "お届け先電話番号": 15,
    "お届け先郵便番号": 8,
    "お届け先住所": 64,
    "お届け先アパートマンション名": 32,
    "お届け先名": 32,
    "お届け先名(ｶﾅ)": 50,
    "ご依頼主電話番号": 15,
    "ご依頼主郵便番号": 8,
    "ご依頼主住所": 64,
    "ご依頼主アパートマンション": 32,
    "ご依頼主名": 32,
    "ご依頼主名(ｶﾅ)": 50,
    "品名１": 50,
    "品名２": 50,
    "記事": 44,
    "ｺﾚｸﾄ代金引換額（税込)": 7,
    "内消費税額等": 7,
}
_HALF_WIDTH_KANA = re.compile(r"[\uff65-\uff9f ]*")  # ･ and ｦ to ﾟ, spaces
# [0-9], not \d: \d also takes full-width and other scripts' digits, which B2 refuses (and Shift_JIS may not hold)
_BILLING_CODE = re.compile(r"[0-9]{10,12}")
_BILLING_CLASS = re.compile(r"(?:[0-9]{3})?")
_FREIGHT_CODE = re.compile(r"[0-9]{2}")
# (column, OMS_SENDER key and Sender field, form, the form as the problem names it)
_CONTRACT_CODES = (
    ("請求先顧客コード", "yamato_billing_code", _BILLING_CODE, "10〜12桁の数字"),
    ("請求先分類コード", "yamato_billing_class", _BILLING_CLASS, "空欄か3桁の数字"),
    ("運賃管理番号", "yamato_freight_code", _FREIGHT_CODE, "2桁の数字"),
)


def sender_columns(sender: Sender, fields: FieldWriter) -> dict[str, str]:
    """The columns of the shop (ご依頼主 and the Yamato contract): the same on every label, written once."""
    sender_address, sender_building = fields.fit(
        "ご依頼主住所",
        [("ご依頼主住所", 64), ("ご依頼主アパートマンション", 32)],
        [sender.address, sender.building],
    )
    return {
        "敬称": HONORIFIC,
        "ご依頼主電話番号": sender.phone,
        "ご依頼主郵便番号": sender.postal_code,
        "ご依頼主住所": sender_address,
        "ご依頼主アパートマンション": sender_building,
        "ご依頼主名": sender.name,
        "ご依頼主名(ｶﾅ)": _half_width_kana("ご依頼主名(ｶﾅ)", sender.kana, fields),
        **_contract_columns(sender, fields),
    }


def parcel_columns(parcel: Parcel, fields: FieldWriter) -> dict[str, str]:
    """The columns of one parcel."""
    address, building = fields.fit(
        "お届け先住所",
        [("お届け先住所", 64), ("お届け先アパートマンション名", 32)],
        [parcel.prefecture + parcel.city + parcel.address1, parcel.address2],
    )
    item1, item2 = fields.item_names([("品名１", 50), ("品名２", 50)], parcel.items)
    values = {
        "お客様管理番号": parcel.customer_ref,
        "送り状種類": INVOICE_COLLECT if parcel.cod_amount else INVOICE_PREPAID,
        "クール区分": COOL[parcel.temperature],
        "お届け予定日": date_text(parcel.delivery_date, DATE_FORMAT),
        "配達時間帯": parcel.slot_code,
        "お届け先電話番号": parcel.phone,
        "お届け先郵便番号": parcel.postal_code,
        "お届け先住所": address,
        "お届け先アパートマンション名": building,
        "お届け先名": parcel.name,
        "お届け先名(ｶﾅ)": _half_width_kana("お届け先名(ｶﾅ)", parcel.kana, fields),
        "品名１": item1,
        "品名２": item2,
        "記事": GIFT_NOTE if parcel.is_gift else "",
        # the same columns on every label, blank unless 代引: a layout's labels share one line form
        "ｺﾚｸﾄ代金引換額（税込)": str(parcel.cod_amount) if parcel.cod_amount else "",
        "内消費税額等": str(parcel.cod_tax) if parcel.cod_amount else "",
    }
    if parcel.cod_amount > COLLECT_MAX:
        fields.problems.append(
            f"コレクト代金引換額 {parcel.cod_amount:,}円は上限 {COLLECT_MAX:,}円を超えています"
        )
    return values


def _half_width_kana(column: str, kana: str, fields: FieldWriter) -> str:
    """B2's カナ columns take half-width katakana only; a reading with other characters is left blank."""
    if not kana:
        return ""
    half = jaconv.z2h(jaconv.hira2kata(kana).replace("\u3000", " "), kana=True, ascii=True, digit=True)
    if _HALF_WIDTH_KANA.fullmatch(half):
        return half
    fields.notices.append(f"{column}: 「{kana}」にカナ以外の文字があるため空欄にしました")
    return ""


def _contract_columns(sender: Sender, fields: FieldWriter) -> dict[str, str]:
    """The Yamato contract codes. They are written as set, not cleaned, so each is checked: a wrong one is a
    problem of every order of the shop (B2 would refuse the rows) and is left out of the template, since a
    character outside Shift_JIS cannot even be measured or written."""
    columns = {}
    for column, setting, form, expected in _CONTRACT_CODES:
        value = getattr(sender, setting)
        if form.fullmatch(value):
            columns[column] = value
        else:
            fields.problems.append(f"{column}「{value}」は{expected}です（OMS_SENDER['{setting}']）")
            columns[column] = ""
    return columns
