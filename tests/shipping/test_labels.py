"""Label CSV export (step G): each carrier's file parsed back: columns, Shift_JIS, CRLF, codes, limits."""

import csv
import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import given
from hypothesis import strategies as st

from inventory.models import Temperature
from orders.models import Order, OrderEvent, OrderStatus, PaymentMethod
from orders.privacy import order_anonymise
from orders.services import event_record
from shipping.labels import (
    customer_ref,
    japanpost,
    labels_export,
    labels_prepare,
    orders_for_customer_refs,
    sagawa,
    yamato,
)
from shipping.labels.encoding import (
    MISSING_GLYPH,
    VARIANT_KANJI,
    FieldWriter,
    Replacement,
    sjis_len,
    sjis_safe,
    sjis_split,
    sjis_truncate,
)
from shipping.labels.history import label_export_events, order_key, order_timeline
from shipping.labels.rows import RowTemplate, csv_bytes
from shipping.models import Carrier, LabelExport
from tests.factories import (
    ChannelFactory,
    OrderFactory,
    OrderLineFactory,
    SetComponentFactory,
    ShipToFactory,
    SKUFactory,
)

pytestmark = pytest.mark.django_db
S = OrderStatus
SHIP_DATE = datetime.date(2026, 12, 1)
WISHED = datetime.date(2026, 12, 5)
LAYOUTS = {"yamato": yamato, "sagawa": sagawa, "japanpost": japanpost}
# The carriers' published codes, written out here so the test checks them rather than repeating the table.
SLOT_CODES = {
    "yamato": {"": "", "08-12": "0812", "14-16": "1416", "16-18": "1618", "18-20": "1820", "19-21": "1921"},
    "sagawa": {
        "": "",
        "08-12": "01",
        "12-14": "12",
        "14-16": "14",
        "16-18": "16",
        "18-20": "18",
        "19-21": "19",
        "18-21": "04",
    },
    "japanpost": {
        "": "",
        "08-12": "60",
        "12-14": "62",
        "14-16": "63",
        "16-18": "64",
        "18-20": "65",
        "19-21": "67",
    },
}
COLUMNS = {
    "yamato": {
        "ref": "お客様管理番号",
        "slot": "配達時間帯",
        "wished": "お届け予定日",
        "name": "お届け先名",
        "items": "品名１",
        "note": "記事",
    },
    "sagawa": {
        "ref": "お客様管理番号",
        "slot": "配達指定時間帯",
        "wished": "配達日",
        "name": "お届け先名称１",
        "items": "品名１",
        "note": "編集０１",
    },
    "japanpost": {
        "ref": "お客様側管理番号",
        "slot": "配達希望時間帯",
        "wished": "配達希望日",
        "name": "お届け先名",
        "items": "品名",
        "note": "記事",
    },
}


def _order(shop_carrier="yamato", *, items=(("オーガニックコットン Tシャツ", 1),), ship_to=None, **fields):
    """A waiting order of a shop whose default carrier is `shop_carrier`, with one ship-to and these lines."""
    channel = ChannelFactory(display_name="さくら堂 楽天市場店", default_carrier=shop_carrier)
    order = OrderFactory(channel=channel, status=fields.pop("status", S.READY), **fields)
    ShipToFactory(order=order, **(ship_to or {}))
    for name, quantity in items:
        OrderLineFactory(order=order, sku=None, name=name, quantity=quantity)
    return order


@pytest.fixture(autouse=True, params=["fresh", "prepared"])
def prepared(request):
    """Every export here runs twice: built by the export itself, and from labels prepared just before by the
    background task (shipping.labels.prepared). Both must give the same file and the same reports."""
    return request.param == "prepared"


@pytest.fixture(autouse=True)
def _exports(prepared, monkeypatch):
    monkeypatch.setattr(f"{__name__}.PREPARE_FIRST", prepared)


PREPARE_FIRST = False


def _export(carrier, **options):
    if PREPARE_FIRST:
        labels_prepare()
    return labels_export(carrier=carrier, actor="user:shipper", ship_date=SHIP_DATE, **options)


def _export_event(order):
    (event,) = label_export_events(order)
    return event


def _parse(content: bytes) -> tuple[list[str], list[dict[str, str]], list[list[str]]]:
    """(header, rows as dicts, rows as lists) of a label file, checking Shift_JIS and CRLF on the way."""
    text = content.decode("shift_jis")  # strict: a character outside Shift_JIS fails here
    assert content.endswith(b"\r\n")
    assert content.count(b"\n") == content.count(b"\r\n"), "every line ends with CRLF"
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    return header, [dict(zip(header, row, strict=True)) for row in rows], rows


