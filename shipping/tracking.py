"""Tracking import (問い合わせ番号の取込): the carrier's issued-data file back in, each order shipped with its numbers.

Reads Yamato B2クラウド 発行済データ (お客様管理番号 + 伝票番号), Sagawa e飛伝 出荷実績 (お客様管理番号 +
お問い合せ送り状No.), our ゆうプリR issued-data layout (お客様側管理番号 + お問い合せ番号) and a simple
"order number, tracking number" CSV, with or without a header, in Shift_JIS or UTF-8. Columns are found by their
header; a file without one is read by the carrier's column positions.

Every number must pass the 12-digit mod-7 check digit (reference §4.4) and name an order that can ship with this
carrier. A file with any bad row applies nothing unless `apply_good_rows` is given; applying calls
shipping.services.order_ship once per order, the order's rows becoming its parcels.
"""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.db import transaction

from inventory.services import StockError
from orders.checks.slots import carrier_name
from orders.models import Order, OrderStatus, in_japanese
from shipping.labels import japanpost, order_carrier_code, orders_for_customer_refs, sagawa, yamato
from shipping.labels.refs import ship_to_position
from shipping.models import Shipment
from shipping.services import ShipRefused, order_ship

S = OrderStatus
SHIPPABLE = (S.READY, S.PRINTED, S.SHIPPED)  # a shipped order may get a later parcel
TRACKING_DIGITS = 12

# Header names (folded by _fold) of the order-reference column and of the tracking-number column.
REF_HEADERS = frozenset(
    {
        "お客様管理番号",
        "お客様側管理番号",
        "お客様管理ナンバー",
        "注文番号",
        "受注番号",
        "ordernumber",
        "orderid",
        "order",
    }
)
NUMBER_HEADERS = frozenset(
    {
        "伝票番号",
        "送り状番号",
        "お問い合せ送り状no",
        "お問い合わせ送り状no",
        "お問合せ送り状no",
        "お問い合せ番号",
        "お問い合わせ番号",
        "お問合せ番号",
        "問い合わせ番号",
        "追跡番号",
        "trackingnumber",
        "tracking",
    }
)
# (ref column, number column) of a headerless issued-data file, by its column count.
POSITIONS = {
    "yamato": {yamato.COLUMN_COUNT: (0, yamato.HEADER.index("伝票番号"))},
    "sagawa": {sagawa.COLUMN_COUNT: (9, sagawa.HEADER.index("お問い合せ送り状No."))},
    "japanpost": {japanpost.COLUMN_COUNT + 1: (0, japanpost.COLUMN_COUNT)},
}
SIMPLE_LAYOUT = "注文番号, 伝票番号"

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−－ー]")
_FOLD_NOISE = re.compile(r"[\s._\-()（）・]")


