"""Hold rules: which of the holds the checks found really stop an order, per channel."""

import re

from django.db.models import F, Q

from orders.models import HoldRule


def rules_for(channel_id: int | None) -> list[HoldRule]:
    """The enabled rules that apply to this channel, its own first (they win over rules for all)."""
    return list(
        HoldRule.objects.filter(Q(channel_id=channel_id) | Q(channel__isnull=True), enabled=True).order_by(
            F("channel_id").asc(nulls_last=True), "pk"
        )
    )


def rule_text(code: str, *, remarks: str) -> str:
    """The text a rule's pattern is matched against, for each hold code."""
    return remarks.strip() if code == "remarks" else ""


def apply_rules(wanted: dict[str, str], rules: list[HoldRule], *, remarks: str) -> dict[str, str]:
    """Drop the holds that a matching "pass" rule lets through. The first matching rule decides."""
    kept = {}
    for code, message in wanted.items():
        decision = HoldRule.Action.HOLD
        for rule in rules:
            if rule.code == code and _matches(rule.pattern, rule_text(code, remarks=remarks)):
                decision = rule.action
                break
        if decision == HoldRule.Action.HOLD:
            kept[code] = message
    return kept


def _matches(pattern: str, text: str) -> bool:
    if not pattern:
        return True
    try:
        return re.fullmatch(pattern, text, flags=re.DOTALL) is not None
    except re.error:
        return False  # a broken pattern never lets an order through unchecked