def _row_of(rows: list[dict[str, str]], carrier: str, ref: str) -> dict[str, str]:
    (row,) = [row for row in rows if row[COLUMNS[carrier]["ref"]] == ref]
    return row


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_every_time_slot_gets_the_carriers_code_in_a_file_of_its_column_count(carrier):
    orders = {
        slot: _order(carrier, delivery_time=slot, delivery_date=WISHED if slot else None)
        for slot in SLOT_CODES[carrier]
    }

    result = _export(carrier)

    header, rows, raw_rows = _parse(result.content)
    layout = LAYOUTS[carrier]
    assert tuple(header) == layout.HEADER
    assert len(header) == {"yamato": 95, "sagawa": 74, "japanpost": 25}[carrier]
    assert all(len(row) == len(header) for row in raw_rows)
    assert len(rows) == len(orders) and not result.skipped
    wished = {"yamato": "2026/12/05", "sagawa": "20261205", "japanpost": "20261205"}[carrier]
    for slot, order in orders.items():
        row = _row_of(rows, carrier, customer_ref(order, limit=layout.CUSTOMER_REF_LIMIT))
        assert row[COLUMNS[carrier]["slot"]] == SLOT_CODES[carrier][slot]
        assert row[COLUMNS[carrier]["wished"]] == (wished if slot else "")


def test_yamato_row_carries_the_b2_codes_dates_sender_and_contract():
    order = _order("yamato", delivery_date=WISHED, delivery_time="14-16")

    (row,) = _parse(_export("yamato").content)[1]

    assert row["お客様管理番号"] == f"OMS{order.pk}"  # a Rakuten number has 24 characters, B2 takes 20
    assert (row["送り状種類"], row["クール区分"], row["伝票番号"]) == ("0", "0", "")
    assert (row["出荷予定日"], row["お届け予定日"], row["配達時間帯"]) == ("2026/12/01", "2026/12/05", "1416")
    assert (row["お届け先郵便番号"], row["お届け先住所"]) == ("100-0001", "東京都千代田区千代田1-1")
    assert (row["お届け先名"], row["お届け先名(ｶﾅ)"], row["敬称"]) == ("山田 太郎", "ﾔﾏﾀﾞ ﾀﾛｳ", "様")
    assert row["お届け先電話番号"] == "090-1234-5678"
    assert (row["ご依頼主名"], row["ご依頼主電話番号"]) == ("さくら堂 楽天市場店", "03-1234-5678")
    assert (row["請求先顧客コード"], row["運賃管理番号"]) == ("012345678901", "01")
    assert row["品名１"] == "オーガニックコットン Tシャツ"
    assert row["ｺﾚｸﾄ代金引換額（税込)"] == "" and row["内消費税額等"] == ""


def test_sagawa_row_spreads_the_address_and_carries_its_codes():
    _order("sagawa", delivery_date=WISHED, delivery_time="18-21", ship_to={"address2": "さくらハイツ101"})

    (row,) = _parse(_export("sagawa").content)[1]

    assert [row["お届け先住所１"], row["お届け先住所２"], row["お届け先住所３"]] == [
        "東京都千代田区",
        "千代田1-1",
        "さくらハイツ101",
    ]
    assert (row["出荷日"], row["配達日"], row["配達指定時間帯"]) == ("20261201", "20261205", "04")
    assert (row["出荷個数"], row["スピード指定"], row["クール便指定"], row["元着区分"]) == (
        "1",
        "000",
        "001",
        "1",
    )
    assert row["お問い合せ送り状No."] == ""


@pytest.mark.parametrize(
    ("carrier", "kind_column", "kind", "amount_column", "tax_column"),
    [
        ("yamato", "送り状種類", "2", "ｺﾚｸﾄ代金引換額（税込)", "内消費税額等"),
        ("sagawa", None, None, "代引金額", "消費税"),
        ("japanpost", "元払/代引", "2", "代引金額", "代引消費税額"),
    ],
)
def test_cash_on_delivery_fills_the_amount_to_collect(carrier, kind_column, kind, amount_column, tax_column):
    cod = _order(carrier, payment_method=PaymentMethod.COD, total=5980)
    card = _order(carrier, payment_method=PaymentMethod.CREDIT_CARD, total=5980)

    rows = _parse(_export(carrier).content)[1]

    ref_limit = LAYOUTS[carrier].CUSTOMER_REF_LIMIT
    cod_row = _row_of(rows, carrier, customer_ref(cod, limit=ref_limit))
    card_row = _row_of(rows, carrier, customer_ref(card, limit=ref_limit))
    assert (cod_row[amount_column], cod_row[tax_column]) == ("5980", "543")  # 10 % inside, rounded down
    assert (card_row[amount_column], card_row[tax_column]) == ("", "")
    if kind_column:
        assert (cod_row[kind_column], card_row[kind_column]) == (kind, "0")


@pytest.mark.parametrize(
    ("carrier", "amount_column", "tax_column"),
    [
        ("yamato", "ｺﾚｸﾄ代金引換額（税込)", "内消費税額等"),
        ("sagawa", "代引金額", "消費税"),
        ("japanpost", "代引金額", "代引消費税額"),
    ],
)
def test_cash_on_delivery_tax_is_summed_per_rate_like_the_packing_slip(carrier, amount_column, tax_column):
    tee = SKUFactory(tax_rate=10)
    rice = SKUFactory(tax_rate=8)
    order = _order(
        carrier, items=(), payment_method=PaymentMethod.COD, shipping_fee=660, payment_fee=330, total=9540
    )
    OrderLineFactory(order=order, sku=tee, name="Tシャツ", quantity=1, unit_price=2980)
    OrderLineFactory(order=order, sku=rice, name="コシヒカリ 5kg", quantity=1, unit_price=5570)

    (row,) = _parse(_export(carrier).content)[1]

    # 10%: 2,980 + 660 + 330 = 3,970 → 360; 8%: 5,570 → 412 (each rounded down once); not 9,540 × 10/110 = 867
    assert (row[amount_column], row[tax_column]) == ("9540", str(360 + 412))