def tracking_number_normalize(value: str) -> str:
    """ "4444-1375-8703", "４４４４ １３７５ ８７０３" -> "444413758703" (width folded, separators removed)."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def tracking_number_valid(number: str) -> bool:
    """12 digits whose last is the first eleven, as a number, mod 7 (Yamato, Sagawa, Japan Post ゆうパック)."""
    digits = tracking_number_normalize(number)
    if len(digits) != TRACKING_DIGITS or not digits.isascii() or not digits.isdigit():
        return False
    return int(digits[:11]) % 7 == int(digits[11])


@dataclass(frozen=True)
class RowError:
    line: int  # 1-based line of the file; 0 = the file as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.line}行目: {self.message}" if self.line else self.message


@dataclass(frozen=True)
class TrackingRow:
    line: int
    ref: str
    number: str


@dataclass
class TrackingImport:
    carrier: str
    layout: str = ""
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    applied: bool = False
    shipped: list[str] = field(default_factory=list)  # shop order numbers that got new parcels
    parcels_added: int = 0
    already_recorded: int = 0  # rows whose number the order already had (a re-import)


def tracking_file_read(*, carrier: str, content: bytes) -> tuple[str, list[TrackingRow], list[RowError]]:
    """(layout name, rows, errors) of a tracking file; nothing is looked up in the database."""
    text, error = _decode(content)
    if error:
        return "", [], [error]
    lines = [(line, cells) for line, cells in _csv_rows(text) if any(cell.strip() for cell in cells)]
    if not lines:
        return "", [], [RowError(0, "ファイルにデータがありません")]
    first_line, first = lines[0]
    other = _other_carrier(carrier, len(first))
    if other:
        return (
            "",
            [],
            [
                RowError(
                    0,
                    f"{carrier_name(other)}の発行済データの形です（{len(first)}列）。{carrier_name(carrier)}として"
                    "取り込もうとしています: 運送会社の選択を確かめてください",
                )
            ],
        )
    columns = _header_columns(first)
    if columns:
        layout, data = f"{first[columns[0]].strip()}, {first[columns[1]].strip()}", lines[1:]
    elif len(first) in POSITIONS[carrier]:
        columns, layout, data = POSITIONS[carrier][len(first)], f"{carrier_name(carrier)} 発行済データ", lines
    elif len(first) in (2, 3):
        columns, layout = (0, 1), SIMPLE_LAYOUT
        data = lines[1:] if _is_simple_header(first) else lines
    else:
        return "", [], [RowError(first_line, f"列の並びがわかりません（{len(first)}列、見出しなし）")]
    if not data:
        return layout, [], [RowError(0, "見出しの行だけで、データの行がありません")]
    rows, errors = [], []
    ref_column, number_column = columns
    for line, cells in data:
        if len(cells) <= max(columns):
            errors.append(RowError(line, f"{len(cells)}列しかありません"))
            continue
        # ＯＭＳ２８ typed in a spreadsheet is OMS28 (refs are ASCII: our OMS<id>, the shops' numbers)
        ref = unicodedata.normalize("NFKC", cells[ref_column]).strip()
        number = tracking_number_normalize(cells[number_column])
        if not ref:
            errors.append(RowError(line, "注文番号（お客様管理番号）がありません"))
        elif not number:
            errors.append(RowError(line, f"{ref}: 伝票番号がありません（未発行の送り状です）"))
        elif not tracking_number_valid(number):
            errors.append(
                RowError(
                    line,
                    f"{ref}: 伝票番号「{cells[number_column].strip()}」が正しくありません"
                    "（12桁で、最後の桁は前の11桁を7で割った余りです）",
                )
            )
        else:
            rows.append(TrackingRow(line=line, ref=ref, number=number))
    return layout, rows, errors


def tracking_import(
    *, carrier: str, content: bytes, actor: str, apply_good_rows: bool = False
) -> TrackingImport:
    """Read a tracking file, match each row to its order, and ship the orders (see the module docstring).

    All orders are shipped in one transaction: when a row fails while applying (the order cannot ship) and
    apply_good_rows is off, the other orders are still tried, so that every refusal is reported at once, and
    then everything is rolled back. Re-importing a file changes nothing."""
    layout, rows, errors = tracking_file_read(carrier=carrier, content=content)
    rows_read = len(rows) + sum(1 for error in errors if error.line)
    result = TrackingImport(carrier=carrier, layout=layout, rows=rows_read, errors=errors)
    parcels = _match(carrier, rows, result)
    result.errors.sort(key=lambda error: error.line)
    if result.errors and not apply_good_rows:
        return result
    try:
        with transaction.atomic():
            _apply(carrier, parcels, actor, result)
            if result.errors and not apply_good_rows:
                raise _NothingApplied
    except _NothingApplied:
        result.shipped, result.parcels_added = [], 0
    else:
        result.applied = True
    result.errors.sort(key=lambda error: error.line)
    return result


class _NothingApplied(Exception):
    """Rolls the import back when a row failed while applying."""


def _match(
    carrier: str, rows: list[TrackingRow], result: TrackingImport
) -> dict[int, tuple[Order, list[TrackingRow]]]:
    """Order pk -> (order, its rows with numbers new to it); every row that cannot be applied becomes an error."""
    orders_of = orders_for_customer_refs({row.ref for row in rows})
    used = dict(
        Shipment.objects.filter(tracking_number__in=sorted({row.number for row in rows})).values_list(
            "tracking_number", "order_id"
        )
    )
    first_seen: dict[str, TrackingRow] = {}
    clashing: set[str] = set()  # numbers given to two different orders in this file
    parcels: dict[int, tuple[Order, list[TrackingRow]]] = {}
    for row in rows:
        orders = orders_of.get(row.ref, [])
        earlier = first_seen.setdefault(row.number, row)
        if earlier.ref != row.ref:
            clashing.add(row.number)
            result.errors.append(
                RowError(
                    row.line,
                    f"{row.ref}: 伝票番号 {row.number} は{earlier.line}行目の別の注文と重複しています",
                )
            )
            continue
        problem = _row_problem(carrier, orders, row.number, used)
        if problem:
            result.errors.append(RowError(row.line, f"{row.ref}: {problem}"))
            continue
        order = orders[0]
        if row.number in {parcel.number for parcel in parcels.get(order.pk, (order, []))[1]}:
            continue  # the same row twice in one file
        if used.get(row.number) == order.pk:
            result.already_recorded += 1
            continue
        parcels.setdefault(order.pk, (order, []))[1].append(row)
    for order_pk, (_order, order_rows) in list(parcels.items()):
        for row in [row for row in order_rows if row.number in clashing]:
            result.errors.append(
                RowError(row.line, f"{row.ref}: 伝票番号 {row.number} が別の注文と重複しています")
            )
            order_rows.remove(row)
        if not order_rows:
            del parcels[order_pk]
    return parcels


def _row_problem(carrier: str, orders: list[Order], number: str, used: dict[str, int]) -> str:
    """Why this row cannot ship its order ("" when it can)."""
    if not orders:
        return "この番号の注文がありません"
    if len(orders) > 1:
        shops = "、".join(str(order.channel) for order in orders)
        return f"複数のショップに同じ注文番号があります（{shops}）。お客様管理番号で指定してください"
    order = orders[0]
    if used.get(number, order.pk) != order.pk:
        return f"伝票番号 {number} はすでに別の注文の荷物です"
    if order.status not in SHIPPABLE:
        return f"注文 {order.external_id} は{in_japanese(order.get_status_display)}のため出荷できません"
    if order_carrier_code(order) != carrier:
        return (
            f"注文 {order.external_id} は{carrier_name(order_carrier_code(order))}で出荷する注文です"
            f"（このファイルは{carrier_name(carrier)}）"
        )
    return ""


def _apply(carrier, parcels, actor: str, result: TrackingImport) -> None:
    """Ship each order with its new numbers; a refused order becomes an error on each of its lines.

    Call inside a transaction. Every order is tried even after a refusal: order_ship runs in its own
    savepoint, so a refused order leaves nothing behind and the caller decides whether to keep the rest."""
    for order, rows in sorted(parcels.values(), key=lambda item: item[1][0].line):
        order_parcels = _order_parcels(carrier, order, rows, result)
        if not order_parcels:
            continue
        try:
            order_ship(order=order, parcels=order_parcels, actor=actor)
        except (ShipRefused, StockError) as refused:
            result.errors.extend(RowError(row.line, f"{row.ref}: {refused}") for row in rows)
            continue
        result.shipped.append(order.external_id)
        result.parcels_added += len(order_parcels)


def _order_parcels(
    carrier: str, order: Order, rows: list[TrackingRow], result: TrackingImport
) -> list[tuple]:
    """The order's parcels (carrier, number, ship-to id or None) from its rows. A ref naming one of the order's
    ship-tos (OMS1234-2: its label went to the second) gives the parcel that ship-to; a ship-to the order does
    not have is an error of the row."""
    positions = [ship_to_position(row.ref) for row in rows]
    if not any(positions):
        return [(carrier, row.number, None) for row in rows]
    ship_to_ids = list(order.ship_tos.order_by("pk").values_list("pk", flat=True))
    parcels = []
    for row, position in zip(rows, positions, strict=True):
        if position and position > len(ship_to_ids):
            result.errors.append(
                RowError(
                    row.line, f"{row.ref}: 注文 {order.external_id} に{position}番目のお届け先がありません"
                )
            )
            continue
        parcels.append((carrier, row.number, ship_to_ids[position - 1] if position else None))
    return parcels


def _other_carrier(carrier: str, columns: int) -> str | None:
    """The carrier whose issued-data file has this many columns, when it is not `carrier` (the wrong choice)."""
    if columns in POSITIONS[carrier]:
        return None
    return next((other for other, counts in POSITIONS.items() if columns in counts), None)


def _decode(content: bytes) -> tuple[str, RowError | None]:
    """UTF-8 (with or without BOM, what spreadsheets write), UTF-16 with its BOM (Excel's 「Unicode テキスト」,
    tab separated) or Shift_JIS (Windows-31J, what carriers write). Shift_JIS takes almost any bytes, so a
    UTF-16 file without its BOM (NUL bytes between ASCII characters) is named rather than read as garbage."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return content.decode("utf-16"), None
        except UnicodeDecodeError:
            return "", RowError(0, "UTF-16 のファイルとして読めません")
    if b"\x00" in content:
        return "", RowError(
            0, "UTF-16（BOMなし）のファイルのようです: CSV（UTF-8 または Shift_JIS）で保存してください"
        )
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return content.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return "", RowError(0, "文字コードが UTF-8 でも Shift_JIS でもありません")


def _csv_rows(text: str):
    """(line where the record starts, cells) of each record. A quoted cell may hold line breaks (a B2 記事),
    and reader.line_num is the record's last line, so the start is the previous record's last line + 1."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first and "," not in first else ","  # Excel's Unicode text is tab separated
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, cells
        start = reader.line_num + 1


def _is_simple_header(cells: list[str]) -> bool:
    """Whether the first row of a simple file names its columns. A header word has no digit and no header cell
    is empty; an order number has digits, so a first row with an empty or a digit-bearing cell is data and gets
    the data errors (a first order without its number must not vanish as a header)."""
    return all(
        cell.strip() and not any(char.isdigit() for char in unicodedata.normalize("NFKC", cell))
        for cell in cells[:2]
    )


def _fold(header: str) -> str:
    return _FOLD_NOISE.sub("", unicodedata.normalize("NFKC", header)).lower()


def _header_columns(cells: list[str]) -> tuple[int, int] | None:
    folded = [_fold(cell) for cell in cells]
    ref = next((index for index, name in enumerate(folded) if name in REF_HEADERS), None)
    number = next((index for index, name in enumerate(folded) if name in NUMBER_HEADERS), None)
    return (ref, number) if ref is not None and number is not None else None
