"""The packing slip PDF (納品書): one A4 page per order, with the order number as a Code128 barcode.

Prices are tax-included (税込). Like a 適格請求書 (qualified invoice) the slip gives each line's tax rate, marks
the reduced-rate (軽減税率 8%) lines with ※, and sums the total per rate with the tax inside it (「10%対象
6,797円 内消費税 617円」); shipping.tax holds the rule. The shop's 登録番号 (invoice registration number,
OMS_SENDER['invoice_registration_number']) is printed under its name when set.
A gift order's slip goes to the recipient and shows no price, no total and no payment method.
"""

import io
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Prefetch
from django.utils import timezone
from reportlab.graphics.barcode import code128
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from inventory.models import SetComponent
from orders.models import Order, OrderLine, in_japanese
from shipping.labels import label_sender
from shipping.pdf import GRID, MUTED, SHADE, SectionMark, draw_text, markup, numbered_canvas, para, style
from shipping.pdf.fonts import GOTHIC, MINCHO
from shipping.tax import REDUCED_RATE, STANDARD_RATE, RateAmount, tax_breakdown, total_tax

MARGIN = 15 * mm
CONTENT_WIDTH = A4[0] - 2 * MARGIN
REDUCED_MARK = "※"

TITLE = style("slip-title", 22, leading=26, fontName=MINCHO)
SHOP = style("slip-shop", 12, leading=15, alignment=TA_RIGHT)
BODY = style("slip-body", 9.5, leading=13)
ADDRESS = style("slip-address", 10.5, leading=14)
NAME = style("slip-name", 13, leading=17)
SMALL = style("slip-small", 8, leading=10, textColor=MUTED)
CELL = style("slip-cell", 9, leading=11.5)
CELL_CENTRE = style("slip-cell-centre", 9, leading=11.5, alignment=TA_CENTER)
CELL_RIGHT = style("slip-cell-right", 9, leading=11.5, alignment=TA_RIGHT)
HEAD = style("slip-head", 8.5, leading=10.5)
TOTAL_LABEL = style("slip-total-label", 9.5, leading=12)
TOTAL_VALUE = style("slip-total-value", 9.5, leading=12, alignment=TA_RIGHT)
GRAND_VALUE = style("slip-grand-value", 12, leading=15, alignment=TA_RIGHT)
ORDER_NUMBER = style("slip-order-number", 11, leading=14)
ISSUED = style("slip-issued", 9, leading=12, alignment=TA_RIGHT)
TAX_NOTE = style("slip-tax-note", 8.5, leading=11, alignment=TA_RIGHT)


def yen(amount: int) -> str:
    return f"{amount:,}円"


def line_tax_rate(line: OrderLine) -> int:
    """The line's consumption tax rate: its SKU's, the standard rate for a line without a SKU."""
    return line.sku.tax_rate if line.sku_id else STANDARD_RATE


@dataclass(frozen=True)
class SlipTotals:
    goods: int
    shipping_fee: int
    payment_fee: int
    discount: int
    adjustment: int  # what the shop charged beyond the lines and fees (e.g. coupons it did not itemise)
    total: int
    rates: list[RateAmount]  # the total per tax rate, highest rate first

    @property
    def tax(self) -> int:
        return total_tax(self.rates)


def slip_totals(order: Order, lines: list[OrderLine]) -> SlipTotals:
    """The slip adds up: goods from the lines, the order's fees, and the shop's total as the amount due.
    A difference between the two is shown as an adjustment rather than silently hidden."""
    goods = sum(line.unit_price * line.quantity for line in lines)
    computed = goods + order.shipping_fee + order.payment_fee - order.discount
    total = order.total if order.total else computed
    return SlipTotals(
        goods=goods,
        shipping_fee=order.shipping_fee,
        payment_fee=order.payment_fee,
        discount=order.discount,
        adjustment=total - computed,
        total=total,
        rates=tax_breakdown(
            lines=[(line_tax_rate(line), line.unit_price * line.quantity) for line in lines],
            fees=order.shipping_fee + order.payment_fee,
            total=total,
        ),
    )


def _orders_with_lines(orders: Iterable[Order]) -> list[Order]:
    pks = [order.pk for order in orders]
    loaded = (
        Order.objects.filter(pk__in=pks)
        .select_related("channel")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("pk")),
            "ship_tos",
        )
    )
    by_pk = {order.pk: order for order in loaded}
    return [by_pk[pk] for pk in pks if pk in by_pk]


