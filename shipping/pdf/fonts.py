"""Japanese fonts for the PDFs: ReportLab's built-in CID fonts, so no font file is shipped or downloaded.

A CID font is referenced, not embedded: the PDF viewer supplies the glyphs (Acrobat and the browsers'
viewers carry Japanese fonts; poppler substitutes an installed Japanese font such as IPAゴシック).
Text stays real text, so it can be searched and extracted.
"""

from functools import cache

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont

GOTHIC = "HeiseiKakuGo-W5"  # 平成角ゴシック: body text and tables
MINCHO = "HeiseiMin-W3"  # 平成明朝: the formal title of the 納品書


@cache
def register_japanese_fonts() -> None:
    """Register both fonts with ReportLab once per process."""
    pdfmetrics.registerFont(UnicodeCIDFont(GOTHIC))
    pdfmetrics.registerFont(UnicodeCIDFont(MINCHO))
