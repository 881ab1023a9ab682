"""All intake checks of one order, as one pure function: facts in, the holds they call for out."""

from dataclasses import dataclass, field
from datetime import date

from django.conf import settings

from orders.checks import CheckIssue
from orders.checks.address import check_address
from orders.checks.delivery import DeliveryRules, check_delivery, is_far_future, print_date
from orders.checks.phone import check_phone

PREPAID = {"bank_transfer", "convenience_store"}


@dataclass(frozen=True)
class AddressFacts:
    postal_code: str
    prefecture: str
    city: str
    address1: str
    address2: str
    phone: str
    ship_to_id: int | None = None


@dataclass(frozen=True)
class CheckFacts:
    """What the checks look at, whether the order is in the database yet or not."""

    unknown_sku: bool
    remarks: str
    payment_method: str
    paid: bool
    channel_id: int | None = None
    ship_tos: tuple[AddressFacts, ...] = ()
    buyer_phone: str = ""
    delivery_date: date | None = None
    delivery_time: str = ""
    carrier: str | None = None


@dataclass
class Verdict:
    """code -> (message for a person, one-click fix or None); plus when a far-future order should print."""

    holds: dict[str, tuple[str, dict | None]] = field(default_factory=dict)
    print_on: date | None = None

    def add(self, issue: CheckIssue, ship_to_id: int | None = None) -> None:
        suggestion = dict(issue.suggestion, ship_to=ship_to_id) if issue.suggestion else None
        if issue.code in self.holds:  # one hold per code: several addresses share it
            message, first = self.holds[issue.code]
            self.holds[issue.code] = (f"{message}\n{issue.message}", first)
        else:
            self.holds[issue.code] = (issue.message, suggestion)


def delivery_rules() -> DeliveryRules:
    return DeliveryRules(
        shipping_lead_days=settings.OMS_SHIPPING_LEAD_DAYS,
        max_days_ahead=settings.OMS_MAX_DELIVERY_DAYS_AHEAD,
        ships_on_weekends=settings.OMS_SHIPS_ON_WEEKENDS,
        far_future_days=settings.OMS_FAR_FUTURE_DAYS,
    )


def run_checks(facts: CheckFacts, *, today: date, rules: DeliveryRules | None = None) -> Verdict:
    """Every check DESIGN.md names, except stock (judged by allocating) and merge candidates (need other orders)."""
    rules = rules or delivery_rules()
    verdict = Verdict()
    if facts.unknown_sku:
        verdict.add(
            CheckIssue(
                "unknown_sku",
                "商品が SKU に紐付いていません。商品マスタかショップの商品番号を確認してください",
            )
        )
    if facts.remarks.strip():
        verdict.add(CheckIssue("remarks", f"備考欄に記入があります: {facts.remarks.strip()[:200]}"))
    if facts.payment_method in PREPAID and not facts.paid:
        verdict.add(CheckIssue("payment_pending", "入金が確認できていません（入金確認後に出荷できます）"))
    for address in facts.ship_tos:
        for issue in check_address(
            postal_code=address.postal_code,
            prefecture=address.prefecture,
            city=address.city,
            address1=address.address1,
            address2=address.address2,
        ):
            verdict.add(issue, address.ship_to_id)
        for issue in check_phone(address.phone or facts.buyer_phone):
            verdict.add(issue, address.ship_to_id)
    prefecture = facts.ship_tos[0].prefecture if facts.ship_tos else None
    for issue in check_delivery(
        delivery_date=facts.delivery_date,
        delivery_time=facts.delivery_time,
        carrier=facts.carrier,
        today=today,
        prefecture=prefecture,
        rules=rules,
    ):
        verdict.add(issue)
    wish_ok = facts.delivery_date and "delivery_date_invalid" not in verdict.holds
    if wish_ok and is_far_future(facts.delivery_date, today, rules, prefecture):
        verdict.print_on = print_date(facts.delivery_date, prefecture, rules)
    return verdict
