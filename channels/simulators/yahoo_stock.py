"""setStock / getStock (在庫更新 / 在庫参照) of the Yahoo!ショッピング simulator, form-encoded.

Yahoo ids for our SKUs: item_code = the product code lower-cased, sub-code = the SKU; the APIs name a
variant `item_code:subcode`. An item_code/sub-code pair that follows this rule is an item of the store
(setStock creates its listing if the control API has not yet); any other pair is not an error on Yahoo
("linked later") and is kept aside in `unlinked` without becoming a listing.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Protocol

from channels.simulators.base import Response
from channels.simulators.yahoo_orders import item_code_of
from channels.simulators.yahoo_render import YahooApiError, stock_result_set

MAX_ITEMS = 1000
QUANTITY = re.compile(r"([+-]?)(\d{1,9})")  # N absolute, +N / -N relative; |N| <= 999,999,999
BAD_QUANTITY = "st-02104"  # [code: JSPSystem tests] quantity is not valid
RESET = "INI"  # back to NULL (unmanaged); shown as 0 here so no shopper can buy an unmanaged item


class Listings(Protocol):
    listings: dict[str, int]
    unlinked: MutableMapping[tuple[str, str], int]

    def set_listing(self, sku: str, quantity: int, **ids: object) -> None: ...


def sku_for(item_code: str, subcode: str) -> str | None:
    """Our SKU for a Yahoo item_code:subcode, or None when the pair is not one of our items."""
    if subcode and item_code_of(subcode) == item_code:
        return subcode
    return None


def parse_codes(raw: str | None) -> list[tuple[str, str]]:
    codes = [part.strip() for part in (raw or "").split(",")]
    if not raw or not all(codes):
        raise YahooApiError("Invalid Request : item_code is required")
    if len(codes) > MAX_ITEMS:
        raise YahooApiError(f"Invalid Request : item_code accepts at most {MAX_ITEMS} items")
    pairs = []
    for code in codes:
        item_code, _, subcode = code.partition(":")
        pairs.append((item_code, subcode))
    return pairs


def set_stock(shop: Listings, form: dict[str, list[str]]) -> Response:
    """Apply each item's quantity; a bad quantity fails that item only (ErrorCode st-02104).

    With a single item the failure is the whole answer (<Error>), which is how the JSPSystem client
    reads it ("1件のみの場合、例外が発生しない=成功").
    """
    pairs = parse_codes(_first(form, "item_code"))
    quantities = [part.strip() for part in (_first(form, "quantity") or "").split(",")]
    if len(quantities) != len(pairs):
        raise YahooApiError("Invalid Request : item_code and quantity must list the same number of values")
    results = [_apply(shop, code, sub, raw) for (code, sub), raw in zip(pairs, quantities, strict=True)]
    if len(results) == 1 and "ErrorCode" in results[0]:
        raise YahooApiError(results[0]["ErrorMessage"], code=BAD_QUANTITY)
    return stock_result_set(results)


def _apply(shop: Listings, item_code: str, subcode: str, raw: str) -> dict:
    row: dict = {"ItemCode": item_code, "SubCode": subcode}
    found = QUANTITY.fullmatch(raw)
    if raw != RESET and found is None:
        return row | {"ErrorCode": BAD_QUANTITY, "ErrorMessage": f"quantity is invalid: {raw!r}"}
    sku = sku_for(item_code, subcode)
    current = shop.listings.get(sku, 0) if sku else shop.unlinked.get((item_code, subcode), 0)
    if raw == RESET:
        quantity = 0
    elif found and found[1]:
        quantity = max(0, current + int(found[1] + found[2]))
    else:
        quantity = int(raw)
    if sku:
        shop.set_listing(sku, quantity, item_code=item_code, subcode=subcode)
    else:
        shop.unlinked[(item_code, subcode)] = quantity
    return row | {"Quantity": quantity}


def get_stock(shop: Listings, form: dict[str, list[str]]) -> Response:
    """Quantities of the named items; a bare item_code lists all its sub-codes; unknown ids are left out."""
    results = []
    for item_code, subcode in parse_codes(_first(form, "item_code")):
        if subcode:
            sku = sku_for(item_code, subcode)
            if sku and sku in shop.listings:
                results.append({"ItemCode": item_code, "SubCode": subcode, "Quantity": shop.listings[sku]})
            elif (item_code, subcode) in shop.unlinked:
                quantity = shop.unlinked[(item_code, subcode)]
                results.append({"ItemCode": item_code, "SubCode": subcode, "Quantity": quantity})
            continue
        for sku in sorted(s for s in shop.listings if item_code_of(s) == item_code):
            results.append({"ItemCode": item_code, "SubCode": sku, "Quantity": shop.listings[sku]})
    return stock_result_set(results)


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None
