"""The merge key (同梱キー): buyer name, ship-to address and phone, normalised so that spelling
differences (全角/半角, spaces, hyphen forms) do not hide that two orders go to the same person."""

import hashlib
import re
import unicodedata

_DROP = re.compile(r"[\s\-‐‑‒–—―ー−－〒・,、.。()（）]")


def normalise_for_match(value: str) -> str:
    return (
        _DROP.sub("", unicodedata.normalize("NFKC", value or ""))
        .lower()
        .replace("ヶ", "ケ")
        .replace("ヵ", "ケ")
    )


def merge_key(
    *, name: str, postal_code: str, prefecture: str, city: str, address1: str, address2: str, phone: str
) -> str:
    parts = [name, postal_code, prefecture + city + address1 + address2, phone]
    return hashlib.sha256("|".join(normalise_for_match(p) for p in parts).encode()).hexdigest()
