"""The picking list and packing slip PDFs: Japanese text extracted and compared, barcodes read back from the bars."""

import io
import re
from collections import defaultdict

import pytest
from django.utils import translation
from pypdf import PdfReader
from reportlab.graphics.barcode import code128, eanbc

from orders.models import OrderStatus, PaymentMethod
from shipping.pdf.packing_slip import packing_slip_pdf
from shipping.pdf.picking_list import jan_is_valid, picking_list_pdf
from shipping.picking import picking_batch_create
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


# --- reading a PDF back -------------------------------------------------------------------------


def _pages(pdf: bytes) -> list:
    assert pdf.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(pdf)).pages


def _text(page) -> str:
    return page.extract_text()


def _flat(text: str) -> str:
    """Extracted text without the line breaks and spaces that cell wrapping puts into it."""
    return re.sub(r"\s+", "", text)


def _multiply(a, b):
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )


def _barcodes(page) -> list[str]:
    """Every barcode drawn on the page, as its modules ("1" bar, "0" space), from the filled rectangles
    of the content stream: bars share their top edge and stand close together."""
    ctm, saved = (1, 0, 0, 1, 0, 0), []
    rows: dict[float, list[tuple[float, float]]] = defaultdict(list)
    for operands, operator in page.get_contents().operations:
        if operator == b"q":
            saved.append(ctm)
        elif operator == b"Q":
            ctm = saved.pop()
        elif operator == b"cm":
            ctm = _multiply(tuple(float(value) for value in operands), ctm)
        elif operator == b"re":
            x, y, width, height = (float(value) for value in operands)
            scale_x, _b, _c, scale_y, dx, dy = ctm
            if 0 < scale_x * width < 4.5 and scale_y * height > 8:  # a bar, not a cell background
                rows[round(scale_y * (y + height) + dy, 1)].append((scale_x * x + dx, scale_x * width))
    codes = []
    for bars in rows.values():
        bars.sort()
        group = [bars[0]]
        for bar in bars[1:]:
            if bar[0] - (group[-1][0] + group[-1][1]) > 6:  # a quiet zone: the next barcode starts
                codes.append(_modules(group))
                group = []
            group.append(bar)
        codes.append(_modules(group))
    return codes


def _modules(bars: list[tuple[float, float]]) -> str:
    unit = min(width for _x, width in bars)
    bits = []
    for index, (x, width) in enumerate(bars):
        if index:
            previous_x, previous_width = bars[index - 1]
            bits.append("0" * round((x - previous_x - previous_width) / unit))
        bits.append("1" * round(width / unit))
    return "".join(bits)


def _read_ean13(bits: str) -> str:
    widget = eanbc.Ean13BarcodeWidget
    assert (len(bits), bits[:3], bits[45:50], bits[-3:]) == (95, "101", "01010", "101")
    digits, parities = [], []
    for index in range(6):
        chunk = bits[3 + 7 * index : 10 + 7 * index]
        parity = 0 if chunk in widget._left[0] else 1
        digits.append(str(widget._left[parity].index(chunk)))
        parities.append(parity)
    first = next(digit for digit, pattern in widget._lhconvert.items() if tuple(pattern) == tuple(parities))
    digits += [str(widget._right.index(bits[50 + 7 * index : 57 + 7 * index])) for index in range(6)]
    return first + "".join(digits)


def _read_code128(bits: str) -> str:
    def pattern(chunk: str) -> str:
        runs = re.findall(r"1+|0+", chunk)
        return "".join(chr((65 if run[0] == "1" else 97) + len(run) - 1) for run in runs)

    by_pattern = {value: symbol for symbol, value in code128._patterns.items()}
    assert by_pattern[pattern(bits[-13:])] == 106, "stop"
    values = [by_pattern[pattern(bits[start : start + 11])] for start in range(0, len(bits) - 13, 11)]
    start, data, check = values[0], values[1:-1], values[-1]
    assert (start + sum(position * value for position, value in enumerate(data, 1))) % 103 == check
    code_set, text = {103: "A", 104: "B", 105: "C"}[start], ""
    for value in data:
        if code_set == "C" and value < 100:
            text += f"{value:02d}"
        elif value in (99, 100, 101) and not (code_set == "B" and value == 100):
            code_set = {99: "C", 100: "B", 101: "A"}[value]
        else:
            text += chr(value + 32) if code_set == "B" or value < 64 else chr(value - 64)
    return text


# --- data ---------------------------------------------------------------------------------------


@pytest.fixture
def shop():
    return ChannelFactory(name="rakuten", display_name="さくら堂 楽天市場店")


def _jan(first12: str) -> str:
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


