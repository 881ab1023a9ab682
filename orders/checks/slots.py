"""Delivery time slots (お届け時間帯): every shop's form mapped to one canonical set, and that set to carrier codes.

Canonical slots are the values of orders.models.DeliveryTime ("" = 指定なし, "08-12" = 午前中, "14-16", ...).
Sources for every code below: reference/marketplace_apis.md §4.1-4.3 (carriers) and §1.5, §2.2, §3.2 (shops).
"""

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, time, timedelta, timezone

from orders.models import DeliveryTime, in_japanese
from shipping.models import Carrier

JST = timezone(timedelta(hours=9), "JST")  # Japan has no daylight saving time

CANONICAL_SLOTS: frozenset[str] = frozenset(DeliveryTime.values)
NO_SLOT = DeliveryTime.NONE.value
MORNING = DeliveryTime.MORNING.value
WISHABLE_SLOTS: tuple[str, ...] = tuple(slot for slot in DeliveryTime.values if slot)  # earliest first

# A wish given as (from hour, to hour) -> canonical slot. 9-12 is still 午前中 to every carrier.
SLOTS_BY_HOURS: dict[tuple[int, int], str] = {(8, 12): MORNING, (9, 12): MORNING} | {
    (int(slot[:2]), int(slot[3:])): slot for slot in DeliveryTime.values if slot and slot != MORNING
}

# ---- shops -------------------------------------------------------------------------------------------------
# Rakuten shippingTerm (お届け時間帯): 0 なし, 1 午前, 2 午後, 9 その他, otherwise h1h2 (812 or "0812" = 8-12時).
RAKUTEN_NONE, RAKUTEN_MORNING = 0, 1
RAKUTEN_VAGUE = {2: "午後", 9: "その他"}  # no single slot: a person reads the buyer's words instead
# Yahoo ShipRequestTime is free text chosen by the store ("14:00～16:00", "午前中", "8-12時", "指定なし").
YAHOO_NONE_WORDS = frozenset({"", "指定なし", "指定無し", "なし", "希望なし", "お任せ"})
YAHOO_MORNING_WORDS = frozenset({"午前中", "午前", "午前中(8時~12時)", "午前中(8:00~12:00)"})
YAHOO_HOURS = re.compile(
    r"(\d{1,2})(?::00)?\s*時?\s*[~〜\-‐–—ー－]\s*(\d{1,2})(?::00)?\s*(?:時)?\s*(?:頃|ごろ)?"
)

# ---- carriers ----------------------------------------------------------------------------------------------
# The code each carrier's label file takes for a canonical slot. No wish (指定なし) is blank for all three.
_CARRIER_CODES = {
    # ヤマト運輸 B2クラウド 配達時間帯 (§4.1). 12-14 (1214) and 20-21 (2021) were abolished in 2017.
    Carrier.Code.YAMATO: {
        DeliveryTime.NONE: "",
        DeliveryTime.MORNING: "0812",
        DeliveryTime.H14_16: "1416",
        DeliveryTime.H16_18: "1618",
        DeliveryTime.H18_20: "1820",
        DeliveryTime.H19_21: "1921",
    },
    # 佐川急便 e飛伝 配達指定時間帯 (§4.2). 04 (18-21) belongs to the 5-slot contract, 18 and 19 to the 6-slot
    # option; which one a shop has is its contract, so all are offered and the shop's staff pick.
    Carrier.Code.SAGAWA: {
        DeliveryTime.NONE: "",
        DeliveryTime.MORNING: "01",
        DeliveryTime.H12_14: "12",
        DeliveryTime.H14_16: "14",
        DeliveryTime.H16_18: "16",
        DeliveryTime.H18_20: "18",
        DeliveryTime.H19_21: "19",
        DeliveryTime.H18_21: "04",
    },
    # 日本郵便 ゆうパック (§4.3). ゆうプリR has no fixed CSV layout: the shop registers an import filter, so the
    # OMS's own filter uses the slot codes of Japan Post's published API enum (60 午前中, 62 12-14, 63 14-16,
    # 64 16-18, 65 18-20, 67 19-21). 20-21 (66) was abolished in 2024. The filter file must map these codes.
    Carrier.Code.JAPANPOST: {
        DeliveryTime.NONE: "",
        DeliveryTime.MORNING: "60",
        DeliveryTime.H12_14: "62",
        DeliveryTime.H14_16: "63",
        DeliveryTime.H16_18: "64",
        DeliveryTime.H18_20: "65",
        DeliveryTime.H19_21: "67",
    },
}

# Plain strings, not the enum members used above for readability.
CARRIER_CODES: dict[str, dict[str, str]] = {
    str(carrier): {str(slot): code for slot, code in codes.items()}
    for carrier, codes in _CARRIER_CODES.items()
}


def slot_label(slot: str) -> str:
    """ "14-16" -> "14時～16時", "08-12" -> "午前中", "" -> "指定なし"; the slot itself when it is not canonical.
    Japanese whatever the reader's language: it goes into Japanese sentences (hold messages)."""
    return in_japanese(DeliveryTime(slot).label) if slot in CANONICAL_SLOTS else slot


def carrier_name(carrier: str) -> str:
    """ "yamato" -> "ヤマト運輸"; ValueError for a carrier the OMS does not ship with."""
    return Carrier.Code(_known_carrier(carrier)).label


def carrier_slots(carrier: str) -> tuple[str, ...]:
    """The canonical slots (指定なし excluded) a carrier delivers in, earliest first."""
    return tuple(slot for slot in CARRIER_CODES[_known_carrier(carrier)] if slot != NO_SLOT)


