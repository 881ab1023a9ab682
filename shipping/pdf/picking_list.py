"""The picking list PDF (ピッキングリスト): one row per location and SKU in walk order, JAN as a barcode.

A SKU wanted by many orders continues on further rows (「続き」), so a row never outgrows a page and a
batch of any size flows over as many A4 pages as it needs.
"""

import io

from django.utils import timezone
from reportlab.graphics.barcode import eanbc
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from shipping.models import PickingBatch
from shipping.pdf import GRID, LATIN, MUTED, SHADE, draw_text, markup, numbered_canvas, para, style
from shipping.pdf.fonts import GOTHIC
from shipping.picking import NO_LOCATION, PickEntry, PickingList, PickRow, picking_list_data

MARGIN = 12 * mm
ENTRIES_PER_ROW = 8  # per-order breakdown lines in one row; more continue on the next row
COLUMN_WIDTHS = [52, 80, 112, 92, 32, 159]  # points; 527 = A4 width less the margins

TITLE = style("title", 18, leading=22)
META = style("meta", 9, leading=12)
NOTE = style("note", 8.5, leading=11, textColor=colors.HexColor("#8a1c1c"))
HEAD = style("head", 7, leading=9, alignment=TA_CENTER)
CELL = style("cell", 8.5, leading=10.5)
SMALL = style("small", 7, leading=8.6)
CONTINUED = style("continued", 7.5, leading=9, textColor=MUTED)
# The breakdown is order numbers, one per line: wrapped at spaces like Latin text. CJK wrapping measures every
# character and took most of the time of a 1,000-order list.
BREAKDOWN = ParagraphStyle("breakdown", parent=SMALL, wordWrap=None)
QUANTITY = style("quantity", 14, leading=16, alignment=TA_RIGHT, fontName="Helvetica-Bold")