def _set_contents(orders: list[Order]) -> dict[int, str]:
    """Set SKU id -> "静岡茶 煎茶 100g ×1、…", so the recipient can check a set's contents."""
    set_ids = {line.sku_id for order in orders for line in order.lines.all() if line.sku and line.sku.is_set}
    contents: dict[int, list[str]] = {}
    for part in (
        SetComponent.objects.filter(set_sku_id__in=set_ids).select_related("component").order_by("pk")
    ):
        contents.setdefault(part.set_sku_id, []).append(f"{part.component.name} ×{part.quantity}")
    return {set_id: "、".join(parts) for set_id, parts in contents.items()}


def _barcode(number: str) -> code128.Code128:
    """The order number for the 検品 scanner (the number is printed under it in large type instead of
    the barcode's own small human-readable line)."""
    bar_width = 0.8
    width, _height = code128.Code128(number, barWidth=bar_width, lquiet=8, rquiet=8).wrap(0, 0)
    if width > 85 * mm:  # a long order number: narrower bars (still 0.2 mm and more) keep it on the page
        bar_width *= 85 * mm / width
    # Quiet zones of 10 modules, the minimum Code 128 asks for, keep the bars in line with the text.
    quiet = 10 * bar_width
    return code128.Code128(number, barHeight=11 * mm, barWidth=bar_width, lquiet=quiet, rquiet=quiet)


def _header(order: Order, shop_name: str, issued: str) -> list:
    right = [para(shop_name, SHOP)]
    registration = label_sender(order.channel).invoice_registration_number
    if registration and not order.is_gift:
        right.append(para(f"登録番号　{registration}", ISSUED))
    right.append(para(f"発行日　{issued}", ISSUED))
    table = Table(
        [[Paragraph("納品書", TITLE), right]], colWidths=[CONTENT_WIDTH * 0.45, CONTENT_WIDTH * 0.55]
    )
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, GRID),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return [table, Spacer(1, 5 * mm)]


def _addresses(order: Order, buyer_label: str) -> Table:
    ship_tos = list(order.ship_tos.all())
    if ship_tos:
        ship_to = ship_tos[0]
        left = [
            Paragraph("お届け先", SMALL),
            para(f"〒{ship_to.postal_code}", ADDRESS),
            para(f"{ship_to.prefecture}{ship_to.city}{ship_to.address1}", ADDRESS),
        ]
        if ship_to.address2:
            left.append(para(ship_to.address2, ADDRESS))
        left.append(para(f"{ship_to.name}　様", NAME))
        if ship_to.phone:
            left.append(para(f"TEL　{ship_to.phone}", BODY))
        if len(ship_tos) > 1:
            left.append(Paragraph(f"ほか {len(ship_tos) - 1} 件の送付先があります", SMALL))
    else:
        left = [Paragraph("お届け先", SMALL), para(f"{order.buyer_name}　様", NAME)]
    ordered = timezone.localtime(order.ordered_at).strftime("%Y年%m月%d日")
    right = [
        Paragraph("ご注文番号", SMALL),
        Spacer(1, 1 * mm),
        _barcode(order.external_id),
        para(order.external_id, ORDER_NUMBER),
        Spacer(1, 2 * mm),
        para(f"ご注文日　{ordered}", BODY),
        para(f"{buyer_label}　{order.buyer_name}　様", BODY),
    ]
    if not order.is_gift:
        right.append(para(f"お支払方法　{in_japanese(order.get_payment_method_display)}", BODY))
    table = Table([[left, right]], colWidths=[CONTENT_WIDTH * 0.5, CONTENT_WIDTH * 0.5])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    return table


def _line_name(line: OrderLine, set_contents: dict[int, str]) -> Paragraph:
    text = markup(line.name)
    if line.sku_id in set_contents:
        text += f"<br/><font size='7.5' color='#555555'>内容：{markup(set_contents[line.sku_id])}</font>"
    return Paragraph(text, CELL)


def _lines_table(order: Order, lines: list[OrderLine], set_contents: dict[int, str]) -> Table:
    gift = order.is_gift
    header = ["No.", "商品コード", "商品名", "数量"] + (
        [] if gift else ["単価（税込）", "税率", "金額（税込）"]
    )
    rows = [[para(text, HEAD) for text in header]]
    for number, line in enumerate(lines, start=1):
        row = [
            para(str(number), CELL_CENTRE),
            para(line.sku.code if line.sku else line.external_item_id, CELL),
            _line_name(line, set_contents),
            para(str(line.quantity), CELL_RIGHT),
        ]
        if not gift:
            rate = line_tax_rate(line)
            row += [
                para(yen(line.unit_price), CELL_RIGHT),
                para(f"{REDUCED_MARK if rate < STANDARD_RATE else ''}{rate}%", CELL_CENTRE),
                para(yen(line.unit_price * line.quantity), CELL_RIGHT),
            ]
        rows.append(row)
    widths = [24, 92, 256, 40] if gift else [24, 82, 170, 32, 70, 38, 72]
    scale = CONTENT_WIDTH / sum(widths)
    table = Table(rows, colWidths=[width * scale for width in widths], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), GOTHIC, 9),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("ALIGN", (0, 1), (0, -1), "CENTER"),
            ]
        )
    )
    return table


