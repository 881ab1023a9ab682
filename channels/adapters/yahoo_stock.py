"""setStock / getStock (在庫更新 / 在庫参照) forms and answers for the Yahoo!ショッピング adapter.

Yahoo names a variant `item_code:subcode` in comma-separated lists of at most 1000 items; quantities are
absolute numbers here (a leading + or - would be a relative change, so none is ever sent).
"""

import xml.etree.ElementTree as ET  # nosec B405 # parsed by yahoo_parse.xml_root, which refuses DTDs

from channels.adapters.base import StockUpdate
from channels.adapters.yahoo_parse import text_of

MAX_ITEMS = 1000  # item_code list of setStock and getStock [doc]


def stock_code(item_id: str, variant_id: str) -> str | None:
    """`item_code:subcode` for a variant, the item_code alone otherwise; None when the ids cannot be listed."""
    item, variant = item_id.strip(), variant_id.strip()
    if not item or any(mark in item for mark in ",:") or "," in variant:
        return None
    return f"{item}:{variant}" if variant else item


def row_code(row: ET.Element) -> str:
    item, sub = text_of(row, "ItemCode"), text_of(row, "SubCode")
    return f"{item}:{sub}" if sub else item


def latest_quantities(updates: list[StockUpdate]) -> tuple[dict[str, int], list[str]]:
    """The last quantity asked for each item code (never below 0), and the updates that cannot be sent."""
    latest: dict[str, int] = {}
    unsendable: list[str] = []
    for update in updates:
        code = stock_code(update.item_id, update.variant_id)
        if code is None:
            unsendable.append(f"{update.item_id}:{update.variant_id} (',' or ':' cannot be sent)")
        else:
            latest[code] = max(0, update.quantity)
    return latest, unsendable


def set_stock_form(seller_id: str, chunk: dict[str, int]) -> dict[str, str]:
    return {
        "seller_id": seller_id,
        "item_code": ",".join(chunk),
        "quantity": ",".join(str(quantity) for quantity in chunk.values()),
    }


def refused_items(root: ET.Element) -> list[str]:
    """Items a setStock answer did not set (<ErrorCode> in their <Result>)."""
    return [
        f"{row_code(row)} ({text_of(row, 'ErrorCode')} {text_of(row, 'ErrorMessage')})".rstrip()
        for row in root.findall("Result")
        if text_of(row, "ErrorCode")
    ]


def check_set_stock(root: ET.Element, *, sent: dict[str, int]) -> None:
    """Every row must be an item we sent, set to what we sent: anything else is a stale answer (ValueError)."""
    for row in root.findall("Result"):
        code = row_code(row)
        if code not in sent:
            raise ValueError(f"setStock answered for {code}, which this call did not send")
        quantity = text_of(row, "Quantity")
        if not text_of(row, "ErrorCode") and quantity != str(sent[code]):
            raise ValueError(f"setStock answered {code} = {quantity}, sent {sent[code]}")


def check_get_stock(root: ET.Element, *, asked: set[str]) -> None:
    """Rows must belong to the item codes asked for (a bare item code lists all its sub-codes)."""
    items = {code.split(":", 1)[0] for code in asked}
    for row in root.findall("Result"):
        if text_of(row, "ItemCode") not in items:
            raise ValueError(f"getStock answered for {row_code(row)}, which this call did not ask for")


def shown_quantities(root: ET.Element, keys: dict[str, tuple[str, str]]) -> dict[tuple[str, str], int]:
    """{(item_id, variant_id): quantity} for the asked keys a getStock answer shows with a number."""
    shown = {}
    for row in root.findall("Result"):
        key = keys.get(row_code(row))
        quantity = text_of(row, "Quantity")
        if key is not None and quantity.lstrip("-").isdigit():
            shown[key] = int(quantity)
    return shown
