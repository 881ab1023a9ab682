"""Carrier simulator: a label CSV in, the carrier's issued-data CSV (with tracking numbers) out.

    python -m shipping.simulators.carrier yamato|sagawa|japanpost LABELS.csv --out RESULT.csv [--seed N]

It stands in for B2クラウド, e飛伝 and ゆうプリR after they print the labels: it reads the file the way their
import does (Shift_JIS, CRLF, header row, column count, お客様管理番号, time-slot code, dates), refuses it with
line numbers when something is wrong, and otherwise issues one valid, unique 12-digit number per label (the
last digit is the first eleven mod 7). Yamato and Sagawa write their own layout back with the number column
filled; ゆうプリR (our filter) writes the same columns plus お問い合せ番号.

Standalone like the carriers it imitates: no Django, no database, its own knowledge of the layouts.
"""

import argparse
import csv
import io
import random
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ENCODING = "shift_jis"


@dataclass(frozen=True)
class CarrierFormat:
    columns: int
    ref_column: str
    ref_limit: int
    number_column: str  # filled in (Yamato, Sagawa) or appended (ゆうプリR)
    number_appended: bool
    slot_column: str
    slot_codes: frozenset[str]
    ship_date_column: str
    delivery_date_column: str
    date_pattern: str


FORMATS = {
    "yamato": CarrierFormat(
        columns=95,
        ref_column="お客様管理番号",
        ref_limit=20,
        number_column="伝票番号",
        number_appended=False,
        slot_column="配達時間帯",
        slot_codes=frozenset({"", "0812", "1416", "1618", "1820", "1921"}),
        ship_date_column="出荷予定日",
        delivery_date_column="お届け予定日",
        date_pattern=r"\d{4}/\d{2}/\d{2}",
    ),
    "sagawa": CarrierFormat(
        columns=74,
        ref_column="お客様管理番号",
        ref_limit=16,
        number_column="お問い合せ送り状No.",
        number_appended=False,
        slot_column="配達指定時間帯",
        slot_codes=frozenset({"", "01", "12", "14", "16", "18", "19", "04"}),
        ship_date_column="出荷日",
        delivery_date_column="配達日",
        date_pattern=r"\d{8}",
    ),
    "japanpost": CarrierFormat(
        columns=25,
        ref_column="お客様側管理番号",
        ref_limit=15,
        number_column="お問い合せ番号",
        number_appended=True,
        slot_column="配達希望時間帯",
        slot_codes=frozenset({"", "60", "62", "63", "64", "65", "67"}),
        ship_date_column="発送予定日",
        delivery_date_column="配達希望日",
        date_pattern=r"\d{8}",
    ),
}
_REF = re.compile(r"[0-9A-Za-z-]+")


class LabelFileRefused(Exception):
    """The label file would not import at the carrier; `problems` are "line N: ..." texts."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def check_digit(body: str) -> str:
    """The 12th digit of a tracking number: the eleven-digit body mod 7."""
    return str(int(body) % 7)


def issue_numbers(count: int, rng: random.Random) -> list[str]:
    """`count` consecutive, hence unique, valid tracking numbers from a random start."""
    start = rng.randrange(10**10, 10**11 - count)
    return [f"{body:011d}{check_digit(f'{body:011d}')}" for body in range(start, start + count)]


def simulate(carrier: str, content: bytes, *, seed: int | None = None) -> bytes:
    """The issued-data file for a label file; LabelFileRefused when the carrier would refuse it."""
    return _issue(carrier, content, seed)[0]


def _issue(carrier: str, content: bytes, seed: int | None) -> tuple[bytes, int]:
    spec = FORMATS[carrier]
    header, rows = _read(spec, content)
    # each carrier its own numbers for one seed: real carriers never issue each other's numbers, and the tracking
    # import refuses a number another order's parcel already has
    numbers = issue_numbers(len(rows), random.Random(f"{carrier}:{seed}" if seed is not None else None))
    if spec.number_appended:
        header = [*header, spec.number_column]
        rows = [[*row, number] for row, number in zip(rows, numbers, strict=True)]
    else:
        column = header.index(spec.number_column)
        for row, number in zip(rows, numbers, strict=True):
            row[column] = number
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(ENCODING), len(rows)


def _read(spec: CarrierFormat, content: bytes) -> tuple[list[str], list[list[str]]]:
    try:
        text = content.decode(ENCODING)
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise LabelFileRefused([f"line {line}: not Shift_JIS ({error.reason})"]) from None
    if content.count(b"\n") != content.count(b"\r\n") or not content.endswith(b"\r\n"):
        raise LabelFileRefused(["line ends must be CRLF"])
    reader = csv.reader(io.StringIO(text, newline=""))
    records = [(reader.line_num, row) for row in reader]
    if not records:
        raise LabelFileRefused(["the file is empty"])
    header = records[0][1]
    missing = [
        name
        for name in (spec.ref_column, spec.slot_column, spec.ship_date_column, spec.delivery_date_column)
        if name not in header
    ]
    if not spec.number_appended and spec.number_column not in header:
        missing.append(spec.number_column)
    if len(header) != spec.columns or missing:
        raise LabelFileRefused(
            [f"line 1: the header has {len(header)} columns (expected {spec.columns}); missing: {missing}"]
        )
    problems = []
    for line, row in records[1:]:
        problems.extend(f"line {line}: {problem}" for problem in _row_problems(spec, header, row))
    if problems:
        raise LabelFileRefused(problems)
    return header, [row for _line, row in records[1:]]


def _row_problems(spec: CarrierFormat, header: list[str], row: list[str]) -> list[str]:
    if len(row) != spec.columns:
        return [f"{len(row)} columns (expected {spec.columns})"]
    value = dict(zip(header, row, strict=True))
    problems = []
    ref = value[spec.ref_column]
    if not _REF.fullmatch(ref) or len(ref) > spec.ref_limit:
        problems.append(f"{spec.ref_column} {ref!r} is not 1-{spec.ref_limit} half-width letters and digits")
    if value[spec.slot_column] not in spec.slot_codes:
        problems.append(f"{spec.slot_column} {value[spec.slot_column]!r} is not a time-slot code")
    if not re.fullmatch(spec.date_pattern, value[spec.ship_date_column]):
        problems.append(f"{spec.ship_date_column} {value[spec.ship_date_column]!r} is not a date")
    delivery = value[spec.delivery_date_column]
    if delivery and not re.fullmatch(spec.date_pattern, delivery):
        problems.append(f"{spec.delivery_date_column} {delivery!r} is not a date")
    if not spec.number_appended and value[spec.number_column]:
        problems.append(f"{spec.number_column} must be blank in a label file")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m shipping.simulators.carrier", description=__doc__.split("\n")[0]
    )
    parser.add_argument("carrier", choices=sorted(FORMATS))
    parser.add_argument("labels", type=Path, help="the label CSV written by export_labels")
    parser.add_argument("--out", type=Path, required=True, help="where to write the issued-data CSV")
    parser.add_argument("--seed", type=int, help="make the numbers repeatable")
    args = parser.parse_args(argv)
    try:
        content = args.labels.read_bytes()
    except OSError as exc:
        print(f"{args.carrier}: cannot read {args.labels}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    try:
        result, labels = _issue(args.carrier, content, args.seed)
    except LabelFileRefused as refused:
        print(f"{args.carrier}: the label file was refused:", file=sys.stderr)
        for problem in refused.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    try:
        args.out.write_bytes(result)
    except OSError as exc:
        print(f"{args.carrier}: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"{args.carrier}: {labels} labels issued, tracking numbers written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