def _sku(code: str, name: str, jan: str, location: str, price: int = 1000, tax_rate: int = 10):
    return SKUFactory(code=code, name=name, jan=jan, location_code=location, price=price, tax_rate=tax_rate)


def _order(shop, number: str, lines, **fields):
    order = OrderFactory(channel=shop, external_id=number, status=fields.pop("status", S.READY), **fields)
    ShipToFactory(
        order=order,
        name="佐藤 花子",
        postal_code="530-0001",
        prefecture="大阪府",
        city="大阪市北区",
        address1="梅田3-1-1",
        address2="グランフロント大阪 12階",
    )
    for sku, quantity, unit_price in lines:
        OrderLineFactory(order=order, sku=sku, name=sku.name, quantity=quantity, unit_price=unit_price)
    return order


# --- picking list -------------------------------------------------------------------------------


def test_picking_list_shows_the_batch_rows_in_location_order_in_japanese(shop):
    tee = _sku("TSHIRT-BLK-M", "オーガニックコットン Tシャツ ブラック M", "4580000000027", "A-01-02")
    tea = _sku("TEA-SENCHA", "静岡茶 煎茶 100g", "4580000000249", "A-06-01")
    gift = SKUFactory(code="SET-GIFT-A", name="お茶とせんべいのギフトセット", is_set=True)
    SetComponentFactory(set_sku=gift, component=tea, quantity=1)
    _order(shop, "100001-20261126-00000001", [(tee, 2, 2980), (gift, 1, 2680)])
    _order(shop, "100001-20261126-00000002", [(tee, 1, 2980), (tea, 3, 1080)])
    batch = picking_batch_create(actor="user:picker")

    pages = _pages(picking_list_pdf(batch))

    assert len(pages) == 1
    text = _text(pages[0])
    flat = _flat(text)
    assert "ピッキングリスト" in text
    assert f"バッチNo.{batch.pk}" in flat
    assert "注文2件" in flat and "合計7点" in flat
    assert "1/1ページ" in flat
    assert "セット商品は構成品に展開しています" in flat
    for heading in ("ロケーション", "SKU", "商品名", "JAN", "数量", "内訳"):
        assert heading in text
    assert "オーガニックコットンTシャツブラックM" in flat
    assert flat.index("A-01-02") < flat.index("A-06-01")
    assert "100001-20261126-00000001×2" in flat
    assert "100001-20261126-00000001×1(SET-GIFT-A)" in flat
    assert "100001-20261126-00000002×3" in flat


def test_picking_list_draws_each_jan_as_a_readable_ean13_barcode(shop):
    tee = _sku("TSHIRT-BLK-M", "Tシャツ", "4580000000027", "A-01-02")
    honey = _sku("HONEY-300G", "国産はちみつ 300g", "4580000000294", "C-08-01")
    _order(shop, "ORDER-1", [(tee, 1, 2980), (honey, 2, 2160)])
    batch = picking_batch_create(actor="user:picker")

    page = _pages(picking_list_pdf(batch))[0]

    assert sorted(_read_ean13(bits) for bits in _barcodes(page)) == ["4580000000027", "4580000000294"]
    assert "4580000000027" in _flat(_text(page))  # the digits under the bars


def test_a_short_jan8_is_drawn_as_an_ean8_barcode(shop):
    candy = _sku("CANDY", "のど飴", "49012347", "A-01-01")
    _order(shop, "ORDER-1", [(candy, 1, 100)])
    batch = picking_batch_create(actor="user:picker")

    page = _pages(picking_list_pdf(batch))[0]

    [bits] = _barcodes(page)
    widget = eanbc.Ean8BarcodeWidget
    assert (len(bits), bits[:3], bits[31:36], bits[-3:]) == (67, "101", "01010", "101")
    left = [widget._left[0].index(bits[3 + 7 * i : 10 + 7 * i]) for i in range(4)]
    right = [widget._right.index(bits[36 + 7 * i : 43 + 7 * i]) for i in range(4)]
    assert "".join(map(str, left + right)) == "49012347"


def test_a_jan_with_a_wrong_check_digit_is_printed_as_text_not_as_bars(shop):
    wrong = _sku("BAD-JAN", "チェックデジット誤り", "4580000000028", "A-01-01")
    _order(shop, "ORDER-1", [(wrong, 1, 100)])
    batch = picking_batch_create(actor="user:picker")

    page = _pages(picking_list_pdf(batch))[0]

    assert _barcodes(page) == []
    assert "4580000000028（JAN不正）" in _flat(_text(page))