COOL_CODES = {
    "yamato": ("クール区分", {"ambient": "0", "chilled": "2", "frozen": "1"}),
    "sagawa": ("クール便指定", {"ambient": "001", "chilled": "002", "frozen": "003"}),
    "japanpost": ("保冷種別", {"ambient": "0", "chilled": "1", "frozen": "2"}),
}


def _order_of_skus(carrier, *temperatures):
    order = _order(carrier, items=())
    for temperature in temperatures:
        OrderLineFactory(
            order=order, sku=SKUFactory(temperature=temperature), name=f"{temperature}の商品", quantity=1
        )
    return order


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_each_temperature_gets_the_carriers_cool_code(carrier):
    orders = {temperature: _order_of_skus(carrier, temperature) for temperature in Temperature.values}

    result = _export(carrier)

    rows = _parse(result.content)[1]
    column, codes = COOL_CODES[carrier]
    for temperature, order in orders.items():
        row = _row_of(rows, carrier, customer_ref(order, limit=LAYOUTS[carrier].CUSTOMER_REF_LIMIT))
        assert row[column] == codes[temperature]
    assert not any(report.notices for report in result.exported)


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_mixed_temperatures_ship_at_the_coldest_and_are_reported_for_the_order(carrier):
    mixed = _order_of_skus(carrier, Temperature.AMBIENT, Temperature.FROZEN, Temperature.CHILLED)

    result = _export(carrier)

    (row,) = _parse(result.content)[1]
    column, codes = COOL_CODES[carrier]
    assert row[column] == codes["frozen"]
    (report,) = result.exported
    assert report.order_id == mixed.pk
    mixed_notice = (
        "お届け先「山田 太郎」の荷物に常温・冷蔵・冷凍の商品が混在しています: "
        "冷凍で送ります（分けて送る場合は注文を分割してください）"
    )
    assert mixed_notice in report.notices
    assert mixed_notice in _export_event(mixed).after["notices"]


def test_a_set_travels_at_the_coldest_of_its_components():
    frozen_part = SKUFactory(temperature=Temperature.FROZEN)
    box = SKUFactory(is_set=True, temperature=Temperature.AMBIENT)
    SetComponentFactory(set_sku=box, component=frozen_part)
    SetComponentFactory(set_sku=box, component=SKUFactory(temperature=Temperature.AMBIENT))
    order = _order("yamato", items=())
    OrderLineFactory(order=order, sku=box, name="冷凍ギフトセット", quantity=1)

    result = _export("yamato")

    (row,) = _parse(result.content)[1]
    assert row["クール区分"] == "1"
    assert result.exported[0].notices == []  # one item, one temperature


def test_each_ship_to_gets_the_temperature_of_its_own_items():
    order = OrderFactory(channel=ChannelFactory(default_carrier="yamato"), status=S.READY)
    home = ShipToFactory(order=order, name="山田 太郎")
    parents = ShipToFactory(order=order, name="山田 花子")
    OrderLineFactory(order=order, ship_to=home, sku=SKUFactory(), name="和紙ソックス", quantity=1)
    chilled = SKUFactory(temperature=Temperature.CHILLED)
    OrderLineFactory(order=order, ship_to=parents, sku=chilled, name="天然醸造みそ", quantity=1)

    rows = _parse(_export("yamato").content)[1]

    assert [(row["お届け先名"], row["クール区分"]) for row in rows] == [
        ("山田 太郎", "0"),
        ("山田 花子", "2"),
    ]


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_gift_order_is_marked_ギフト_and_carries_no_amount(carrier):
    gift = _order(carrier, is_gift=True, total=2980)

    (row,) = _parse(_export(carrier).content)[1]

    assert row[COLUMNS[carrier]["ref"]] == customer_ref(gift, limit=LAYOUTS[carrier].CUSTOMER_REF_LIMIT)
    assert row[COLUMNS[carrier]["note"]] == "ギフト"
    assert "2980" not in row.values()


def test_gift_order_on_cash_on_delivery_is_left_out_because_the_recipient_would_pay():
    order = _order("yamato", is_gift=True, payment_method=PaymentMethod.COD, total=2980)

    result = _export("yamato")

    assert [report.order_id for report in result.skipped] == [order.pk]
    assert "代引" in result.skipped[0].problems[0]
    assert _parse(result.content)[1] == []


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_characters_shift_jis_cannot_hold_are_replaced_and_listed(carrier):
    order = _order(
        carrier,
        ship_to={"name": "髙橋 一郎", "address2": "ハイツ①号棟 🏠"},
        items=[("コーヒー豆～深煎り～", 1)],
    )

    result = _export(carrier)

    (row,) = _parse(result.content)[1]
    assert row[COLUMNS[carrier]["name"]] == "高橋 一郎"
    assert "ハイツ1号棟 〓" in row.values()
    assert (
        row[COLUMNS[carrier]["items"]] == "コーヒー豆〜深煎り〜"
    )  # the same Shift_JIS character: not listed
    (report,) = result.exported
    assert report.order_id == order.pk
    assert report.replacements == [
        Replacement("お届け先名", "髙", "高"),
        Replacement("お届け先住所", "①", "1"),
        Replacement("お届け先住所", "🏠", MISSING_GLYPH),
    ]
    assert "お届け先名: 「髙」→「高」" in _export_event(order).after["replacements"]


