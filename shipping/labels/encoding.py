"""Label fields for the carriers: the Shift_JIS replacement rule, byte lengths, and the per-order field writer.

The carriers' import screens (B2クラウド, e飛伝, ゆうプリR) read Shift_JIS, that is JIS X 0208 plus half-width
katakana. Windows-only extensions (NEC 特殊文字 such as ①, ㈱, and IBM 拡張漢字 such as 髙, 﨑) are not in it:
a carrier refuses the row or prints a wrong glyph. So every text field goes through `sjis_safe`, which applies
this rule character by character and returns every change it made:

1. A character Shift_JIS holds stays as it is.
2. A character that Windows maps to another Unicode code point than JIS does (～ and 〜, － and −, ∥ and ‖,
   ￠ ￡ ￢ and ¢ £ ¬, — and ―) becomes the JIS code point. It is the same Shift_JIS character, so nothing
   is reported.
3. A variant kanji (異体字) in VARIANT_KANJI becomes its common form (髙→高, 﨑→崎, 德→徳, 𠮷→吉, …). Reported.
4. A character whose Unicode compatibility form (NFKC) Shift_JIS holds becomes that form: ①→1, ㈱→(株),
   Ⅱ→II, ㎏→kg, ™→TM, ㍻→平成. Reported.
5. A variation selector or zero-width character (they only choose a glyph or join emoji) is removed. Reported.
6. Anything else (emoji, ♡, kanji outside JIS X 0208) becomes 〓 (ゲタ, the typesetters' mark for a missing
   glyph, so a person sees on the label that something was there). Reported.

Control characters (tabs, line breaks) become a space first: a carrier reads one line per label.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import jaconv

from orders.checks.normalize import normalize_postal_code
from orders.checks.phone import _refusal as phone_refusal  # the numbering plan, without width folding
from orders.checks.phone import normalize_phone

SHIFT_JIS = "shift_jis"
MISSING_GLYPH = "〓"
ELLIPSIS = "…"
HALF_WIDTH_SOUND_MARKS = "\uff9e\uff9f"  # ﾞ ﾟ: each belongs to the half-width kana before it

# Rule 2: Windows (cp932) code point -> the code point Python's JIS-based shift_jis codec uses for the same byte.
UNICODE_TWINS = str.maketrans(
    {
        "\uff5e": "\u301c",  # ～ -> 〜 (0x8160)
        "\uff0d": "\u2212",  # － -> − (0x817C)
        "\u2225": "\u2016",  # ∥ -> ‖ (0x8161)
        "\uffe0": "\u00a2",  # ￠ -> ¢ (0x8191)
        "\uffe1": "\u00a3",  # ￡ -> £ (0x8192)
        "\uffe2": "\u00ac",  # ￢ -> ¬ (0x81CA)
        "\u2014": "\u2015",  # — -> ― (0x815C)
    }
)

# Rule 3: variant kanji common in Japanese names and addresses that JIS X 0208 lacks -> the form it has.
VARIANT_KANJI = {
    "髙": "高",
    "﨑": "崎",
    "德": "徳",
    "栁": "柳",
    "濵": "浜",
    "瀨": "瀬",
    "桒": "桑",
    "淸": "清",
    "昻": "昂",
    "冝": "宜",
    "增": "増",
    "寬": "寛",
    "曻": "昇",
    "彅": "薙",
    "槗": "橋",
    "𠮷": "吉",
    "𡈽": "土",
    "鷗": "鴎",
    "剝": "剥",
    "噓": "嘘",
    "塡": "填",
    "頰": "頬",
    "繫": "繋",
}

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DASHES = re.compile(r"[‐‑‒–—―−－ーｰ]")
_PHONE_NOISE = re.compile(r"[\s()（）.．]")
_PLAIN_POSTAL_CODE = re.compile(r"[0-9]{3}-[0-9]{4}")
_PLAIN_PHONE = re.compile(r"0[0-9]{1,4}-[0-9]{1,4}-[0-9]{3,4}")
_INVISIBLE = re.compile(r"[\ufe00-\ufe0f\u200b-\u200d\u2060\ufeff\U000e0100-\U000e01ef]")


@dataclass(frozen=True)
class Replacement:
    """One character changed to fit Shift_JIS: in which field, what it was, what it became ("" = removed)."""

    field: str
    original: str
    replacement: str

    def __str__(self) -> str:
        became = f"「{self.replacement}」" if self.replacement else "（削除）"
        return f"{self.field}: 「{self.original}」→{became}"


def _encodable(text: str) -> bool:
    try:
        text.encode(SHIFT_JIS)
    except UnicodeEncodeError:
        return False
    return True


def _replace_char(char: str) -> str:
    """Rules 3 to 6 for one character Shift_JIS cannot hold."""
    if char in VARIANT_KANJI:
        return VARIANT_KANJI[char]
    if _INVISIBLE.fullmatch(char):
        return ""
    compatible = unicodedata.normalize("NFKC", char)
    if compatible != char and compatible and _encodable(compatible):
        return compatible
    return MISSING_GLYPH


def sjis_safe(text: str) -> tuple[str, list[tuple[str, str]]]:
    """`text` with only characters Shift_JIS holds, and the (original, replacement) pairs of rules 3 to 6."""
    safe, changes = _sjis_safe(text)
    return safe, list(changes)


@functools.lru_cache(maxsize=65536)  # prefectures, cities, item names and streets repeat across an export
def _sjis_safe(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    text = _CONTROL.sub(" ", text)
    if text.isascii() or _encodable(text):  # the common case: one encode, no loop
        # Shift_JIS has no combining characters, so text it holds is already in NFC and has no twins.
        return text, ()
    text = _composed(text.translate(UNICODE_TWINS))
    if _encodable(text):
        return text, ()
    changes: list[tuple[str, str]] = []
    out = []
    for char in text:
        if _encodable(char):
            out.append(char)
            continue
        replacement = _replace_char(char)
        changes.append((char, replacement))
        out.append(replacement)
    return "".join(out), tuple(changes)


def _clusters(text: str) -> list[str]:
    """The text as base characters each with the combining marks after it ("か" + U+3099 is one cluster)."""
    clusters: list[str] = []
    for char in text:
        if clusters and unicodedata.combining(char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _composed(text: str) -> str:
    """NFC applied only to the runs of clusters Shift_JIS cannot hold, so that "か" + U+3099 becomes "が".

    Not to the whole text: NFC also replaces some characters Shift_JIS holds by others it does not (U+212B Å,
    0x81F0, becomes U+00C5), which would break rule 1 and report a character the buyer never wrote."""
    out: list[str] = []
    run: list[str] = []
    for cluster in _clusters(text):
        if _encodable(cluster):
            if run:
                out.append(unicodedata.normalize("NFC", "".join(run)))
                run.clear()
            out.append(cluster)
        else:
            run.append(cluster)  # a run, not each cluster: Hangul jamo compose across clusters
    if run:
        out.append(unicodedata.normalize("NFC", "".join(run)))
    return "".join(out)


def sjis_len(text: str) -> int:
    """Bytes in Shift_JIS: what the carriers' limits count (全角 2, 半角 1). `text` must be Shift_JIS-safe."""
    return len(text.encode(SHIFT_JIS))


