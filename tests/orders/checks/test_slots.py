"""Time slots: every shop's form reads as one canonical slot, and each canonical slot as each carrier's code."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from orders.checks.slots import (
    CANONICAL_SLOTS,
    carrier_offers,
    carrier_slot_code,
    carrier_slots,
    slot_from_marketplace,
    slot_label,
)
from orders.models import DeliveryTime

JST = timezone(timedelta(hours=9))


def jst(hour: int, minute: int = 0, second: int = 0, day: int = 5) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=JST)


# ---- the canonical set -------------------------------------------------------------------------------------
def test_canonical_slots_are_the_delivery_time_choices():
    assert set(DeliveryTime.values) == CANONICAL_SLOTS


def test_slot_label_is_the_japanese_name():
    assert [slot_label(slot) for slot in ("", "08-12", "14-16")] == ["指定なし", "午前中", "14時～16時"]


# ---- Rakuten shippingTerm ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("term", "slot"),
    [
        (None, ""),
        ("", ""),
        (0, ""),
        ("0", ""),
        (1, "08-12"),  # 午前
        (812, "08-12"),
        ("812", "08-12"),
        ("0812", "08-12"),
        (912, "08-12"),
        (1214, "12-14"),
        (1416, "14-16"),
        ("1416", "14-16"),
        (1618, "16-18"),
        (1820, "18-20"),
        (1821, "18-21"),
        (1921, "19-21"),
        (2021, "20-21"),
    ],
)
def test_rakuten_shipping_term_reads_as_canonical_slot(term, slot):
    assert slot_from_marketplace("rakuten", term) == slot


@pytest.mark.parametrize(
    ("term", "words"),
    [
        (2, "午後"),
        (9, "その他"),
        (2324, "23時-24時"),
        (708, "7時-8時"),
        (1200, "12時-0時"),
        ("abc", "not a number"),
    ],
)
def test_rakuten_shipping_term_without_one_slot_is_refused_with_what_it_means(term, words):
    with pytest.raises(ValueError, match=words):
        slot_from_marketplace("rakuten", term)


@pytest.mark.parametrize("term", [True, 14.5, ["1416"]])
def test_rakuten_shipping_term_of_another_type_is_refused(term):
    with pytest.raises(ValueError, match="shippingTerm"):
        slot_from_marketplace("rakuten", term)


# ---- Yahoo ShipRequestTime ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "slot"),
    [
        (None, ""),
        ("", ""),
        ("指定なし", ""),
        ("指定無し", ""),
        ("午前中", "08-12"),
        ("午前", "08-12"),
        ("午前中（8時～12時）", "08-12"),
        ("8-12時", "08-12"),
        ("08:00～12:00", "08-12"),
        ("12:00～14:00", "12-14"),
        ("14:00～16:00", "14-16"),  # ～ FULLWIDTH TILDE
        ("14:00〜16:00", "14-16"),  # 〜 WAVE DASH
        ("14:00-16:00", "14-16"),
        ("14:00 - 16:00", "14-16"),
        ("１４：００～１６：００", "14-16"),  # 全角
        ("14時～16時", "14-16"),
        ("16-18時", "16-18"),
        ("18時～20時", "18-20"),
        ("19時～21時", "19-21"),
        ("18:00-21:00", "18-21"),
        ("20時～21時", "20-21"),
    ],
)
def test_yahoo_ship_request_time_reads_as_canonical_slot(text, slot):
    assert slot_from_marketplace("yahoo", text) == slot


@pytest.mark.parametrize(
    "text", ["午後", "夕方", "10:00～13:00", "14:30～16:00", "23時～24時", "なるべく早く"]
)
def test_yahoo_ship_request_time_without_one_slot_is_refused(text):
    with pytest.raises(ValueError, match="ShipRequestTime"):
        slot_from_marketplace("yahoo", text)


def test_yahoo_ship_request_time_that_is_not_text_is_refused():
    with pytest.raises(ValueError, match="not text"):
        slot_from_marketplace("yahoo", 1416)


# ---- Amazon delivery windows -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "slot"),
    [
        (jst(8), jst(12), "08-12"),
        (jst(8), jst(11, 59, 59), "08-12"),  # Amazon ends a window one second before the hour
        (jst(12), jst(14), "12-14"),
        (jst(14), jst(15, 59, 59), "14-16"),
        (jst(16), jst(18), "16-18"),
        (jst(18), jst(20), "18-20"),
        (jst(19), jst(21), "19-21"),
        (jst(18), jst(21), "18-21"),
        (jst(20), jst(21), "20-21"),
        (jst(0), jst(23, 59, 59), ""),  # the whole day: a date without a time
        (jst(0), jst(0, day=6), ""),
    ],
)
def test_amazon_window_reads_as_canonical_slot(start, end, slot):
    assert slot_from_marketplace("amazon", (start, end)) == slot


def test_amazon_window_in_utc_is_read_in_japan_time():
    # given 05:00-06:59:59 UTC, which is 14:00-15:59:59 JST
    window = (datetime(2026, 12, 5, 5, tzinfo=UTC), datetime(2026, 12, 5, 6, 59, 59, tzinfo=UTC))
    # then
    assert slot_from_marketplace("amazon", window) == "14-16"


def test_amazon_window_as_iso_strings_with_z_is_read():
    assert slot_from_marketplace("amazon", ["2026-12-05T05:00:00Z", "2026-12-05T06:59:59Z"]) == "14-16"


@pytest.mark.parametrize(
    ("window", "problem"),
    [
        ((jst(10), jst(13)), "10時-13時"),
        ((jst(14, 30), jst(16)), "on the hour"),
        ((jst(16), jst(14)), "within one day"),
        ((jst(20), jst(10, day=6)), "within one day"),
        ((datetime(2026, 12, 5, 14), datetime(2026, 12, 5, 16)), "UTC offset"),  # naive
        (("2026-12-05T14:00:00+09:00", "yesterday"), "ISO-8601"),
        ((jst(14),), "pair"),
        ("14-16", "pair"),
    ],
)
def test_amazon_window_that_is_no_slot_is_refused(window, problem):
    with pytest.raises(ValueError, match=problem):
        slot_from_marketplace("amazon", window)


def test_unknown_marketplace_is_refused():
    with pytest.raises(ValueError, match="unknown marketplace 'mercari'"):
        slot_from_marketplace("mercari", "14-16")


# ---- carriers ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("carrier", "slot", "code"),
    [
        ("yamato", "", ""),
        ("yamato", "08-12", "0812"),
        ("yamato", "14-16", "1416"),
        ("yamato", "16-18", "1618"),
        ("yamato", "18-20", "1820"),
        ("yamato", "19-21", "1921"),
        ("sagawa", "", ""),
        ("sagawa", "08-12", "01"),
        ("sagawa", "12-14", "12"),
        ("sagawa", "14-16", "14"),
        ("sagawa", "16-18", "16"),
        ("sagawa", "18-20", "18"),
        ("sagawa", "19-21", "19"),
        ("sagawa", "18-21", "04"),
        ("japanpost", "", ""),
        ("japanpost", "08-12", "60"),
        ("japanpost", "12-14", "62"),
        ("japanpost", "14-16", "63"),
        ("japanpost", "16-18", "64"),
        ("japanpost", "18-20", "65"),
        ("japanpost", "19-21", "67"),
    ],
)
def test_carrier_slot_code_is_the_label_files_code(carrier, slot, code):
    assert carrier_slot_code(carrier, slot) == code
    assert carrier_offers(carrier, slot)


@pytest.mark.parametrize(
    ("carrier", "slot"),
    [
        ("yamato", "12-14"),  # abolished 2017
        ("yamato", "20-21"),  # abolished 2017
        ("yamato", "18-21"),
        ("sagawa", "20-21"),
        ("japanpost", "18-21"),
        ("japanpost", "20-21"),  # abolished 2024
    ],
)
def test_slot_the_carrier_does_not_offer_is_refused_with_what_it_offers(carrier, slot):
    assert not carrier_offers(carrier, slot)
    with pytest.raises(ValueError, match=f"does not deliver in the slot '{slot}'; it offers 08-12"):
        carrier_slot_code(carrier, slot)


def test_every_carrier_offers_the_canonical_slots_it_has_codes_for():
    assert carrier_slots("yamato") == ("08-12", "14-16", "16-18", "18-20", "19-21")
    assert carrier_slots("sagawa") == ("08-12", "12-14", "14-16", "16-18", "18-20", "19-21", "18-21")
    assert carrier_slots("japanpost") == ("08-12", "12-14", "14-16", "16-18", "18-20", "19-21")


def test_carrier_codes_are_unique_per_carrier():
    for carrier in ("yamato", "sagawa", "japanpost"):
        codes = [carrier_slot_code(carrier, slot) for slot in carrier_slots(carrier)]
        assert len(set(codes)) == len(codes)


@pytest.mark.parametrize("slot", ["1416", "午前中", "14:00-16:00", "21-22"])
def test_slot_that_is_not_canonical_is_refused_for_a_carrier(slot):
    with pytest.raises(ValueError, match="not a canonical delivery time slot"):
        carrier_slot_code("sagawa", slot)


@pytest.mark.parametrize("call", [carrier_slot_code, carrier_offers])
def test_unknown_carrier_is_refused(call):
    with pytest.raises(ValueError, match="unknown carrier 'seino'"):
        call("seino", "14-16")
