"""Delivery-wish checks: wished date against ship date, transit and limits; slot against the carrier; print date."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.checks import CheckIssue
from orders.checks.delivery import (
    TRANSIT_DAYS,
    DeliveryRules,
    check_delivery,
    earliest_delivery_date,
    earliest_ship_date,
    is_far_future,
    print_date,
    transit_days,
)

# December 2026: Tue 1, Wed 2, Thu 3, Fri 4, Sat 5, Sun 6, Mon 7, Tue 8 ...
WEDNESDAY = date(2026, 12, 2)
FRIDAY = date(2026, 12, 4)
DAY = timedelta(days=1)


def check(delivery_date, delivery_time="", carrier="yamato", today=WEDNESDAY, **kwargs) -> list[CheckIssue]:
    return check_delivery(
        delivery_date=delivery_date, delivery_time=delivery_time, carrier=carrier, today=today, **kwargs
    )


def codes(issues: list[CheckIssue]) -> list[str]:
    return [issue.code for issue in issues]


# ---- no wish / a wish that can be met ----------------------------------------------------------------------
def test_order_without_a_wish_passes():
    assert check(None, "") == []


def test_earliest_possible_date_passes():
    # given Wednesday, one day to ship, one day to 東京都: shipped Thursday, delivered Friday
    assert check(FRIDAY, prefecture="東京都") == []


def test_date_exactly_max_days_ahead_passes():
    assert check(WEDNESDAY + timedelta(days=30)) == []


# ---- date refusals -----------------------------------------------------------------------------------------
def test_past_date_is_refused_with_the_earliest_possible_date():
    # when
    issues = check(WEDNESDAY - DAY)
    # then
    assert codes(issues) == ["delivery_date_invalid"]
    assert "2026/12/01（火） は過去の日付です" in issues[0].message
    assert "最短のお届け日は 2026/12/04（金）" in issues[0].message
    assert issues[0].suggestion == {"delivery_date": "2026-12-04"}


def test_today_is_too_soon_not_past():
    # when
    issues = check(WEDNESDAY, prefecture="東京都")
    # then
    assert codes(issues) == ["delivery_date_invalid"]
    assert "間に合いません" in issues[0].message
    assert "過去" not in issues[0].message


def test_tomorrow_is_too_soon_with_one_lead_day():
    # when
    issues = check(WEDNESDAY + DAY, prefecture="東京都")
    # then
    assert issues[0].code == "delivery_date_invalid"
    assert issues[0].message.startswith("お届け希望日 2026/12/03（木） には間に合いません")
    assert (
        "東京都宛ての最短のお届け日は 2026/12/04（金） です（出荷 2026/12/03（木）、輸送 1 日）"
        in issues[0].message
    )
    assert issues[0].suggestion == {"delivery_date": "2026-12-04"}


def test_tomorrow_passes_when_the_warehouse_ships_today():
    assert check(WEDNESDAY + DAY, rules=DeliveryRules(shipping_lead_days=0)) == []


def test_day_after_max_days_ahead_is_refused_with_the_last_allowed_day():
    # when
    issues = check(WEDNESDAY + timedelta(days=31))
    # then
    assert codes(issues) == ["delivery_date_invalid"]
    assert "指定できるのは 30 日後の 2027/01/01（金） までです" in issues[0].message
    assert issues[0].suggestion is None


def test_max_days_ahead_is_configurable():
    rules = DeliveryRules(max_days_ahead=7)
    assert check(WEDNESDAY + timedelta(days=7), rules=rules) == []
    assert codes(check(WEDNESDAY + timedelta(days=8), rules=rules)) == ["delivery_date_invalid"]


def test_message_without_prefecture_speaks_of_the_destination():
    assert "お届け先の最短のお届け日" in check(WEDNESDAY + DAY)[0].message


# ---- weekends and holidays ---------------------------------------------------------------------------------
def test_friday_order_ships_monday_when_the_warehouse_rests_on_weekends():
    assert earliest_ship_date(FRIDAY, DeliveryRules()) == date(2026, 12, 7)


def test_friday_order_cannot_arrive_before_tuesday_without_weekend_shipping():
    # given Friday: shipped Monday 7, delivered Tuesday 8
    assert codes(check(date(2026, 12, 7), today=FRIDAY, prefecture="東京都")) == ["delivery_date_invalid"]
    assert check(date(2026, 12, 8), today=FRIDAY, prefecture="東京都") == []


def test_friday_order_arrives_sunday_when_the_warehouse_ships_on_weekends():
    rules = DeliveryRules(ships_on_weekends=True)
    assert check(date(2026, 12, 6), today=FRIDAY, prefecture="東京都", rules=rules) == []


def test_lead_days_count_shipping_days_only():
    # given Friday and two lead days: Monday is the first shipping day, Tuesday the second
    assert earliest_ship_date(FRIDAY, DeliveryRules(shipping_lead_days=2)) == date(2026, 12, 8)


def test_order_taken_on_a_weekend_ships_on_the_next_shipping_day_after_the_lead():
    saturday = date(2026, 12, 5)
    assert earliest_ship_date(saturday, DeliveryRules(shipping_lead_days=0)) == date(2026, 12, 7)
    assert earliest_ship_date(saturday, DeliveryRules(shipping_lead_days=1)) == date(2026, 12, 7)


def test_holiday_moves_the_ship_date():
    # given Thursday 3 is a holiday: shipped Friday, delivered Saturday
    rules = DeliveryRules(holidays=frozenset({date(2026, 12, 3)}))
    assert codes(check(FRIDAY, prefecture="東京都", rules=rules)) == ["delivery_date_invalid"]
    assert check(date(2026, 12, 5), prefecture="東京都", rules=rules) == []


def test_holidays_count_even_when_the_warehouse_ships_on_weekends():
    rules = DeliveryRules(ships_on_weekends=True, holidays=frozenset({date(2026, 12, 5)}))
    assert earliest_ship_date(FRIDAY, rules) == date(2026, 12, 6)


# ---- transit -----------------------------------------------------------------------------------------------
def test_hokkaido_takes_two_days():
    # given Wednesday: shipped Thursday, in 北海道 on Saturday
    issues = check(FRIDAY, prefecture="北海道")
    assert "北海道宛ての最短のお届け日は 2026/12/05（土）" in issues[0].message
    assert check(date(2026, 12, 5), prefecture="北海道") == []


def test_okinawa_takes_three_days():
    # given Wednesday: shipped Thursday, in 沖縄県 on Sunday
    issues = check(date(2026, 12, 5), prefecture="沖縄県")
    assert "輸送 3 日" in issues[0].message
    assert issues[0].suggestion == {"delivery_date": "2026-12-06"}
    assert check(date(2026, 12, 6), prefecture="沖縄県") == []


def test_transit_table_covers_all_47_prefectures():
    assert len(TRANSIT_DAYS) == 47
    assert set(TRANSIT_DAYS.values()) <= {1, 2, 3}


@pytest.mark.parametrize(
    ("prefecture", "days"),
    [
        ("東京都", 1),
        ("大阪府", 1),
        ("北海道", 2),
        ("福岡県", 2),
        ("高知県", 2),
        ("沖縄県", 3),
        ("沖縄", 3),
        ("東京", 1),
    ],
)
def test_transit_days_by_prefecture(prefecture, days):
    assert transit_days(prefecture) == days


@pytest.mark.parametrize("prefecture", [None, "", "東京市"])
def test_transit_days_default_to_one_without_a_known_prefecture(prefecture):
    assert transit_days(prefecture) == 1


# ---- time slot ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("carrier", ["yamato", "sagawa", "japanpost"])
def test_slot_the_carrier_offers_passes(carrier):
    assert check(None, "14-16", carrier=carrier) == []


def test_slot_yamato_does_not_offer_is_refused_with_what_yamato_offers():
    # when
    issues = check(None, "12-14", carrier="yamato")
    # then
    assert codes(issues) == ["delivery_time_invalid"]
    assert issues[0].message == (
        "お届け希望時間帯「12時～14時」はヤマト運輸では指定できません。ヤマト運輸で指定できる時間帯: "
        "午前中、14時～16時、16時～18時、18時～20時、19時～21時。お客様に確認して時間帯を直してください"
    )


@pytest.mark.parametrize(("carrier", "name"), [("sagawa", "佐川急便"), ("japanpost", "日本郵便")])
def test_slot_20_21_is_refused_by_the_other_carriers(carrier, name):
    issues = check(None, "20-21", carrier=carrier)
    assert codes(issues) == ["delivery_time_invalid"]
    assert f"{name}では指定できません" in issues[0].message


def test_slot_that_is_no_canonical_slot_is_refused():
    issues = check(None, "1416", carrier="yamato")
    assert codes(issues) == ["delivery_time_invalid"]
    assert "「1416」は時間帯として読めません" in issues[0].message


def test_without_a_carrier_any_canonical_slot_passes():
    assert check(None, "18-21", carrier=None) == []


def test_unknown_carrier_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown carrier"):
        check(None, "14-16", carrier="seino")


def test_date_and_slot_issues_are_both_reported():
    assert codes(check(WEDNESDAY - DAY, "12-14")) == ["delivery_date_invalid", "delivery_time_invalid"]


# ---- far future and print date -----------------------------------------------------------------------------
def test_date_three_days_after_the_earliest_is_not_far_future():
    assert not is_far_future(FRIDAY + timedelta(days=3), WEDNESDAY, DeliveryRules(), "東京都")


def test_date_four_days_after_the_earliest_is_far_future():
    assert is_far_future(FRIDAY + timedelta(days=4), WEDNESDAY, DeliveryRules(), "東京都")


def test_far_future_counts_from_the_destinations_earliest_date():
    # given 沖縄県's earliest is Sunday 6, two days after 東京都's
    assert is_far_future(date(2026, 12, 9), WEDNESDAY, DeliveryRules(), "東京都")
    assert not is_far_future(date(2026, 12, 9), WEDNESDAY, DeliveryRules(), "沖縄県")


def test_no_wished_date_is_never_far_future():
    assert not is_far_future(None, WEDNESDAY)


def test_print_date_is_delivery_minus_transit_minus_lead():
    # given Friday 11 to 東京都: shipped Thursday 10, printed Wednesday 9
    assert print_date(date(2026, 12, 11), "東京都", DeliveryRules()) == date(2026, 12, 9)


def test_print_date_for_okinawa_is_three_transit_days_earlier():
    assert print_date(date(2026, 12, 11), "沖縄県", DeliveryRules()) == date(2026, 12, 7)


def test_print_date_skips_the_weekend():
    # given Monday 14 to 東京都: Sunday 13 is no shipping day, so shipped Friday 11 and printed Thursday 10
    assert print_date(date(2026, 12, 14), "東京都", DeliveryRules()) == date(2026, 12, 10)


def test_print_date_skips_holidays():
    # given Thursday 10 a holiday: Friday 11's parcel ships Wednesday 9, printed Tuesday 8
    rules = DeliveryRules(holidays=frozenset({date(2026, 12, 10)}))
    assert print_date(date(2026, 12, 11), "東京都", rules) == date(2026, 12, 8)


def test_print_date_counts_calendar_days_when_the_warehouse_ships_every_day():
    rules = DeliveryRules(ships_on_weekends=True, shipping_lead_days=2)
    assert print_date(date(2026, 12, 14), "北海道", rules) == date(2026, 12, 10)


def test_scheduled_order_is_no_longer_far_future_on_its_print_date():
    # given a wish far ahead
    wished = date(2026, 12, 22)
    assert is_far_future(wished, WEDNESDAY, DeliveryRules(), "東京都")
    # when its print date comes
    day = print_date(wished, "東京都", DeliveryRules())
    # then it is printed and arrives on the wished day
    assert not is_far_future(wished, day, DeliveryRules(), "東京都")
    assert earliest_delivery_date(day, DeliveryRules(), "東京都") == wished
    assert check(wished, today=day, prefecture="東京都") == []


@given(
    wished=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    prefecture=st.sampled_from(["東京都", "北海道", "沖縄県", None]),
    lead=st.integers(min_value=0, max_value=3),
    weekends=st.booleans(),
)
def test_print_date_is_the_last_shipping_day_an_order_can_still_arrive_on_the_wished_day(
    wished, prefecture, lead, weekends
):
    rules = DeliveryRules(shipping_lead_days=lead, ships_on_weekends=weekends)
    day = print_date(wished, prefecture, rules)
    assert day < wished
    assert earliest_delivery_date(day, rules, prefecture) <= wished
    next_shipping_day = earliest_ship_date(
        day + DAY, DeliveryRules(ships_on_weekends=weekends, shipping_lead_days=0)
    )
    assert earliest_delivery_date(next_shipping_day, rules, prefecture) > wished  # a day later is too late