def test_every_variant_kanji_in_the_table_becomes_a_shift_jis_character():
    for variant, common in VARIANT_KANJI.items():
        assert sjis_safe(variant) == (common, [(variant, common)])
        with pytest.raises(UnicodeEncodeError):
            variant.encode("shift_jis")
        common.encode("shift_jis")


@pytest.mark.parametrize(
    ("text", "safe", "changes"),
    [
        ("㈱さくら", "(株)さくら", [("㈱", "(株)")]),
        ("第Ⅱ期 ⑳番", "第II期 20番", [("Ⅱ", "II"), ("⑳", "20")]),
        ("葛\U000e0100飾区", "葛飾区", [("\U000e0100", "")]),  # an ideographic variation selector
        ("14時～16時－必着", "14時〜16時−必着", []),  # Windows code points of JIS characters
        ("♡ありがとう", "〓ありがとう", [("♡", "〓")]),
        ("一行目\r\n二行目", "一行目  二行目", []),
        ("か\u3099き", "がき", []),  # a combining mark composes with its kana: the same character
        ("\u212bの①", "\u212bの1", [("①", "1")]),  # U+212B is in Shift_JIS (0x81F0): kept, not NFC's U+00C5
    ],
)
def test_shift_jis_rule(text, safe, changes):
    assert sjis_safe(text) == (safe, changes)
    safe.encode("shift_jis")


def test_shop_numbers_that_fit_are_kept_and_longer_ones_map_to_the_order_and_back():
    rakuten = _order("yamato", external_id="100001-20261126-00000042")
    amazon = _order("yamato", external_id="503-1234567-1234567")

    assert customer_ref(rakuten, limit=20) == f"OMS{rakuten.pk}"
    assert customer_ref(amazon, limit=20) == "503-1234567-1234567"
    assert customer_ref(amazon, limit=16) == f"OMS{amazon.pk}"  # Sagawa takes 16
    assert orders_for_customer_refs({f"OMS{rakuten.pk}", "503-1234567-1234567", f"OMS{amazon.pk}"}) == {
        f"OMS{rakuten.pk}": [rakuten],
        "503-1234567-1234567": [amazon],
        f"OMS{amazon.pk}": [amazon],
    }


def test_shop_number_that_looks_like_our_form_is_never_written_as_it_is():
    order = _order("yamato", external_id="OMS7")

    assert customer_ref(order, limit=20) == f"OMS{order.pk}"


def test_each_ship_to_gets_its_own_label_with_its_items():
    order = OrderFactory(channel=ChannelFactory(default_carrier="yamato"), status=S.READY)
    home = ShipToFactory(order=order, name="山田 太郎")
    parents = ShipToFactory(order=order, name="山田 花子", postal_code="530-0001", prefecture="大阪府")
    OrderLineFactory(order=order, ship_to=home, sku=None, name="和紙ソックス", quantity=2)
    OrderLineFactory(order=order, ship_to=parents, sku=None, name="静岡茶 煎茶", quantity=1)

    result = _export("yamato")

    rows = _parse(result.content)[1]
    assert [(row["お客様管理番号"], row["お届け先名"], row["品名１"]) for row in rows] == [
        (f"OMS{order.pk}-1", "山田 太郎", "和紙ソックス ×2"),  # each names its ship-to (shipping.labels.refs)
        (f"OMS{order.pk}-2", "山田 花子", "静岡茶 煎茶"),
    ]
    assert result.exported[0].labels == 2
    assert orders_for_customer_refs({f"OMS{order.pk}-2"}) == {f"OMS{order.pk}-2": [order]}
    event = _export_event(order)  # the timeline names each label's ref, as the carrier's file will
    assert event.after["refs"] == [f"OMS{order.pk}-1", f"OMS{order.pk}-2"]
    assert event.message.endswith(f"2件（お客様管理番号 OMS{order.pk}-1、OMS{order.pk}-2）")


