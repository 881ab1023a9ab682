"""Stock count CSV (棚卸): read `sku,on_hand` rows into a preview with line-numbered errors, then apply them.

The file is UTF-8 (with or without BOM) or Shift_JIS, with or without a header row. Counts are for the
default warehouse (the one allocation tries first). Nothing is applied while any line has an error; applying
sets every count in one transaction, all rows or none (oms.api.actions.stock_counts_set).
"""

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from inventory.models import SKU, StockLevel
from inventory.services import StockError, default_warehouse
from oms.api.actions import CountRow, CountsRefused, stock_counts_set

MAX_ROWS = 20000


@dataclass(frozen=True)
class LineError:
    line: int  # 1-based line of the file; 0 = the file as a whole
    message: str

    def __str__(self) -> str:
        return (
            _("Line %(line)d: %(message)s") % {"line": self.line, "message": self.message}
            if self.line
            else self.message
        )


@dataclass(frozen=True)
class CountLine:
    line: int
    sku: SKU
    counted: int
    on_hand: int
    allocated: int

    @property
    def difference(self) -> int:
        return self.counted - self.on_hand


@dataclass
class CountPreview:
    rows: list[CountLine] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def changes(self) -> int:
        return sum(1 for row in self.rows if row.difference)


def _decode(content: bytes) -> str | None:
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _number(cell: str) -> int | None:
    text = unicodedata.normalize("NFKC", cell).strip().replace(",", "")
    return int(text) if text.isdigit() else None


def stock_count_file_read(*, content: bytes) -> CountPreview:
    """The preview of a count file: each row with the SKU's current numbers, and every problem by line."""
    preview = CountPreview()
    text = _decode(content)
    if text is None:
        preview.errors.append(LineError(0, _("The file is neither UTF-8 nor Shift_JIS text.")))
        return preview
    lines = [
        (number, cells)
        for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(cell.strip() for cell in cells)
    ]
    if lines and len(lines[0][1]) >= 2 and _number(lines[0][1][1]) is None:
        lines = lines[1:]  # a header row: its count column is not a number ("sku,on_hand", "SKU,在庫数")
    if not lines:
        preview.errors.append(LineError(0, _("The file has no rows.")))
        return preview
    if len(lines) > MAX_ROWS:
        preview.errors.append(LineError(0, _("The file has more than %(max)d rows.") % {"max": MAX_ROWS}))
        return preview
    codes = {unicodedata.normalize("NFKC", cells[0]).strip().upper() for _line, cells in lines}
    skus = {sku.code: sku for sku in SKU.objects.filter(code__in=sorted(codes))}
    try:
        warehouse = default_warehouse()
    except StockError as exc:
        preview.errors.append(LineError(0, str(exc)))
        return preview
    levels = {
        level.sku_id: level
        for level in StockLevel.objects.filter(warehouse=warehouse, sku__in=list(skus.values()))
    }
    seen: dict[str, int] = {}
    for line, cells in lines:
        error = _row_error(line, cells, skus, seen)
        if error:
            preview.errors.append(LineError(line, error))
            continue
        sku = skus[unicodedata.normalize("NFKC", cells[0]).strip().upper()]
        counted = _number(cells[1])
        level = levels.get(sku.pk)
        on_hand, allocated = (level.on_hand, level.allocated) if level else (0, 0)
        if counted < allocated:
            preview.errors.append(
                LineError(
                    line,
                    _("%(sku)s: %(counted)d is less than the %(allocated)d units allocated to orders.")
                    % {"sku": sku.code, "counted": counted, "allocated": allocated},
                )
            )
            continue
        preview.rows.append(CountLine(line, sku, counted, on_hand, allocated))
    return preview


def _row_error(line: int, cells: list[str], skus: dict[str, SKU], seen: dict[str, int]) -> str:
    if len(cells) < 2:
        return _("Expected two columns: SKU code, count.")
    code = unicodedata.normalize("NFKC", cells[0]).strip().upper()
    if not code:
        return _("The SKU code is empty.")
    if code not in skus:
        return _("No SKU has the code %(sku)s.") % {"sku": code}
    if skus[code].is_set:
        return _("%(sku)s is a set; count its components instead.") % {"sku": code}
    if _number(cells[1]) is None:
        return _("%(sku)s: the count “%(value)s” is not a whole number of 0 or more.") % {
            "sku": code,
            "value": cells[1].strip(),
        }
    if code in seen:
        return _("%(sku)s is already on line %(line)d.") % {"sku": code, "line": seen[code]}
    seen[code] = line
    return ""


def stock_counts_apply(*, preview: CountPreview, actor: str, reference: str) -> list[LineError]:
    """Set every previewed count in one transaction. Returns the lines that could not be applied (then none
    was): stock may have been allocated since the preview."""
    rows = [CountRow(sku=row.sku, on_hand=row.counted) for row in preview.rows]
    try:
        stock_counts_set(rows=rows, actor=actor, reference=reference)
    except CountsRefused as refusal:
        return [LineError(preview.rows[index].line, message) for index, message in refusal.errors]
    return []
