"""Delivery-wish checks (お届け希望日・時間帯): can the wished date and time slot be met, and when to print.

Pure functions: the caller passes today's date (JST), the carrier, the destination prefecture and the rules.
Dates are calendar dates in Japan; carriers deliver every day, the warehouse ships only on shipping days.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta

from orders.checks import CheckIssue
from orders.checks.slots import (
    CANONICAL_SLOTS,
    WISHABLE_SLOTS,
    carrier_name,
    carrier_offers,
    carrier_slots,
    slot_label,
)

DATE_INVALID = "delivery_date_invalid"
TIME_INVALID = "delivery_time_invalid"
WEEKDAYS = "月火水木金土日"
SATURDAY = 5


@dataclass(frozen=True)
class DeliveryRules:
    """How the shop ships. Holidays are days the warehouse does not ship (public holidays, 年末年始 = New Year
    closure); they count whether or not the warehouse ships on weekends."""

    shipping_lead_days: int = 1  # shipping days from today to the earliest ship date (0 = ships today)
    max_days_ahead: int = 30  # the latest wish accepted, in days from today
    ships_on_weekends: bool = False
    holidays: frozenset[date] = field(default_factory=frozenset)
    far_future_days: int = 3  # a wish later than the earliest delivery by more waits in 印刷日待ち


# Transit days (輸送日数) by destination prefecture for a parcel handed to the carrier in 関東.
# An approximation after the kind of table carriers publish (お届け日数の目安), NOT checked against their current
# tables: regions in doubt (山口, 愛媛/高知, all of 九州) take the longer figure, so a wish the carrier may not
# meet is held for a person rather than missed. 離島 (islands: 伊豆諸島, 小笠原, 奄美 ...) take longer and
# cannot be told apart by prefecture.
TRANSIT_DAYS: dict[str, int] = {
    "北海道": 2,
    **dict.fromkeys(("青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県"), 1),
    **dict.fromkeys(("茨城県", "栃木県", "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県"), 1),
    **dict.fromkeys(("新潟県", "富山県", "石川県", "福井県", "山梨県", "長野県"), 1),
    **dict.fromkeys(("岐阜県", "静岡県", "愛知県", "三重県"), 1),
    **dict.fromkeys(("滋賀県", "京都府", "大阪府", "兵庫県", "奈良県", "和歌山県"), 1),
    **dict.fromkeys(("鳥取県", "島根県", "岡山県", "広島県"), 1),
    "山口県": 2,
    **dict.fromkeys(("徳島県", "香川県"), 1),
    **dict.fromkeys(("愛媛県", "高知県"), 2),
    **dict.fromkeys(("福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県", "鹿児島県"), 2),
    "沖縄県": 3,
}
DEFAULT_TRANSIT_DAYS = 1  # no or unknown prefecture: the address check holds a wrong one on its own
# "東京" for "東京都": shops and buyers often drop the 都/府/県 suffix (北海道 keeps its name).
_TRANSIT_BY_SHORT_NAME = {
    name if name == "北海道" else name[:-1]: days for name, days in TRANSIT_DAYS.items()
}


def transit_days(prefecture: str | None) -> int:
    """Days from hand-over in 関東 to delivery: "北海道" -> 2, "沖縄県" -> 3; "東京" (no suffix) works too."""
    name = unicodedata.normalize("NFKC", prefecture or "").strip()
    return TRANSIT_DAYS.get(name) or _TRANSIT_BY_SHORT_NAME.get(name) or DEFAULT_TRANSIT_DAYS


def is_shipping_day(day: date, rules: DeliveryRules) -> bool:
    if day in rules.holidays:
        return False
    return rules.ships_on_weekends or day.weekday() < SATURDAY


def earliest_ship_date(today: date, rules: DeliveryRules) -> date:
    """The `shipping_lead_days`-th shipping day after today (today itself, or the next shipping day, for 0)."""
    ship = today if rules.shipping_lead_days else _roll_forward(today, rules)
    for _ in range(rules.shipping_lead_days):
        ship = _roll_forward(ship + timedelta(days=1), rules)
    return ship


def earliest_delivery_date(today: date, rules: DeliveryRules, prefecture: str | None = None) -> date:
    return earliest_ship_date(today, rules) + timedelta(days=transit_days(prefecture))


def latest_delivery_date(today: date, rules: DeliveryRules) -> date:
    return today + timedelta(days=rules.max_days_ahead)


def check_delivery(
    *,
    delivery_date: date | None,
    delivery_time: str,
    carrier: str | None,
    today: date,
    prefecture: str | None = None,
    rules: DeliveryRules = DeliveryRules(),
) -> list[CheckIssue]:
    """Why the wished delivery date and time slot cannot be met, if they cannot; [] when they can.

    `delivery_time` is a canonical slot ("" = no wish). Without a carrier (none chosen yet) only the slot's
    form is checked. ValueError for a carrier the OMS does not know."""
    issues = []
    if delivery_date is not None and (issue := _date_issue(delivery_date, today, prefecture, rules)):
        issues.append(issue)
    if delivery_time and (issue := _time_issue(delivery_time, carrier)):
        issues.append(issue)
    return issues


def is_far_future(
    delivery_date: date | None,
    today: date,
    rules: DeliveryRules = DeliveryRules(),
    prefecture: str | None = None,
) -> bool:
    """Whether the order should wait in 印刷日待ち (scheduled): printed now, it would arrive more than
    `far_future_days` before the wish. Move it to 印刷待ち (ready) on print_date()."""
    if delivery_date is None:
        return False
    earliest = earliest_delivery_date(today, rules, prefecture)
    return delivery_date > earliest + timedelta(days=rules.far_future_days)


def print_date(
    delivery_date: date,
    prefecture: str | None = None,
    rules: DeliveryRules = DeliveryRules(),
) -> date:
    """The day a scheduled order moves to 印刷待ち: the ship date (delivery date minus transit days, moved back
    to a shipping day) minus `shipping_lead_days` shipping days: the last shipping day from which the order can
    still arrive on the wished day."""
    day = _roll_back(delivery_date - timedelta(days=transit_days(prefecture)), rules)
    for _ in range(rules.shipping_lead_days):
        day = _roll_back(day - timedelta(days=1), rules)
    return day


# ---- issues ------------------------------------------------------------------------------------------------
def _date_issue(wished: date, today: date, prefecture: str | None, rules: DeliveryRules) -> CheckIssue | None:
    earliest = earliest_delivery_date(today, rules, prefecture)
    latest = latest_delivery_date(today, rules)
    fix = {"delivery_date": earliest.isoformat()}
    if wished < today:
        return CheckIssue(
            DATE_INVALID,
            f"お届け希望日 {_day(wished)} は過去の日付です。最短のお届け日は {_day(earliest)} です。"
            "お客様に確認して日付を直してください",
            fix,
        )
    if wished < earliest:
        where = f"{prefecture}宛て" if prefecture else "お届け先"
        return CheckIssue(
            DATE_INVALID,
            f"お届け希望日 {_day(wished)} には間に合いません。{where}の最短のお届け日は {_day(earliest)} です"
            f"（出荷 {_day(earliest_ship_date(today, rules))}、輸送 {transit_days(prefecture)} 日）。"
            "お客様に確認して日付を直してください",
            fix,
        )
    if wished > latest:
        return CheckIssue(
            DATE_INVALID,
            f"お届け希望日 {_day(wished)} は先すぎます。指定できるのは {rules.max_days_ahead} 日後の "
            f"{_day(latest)} までです。お客様に確認してください",
        )
    return None


def _time_issue(slot: str, carrier: str | None) -> CheckIssue | None:
    offered = carrier_slots(carrier) if carrier else WISHABLE_SLOTS
    choices = "、".join(slot_label(each) for each in offered)
    if slot not in CANONICAL_SLOTS:
        return CheckIssue(
            TIME_INVALID, f"お届け希望時間帯「{slot}」は時間帯として読めません。指定できる時間帯: {choices}"
        )
    if carrier and not carrier_offers(carrier, slot):
        return CheckIssue(
            TIME_INVALID,
            f"お届け希望時間帯「{slot_label(slot)}」は{carrier_name(carrier)}では指定できません。"
            f"{carrier_name(carrier)}で指定できる時間帯: {choices}。お客様に確認して時間帯を直してください",
        )
    return None


def _day(day: date) -> str:
    return f"{day:%Y/%m/%d}（{WEEKDAYS[day.weekday()]}）"


def _roll_forward(day: date, rules: DeliveryRules) -> date:
    while not is_shipping_day(day, rules):
        day += timedelta(days=1)
    return day


def _roll_back(day: date, rules: DeliveryRules) -> date:
    while not is_shipping_day(day, rules):
        day -= timedelta(days=1)
    return day