def test_one_read_keeps_each_line_once_however_many_ship_tos_and_lines_an_order_has():
    """The export reads orders joined to ship-tos and lines (shipping.labels.source): an order with three
    ship-tos and four lines comes back as twelve rows, and each line must still count once."""
    order = OrderFactory(channel=ChannelFactory(default_carrier="yamato"), status=S.READY)
    first, second, _third = (ShipToFactory(order=order, name=name) for name in ("一郎", "二郎", "三郎"))
    frozen_part = SKUFactory(temperature=Temperature.FROZEN)
    box = SKUFactory(is_set=True)
    SetComponentFactory(set_sku=box, component=frozen_part)
    OrderLineFactory(order=order, ship_to=None, sku=None, name="行A", quantity=1)  # goes to the first
    OrderLineFactory(order=order, ship_to=second, sku=None, name="行B", quantity=2)
    OrderLineFactory(order=order, ship_to=second, sku=box, name="行C", quantity=1)
    OrderLineFactory(order=order, ship_to=first, sku=None, name="行D", quantity=3)
    no_lines = OrderFactory(channel=order.channel, status=S.READY)
    ShipToFactory(order=no_lines)
    next_one = _order("yamato", items=[("行E", 1)])

    result = _export("yamato")

    rows = _parse(result.content)[1]
    assert [(row["お届け先名"], row["品名１"], row["品名２"], row["クール区分"]) for row in rows] == [
        ("一郎", "行A", "行D ×3", "0"),
        ("二郎", "行B ×2", "行C", "1"),  # the set's frozen part makes the parcel frozen
        (next_one.ship_tos.get().name, "行E", "", "0"),
    ]
    assert "お届け先「三郎」には商品がないため送り状を作りません" in result.exported[0].notices
    assert {report.order_id: report.problems for report in result.skipped} == {
        no_lines.pk: ["商品の行がありません"]
    }


def test_item_names_are_cut_with_an_ellipsis_and_the_rest_summarised_and_reported():
    long_name = "国産はちみつ 百花蜜 とろりとした甘さの贈答用 化粧箱入り 300g"
    _order("yamato", items=[(long_name, 1), ("手焼きせんべい", 2), ("天然醸造みそ", 1)])

    result = _export("yamato")

    (row,) = _parse(result.content)[1]
    assert row["品名１"].endswith("…") and sjis_len(row["品名１"]) <= 50
    assert row["品名１"].startswith("国産はちみつ 百花蜜")
    assert row["品名２"] == "手焼きせんべい ×2 他1点"
    notices = result.exported[0].notices
    assert any(notice.startswith("品名１:") and "50バイト" in notice for notice in notices)
    assert any("他1点" in notice for notice in notices)


def test_long_street_spills_into_the_building_field_without_splitting_a_number():
    street = "大字上野原字長谷川ノ内一丁目二番地三号 グリーンヒルズ上野原東館1203"
    _order("yamato", ship_to={"prefecture": "山梨県", "city": "上野原市", "address1": street})

    (row,) = _parse(_export("yamato").content)[1]

    assert sjis_len(row["お届け先住所"]) <= 64
    assert sjis_len(row["お届け先アパートマンション名"]) <= 32
    assert row["お届け先住所"] + " " + row["お届け先アパートマンション名"] == "山梨県上野原市" + street
    assert row["お届け先アパートマンション名"].endswith("1203")


def test_an_address_that_fits_is_cut_elsewhere_when_the_cut_at_its_space_leaves_too_much():
    """Cut at the space, the building (58 bytes) would not fit its 32: the address fits 64 + 32 cut at 64."""
    address1 = "一丁目二番三号 グランドメゾン原宿表参道ウエストタワー棟２３階２３０１号室"
    _order("yamato", ship_to={"city": "渋谷区", "address1": "神宮前" + address1, "address2": ""})

    result = _export("yamato")

    assert result.skipped == []
    (row,) = _parse(result.content)[1]
    assert sjis_len(row["お届け先住所"]) == 63  # full: the next character takes 2 bytes
    assert row["お届け先住所"] + row["お届け先アパートマンション名"] == "東京都渋谷区神宮前" + address1


def test_address_parts_that_fit_only_together_are_joined_with_a_space():
    building = "2F グランドメゾン千代田イーストタワー"  # 37 bytes: over the 32 of the building field
    _order("yamato", ship_to={"address1": "千代田1-2-3", "address2": building})

    (row,) = _parse(_export("yamato").content)[1]

    assert (
        row["お届け先住所"] == "東京都千代田区千代田1-2-3 2F グランドメゾン千代田イーストタワー"
    )  # not "1-2-32F"
    assert row["お届け先アパートマンション名"] == ""


def test_a_half_width_kana_is_never_cut_from_its_voiced_mark():
    assert sjis_split("ｱ" * 31 + "ｶﾞｲ", 32) == ("ｱ" * 31, "ｶﾞｲ")
    assert sjis_split("ｱ" * 31 + "ﾎﾟｲ", 32) == ("ｱ" * 31, "ﾎﾟｲ")
    assert sjis_truncate("ｱ" * 30 + "ｶﾞｲｼｬ", 33) == "ｱ" * 30 + "…"
    _order("japanpost", items=[("ｱ" * 47 + "ｶﾞｲｼｬ", 1)])  # 品名 takes 50 bytes

    (row,) = _parse(_export("japanpost").content)[1]

    assert row["品名"] == "ｱ" * 47 + "…"


def test_address_too_long_for_the_carrier_keeps_the_order_out_and_names_the_field():
    too_long = _order("sagawa", ship_to={"address1": "千代田" * 20, "address2": "グランドメゾン千代田" * 3})
    fine = _order("sagawa")

    result = _export("sagawa")

    rows = _parse(result.content)[1]
    assert [row["お客様管理番号"] for row in rows] == [f"OMS{fine.pk}"]
    (skipped,) = result.skipped
    assert skipped.order_id == too_long.pk
    assert "お届け先住所" in skipped.problems[0] and "96バイト" in skipped.problems[0]
    assert label_export_events(too_long) == []
    assert list(result.record.orders) == [order_key(fine.pk)]