def carrier_offers(carrier: str, slot: str) -> bool:
    """Whether the carrier can deliver in this canonical slot; no wish ("") is always possible."""
    return slot in CARRIER_CODES[_known_carrier(carrier)]


def carrier_slot_code(carrier: str, slot: str) -> str:
    """The code for the carrier's label file: ("yamato", "14-16") -> "1416"; ("sagawa", "") -> "".

    ValueError when the slot is not canonical or the carrier does not deliver in it."""
    codes = CARRIER_CODES[_known_carrier(carrier)]
    if slot not in CANONICAL_SLOTS:
        raise ValueError(f"{slot!r} is not a canonical delivery time slot ({_canonical_list()})")
    if slot not in codes:
        offered = ", ".join(carrier_slots(carrier))
        raise ValueError(f"{carrier} does not deliver in the slot {slot!r}; it offers {offered}")
    return codes[slot]


def slot_from_marketplace(kind: str, value) -> str:
    """A shop's time-slot wish -> the canonical slot ("" = no wish); ValueError when the form is unknown.

    kind "rakuten": shippingTerm, int or str (0, 1, "0812", 1416, ...); "yahoo": ShipRequestTime text;
    "amazon": (EarliestDeliveryDate, LatestDeliveryDate) of a Scheduled order, aware datetimes or ISO strings.
    A wish no canonical slot holds (Rakuten 2 午後, 9 その他, 2324; Yahoo "午後"; Amazon 10:00-13:00) raises too:
    the caller keeps the buyer's words for a person rather than guessing a slot."""
    readers = {"rakuten": _from_rakuten, "yahoo": _from_yahoo, "amazon": _from_amazon}
    if kind not in readers:
        raise ValueError(f"unknown marketplace {kind!r}; expected one of {', '.join(readers)}")
    return readers[kind](value)


# ---- readers -----------------------------------------------------------------------------------------------
def _from_rakuten(term) -> str:
    if term is None or term == "":
        return NO_SLOT
    if isinstance(term, bool) or not isinstance(term, int | str) or not str(term).strip().isdigit():
        raise ValueError(f"Rakuten shippingTerm {term!r} is not a number")
    code = int(str(term).strip())
    if code == RAKUTEN_NONE:
        return NO_SLOT
    if code == RAKUTEN_MORNING:
        return MORNING
    if code in RAKUTEN_VAGUE:
        raise ValueError(f"Rakuten shippingTerm {code} ({RAKUTEN_VAGUE[code]}) is no single time slot")
    start, end = divmod(code, 100)
    return _slot_for_hours(start, end, f"Rakuten shippingTerm {term!r}")


def _from_yahoo(text) -> str:
    if text is None:
        return NO_SLOT
    if not isinstance(text, str):
        raise ValueError(f"Yahoo ShipRequestTime {text!r} is not text")
    value = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))  # 全角 digits, ～ and spaces
    if value in YAHOO_NONE_WORDS:
        return NO_SLOT
    if value in YAHOO_MORNING_WORDS:
        return MORNING
    found = YAHOO_HOURS.fullmatch(value)
    if not found:
        raise ValueError(f"Yahoo ShipRequestTime {text!r} is not a time slot the OMS knows")
    return _slot_for_hours(int(found[1]), int(found[2]), f"Yahoo ShipRequestTime {text!r}")


def _from_amazon(window) -> str:
    if not isinstance(window, Sequence) or isinstance(window, str) or len(window) != 2:
        raise ValueError(f"Amazon delivery window {window!r} is not a (start, end) pair")
    start, end = (_jst_moment(moment, name) for moment, name in zip(window, ("start", "end"), strict=True))
    midnight = datetime.combine(start.date(), time(0), JST)
    if end.second == 59:  # Amazon ends a window at 15:59:59 or 23:59:59: it ends on the hour
        end += timedelta(seconds=1)
    if not start < end <= midnight + timedelta(days=1):
        raise ValueError(
            f"Amazon delivery window {start:%Y-%m-%d %H:%M}-{end:%H:%M} JST is not within one day"
        )
    start_hours, end_hours = (moment - midnight for moment in (start, end))
    if start_hours % timedelta(hours=1) or end_hours % timedelta(hours=1):
        raise ValueError(
            f"Amazon delivery window {start:%H:%M:%S}-{end:%H:%M:%S} does not start and end on the hour"
        )
    from_hour, to_hour = start_hours // timedelta(hours=1), end_hours // timedelta(hours=1)
    if (from_hour, to_hour) == (0, 24):  # the whole day: a date wish without a time
        return NO_SLOT
    return _slot_for_hours(from_hour, to_hour, f"Amazon delivery window {start:%H:%M}-{end:%H:%M} JST")


def _jst_moment(moment, name: str) -> datetime:
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"Amazon delivery window {name} {moment!r} is not an ISO-8601 time") from None
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        raise ValueError(f"Amazon delivery window {name} {moment!r} is not a time with a UTC offset")
    return moment.astimezone(JST)


def _slot_for_hours(start: int, end: int, what: str) -> str:
    slot = SLOTS_BY_HOURS.get((start, end))
    if slot is None:
        raise ValueError(
            f"{what} means {start}時-{end}時, which is no delivery time slot ({_canonical_list()})"
        )
    return slot


def _known_carrier(carrier: str) -> str:
    if carrier not in CARRIER_CODES:
        raise ValueError(f"unknown carrier {carrier!r}; expected one of {', '.join(CARRIER_CODES)}")
    return carrier


def _canonical_list() -> str:
    return ", ".join(WISHABLE_SLOTS)
