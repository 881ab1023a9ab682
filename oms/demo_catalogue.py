"""The demo shop's catalogue, without Django: `seed_demo` (oms.demo) creates its products and SKUs, and the
marketplace simulators' shoppers buy them under the same names and prices (channels.simulators.datagen)."""

# (product code, product name, [(variant suffix, variant name[, unit price, weight g])], unit price, weight g):
# a variant's own price and weight, where given, replace the product's
_COLOURS = [("BLK", "ブラック"), ("WHT", "ホワイト"), ("NVY", "ネイビー")]
_SIZES = [("S", "S"), ("M", "M"), ("L", "L")]
CATALOGUE = [
    (
        "TSHIRT",
        "オーガニックコットン Tシャツ",
        [(f"{c}-{s}", f"{cn} {sn}") for c, cn in _COLOURS for s, sn in _SIZES],
        2980,
        180,
    ),
    (
        "HOODIE",
        "裏起毛パーカー",
        [(f"{c}-{s}", f"{cn} {s}") for c, cn in _COLOURS[:2] for s in ("M", "L", "XL")],
        6980,
        550,
    ),
    (
        "SOCKS",
        "和紙ソックス",
        [
            ("BLK-M", "ブラック 23-25cm"),
            ("BLK-L", "ブラック 25-27cm"),
            ("WHT-M", "ホワイト 23-25cm"),
            ("WHT-L", "ホワイト 25-27cm"),
        ],
        980,
        60,
    ),
    ("TOTE", "帆布トートバッグ", [("NAT", "生成り"), ("BLK", "ブラック")], 3480, 400),
    ("COFFEE", "自家焙煎コーヒー豆", [("200G", "200g", 1680, 230), ("500G", "500g", 3780, 540)], 1680, 230),
    (
        "TEA",
        "静岡茶",
        [("SENCHA", "煎茶 100g"), ("HOJICHA", "ほうじ茶 100g"), ("GENMAI", "玄米茶 200g", 1280, 220)],
        1080,
        120,
    ),
    ("SENBEI", "手焼きせんべい", [("12P", "12枚入"), ("24P", "24枚入", 2376, 560)], 1296, 300),
    ("HONEY", "国産はちみつ", [("300G", "300g")], 2160, 420),
    ("RICE", "新潟県産コシヒカリ", [("5KG", "5kg"), ("10KG", "10kg", 7480, 10200)], 3980, 5100),
    ("MISO", "天然醸造みそ", [("RED", "赤みそ 750g"), ("WHITE", "白みそ 750g")], 1188, 800),
]
SETS = [
    ("SET-GIFT-A", "お茶とせんべいのギフトセット", 2680, [("TEA-SENCHA", 1), ("SENBEI-12P", 1)]),
    ("SET-COFFEE-B", "コーヒー飲み比べセット", 3980, [("COFFEE-200G", 2), ("HONEY-300G", 1)]),
]


def variant_price_weight(variant: tuple, price: int, weight: int) -> tuple[int, int]:
    """A variant's (unit price, weight g): its own where it has them, else its product's."""
    return (variant[2], variant[3]) if len(variant) > 2 else (price, weight)


def demo_items() -> dict[str, tuple[str, int]]:
    """SKU code -> (item name as the shops list it, unit price) of every demo SKU and set."""
    items = {}
    for code, name, variants, price, weight in CATALOGUE:
        for variant in variants:
            items[f"{code}-{variant[0]}"] = (
                f"{name} {variant[1]}",
                variant_price_weight(variant, price, weight)[0],
            )
    items.update({code: (name, price) for code, name, price, _parts in SETS})
    return items
