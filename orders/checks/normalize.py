"""Normalisation of Japanese addresses and postal codes, so that two spellings of one place compare equal."""

import re

import jaconv

# Dash-like characters people and shop forms use in place of "-". The long vowel mark ー is not among
# them: it is a letter in katakana words and only becomes "-" between digits (see _LONG_VOWEL_DASH).
_DASHES = "‐‑‒–—―−－﹣─━⁃"
_DASH_TABLE = str.maketrans(dict.fromkeys(_DASHES, "-"))
_LONG_VOWEL_DASH = re.compile(r"(?<=\d)[ーｰ](?=\d)")

_KANJI = r"\u3400-\u4dbf\u4e00-\u9fff々〆"
# ヶ (and its small forms) is read ga or ka and written ケ, ヶ or ヵ interchangeably (茅ヶ崎 / 茅ケ崎).
_KE_TABLE = str.maketrans({"ヶ": "ケ", "ヵ": "ケ", "ゖ": "ケ", "ゕ": "ケ"})
_GA_BETWEEN_KANJI = re.compile(rf"(?<=[{_KANJI}])が(?=[{_KANJI}])")  # 茅が崎 -> 茅ケ崎
_NO_BETWEEN_KANJI = re.compile(rf"(?<=[{_KANJI}])ノ(?=[{_KANJI}])")  # 丸ノ内 -> 丸の内

# Old and variant kanji (異体字) seen in addresses, folded to the common form. The same folding is applied
# to both sides of every comparison, so folding two real names together only makes matching more lenient.
_ITAIJI_TABLE = str.maketrans(
    {
        "髙": "高",
        "﨑": "崎",
        "嵜": "崎",
        "𥔎": "崎",
        "邊": "辺",
        "邉": "辺",
        "澤": "沢",
        "濱": "浜",
        "濵": "浜",
        "龍": "竜",
        "嶋": "島",
        "嶌": "島",
        "德": "徳",
        "槇": "槙",
        "淵": "渕",
        "舘": "館",
        "竈": "釜",
        "鰺": "鯵",
        "檜": "桧",
        "檮": "梼",
        "驒": "騨",
        "冨": "富",
        "國": "国",
        "廣": "広",
        "櫻": "桜",
        "會": "会",
        "瀧": "滝",
        "曾": "曽",
        "萬": "万",
        "條": "条",
        "惠": "恵",
        "眞": "真",
        "祗": "祇",
        "藪": "薮",
        "籔": "薮",
        "巾": "幅",
    }
)

_KANJI_DIGITS = {"〇": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
# A block number (丁目/番地/番/号) written in kanji: 三丁目, 十二番. Not 一番町 or 三の丸: those are names.
_KANJI_BLOCK_NUMBER = re.compile(
    r"([〇一二三四五六七八九十百]+)(?=丁目|番地|番(?![町丁通街])|号(?![室棟館線]))"
)
_BLOCK_MARKER = re.compile(r"(?<=\d)(?:丁目|番地|番(?![町丁通街])|号(?![室棟館線]))")
_NO_BETWEEN_NUMBERS = re.compile(r"(?<=\d)-?の(?=\d)")  # 1番地の2 / 1の2 -> 1-2
_MULTI_DASH = re.compile(r"-{2,}")
_DANGLING_DASH = re.compile(r"-(?!\d)")
_WHITESPACE = re.compile(r"\s+")
# 大字/字 are land-register prefixes that Japan Post omits and people write or leave out at will.
_AZA = re.compile(r"大字|字")


def _kanji_number(text: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十三 -> 23, 百五 -> 105; None for anything else."""
    total, current = 0, 0
    for char in text:
        if char in _KANJI_DIGITS:
            current = current * 10 + _KANJI_DIGITS[char] if current else _KANJI_DIGITS[char]
        elif char in "十百":
            unit = 10 if char == "十" else 100
            total += (current or 1) * unit
            current = 0
        else:
            return None
    return total + current


def _replace_kanji_block_number(match: re.Match) -> str:
    number = _kanji_number(match[1])
    return match[1] if number is None else str(number)


def normalize_width(value: str) -> str:
    """Digits and ASCII to half width (jaconv.z2h), katakana to full width (jaconv.h2z), no spaces."""
    text = jaconv.h2z(value, kana=True, ascii=False, digit=False)
    text = jaconv.z2h(text, kana=False, ascii=True, digit=True)
    return _WHITESPACE.sub("", text)


def normalize_address(value: str | None) -> str:
    """One canonical spelling of an address (or a part of one), for comparing, never for display.

    全角/半角, spaces, dash forms, ヶ/ケ/ヵ/が, ノ/の, common 異体字, 大字/字 and the block notations are
    folded: "千代田１丁目１番地の２　メゾン１０１号室" and "千代田1-1-2メゾン101号室" both give
    "千代田1-1-2メゾン101号室".
    """
    if not value:
        return ""
    text = normalize_width(value)
    text = text.translate(_DASH_TABLE).translate(_KE_TABLE).translate(_ITAIJI_TABLE)
    text = _GA_BETWEEN_KANJI.sub("ケ", text)
    text = _NO_BETWEEN_KANJI.sub("の", text)
    text = _AZA.sub("", text)
    text = _LONG_VOWEL_DASH.sub("-", text)
    text = _KANJI_BLOCK_NUMBER.sub(_replace_kanji_block_number, text)
    text = _BLOCK_MARKER.sub("-", text)
    text = _NO_BETWEEN_NUMBERS.sub("-", text)
    text = _MULTI_DASH.sub("-", text)
    return _DANGLING_DASH.sub("", text)


_POSTAL_CODE = re.compile(r"(\d{3})-?(\d{4})")
_POSTAL_DASHES = str.maketrans(dict.fromkeys(_DASHES + "ーｰ", "-"))


def normalize_postal_code(value: str | None) -> str | None:
    """The canonical NNN-NNNN form of 1000001, 100-0001, １００－０００１ or 〒100-0001; None if it is not one."""
    if not isinstance(value, str):
        return None
    text = normalize_width(value).translate(_POSTAL_DASHES).removeprefix("〒")
    match = _POSTAL_CODE.fullmatch(text)
    return f"{match[1]}-{match[2]}" if match else None