@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_a_name_an_address_or_item_names_that_are_empty_once_cleaned_are_problems(carrier):
    blank_name = _order(carrier, ship_to={"name": " \u3000\u200b "})
    no_address = _order(
        carrier, ship_to={"prefecture": "", "city": " ", "address1": "\u3000", "address2": ""}
    )
    nameless_items = _order(carrier, items=[(" ", 2), ("\ufe0f", 1)])
    fine = _order(carrier)

    result = _export(carrier)

    rows = _parse(result.content)[1]
    assert [row[COLUMNS[carrier]["ref"]] for row in rows] == [
        customer_ref(fine, limit=LAYOUTS[carrier].CUSTOMER_REF_LIMIT)
    ]
    assert {report.order_id: report.problems for report in result.skipped} == {
        blank_name.pk: ["お届け先名がありません"],
        no_address.pk: ["お届け先住所がありません"],
        nameless_items.pk: ["品名がありません"],
    }


def test_a_line_without_a_name_is_left_off_the_label_with_a_notice():
    _order("japanpost", items=[("", 2), ("和紙ソックス", 1)])

    result = _export("japanpost")

    (row,) = _parse(result.content)[1]
    assert row["品名"] == "和紙ソックス"  # not " ×2 他1点"
    assert result.exported[0].notices == ["品名のない商品の行が1行あります（送り状の品名には書きません）"]


def test_a_ship_to_without_a_phone_gets_the_buyers_phone_with_a_notice():
    order = _order("yamato", ship_to={"phone": ""}, buyer_phone="03-9876-5432")

    result = _export("yamato")

    (row,) = _parse(result.content)[1]
    assert row["お届け先電話番号"] == "03-9876-5432"
    (report,) = result.exported
    assert report.notices == ["お届け先電話番号がないため注文者の電話番号「03-9876-5432」を書きました"]
    assert report.notices == _export_event(order).after["notices"]


def test_the_ship_tos_own_phone_wins_over_the_buyers(prepared, django_assert_num_queries):
    _order("yamato", buyer_phone="03-9876-5432")
    if prepared:
        labels_prepare()

    # the prepared labels, then (none prepared) one read of orders, ship-tos and lines with the buyer's phone;
    # the shops, the export's record and its savepoint
    with django_assert_num_queries(5 if prepared else 6):
        result = labels_export(carrier="yamato", actor="user:shipper", ship_date=SHIP_DATE)

    (row,) = _parse(result.content)[1]
    assert row["お届け先電話番号"] == "090-1234-5678"
    assert result.exported[0].notices == []


def test_slot_the_carrier_does_not_offer_and_a_missing_phone_are_problems():
    no_slot = _order("yamato", delivery_time="12-14")  # Yamato abolished 12-14 in 2017
    no_phone = _order("yamato", ship_to={"phone": ""}, buyer_phone="")

    result = _export("yamato")

    problems = {report.order_id: report.problems for report in result.skipped}
    assert "配達時間帯「12-14」" in problems[no_slot.pk][0]
    assert problems[no_phone.pk] == ["お届け先電話番号がありません"]


def test_only_waiting_orders_that_ship_with_the_carrier_are_exported():
    sagawa_carrier = Carrier.objects.create(code="sagawa", name="佐川急便")
    yamato_carrier = Carrier.objects.create(code="yamato", name="ヤマト運輸")
    ready = _order("yamato")
    printed = _order("sagawa", status=S.PRINTED, carrier=yamato_carrier)  # its own carrier wins
    _order("yamato", status=S.NEW)
    _order("yamato", status=S.SHIPPED)
    other_carrier = _order("yamato", carrier=sagawa_carrier)

    result = _export("yamato")

    assert [report.order_id for report in result.exported] == [ready.pk, printed.pk]
    only = _export("yamato", order_ids=[printed.pk, other_carrier.pk])
    assert [report.order_id for report in only.exported] == [printed.pk]
    assert [(report.order_id, report.problems) for report in only.skipped] == [
        (other_carrier.pk, ["佐川急便で出荷する注文です"])
    ]


def test_an_export_is_one_record_shown_in_each_orders_timeline():
    rakuten = _order("yamato")
    amazon = _order("yamato", external_id="503-1234567-1234567", items=[("靴下", 1)])
    ShipToFactory(order=amazon, name="佐藤 花子")  # a second parcel
    amazon.lines.update(ship_to=None)

    result = _export("yamato")

    record = result.record
    assert (record.carrier, record.actor, record.order_count, record.label_count) == (
        "yamato",
        "user:shipper",
        2,
        2,
    )
    assert OrderEvent.objects.filter(kind="labels_exported").count() == 0  # no row per order
    (event,) = label_export_events(rakuten)
    assert (event.kind, event.actor, event.created_at) == (
        "labels_exported",
        "user:shipper",
        record.created_at,
    )
    assert event.after == {
        "carrier": "yamato",
        "customer_ref": f"OMS{rakuten.pk}",
        "labels": 1,
        "export": record.pk,
    }
    assert event.message == f"ヤマト運輸 B2クラウド 送り状データ 1件（お客様管理番号 OMS{rakuten.pk}）"
    (event,) = label_export_events(amazon)
    assert event.after["customer_ref"] == "503-1234567-1234567"
    assert "お届け先「佐藤 花子」には商品がないため送り状を作りません" in event.after["notices"]


