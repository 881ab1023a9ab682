"""Consumption tax (消費税) inside an order's amounts, per rate, as a 適格請求書 (qualified invoice) states it.

The rule, shared by the packing slip (納品書) and the 代引 amounts on the carrier labels:

- Every amount the OMS stores is tax-included (税込). The marketplaces report prices with tax (Rakuten
  priceTaxIncl, Yahoo UnitPrice, Amazon.co.jp ItemPrice) and their fees likewise, so tax is never added on
  top: it is the part of each amount that is tax.
- A line is taxed at its SKU's rate (inventory.SKU.tax_rate: 10 % standard, 8 % reduced 軽減税率 for food);
  a line not linked to a SKU at the standard rate. A set SKU has its own rate, set like any SKU's.
- Shipping (送料) and payment fees (代引手数料, 決済手数料) are services: standard rate.
- The order total (the amount billed, after coupons and points) is what the rates share. A discount (値引き),
  and any difference between the total and lines plus fees that the shop did not itemise, is apportioned to
  the rates in proportion to their amounts, to the yen (half up), the remainder going to the largest amount;
  so the amounts per rate always add up to the total.
- Each rate's tax is computed once from that rate's amount and rounded down (端数切り捨て):
  amount × rate ÷ (100 + rate). One rounding per rate per invoice, never per line, as the invoice rules ask.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

STANDARD_RATE = 10
REDUCED_RATE = 8


def tax_inside(amount: int, rate: int) -> int:
    """The consumption tax inside a tax-included amount at `rate` percent, rounded down (切り捨て)."""
    return amount * rate // (100 + rate)


@dataclass(frozen=True)
class RateAmount:
    """One line of the invoice's tax summary: 「10%対象 6,797円 内消費税 617円」."""

    rate: int
    amount: int  # tax included

    @property
    def tax(self) -> int:
        return tax_inside(self.amount, self.rate)


def tax_breakdown(*, lines: Iterable[tuple[int, int]], fees: int, total: int) -> list[RateAmount]:
    """The total split by rate, highest rate first (see the module docstring).

    lines: (rate, tax-included amount) per order line; fees: shipping and payment fees (standard rate);
    total: the amount billed."""
    bases: dict[int, int] = defaultdict(int)
    for rate, amount in lines:
        bases[rate] += amount
    if fees or not bases:
        bases[STANDARD_RATE] += fees
    computed = sum(bases.values())
    difference = total - computed
    if difference:
        largest, *others = sorted(bases, key=lambda rate: (bases[rate], rate), reverse=True)
        if computed > 0:
            for rate in others:
                share = (Decimal(difference) * bases[rate] / computed).quantize(Decimal(1), ROUND_HALF_UP)
                bases[rate] += int(share)
                difference -= int(share)
        bases[largest] += difference
    return [RateAmount(rate, bases[rate]) for rate in sorted(bases, reverse=True)]


def total_tax(breakdown: list[RateAmount]) -> int:
    """The tax of all rates: what a carrier's 代引 label calls 内消費税額等."""
    return sum(item.tax for item in breakdown)
