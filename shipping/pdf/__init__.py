"""Shared page furniture for the warehouse PDFs: paragraph styles, "page i / n" numbering per section.

The documents themselves are `shipping.pdf.picking_list.picking_list_pdf` and
`shipping.pdf.packing_slip.packing_slip_pdf`; both return the PDF as bytes.
"""

import re
from collections import Counter
from collections.abc import Callable
from xml.sax.saxutils import escape  # nosec B406 # escapes text for a PDF; parses no XML

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import Flowable, Paragraph

from shipping.pdf.fonts import GOTHIC, register_japanese_fonts

LATIN = "Helvetica"
GRID = colors.HexColor("#9e9e9e")
SHADE = colors.HexColor("#eeeeee")
MUTED = colors.HexColor("#555555")

# (canvas, page number within its section, pages in that section, section label) -> draws header/footer
PageDecorator = Callable[[pdf_canvas.Canvas, int, int, str], None]


# Printable ASCII, with single spaces inside: order numbers, SKU codes, amounts, "100g".
_LATIN_RUN = re.compile(r"[!-~]+(?: [!-~]+)*")


def _runs(text: str) -> list[tuple[str, bool]]:
    """(piece, is_latin) in order."""
    runs, position = [], 0
    for match in _LATIN_RUN.finditer(text):
        if match.start() > position:
            runs.append((text[position : match.start()], False))
        runs.append((match.group(), True))
        position = match.end()
    if position < len(text):
        runs.append((text[position:], False))
    return runs


def markup(text: str) -> str:
    """`text` escaped for a Paragraph, its Latin runs set in Helvetica.

    The CID font is not embedded, and a viewer that substitutes it spaces half-width letters unevenly;
    Helvetica's letters look the same everywhere."""
    return "".join(
        f'<font name="{LATIN}">{escape(piece)}</font>' if latin else escape(piece)
        for piece, latin in _runs(text)
    )


def para(text: str, paragraph_style: ParagraphStyle) -> Paragraph:
    return Paragraph(markup(text), paragraph_style)


def draw_text(
    canvas: pdf_canvas.Canvas, x: float, y: float, text: str, size: float, align: str = "left"
) -> None:
    """drawString for mixed Japanese and Latin text (see `markup`); align is left, centre or right."""
    runs = [(piece, LATIN if latin else GOTHIC) for piece, latin in _runs(text)]
    width = sum(stringWidth(piece, font, size) for piece, font in runs)
    x -= {"left": 0, "centre": width / 2, "right": width}[align]
    for piece, font in runs:
        canvas.setFont(font, size)
        canvas.drawString(x, y, piece)
        x += stringWidth(piece, font, size)


def style(name: str, size: float, *, leading: float | None = None, **extra) -> ParagraphStyle:
    """A paragraph style in the Japanese font. CJK text breaks between any two characters."""
    register_japanese_fonts()
    return ParagraphStyle(
        name,
        fontName=extra.pop("fontName", GOTHIC),
        fontSize=size,
        leading=leading or size * 1.3,
        alignment=extra.pop("alignment", TA_LEFT),
        wordWrap="CJK",
        **extra,
    )


class SectionMark(Flowable):
    """Zero-size marker: the pages from here on belong to `label` (one order's slip, say) and are
    numbered within it."""

    def __init__(self, label: str):
        super().__init__()
        self.label = label

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv.section_label = self.label


def numbered_canvas(decorate: PageDecorator) -> type[pdf_canvas.Canvas]:
    """A canvas class that holds every page back until the end, so each page can say "i / n".

    `decorate` draws the running header and footer of every page once the counts are known."""

    class NumberedCanvas(pdf_canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.section_label = ""
            self._held_pages: list[dict] = []

        def showPage(self):
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            pages_per_section = Counter(page["section_label"] for page in self._held_pages)
            seen: Counter = Counter()
            for page in self._held_pages:
                self.__dict__.update(page)
                seen[self.section_label] += 1
                decorate(
                    self, seen[self.section_label], pages_per_section[self.section_label], self.section_label
                )
                super().showPage()
            super().save()

    return NumberedCanvas
