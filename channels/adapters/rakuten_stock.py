"""Rakuten Inventory API 2.0 bodies: bulk-upsert entries from stock updates, and bulk-get answers read back."""

import logging
import re

from channels.adapters.base import StockUpdate

logger = logging.getLogger("channels.rakuten")

BULK_UPSERT_MAX = 400  # inventories per bulk-upsert call
BULK_GET_MAX = 1000  # inventories per bulk-get call
MAX_QUANTITY = 99_999
MAX_ID_BYTES = 32
MANAGE_NUMBER = re.compile(r"[a-zA-Z0-9_-]+")


def id_problem(item_id: str, variant_id: str) -> str:
    """Why Rakuten cannot hold a variant with these ids ("" when it can): manageNumber (商品管理番号) is
    1-32 bytes of [a-zA-Z0-9_-] (upper case is lowered by Rakuten), variantId (SKU管理番号) 1-32 bytes."""
    if not item_id or not MANAGE_NUMBER.fullmatch(item_id) or len(item_id.encode()) > MAX_ID_BYTES:
        return "manageNumber must be 1-32 characters of a-z, 0-9, '_' and '-'"
    if not variant_id or len(variant_id.encode()) > MAX_ID_BYTES:
        return "variantId must be 1-32 bytes"
    return ""


def key_of(item_id: str, variant_id: str) -> tuple[str, str]:
    """How Rakuten matches a variant: manageNumber ignoring case, variantId exactly."""
    return item_id.lower(), variant_id


def upsert_entries(updates: list[StockUpdate]) -> list[dict]:
    """bulk-upsert entries (mode ABSOLUTE, 0..99999), the last update of a variant winning.

    A listing whose ids Rakuten cannot hold is left out with an error in the log: no such variant can
    exist in the shop, and one bad entry would make Rakuten refuse the whole call."""
    entries: dict[tuple[str, str], dict] = {}
    for update in updates:
        problem = id_problem(update.item_id, update.variant_id)
        if problem:
            logger.error("rakuten listing %r/%r not pushed: %s", update.item_id, update.variant_id, problem)
            continue
        entries[key_of(update.item_id, update.variant_id)] = {
            "manageNumber": update.item_id,
            "variantId": update.variant_id,
            "mode": "ABSOLUTE",
            "quantity": min(max(update.quantity, 0), MAX_QUANTITY),
        }
    return list(entries.values())


def check_bulk_get(keys: list[tuple[str, str]], data: dict) -> None:
    """bulk-get answer shape; only variants we asked about (a replayed answer names others): else ValueError."""
    found = data.get("inventories")
    if not isinstance(found, list) or not all(isinstance(entry, dict) for entry in found):
        raise ValueError("inventories missing")
    asked = {key_of(item, variant) for item, variant in keys}
    for entry in found:
        item, variant, quantity = entry.get("manageNumber"), entry.get("variantId"), entry.get("quantity")
        if not isinstance(item, str) or not isinstance(variant, str) or key_of(item, variant) not in asked:
            raise ValueError("the answer is about other variants")
        if not isinstance(quantity, int) or isinstance(quantity, bool):
            raise ValueError("quantity is not a whole number")


def shown_quantities(keys: list[tuple[str, str]], data: dict) -> dict[tuple[str, str], int]:
    """{(item_id, variant_id) as asked: quantity shown} for the variants the answer holds."""
    shown = {key_of(e["manageNumber"], e["variantId"]): e["quantity"] for e in data["inventories"]}
    return {
        (item, variant): shown[key_of(item, variant)]
        for item, variant in keys
        if key_of(item, variant) in shown
    }