@pytest.mark.parametrize(
    ("jan", "valid"),
    [
        ("4580000000027", True),
        ("4580000000028", False),
        ("49012347", True),
        ("49012348", False),
        ("4901234", False),
        ("", False),
    ],
)
def test_jan_check_digit(jan, valid):
    assert jan_is_valid(jan) is valid


def test_a_big_batch_flows_over_numbered_pages_and_keeps_every_order(shop):
    skus = [_sku(f"ITEM-{n:02d}", f"商品 {n}", _jan(f"4580000{n:05d}"), f"B-{n:02d}-01") for n in range(1, 9)]
    numbers = [f"100001-20261126-{n:08d}" for n in range(1, 121)]
    for index, number in enumerate(numbers):
        _order(shop, number, [(skus[index % 8], 1, 1000), (skus[0], 2, 1000)])
    batch = picking_batch_create(actor="user:picker")

    pages = _pages(picking_list_pdf(batch))

    assert len(pages) > 2
    texts = [_flat(_text(page)) for page in pages]
    for page_number, text in enumerate(texts, start=1):
        assert f"{page_number}/{len(pages)}ページ" in text
    everything = "".join(texts)
    assert all(number in everything for number in numbers)
    assert "（続き）" in everything  # ITEM-01 is wanted by every order: its breakdown continues
    assert f"合計{120 * 3}点" in texts[0]


# --- packing slip -------------------------------------------------------------------------------


def test_packing_slip_shows_shop_buyer_ship_to_lines_and_totals_in_japanese(shop):
    tee = _sku("TSHIRT-BLK-M", "オーガニックコットン Tシャツ ブラック M", "4580000000027", "A-01-02")
    honey = _sku("HONEY-300G", "国産はちみつ 300g", "4580000000294", "C-08-01", tax_rate=8)
    order = _order(
        shop,
        "100001-20261126-00000001",
        [(tee, 2, 2980), (honey, 1, 2160)],
        buyer_name="山田 太郎",
        shipping_fee=660,
        payment_fee=330,
        discount=200,
        total=2 * 2980 + 2160 + 660 + 330 - 200,
        payment_method=PaymentMethod.COD,
    )

    with translation.override("en"):  # printed from the English dashboard: still the buyer's Japanese
        pages = _pages(packing_slip_pdf([order]))

    assert len(pages) == 1
    text = _text(pages[0])
    flat = _flat(text)
    assert "納品書" in text
    assert "さくら堂楽天市場店" in flat
    assert "ご注文者山田太郎様" in flat
    assert "佐藤花子様" in flat
    assert "〒530-0001" in flat and "大阪府大阪市北区梅田3-1-1" in flat and "グランフロント大阪12階" in flat
    assert "お支払方法代金引換" in flat
    # quantity, unit price, tax rate (※ marks the reduced rate), amount
    assert "オーガニックコットンTシャツブラックM22,980円10%5,960円" in flat
    assert "国産はちみつ300g12,160円※8%2,160円" in flat
    assert "商品合計8,120円" in flat
    assert "送料660円" in flat
    assert "手数料330円" in flat
    assert "値引き-200円" in flat
    assert "合計（税込）8,910円" in flat
    # 10%: goods 5,960 + fees 990 = 6,950; 8%: 2,160. The 200円 discount is shared 6,950:2,160 (8%: 47円),
    # so 6,797 + 2,113 = 8,910; tax once per rate, rounded down: 6,797×10/110 = 617, 2,113×8/108 = 156.
    assert "税率区分対象金額（税込）内消費税" in flat
    assert "10%対象6,797円617円" in flat
    assert "8%対象※2,113円156円" in flat
    assert "※は軽減税率（8%）対象商品です。" in flat
    assert "その他調整" not in flat
    assert "登録番号" not in flat  # OMS_SENDER has none


def test_standard_rate_only_slip_has_one_tax_line_and_no_reduced_rate_note(shop):
    tee = _sku("TSHIRT-BLK-M", "Tシャツ", "4580000000027", "A-01-02")
    order = _order(shop, "ORDER-1", [(tee, 1, 2980)], shipping_fee=660, total=3640)

    flat = _flat(_text(_pages(packing_slip_pdf([order]))[0]))

    assert "10%対象3,640円330円" in flat  # 3,640 × 10 / 110 = 330.9
    assert "8%対象" not in flat and "軽減税率" not in flat


def test_food_only_order_puts_the_goods_at_8_percent_and_shipping_at_10(shop):
    rice = _sku("RICE-5KG", "新潟県産コシヒカリ 5kg", "4580000000300", "D-09-01", tax_rate=8)
    order = _order(shop, "ORDER-1", [(rice, 2, 3980)], shipping_fee=880, total=8840)

    flat = _flat(_text(_pages(packing_slip_pdf([order]))[0]))

    assert "10%対象880円80円" in flat
    assert "8%対象※7,960円589円" in flat  # 7,960 × 8 / 108 = 589.6


