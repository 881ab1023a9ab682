"""Order checks (確認チェック): pure functions that return the reasons an order must wait."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckIssue:
    """One reason an order cannot pass on its own.

    `code` is a hold code from orders.holds; `message` tells a person (in Japanese) what is wrong and
    what to do; `suggestion` holds the field values that fix it in one click, when they are known.
    """

    code: str
    message: str
    suggestion: dict | None = None


__all__ = ["CheckIssue"]