def jan_is_valid(jan: str) -> bool:
    """A JAN-13 or JAN-8 (EAN) with a correct check digit (weights 3,1,3,… from the right)."""
    if len(jan) not in (8, 13) or not jan.isdigit():
        return False
    body = [int(digit) for digit in jan[:-1]]
    total = sum(digit * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(jan[-1])


def jan_barcode(jan: str) -> Drawing | Paragraph:
    """The JAN as an EAN-13/EAN-8 barcode; a missing or wrong JAN is printed as text, never as bars that
    would scan as a different number (ReportLab silently recomputes a wrong check digit)."""
    if not jan_is_valid(jan):
        return para(f"{jan}（JAN不正）" if jan else "JANなし", SMALL)
    widget_class = eanbc.Ean13BarcodeWidget if len(jan) == 13 else eanbc.Ean8BarcodeWidget
    widget = widget_class(jan[:-1], barHeight=24, barWidth=0.78, fontSize=7, fontName="Helvetica")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(x1 - x0, y1 - y0 + 4)
    widget.x, widget.y = -x0, -y0 + 2
    drawing.add(widget)
    return drawing


def _entry_text(entry: PickEntry) -> str:
    via = f" ({entry.via_set})" if entry.via_set else ""
    return markup(f"{entry.order_number} ×{entry.quantity}{via}")


def _rows_for(row: PickRow) -> list[list]:
    chunks = [
        row.entries[start : start + ENTRIES_PER_ROW] for start in range(0, len(row.entries), ENTRIES_PER_ROW)
    ]
    location = row.location or NO_LOCATION
    rows = []
    for index, chunk in enumerate(chunks):
        breakdown = Paragraph("<br/>".join(_entry_text(entry) for entry in chunk), BREAKDOWN)
        if index == 0:
            rows.append(
                [
                    para(location, CELL),
                    para(row.sku_code, CELL),
                    para(row.sku_name, CELL),
                    jan_barcode(row.jan),
                    Paragraph(str(row.total), QUANTITY),
                    breakdown,
                ]
            )
        else:
            rows.append(
                [
                    para(location, CONTINUED),
                    para(row.sku_code, CONTINUED),
                    Paragraph("（続き）", CONTINUED),
                    "",
                    "",
                    breakdown,
                ]
            )
    return rows


def _table(data: PickingList) -> Table:
    header = [
        para(text, HEAD)
        for text in ("ロケーション", "SKU", "商品名", "JAN", "数量", "内訳（注文番号 × 数量）")
    ]
    body = []
    for row in data.rows:
        body.extend(_rows_for(row))
    table = Table([header, *body], colWidths=COLUMN_WIDTHS, repeatRows=1)
    commands = [
        ("FONT", (0, 0), (-1, -1), GOTHIC, 8.5),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("VALIGN", (5, 1), (5, -1), "TOP"),
        ("ALIGN", (3, 1), (3, -1), "CENTER"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
    ]
    return _styled(table, commands)


def _styled(table: Table, commands: list) -> Table:
    table.setStyle(TableStyle(commands))
    return table


def _unlinked_table(data: PickingList) -> list:
    if not data.unlinked:
        return []
    rows = [[para(text, HEAD) for text in ("注文番号", "明細（SKU未登録）", "数量")]]
    rows += [
        [para(line.order_number, CELL), para(line.name, CELL), str(line.quantity)] for line in data.unlinked
    ]
    table = _styled(
        Table(rows, colWidths=[150, 317, 60], repeatRows=1),
        [
            ("FONT", (0, 0), (-1, -1), GOTHIC, 8.5),
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("FONT", (2, 1), (2, -1), LATIN, 9),
            ("ALIGN", (2, 1), (2, -1), "RIGHT"),
        ],
    )
    note = Paragraph(
        "次の明細はSKUに紐付いていないため、棚から特定できません。内容を確認してください。", NOTE
    )
    return [Spacer(1, 6 * mm), note, Spacer(1, 2 * mm), table]


def _decorator(data: PickingList, printed: str):
    def decorate(canvas, page: int, pages: int, _section: str) -> None:
        width, height = A4
        canvas.saveState()
        canvas.setFillColor(MUTED)
        draw_text(canvas, MARGIN, height - 8 * mm, f"ピッキングリスト　バッチ No.{data.batch_id}", 8)
        draw_text(canvas, width - MARGIN, height - 8 * mm, f"印刷 {printed}", 8, align="right")
        draw_text(canvas, width / 2, 7 * mm, f"{page} / {pages} ページ", 8, align="centre")
        canvas.restoreState()

    return decorate


def picking_list_document(data: PickingList) -> bytes:
    """Render an already computed picking list (the benchmark times this apart from the query)."""
    printed = timezone.localtime().strftime("%Y年%m月%d日 %H:%M")
    created = timezone.localtime(data.created_at).strftime("%Y年%m月%d日 %H:%M")
    story = [
        Paragraph("ピッキングリスト", TITLE),
        Spacer(1, 2 * mm),
        para(f"バッチ No.{data.batch_id}　作成 {created}　作成者 {data.actor}", META),
        para(f"注文 {data.order_count} 件　/　{len(data.rows)} SKU　/　合計 {data.total_units} 点", META),
        Spacer(1, 1.5 * mm),
        para(
            "※ セット商品は構成品に展開しています。構成品をピッキングしてください"
            "（内訳の ( ) 内はセット商品のSKU）。",
            NOTE,
        ),
        Spacer(1, 3 * mm),
        _table(data),
        *_unlinked_table(data),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN + 2 * mm,
        bottomMargin=MARGIN,
        title=f"ピッキングリスト バッチ No.{data.batch_id}",
        author="OMS",
    )
    document.build(story, canvasmaker=numbered_canvas(_decorator(data, printed)))
    return buffer.getvalue()


def picking_list_pdf(batch: PickingBatch) -> bytes:
    """The batch's picking list as an A4 PDF."""
    return picking_list_document(picking_list_data(batch))