def _totals_table(totals: SlipTotals) -> Table:
    rows = [("商品合計", yen(totals.goods)), ("送料", yen(totals.shipping_fee))]
    if totals.payment_fee:
        rows.append(("手数料", yen(totals.payment_fee)))
    if totals.discount:
        rows.append(("値引き", yen(-totals.discount)))
    if totals.adjustment:
        rows.append(("その他調整", yen(totals.adjustment)))
    cells = [[para(label, TOTAL_LABEL), para(value, TOTAL_VALUE)] for label, value in rows]
    cells.append([para("合計（税込）", TOTAL_LABEL), para(yen(totals.total), GRAND_VALUE)])
    table = Table(cells, colWidths=[70, 100], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _tax_table(rates: list[RateAmount]) -> Table:
    """The 適格請求書 summary: the total per tax rate and the consumption tax inside it."""
    cells = [[para(text, HEAD) for text in ("税率区分", "対象金額（税込）", "内消費税")]]
    for item in rates:
        label = f"{item.rate}%対象" + (REDUCED_MARK if item.rate < STANDARD_RATE else "")
        cells.append(
            [para(label, TOTAL_LABEL), para(yen(item.amount), TOTAL_VALUE), para(yen(item.tax), TOTAL_VALUE)]
        )
    table = Table(cells, colWidths=[70, 100, 80], hAlign="RIGHT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("BACKGROUND", (0, 1), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def _slip(order: Order, set_contents: dict[int, str], issued: str) -> list:
    shop_name = order.channel.display_name or order.channel.name
    lines = list(order.lines.all())
    story = [SectionMark(f"{shop_name}　ご注文番号 {order.external_id}"), *_header(order, shop_name, issued)]
    if order.is_gift:
        story.append(_addresses(order, "ご依頼主"))
        greeting = (
            f"{order.buyer_name} 様からのお届け物です。"
            "ギフトのため、金額の記載を控えさせていただいております。"
        )
    else:
        story.append(_addresses(order, "ご注文者"))
        greeting = (
            f"このたびは{shop_name}をご利用いただき、誠にありがとうございます。下記のとおり納品いたします。"
        )
    story += [Spacer(1, 5 * mm), para(greeting, BODY), Spacer(1, 3 * mm)]
    story.append(_lines_table(order, lines, set_contents))
    if not order.is_gift:
        totals = slip_totals(order, lines)
        story += [Spacer(1, 4 * mm), _totals_table(totals), Spacer(1, 3 * mm), _tax_table(totals.rates)]
        if any(item.rate < STANDARD_RATE for item in totals.rates):
            story.append(para(f"{REDUCED_MARK}は軽減税率（{REDUCED_RATE}%）対象商品です。", TAX_NOTE))
    return story


def _decorate(canvas, page: int, pages: int, section: str) -> None:
    canvas.saveState()
    canvas.setFillColor(MUTED)
    text = f"{section}　{page} / {pages}" if pages > 1 else section
    draw_text(canvas, A4[0] / 2, 8 * mm, text, 7.5, align="centre")
    canvas.restoreState()


def packing_slip_pdf(orders: Iterable[Order]) -> bytes:
    """納品書 for the orders, in the order given: each order starts on a new page (a very long order
    continues on the next page, numbered within the order). Four queries, whatever the number of orders."""
    loaded = _orders_with_lines(orders)
    set_contents = _set_contents(loaded)
    issued = timezone.localdate().strftime("%Y年%m月%d日")
    story: list = []
    for index, order in enumerate(loaded):
        if index:
            story.append(PageBreak())
        story += _slip(order, set_contents, issued)
    if not story:
        story = [Paragraph("納品書の対象となる注文がありません。", BODY)]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 3 * mm,
        title="納品書",
        author="OMS",
    )
    document.build(story, canvasmaker=numbered_canvas(_decorate))
    return buffer.getvalue()
