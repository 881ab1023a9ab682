"""Rakuten Inventory API 2.0: single variant GET/PUT/DELETE, bulk-upsert, bulk-get and bulk-get/range."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from channels.simulators.base import Request, Response, json_response, now_jst

if TYPE_CHECKING:
    from channels.simulators.rakuten import RakutenSimulator

MAX_QUANTITY = 99_999
MAX_UPSERT = 400
MAX_BULK_GET = 1000
MAX_RANGE_RESULTS = 1000
MAX_ID_BYTES = 32
MANAGE_NUMBER = re.compile(r"[a-zA-Z0-9_-]+")
SINGLE_RATE = 1.0  # variants get/upsert/delete and bulk-upsert: 1 req/s
BULK_GET_RATE = 5.0  # bulk-get and bulk-get/range: 5 req/s
# Codes seen in the reference: GE0014 not found, IE0002 invalid value, IE0003 range, IE0004 length. A missing
# field answers IE0001 and a throttled call HTTP 429 "SIM-429" [assumed: the reference gives neither].
REQUIRED, INVALID, RANGE, LENGTH, NOT_FOUND = "IE0001", "IE0002", "IE0003", "IE0004", "GE0014"


def inventory_datetime() -> str:
    return now_jst().replace(microsecond=0).isoformat()  # "2022-01-01T19:00:00+09:00": with a colon


def _error(code: str, text: str, path: str | None) -> dict:
    return {"code": code, "message": text, "metadata": {"propertyPath": path}}


def _id_errors(value: Any, name: str, prefix: str) -> list[dict]:
    path = f"{prefix}{name}"
    if value is None or value == "":
        return [_error(REQUIRED, f"{name} must not be empty.", path)]
    if not isinstance(value, str):
        return [_error(INVALID, f"{name} must be a string.", path)]
    if len(value.encode()) > MAX_ID_BYTES:
        return [_error(LENGTH, f"Max length of {name} must be within {MAX_ID_BYTES} bytes.", path)]
    if name == "manageNumber" and not MANAGE_NUMBER.fullmatch(value):
        return [_error(INVALID, "manageNumber may contain only a-z, A-Z, 0-9, '_' and '-'.", path)]
    return []


def _change_errors(change: dict, current: int | None, prefix: str) -> list[dict]:
    """mode/quantity of one upsert; `current` is the stored quantity or None when the variant is new."""
    mode, quantity = change.get("mode"), change.get("quantity")
    if mode is None:
        return [_error(REQUIRED, "mode must not be null.", f"{prefix}mode")]
    if mode not in ("ABSOLUTE", "RELATIVE"):
        return [_error(INVALID, "mode must be ABSOLUTE or RELATIVE.", f"{prefix}mode")]
    if quantity is None:
        return [_error(REQUIRED, "quantity must not be null.", f"{prefix}quantity")]
    if not isinstance(quantity, int) or isinstance(quantity, bool):
        return [_error(INVALID, "quantity must be an integer.", f"{prefix}quantity")]
    if mode == "RELATIVE" and current is None:
        return [
            _error(INVALID, "The first registration of a variant must use mode ABSOLUTE.", f"{prefix}mode")
        ]
    low = 0 if mode == "ABSOLUTE" else -MAX_QUANTITY
    result = quantity if mode == "ABSOLUTE" else (current or 0) + quantity
    if not low <= quantity <= MAX_QUANTITY or not 0 <= result <= MAX_QUANTITY:
        return [_error(RANGE, f"quantity must be between {low} and {MAX_QUANTITY}.", f"{prefix}quantity")]
    return []


class RakutenInventoryAPI:
    """Mixin for RakutenSimulator. Listings are keyed by our SKU = variantId; manageNumber is stored lower-cased."""

    def inventory_error(self, status: int, code: str, text: str, path: str | None = None) -> Response:
        return self.inventory_errors(status, [_error(code, text, path)])

    def inventory_errors(self, status: int, errors: list[dict]) -> Response:
        return json_response({"errors": errors}, status, {"Content-Type": "application/json"})

    def _inventory_ok(self, body: dict) -> Response:
        return json_response(body, 200, {"Content-Type": "application/json"})

    def _find_variant(self: RakutenSimulator, manage_number: str, variant_id: str) -> str | None:
        ids = self.listing_ids.get(variant_id)
        if variant_id in self.listings and ids and ids.get("manageNumber") == manage_number.lower():
            return variant_id
        return None

    def _variant_view(self: RakutenSimulator, sku: str) -> dict:
        times = self._times(sku)
        ids = self.listing_ids[sku]
        return {"manageNumber": ids["manageNumber"], "variantId": ids["variantId"], "quantity": self.listings[sku],
                "created": times["created"], "updated": times["updated"]}  # fmt: skip

    def _times(self: RakutenSimulator, sku: str) -> dict:
        if sku not in self.inventory_times:
            moment = inventory_datetime()
            self.inventory_times[sku] = {"created": moment, "updated": moment}
        return self.inventory_times[sku]

    def _store(self: RakutenSimulator, manage_number: str, variant_id: str, mode: str, quantity: int) -> None:
        current = self.listing(variant_id) if self._find_variant(manage_number, variant_id) else None
        new = quantity if mode == "ABSOLUTE" else (current or 0) + quantity
        self.set_listing(variant_id, new, manageNumber=manage_number.lower(), variantId=variant_id)
        self._times(variant_id)["updated"] = inventory_datetime()

    def _current(self: RakutenSimulator, entry: dict) -> int | None:
        manage_number, variant_id = entry.get("manageNumber"), entry.get("variantId")
        if not isinstance(manage_number, str) or not isinstance(variant_id, str):
            return None
        sku = self._find_variant(manage_number, variant_id)
        return self.listings[sku] if sku else None

    # ---- single variant ------------------------------------------------------------------------------------
    def get_variant(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("inventories.variants.get", SINGLE_RATE, SINGLE_RATE)
        if throttled:
            return throttled
        sku = self._find_variant(request.params["manage_number"], request.params["variant_id"])
        if sku is None:
            return self.inventory_error(404, NOT_FOUND, "Inventory is not found.")
        return self._inventory_ok(self._variant_view(sku))

    def put_variant(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("inventories.variants.upsert", SINGLE_RATE, SINGLE_RATE)
        if throttled:
            return throttled
        manage_number, variant_id = request.params["manage_number"], request.params["variant_id"]
        body = request.json()
        if not isinstance(body, dict):
            return self.inventory_error(400, INVALID, "The request body must be a JSON object.")
        entry = {"manageNumber": manage_number, "variantId": variant_id}
        errors = _id_errors(manage_number, "manageNumber", "") + _id_errors(variant_id, "variantId", "")
        errors = errors or _change_errors(body, self._current(entry), "")
        if errors:
            return self.inventory_errors(400, errors)
        self._store(manage_number, variant_id, body["mode"], body["quantity"])
        return Response(204)

    def delete_variant(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("inventories.variants.delete", SINGLE_RATE, SINGLE_RATE)
        if throttled:
            return throttled
        sku = self._find_variant(request.params["manage_number"], request.params["variant_id"])
        if sku is None:
            return self.inventory_error(404, NOT_FOUND, "Inventory is not found.")
        del self.listings[sku]
        self.listing_ids.pop(sku, None)
        self.inventory_times.pop(sku, None)
        return Response(204)

    # ---- bulk ----------------------------------------------------------------------------------------------
    def bulk_upsert(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("inventories.bulk.upsert", SINGLE_RATE, SINGLE_RATE)
        if throttled:
            return throttled
        entries, errors = _inventories(request, MAX_UPSERT)
        for index, entry in enumerate(entries):
            prefix = f"inventories[{index}]."
            found = _id_errors(entry.get("manageNumber"), "manageNumber", prefix)
            found += _id_errors(entry.get("variantId"), "variantId", prefix)
            errors += found or _change_errors(entry, self._current(entry), prefix)
        if errors:  # nothing is applied when any entry is wrong
            return self.inventory_errors(400, errors)
        for entry in entries:
            self._store(entry["manageNumber"], entry["variantId"], entry["mode"], entry["quantity"])
        return Response(204)

    def bulk_get(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("inventories.bulk.get", BULK_GET_RATE, BULK_GET_RATE)
        if throttled:
            return throttled
        entries, errors = _inventories(request, MAX_BULK_GET)
        for index, entry in enumerate(entries):
            prefix = f"inventories[{index}]."
            errors += _id_errors(entry.get("manageNumber"), "manageNumber", prefix)
            errors += _id_errors(entry.get("variantId"), "variantId", prefix)
        if errors:
            return self.inventory_errors(400, errors)
        skus = [self._find_variant(e["manageNumber"], e["variantId"]) for e in entries]
        return self._inventory_ok({"inventories": [self._variant_view(sku) for sku in skus if sku]})

    def bulk_get_range(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("inventories.bulk.get.range", BULK_GET_RATE, BULK_GET_RATE)
        if throttled:
            return throttled
        bounds, errors = {}, []
        for name in ("minQuantity", "maxQuantity"):
            raw = request.arg(name)
            if raw is None or raw == "":
                errors.append(_error(REQUIRED, f"{name} must not be null.", name))
            elif not raw.lstrip("-").isdigit() or not 0 <= int(raw) <= MAX_QUANTITY:
                errors.append(_error(RANGE, f"{name} must be between 0 and {MAX_QUANTITY}.", name))
            else:
                bounds[name] = int(raw)
        if errors:
            return self.inventory_errors(400, errors)
        views = [self._variant_view(sku) for sku in sorted(self.listings) if sku in self.listing_ids]
        views = [v for v in views if bounds["minQuantity"] <= v["quantity"] <= bounds["maxQuantity"]]
        views.sort(key=lambda v: v["updated"], reverse=True)
        return self._inventory_ok({"inventories": views[:MAX_RANGE_RESULTS]})


def _inventories(request: Request, most: int) -> tuple[list[dict], list[dict]]:
    """The "inventories" list of a bulk body (1..most objects) and any errors about the list itself."""
    body = request.json()
    entries = body.get("inventories") if isinstance(body, dict) else None
    if entries is None:
        return [], [_error(REQUIRED, "inventories must not be null.", "inventories")]
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return [], [_error(INVALID, "inventories must be a list of objects.", "inventories")]
    if not 1 <= len(entries) <= most:
        return [], [_error(RANGE, f"inventories size must be between 1 and {most}.", "inventories")]
    return entries, []
