"""Phone check: the number is a Japanese fixed-line, mobile, IP or free-dial number (総務省 numbering plan)."""

import functools
import re

import jaconv

from orders.checks import CheckIssue

__all__ = ["check_phone", "normalize_phone"]

PHONE_INVALID = "phone_invalid"

# Separators people type between digit groups: spaces, every dash form (including the long vowel mark
# ー that Japanese IMEs produce), parentheses around the area code, dots.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−－﹣─━ーｰ()（）.．・]")
_DIGITS = re.compile(r"[0-9]+")

# Non-geographic numbers by prefix: (prefix, total digits, what it is). Checked longest prefix first.
_SERVICE_NUMBERS = (
    ("0120", 10, "フリーダイヤル"),
    ("0800", 11, "フリーダイヤル"),
    ("0570", 10, "ナビダイヤル"),
    ("050", 11, "IP電話"),
    ("070", 11, "携帯電話"),
    ("080", 11, "携帯電話"),
    ("090", 11, "携帯電話"),
    ("020", 11, "携帯・M2M"),
)
# Numbers that exist in the plan but are no customer's phone: information services, unused blocks.
_REFUSED_PREFIXES = {
    "0180": "テレドーム（情報サービス）の番号です",
    "0990": "ダイヤルQ2（廃止）の番号です",
    "060": "現在使われていない番号帯です",
}
_FIXED_LINE_DIGITS = 10  # 0 + 市外局番 + 市内局番 + 加入者番号


def _domestic_digits(value: str) -> str | None:
    """The number as domestic digits ("+81-90-1234-5678" -> "09012345678"); None if it has other characters
    or is a foreign number."""
    text = _SEPARATORS.sub("", jaconv.z2h(value, kana=False, ascii=True, digit=True))
    if text.startswith("+81"):
        text = text[3:]
        if text and not text.startswith("0"):  # +81 3-... drops the trunk 0; +81 (0)3-... keeps it
            text = "0" + text
    return text if _DIGITS.fullmatch(text) else None


def _refusal(digits: str) -> str | None:
    """Why these domestic digits are not a usable Japanese phone number; None when they are one."""
    return _refusal_of(digits[:4], len(digits))


@functools.lru_cache(maxsize=4096)  # the answer depends only on the first four digits and the length
def _refusal_of(head: str, length: int) -> str | None:
    if not head.startswith("0"):
        return "0 で始まっていません"
    if head.startswith("00"):
        return "00 で始まる番号は国際・事業者識別番号です"
    for prefix, reason in _REFUSED_PREFIXES.items():
        if head.startswith(prefix):
            return reason
    for prefix, expected, kind in _SERVICE_NUMBERS:
        if head.startswith(prefix):
            if length != expected:
                return f"{kind}は{expected}桁ですが{length}桁です"
            if len(prefix) == 3 and head[3] == "0":  # 090-0xxx, 050-0xxx are not allocated
                return f"{prefix} の次が 0 の番号はありません"
            return None
    if length != _FIXED_LINE_DIGITS:
        return f"固定電話は市外局番から10桁ですが{length}桁です"
    return None


def normalize_phone(value: str | None) -> str | None:
    """A valid Japanese phone number as domestic digits ("03-1234-5678" -> "0312345678"); None otherwise."""
    if not isinstance(value, str):
        return None
    digits = _domestic_digits(value)
    return digits if digits and _refusal(digits) is None else None


def check_phone(phone: str | None) -> list[CheckIssue]:
    """The number is a Japanese phone number: a fixed line (10 digits from the 0 of the area code), a mobile
    (070/080/090, 11 digits), IP (050, 11), free dial (0120 10 / 0800 11), ナビダイヤル (0570, 10), in any
    width, with hyphens, parentheses, spaces or as +81."""
    shown = "" if phone is None else str(phone).strip()
    if not shown:
        return [
            CheckIssue(PHONE_INVALID, "電話番号が入力されていません。お届け先の電話番号を入力してください")
        ]
    if (digits := _domestic_digits(shown)) is None:
        reason = "外国の番号です" if shown.startswith(("+", "＋")) else "数字以外の文字が含まれています"
    else:
        reason = _refusal(digits)
        if reason is None:
            return []
    return [
        CheckIssue(
            PHONE_INVALID,
            f"電話番号「{shown}」は日本の電話番号ではありません（{reason}）。"
            "固定電話は市外局番から10桁、携帯電話は11桁の番号を確認してください",
        )
    ]