def sjis_head(text: str, limit: int) -> str:
    """The longest start of `text` that fits in `limit` bytes, never cutting a character in two, nor a half-width
    kana from its voiced or semi-voiced mark (ｶﾞ is one sound in two characters: ｶ alone reads ka, not ga)."""
    if len(text) * 2 <= limit or sjis_len(text) <= limit:  # a character takes at most 2 bytes
        return text
    size = 0
    for index, char in enumerate(text):
        size += len(char.encode(SHIFT_JIS))
        if size > limit:
            while index > 0 and text[index] in HALF_WIDTH_SOUND_MARKS:
                index -= 1
            return text[:index]
    return text


def sjis_truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` bytes with … at the end when it was longer."""
    if len(text) * 2 <= limit or sjis_len(text) <= limit:  # a character takes at most 2 bytes
        return text
    return sjis_head(text, limit - sjis_len(ELLIPSIS)).rstrip() + ELLIPSIS


def _word_char(char: str) -> bool:
    folded = unicodedata.normalize("NFKC", char)
    return folded.isascii() and folded.isalnum()


def sjis_split(text: str, limit: int, *, at_space: bool = True) -> tuple[str, str]:
    """(what fits in `limit` bytes, the rest). Cuts at a space in the second half when there is one (unless
    `at_space` is False), and never inside a run of letters or digits (a house number 101 stays whole) unless
    the run fills the whole field."""
    head = sjis_head(text, limit)
    if head == text or not head:
        return head, text[len(head) :]
    space = max(head.rfind(" "), head.rfind("　"))
    if at_space and space > 0 and space >= len(head) // 2:
        return head[:space].rstrip(), text[space + 1 :].lstrip()
    start = len(head)
    if _word_char(head[-1]) and _word_char(text[start]):
        while start > 0 and _word_char(head[start - 1]):
            start -= 1
        if start == 0:
            start = len(head)
    return head[:start].rstrip(), text[start:].lstrip()


def _fill(limits: list[int], groups: list[str], at_space: bool = True) -> list[str] | None:
    """Lay the groups over fields of these byte limits: each group starts in a fresh field while one is left and
    spills into the next field when it is too long; later groups share the last field after a space. None when
    the text does not fit."""
    values = [""] * len(limits)
    index = -1
    for group in groups:
        if not group:
            continue
        if index + 1 < len(limits):
            index += 1
            rest = group
        else:
            joined = f"{values[index]} {group}" if index >= 0 else group
            if sjis_len(joined) > limits[index]:
                return None
            values[index] = joined
            continue
        while rest:
            head, rest = sjis_split(rest, limits[index], at_space=at_space)
            values[index] = head
            if rest:
                index += 1
                if index == len(limits):
                    return None
    return values


class FieldWriter:
    """Writes one order's label fields: Shift_JIS-safe, within the carrier's limits, every change recorded.

    replacements: characters changed by the Shift_JIS rule; notices: text shortened by a documented rule (品名);
    problems: what keeps the order out of the file (a field that does not fit, a missing value)."""

    def __init__(self) -> None:
        self.replacements: list[Replacement] = []
        self.notices: list[str] = []
        self.problems: list[str] = []

    def clean(self, field: str, value: str | None) -> str:
        """The value made Shift_JIS-safe, surrounding spaces removed; replacements recorded under `field`."""
        text, changes = _sjis_safe(value or "")
        if changes:
            self.replacements.extend(Replacement(field, original, new) for original, new in changes)
        return text.strip()

    def fit(self, what: str, fields: list[tuple[str, int]], groups: list[str]) -> list[str]:
        """Spread an address (or a long name) over the carrier's fields [(column, byte limit)], e.g. street into
        お届け先住所 and the building into お届け先アパートマンション名, spilling over when a part is too long."""
        limits = [limit for _name, limit in fields]
        present = [group for group in groups if group]
        if len(present) <= len(limits) and all(
            len(group) * 2 <= limit for group, limit in zip(present, limits, strict=False)
        ):  # the common case: each part fits its own field (a character takes at most 2 bytes)
            return present + [""] * (len(limits) - len(present))
        # the parts joined by a space, not run together: "1-2-3" and "2F" must not read "1-2-32F"
        # a cut at a space reads better, but may leave too much for the next field: then cut where it fits
        joined = [" ".join(group for group in groups if group)]
        values = next(
            (
                filled
                for parts, at_space in ((groups, True), (groups, False), (joined, True), (joined, False))
                if (filled := _fill(limits, parts, at_space)) is not None
            ),
            None,
        )
        if values is None:
            text = " ".join(group for group in groups if group)
            columns = "・".join(name for name, _limit in fields)
            self.problems.append(
                f"{what}「{text}」（{sjis_len(text)}バイト）が{columns}（計{sum(limits)}バイト）に収まりません"
            )
            return [
                sjis_head(group, limit)
                for group, limit in zip([*groups, *[""] * len(limits)], limits, strict=False)
            ]
        return values

    def postal_code(self, what: str, value: str) -> str:
        """NNN-NNNN; a value that is no postal code is a problem."""
        if _PLAIN_POSTAL_CODE.fullmatch(value):  # already in the form: no width folding needed
            return value
        postal_code = normalize_postal_code(value)
        if postal_code is None:
            self.problems.append(f"{what}「{value}」が郵便番号の形ではありません")
            return ""
        return postal_code

    def phone(self, what: str, value: str) -> str:
        """The number as written (half width, hyphens kept) when it is a Japanese phone number, else its digits;
        a number the checks do not know but that looks like one is written with a notice, anything else is a
        problem (the carriers refuse a label without a phone number)."""
        if _PLAIN_PHONE.fullmatch(value) and phone_refusal(value.replace("-", "")) is None:
            return value  # the common form, half-width with hyphens, of a valid number: written as it is
        if not value.strip():
            self.problems.append(f"{what}がありません")
            return ""
        half_width = jaconv.z2h(value, kana=False, ascii=True, digit=True)
        written = _PHONE_NOISE.sub("", _DASHES.sub("-", half_width))
        digits = normalize_phone(value)
        if digits:
            return written if written.replace("-", "") == digits else digits
        if re.fullmatch(r"0[0-9-]{9,14}", written):
            self.notices.append(
                f"{what}「{value}」は日本の電話番号として確認できませんでしたが、そのまま書きます"
            )
            return written
        self.problems.append(f"{what}「{value}」を送り状に書けません")
        return ""

    def item_names(self, fields: list[tuple[str, int]], items: list[str]) -> list[str]:
        """品名 rule: one item per field in line order, each cut to the field with …; when there are more items than
        fields, the last field holds the next item and 「他N点」 for the N items left over."""
        count = len(fields)
        shown = items if len(items) <= count else items[: count - 1]
        values = [
            self._shorten(name, item, limit) for (name, limit), item in zip(fields, shown, strict=False)
        ]
        if len(items) > count:
            name, limit = fields[-1]
            others = len(items) - count
            suffix = f" 他{others}点"
            values.append(self._shorten(name, items[count - 1], limit - sjis_len(suffix)) + suffix)
            self.notices.append(
                f"{name}: {len(items)}品目のうち最後の{others}品目を「他{others}点」としました"
            )
        return values + [""] * (count - len(values))

    def _shorten(self, name: str, text: str, limit: int) -> str:
        shortened = sjis_truncate(text, limit)
        if shortened != text:
            self.notices.append(f"{name}: 「{text}」を{limit}バイトに切り詰めました（「{shortened}」）")
        return shortened


@functools.lru_cache(maxsize=1024)  # an export has one ship date and a few dozen wished dates
def date_text(value: date | None, date_format: str) -> str:
    """The date in the carrier's format; "" for no date."""
    return value.strftime(date_format) if value else ""