def test_an_orders_timeline_puts_its_exports_between_its_events_by_time():
    order = _order("yamato")
    event_record(order=order, kind="note", actor="user:cs", message="before")
    first = _export("yamato").record
    event_record(order=order, kind="note", actor="user:cs", message="between")
    second = _export("yamato").record
    saved = list(order.events.order_by("pk"))

    timeline = order_timeline(order, saved)

    assert [(e.kind, e.message if e.pk else e.after["export"]) for e in timeline] == [
        ("note", "before"),
        ("labels_exported", first.pk),
        ("note", "between"),
        ("labels_exported", second.pk),
    ]
    newest_first = order_timeline(order, saved[::-1], newest_first=True)
    assert [id(e) for e in newest_first if e.pk] == [id(e) for e in saved[::-1]]
    assert [e.after["export"] for e in newest_first if not e.pk] == [second.pk, first.pk]
    assert label_export_events(_order("yamato", status=S.NEW)) == []


def test_anonymising_an_order_scrubs_the_names_its_exports_noted():
    order = _order("yamato")
    ShipToFactory(order=order, name="佐藤 花子")  # no items: the export notes the name
    other = _order("yamato")
    ShipToFactory(order=other, name="鈴木 一郎")
    record = _export("yamato").record
    Order.objects.filter(pk__in=[order.pk, other.pk]).update(status=S.SHIPPED)
    order.refresh_from_db()

    assert order_anonymise(order=order, actor="system", reason="test")

    record.refresh_from_db()
    assert "佐藤 花子" not in str(record.orders[order_key(order.pk)])
    assert "匿名化済み" in str(record.orders[order_key(order.pk)])
    assert "鈴木 一郎" in str(record.orders[order_key(other.pk)])  # another buyer's entry untouched
    (event,) = label_export_events(order)
    assert "佐藤 花子" not in str(event.after)


def test_sender_comes_from_the_oms_sender_setting(settings):
    settings.OMS_SENDER = {
        "name": "さくら堂 出荷センター",
        "kana": "サクラドウ",
        "postal_code": "4200858",
        "address": "静岡県静岡市葵区伝馬町1-2-3",
        "building": "さくらビル3F",
        "phone": "054-123-4567",
        "yamato_billing_code": "054123456701",
        "yamato_freight_code": "02",
    }
    _order("yamato")

    (row,) = _parse(_export("yamato").content)[1]

    assert (row["ご依頼主名"], row["ご依頼主名(ｶﾅ)"]) == ("さくら堂 出荷センター", "ｻｸﾗﾄﾞｳ")
    assert (row["ご依頼主郵便番号"], row["ご依頼主電話番号"]) == ("420-0858", "054-123-4567")
    assert (row["ご依頼主住所"], row["ご依頼主アパートマンション"]) == (
        "静岡県静岡市葵区伝馬町1-2-3",
        "さくらビル3F",
    )
    assert (row["請求先顧客コード"], row["運賃管理番号"]) == ("054123456701", "02")


def test_export_labels_command_writes_the_file_and_fails_when_an_order_is_left_out(tmp_path, capsys):
    good = _order("yamato", ship_to={"name": "髙木 次郎"})
    _order("yamato", ship_to={"postal_code": "12345"})
    out = tmp_path / "b2.csv"

    with pytest.raises(CommandError, match="1 order left out; fix it and export again"):
        call_command("export_labels", "--carrier", "yamato", "--out", str(out))

    rows = _parse(out.read_bytes())[1]
    assert [row["お客様管理番号"] for row in rows] == [f"OMS{good.pk}"]
    printed = capsys.readouterr()
    assert "お届け先名: 「髙」→「高」" in printed.out
    assert "1 label for 1 order" in printed.out
    assert "お届け先郵便番号「12345」" in printed.err


def test_export_labels_command_records_nothing_when_the_file_cannot_be_written(tmp_path):
    order = _order("yamato")

    with pytest.raises(CommandError, match=r"cannot write .*missing"):
        call_command("export_labels", "--carrier", "yamato", "--out", str(tmp_path / "missing" / "b2.csv"))

    assert not LabelExport.objects.exists()
    assert label_export_events(order) == []


def test_export_labels_command_warns_of_orders_exported_before(tmp_path, capsys):
    first = _order("yamato")
    call_command("export_labels", "--carrier", "yamato", "--out", str(tmp_path / "1.csv"))
    second = _order("yamato")
    capsys.readouterr()

    call_command("export_labels", "--carrier", "yamato", "--out", str(tmp_path / "2.csv"))

    printed = capsys.readouterr()
    assert "2 labels for 2 orders" in printed.out
    assert "1 order of this file had labels exported before" in printed.err
    assert f"(order ids: {first.pk})" in printed.err
    assert str(second.pk) not in printed.err.split("order ids:")[1]