def test_the_shops_registration_number_is_printed_when_set(shop, settings):
    settings.OMS_SENDER = {"invoice_registration_number": "T1234567890123"}
    tee = _sku("TSHIRT-BLK-M", "Tシャツ", "4580000000027", "A-01-02")
    order = _order(shop, "ORDER-1", [(tee, 1, 2980)])
    gift = _order(shop, "ORDER-2", [(tee, 1, 2980)], is_gift=True)

    pages = _pages(packing_slip_pdf([order, gift]))

    assert "登録番号T1234567890123" in _flat(_text(pages[0]))
    assert "登録番号" not in _flat(_text(pages[1]))  # a gift slip is no invoice


def test_a_total_that_differs_from_the_lines_is_shown_as_an_adjustment(shop):
    tee = _sku("TSHIRT-BLK-M", "Tシャツ", "4580000000027", "A-01-02")
    order = _order(shop, "ORDER-1", [(tee, 1, 2980)], shipping_fee=0, total=2680)  # a 300円 coupon

    flat = _flat(_text(_pages(packing_slip_pdf([order]))[0]))

    assert "その他調整-300円" in flat
    assert "合計（税込）2,680円" in flat


def test_gift_slip_shows_no_price_anywhere(shop):
    tee = _sku("TSHIRT-BLK-M", "オーガニックコットン Tシャツ ブラック M", "4580000000027", "A-01-02")
    order = _order(
        shop,
        "100001-20261126-00000009",
        [(tee, 2, 2980)],
        buyer_name="山田 太郎",
        is_gift=True,
        shipping_fee=660,
        total=6620,
        payment_method=PaymentMethod.COD,
    )

    text = _text(_pages(packing_slip_pdf([order]))[0])
    flat = _flat(text)

    assert "オーガニックコットンTシャツブラックM" in flat
    assert "ご依頼主山田太郎様" in flat
    assert "佐藤花子様" in flat
    for price_text in (
        "円",
        "2,980",
        "5,960",
        "6,620",
        "660",
        "単価",
        "金額（税込）",
        "合計",
        "消費税",
        "お支払方法",
    ):
        assert price_text not in flat


def test_one_page_per_order_with_its_own_order_barcode(shop):
    tee = _sku("TSHIRT-BLK-M", "Tシャツ", "4580000000027", "A-01-02")
    amazon = ChannelFactory(name="amazon", display_name="さくら堂 Amazon店")
    numbers = ["100001-20261126-00000001", "503-1234567-1234567", "demo-store-10000001"]
    orders = [
        _order(shop, numbers[0], [(tee, 1, 2980)]),
        _order(amazon, numbers[1], [(tee, 1, 2980)]),
        _order(shop, numbers[2], [(tee, 1, 2980)]),
    ]

    pages = _pages(packing_slip_pdf(orders))

    assert len(pages) == 3
    for page, number in zip(pages, numbers, strict=True):
        assert [_read_code128(bits) for bits in _barcodes(page)] == [number]
        assert number in _flat(_text(page))
    assert "さくら堂Amazon店" in _flat(_text(pages[1]))


def test_set_line_lists_the_sets_contents(shop):
    tea = _sku("TEA-SENCHA", "静岡茶 煎茶 100g", "4580000000249", "A-06-01")
    gift = SKUFactory(code="SET-GIFT-A", name="お茶とせんべいのギフトセット", is_set=True)
    SetComponentFactory(set_sku=gift, component=tea, quantity=2)
    order = _order(shop, "ORDER-1", [(gift, 1, 2680)], total=2680, shipping_fee=0)

    flat = _flat(_text(_pages(packing_slip_pdf([order]))[0]))

    assert "お茶とせんべいのギフトセット" in flat
    assert "内容：静岡茶煎茶100g×2" in flat


@pytest.mark.parametrize("count", [1, 6])
def test_packing_slips_take_four_queries_whatever_the_number_of_orders(
    shop, count, django_assert_num_queries
):
    tea = _sku("TEA-SENCHA", "静岡茶 煎茶 100g", "4580000000249", "A-06-01")
    gift = SKUFactory(code="SET-GIFT-A", name="ギフトセット", is_set=True)
    SetComponentFactory(set_sku=gift, component=tea)
    orders = [_order(shop, f"ORDER-{n}", [(tea, 1, 1080), (gift, 1, 2680)]) for n in range(count)]

    with django_assert_num_queries(4):
        pdf = packing_slip_pdf(orders)

    assert len(_pages(pdf)) == count
