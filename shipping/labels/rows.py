"""Label CSV lines written as text: every field quoted as csv.QUOTE_ALL writes it, CRLF line ends, the file in
Shift_JIS. A layout's RowTemplate holds the columns that are the same on every label (the shop's sender), so
a label costs only its own columns."""

import operator
from collections.abc import Callable
from typing import NamedTuple

from shipping.labels.encoding import SHIFT_JIS, FieldWriter, sjis_len

QUOTE = '"'
CRLF = "\r\n"


class _LineForm(NamedTuple):
    """A line with "%s" in the columns each label writes (the template's % signs doubled); how to put the
    values, given in the layout's order, in the line's; (place among the values, column, byte limit) of those
    with a limit."""

    text: str
    in_line_order: Callable[[tuple[str, ...]], tuple[str, ...]]
    limited: tuple[tuple[int, str, int], ...]


def _picker(places: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """The items at these places, as a tuple: operator.itemgetter, which returns a lone item bare."""
    if len(places) > 1:
        return operator.itemgetter(*places)
    return lambda texts: tuple(texts[place] for place in places)


class RowTemplate:
    """A layout's CSV line with some columns already written (the shop's sender: the same on every label).
    `line` sets one parcel's columns and returns the finished line.

    Fields are written as csv.QUOTE_ALL writes them (every field quoted, a quote inside doubled), directly as
    text: most of a label's columns are blank or the sender's, so the template holds them ready and a label
    costs only its own columns. For each set of columns a layout writes (the same for almost every label), the
    template keeps the finished line with a %s in each of them, and which of them have a byte limit: a label is
    then one % formatting. A value over its column's limit is a problem of the order's FieldWriter."""

    def __init__(self, header: tuple[str, ...], limits: dict[str, int], fields: list[str] | None = None):
        self.header = header
        self.limits = limits
        self.index = {column: position for position, column in enumerate(header)}
        self.fields = fields if fields is not None else [csv_field("")] * len(header)
        self._lines: dict[tuple[str, ...], _LineForm] = {}

    def filled(self, values: dict[str, str], writer: FieldWriter) -> "RowTemplate":
        """A template with these columns written too."""
        fields = self.fields.copy()
        for column, value in values.items():
            if value:
                fields[self._position(column)] = csv_field(value)
        self._check_limits(values, writer)
        return RowTemplate(self.header, self.limits, fields)

    def line(self, values: dict[str, str], writer: FieldWriter) -> str:
        """The label's CSV line, CRLF included."""
        return self.form_text(tuple(values)) % self.texts(values, writer)

    def texts(self, values: dict[str, str], writer: FieldWriter) -> tuple[str, ...]:
        """The label's values checked against their columns' limits, quotes doubled, in the line's order: what
        form_text(the same columns) takes. They do not depend on the template's own columns, so a label's texts
        can be prepared once and written with any shop's template (shipping.labels.prepared)."""
        columns = tuple(values)
        _text, in_line_order, limited = self._lines.get(columns) or self._line_form(columns)
        texts = tuple(values.values())
        for place, column, limit in limited:
            value = texts[place]
            if len(value) * 2 > limit:  # a character takes at most 2 bytes: most values need no encoding
                _check_limit(column, value, limit, writer)
        if QUOTE in "".join(texts):
            texts = tuple(value.replace(QUOTE, QUOTE + QUOTE) for value in texts)
        return in_line_order(texts)

    def form_text(self, columns: tuple[str, ...]) -> str:
        """The line with "%s" in these columns, for texts() of the same columns."""
        return (self._lines.get(columns) or self._line_form(columns)).text

    def _line_form(self, columns: tuple[str, ...]) -> _LineForm:
        fields = [field.replace("%", "%%") for field in self.fields]
        positions = [self._position(column) for column in columns]
        for column, position in zip(columns, positions, strict=True):
            if fields[position] != csv_field(""):  # the template's value would be lost under a blank one
                raise ValueError(f"column written by the template and by each label: {column}")
            fields[position] = '"%s"'
        form = _LineForm(
            text=",".join(fields) + CRLF,
            in_line_order=_picker(sorted(range(len(columns)), key=positions.__getitem__)),
            limited=tuple(
                (place, column, self.limits[column])
                for place, column in enumerate(columns)
                if column in self.limits
            ),
        )
        self._lines[columns] = form
        return form

    def _position(self, column: str) -> int:
        position = self.index.get(column)
        if position is None:
            raise ValueError(f"column not in the layout: {column}")
        return position

    def _check_limits(self, values: dict[str, str], writer: FieldWriter) -> None:
        for column, value in values.items():
            if column in self.limits:
                _check_limit(column, value, self.limits[column], writer)


def _check_limit(column: str, value: str, limit: int, writer: FieldWriter) -> None:
    if sjis_len(value) > limit:
        writer.problems.append(f"{column}「{value}」は{limit}バイトまでです（{sjis_len(value)}バイト）")


def csv_field(value: str) -> str:
    """One field as csv.QUOTE_ALL writes it: quoted, a quote inside doubled."""
    return '"' + value.replace(QUOTE, QUOTE + QUOTE) + '"'


def csv_bytes(header: tuple[str, ...], lines: list[str]) -> bytes:
    """A carrier CSV from its lines (RowTemplate.line): header row, every field quoted, CRLF line ends,
    Shift_JIS. Fields must be Shift_JIS-safe."""
    head = ",".join(csv_field(column) for column in header) + CRLF
    return (head + "".join(lines)).encode(SHIFT_JIS)