def test_export_labels_command_succeeds_quietly_with_nothing_to_export(tmp_path, capsys):
    out = tmp_path / "yupurir.csv"

    call_command("export_labels", "--carrier", "japanpost", "--out", str(out))

    header, rows, _raw = _parse(out.read_bytes())
    assert tuple(header) == japanpost.HEADER and rows == []
    printed = capsys.readouterr()
    assert "0 labels for 0 orders" in printed.out
    assert printed.err == ""


def test_a_sender_problem_keeps_every_order_of_the_shop_out_and_is_named_in_each_report(settings):
    settings.OMS_SENDER = {"yamato_billing_code": "12-34"}
    first = _order("yamato")
    second = _order("yamato")

    result = _export("yamato")

    assert _parse(result.content)[1] == []
    assert [report.order_id for report in result.skipped] == [first.pk, second.pk]
    for report in result.skipped:
        assert report.problems == [
            "請求先顧客コード「12-34」は10〜12桁の数字です（OMS_SENDER['yamato_billing_code']）"
        ]


@pytest.mark.parametrize(
    ("carrier", "sender", "problem"),
    [
        (
            "yamato",
            {"yamato_billing_code": "０１２３４５６７８９０１"},  # full-width digits
            "請求先顧客コード「０１２３４５６７８９０１」は10〜12桁の数字です（OMS_SENDER['yamato_billing_code']）",
        ),
        (
            "yamato",
            {"yamato_freight_code": "０１"},
            "運賃管理番号「０１」は2桁の数字です（OMS_SENDER['yamato_freight_code']）",
        ),
        (
            "yamato",
            {"yamato_billing_class": "12"},
            "請求先分類コード「12」は空欄か3桁の数字です（OMS_SENDER['yamato_billing_class']）",
        ),
        (
            "yamato",
            {"yamato_billing_class": "é"},  # outside Shift_JIS: once a crash of the whole export
            "請求先分類コード「é」は空欄か3桁の数字です（OMS_SENDER['yamato_billing_class']）",
        ),
        (
            "sagawa",
            {"sagawa_customer_code": "12345"},
            "お客様コード「12345」は空欄か12桁の数字です（OMS_SENDER['sagawa_customer_code']）",
        ),
        (
            "sagawa",
            {"sagawa_customer_code": "12345678901é"},
            "お客様コード「12345678901é」は空欄か12桁の数字です（OMS_SENDER['sagawa_customer_code']）",
        ),
    ],
)
def test_a_contract_code_of_the_wrong_form_keeps_the_shops_orders_out(settings, carrier, sender, problem):
    settings.OMS_SENDER = sender
    order = _order(carrier)

    result = _export(carrier)

    assert _parse(result.content)[1] == []
    assert [(report.order_id, report.problems) for report in result.skipped] == [(order.pk, [problem])]


def test_contract_codes_of_the_right_form_are_written(settings):
    settings.OMS_SENDER = {"yamato_billing_class": "001", "sagawa_customer_code": "123456789012"}
    _order("yamato")
    _order("sagawa")

    (yamato_row,) = _parse(_export("yamato").content)[1]
    (sagawa_row,) = _parse(_export("sagawa").content)[1]

    assert yamato_row["請求先分類コード"] == "001"
    assert sagawa_row["お客様コード"] == "123456789012"


@given(
    st.lists(st.text(alphabet=st.sampled_from("a,\"'% 山田ｶﾅ-\t"), max_size=6), min_size=4, max_size=4),
    st.permutations(("B", "C", "D")),
)
def test_a_label_line_is_what_the_csv_module_writes_with_every_field_quoted(values, columns):
    """Lines are written as text from a template (RowTemplate), not through the csv module: the same bytes,
    whatever order a layout gives its columns in, and with % signs in the template's or the label's values."""
    header = ("A", "B", "C", "D")
    sender, *label = values
    written = io.StringIO(newline="")
    csv.writer(written, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([header, [sender, *label]])
    template = RowTemplate(header, {}).filled({"A": sender}, FieldWriter())
    given = dict(zip(header[1:], label, strict=True))

    line = template.line({column: given[column] for column in columns}, FieldWriter())

    assert csv_bytes(header, [line]).decode("shift_jis") == written.getvalue()


def test_a_column_the_template_holds_cannot_be_written_again_by_a_label():
    template = RowTemplate(("名", "住所"), {}).filled({"名": "さくら堂"}, FieldWriter())

    with pytest.raises(ValueError, match="column written by the template and by each label: 名"):
        template.line({"名": ""}, FieldWriter())


def test_a_label_value_over_its_column_limit_is_a_problem_of_the_order():
    writer = FieldWriter()
    template = RowTemplate(("名", "住所"), {"名": 4})

    template.line({"名": "山田", "住所": "東京都千代田区千代田1-1"}, writer)
    assert writer.problems == []
    template.line({"名": "山田太"}, writer)
    assert writer.problems == ["名「山田太」は4バイトまでです（6バイト）"]
    with pytest.raises(ValueError, match="column not in the layout: 電話"):
        template.line({"電話": "03"}, writer)
