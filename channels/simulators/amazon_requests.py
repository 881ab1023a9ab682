"""Amazon simulator: checks of SP-API query parameters and bodies, and NextToken paging of orders and items.

Every rule raises InvalidInput; the simulator answers 400 {"errors": [{"code": "InvalidInput", ...}]}.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from channels.simulators.amazon_render import MARKETPLACE_ID, parse_iso
from channels.simulators.base import Request

ORDER_STATUSES = (
    "PendingAvailability", "Pending", "Unshipped", "PartiallyShipped", "Shipped", "InvoiceUnconfirmed",
    "Canceled", "Unfulfillable",
)  # fmt: skip
PAYMENT_METHODS = ("COD", "CVS", "Other")
FULFILLMENT_CHANNELS = ("AFN", "MFN")
MAX_RESULTS_PER_PAGE = 100
MAX_MARKETPLACE_IDS = 50
# CreatedBefore / LastUpdatedBefore must lie at least two minutes in the past (ordersV0.json).
BEFORE_MARGIN = timedelta(minutes=2)
ORDER_ITEMS_PAGE_SIZE = 30  # [inferred] the page size of getOrderItems is not documented
GENERIC_MESSAGE = "The input you have submitted is not valid. Please check your input and try again."
PATCH_OPS = ("add", "replace", "merge", "delete")
QUANTITY_PATH = "/attributes/fulfillment_availability"


class InvalidInput(Exception):
    """One or more (message, details) pairs for a 400 InvalidInput answer."""

    def __init__(self, *problems: str | tuple[str, str]):
        self.problems = [p if isinstance(p, tuple) else (p, "") for p in problems]
        super().__init__("; ".join(message for message, _ in self.problems))

    def errors(self) -> list[dict]:
        return [{"code": "InvalidInput", "message": m, "details": d} for m, d in self.problems]


@dataclass
class OrderQuery:
    """A getOrders search. `family` is "Created" or "LastUpdated": the date that bounds and orders results."""

    family: str
    after: datetime
    before: datetime
    statuses: list[str] = field(default_factory=list)
    payment_methods: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    buyer_email: str = ""
    seller_order_id: str = ""
    page_size: int = MAX_RESULTS_PER_PAGE
    cursor: tuple[float, str] | None = None  # (date as timestamp, AmazonOrderId) of the last order sent

    @property
    def date_field(self) -> str:
        return "purchase" if self.family == "Created" else "updated"

    def matches(self, record: dict) -> bool:
        moment = record[self.date_field]
        return (
            self.after <= moment <= self.before
            and (not self.statuses or record["status"] in self.statuses)
            and (not self.payment_methods or record["payment"] in self.payment_methods)
            and (not self.channels or "MFN" in self.channels)
            and (not self.order_ids or record["AmazonOrderId"] in self.order_ids)
            and (not self.buyer_email or record["BuyerInfo"]["BuyerEmail"] == self.buyer_email)
            and (not self.seller_order_id or record["AmazonOrderId"] == self.seller_order_id)
        )


def csv_values(request: Request, name: str) -> list[str]:
    """A list parameter: comma-separated and/or repeated (MarketplaceIds=A,B or MarketplaceIds=A&...=B)."""
    values: list[str] = []
    for raw in request.query.get(name, []):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return values


def check_marketplaces(request: Request, name: str) -> None:
    ids = csv_values(request, name)
    if not ids:
        raise InvalidInput(f"Missing required parameter: {name}.")
    if len(ids) > MAX_MARKETPLACE_IDS:
        raise InvalidInput(f"{name} may contain at most {MAX_MARKETPLACE_IDS} values.")
    if unknown := [value for value in ids if value != MARKETPLACE_ID]:
        raise InvalidInput(f"Invalid {name}: {', '.join(unknown)}.")


def _date(request: Request, name: str) -> datetime:
    moment = parse_iso(request.arg(name) or "")
    if moment is None:
        camel = name[0].lower() + name[1:]
        raise InvalidInput(("This is an invalid input", f"Invalid date-time field(s) [{camel}]."))
    return moment


def _enum(request: Request, name: str, allowed: tuple[str, ...]) -> list[str]:
    values = csv_values(request, name)
    if wrong := [value for value in values if value not in allowed]:
        raise InvalidInput(f"Invalid {name}: {', '.join(wrong)}. Allowed values: {', '.join(allowed)}.")
    return values


def _page_size(request: Request) -> int:
    text = request.arg("MaxResultsPerPage")
    if text is None:
        return MAX_RESULTS_PER_PAGE
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_RESULTS_PER_PAGE:
        raise InvalidInput(f"MaxResultsPerPage must be between 1 and {MAX_RESULTS_PER_PAGE}.")
    return size


def order_query(request: Request, now: datetime) -> OrderQuery:
    """Read a getOrders request. With NextToken the token's search goes on and other criteria are ignored."""
    check_marketplaces(request, "MarketplaceIds")
    if token := request.arg("NextToken"):
        return decode_orders_token(token)
    created, updated = request.arg("CreatedAfter"), request.arg("LastUpdatedAfter")
    if not created and not updated:
        raise InvalidInput("Either CreatedAfter or LastUpdatedAfter must be specified.")
    if created and updated:
        raise InvalidInput("CreatedAfter and LastUpdatedAfter cannot both be specified.")
    family, other = ("Created", "LastUpdated") if created else ("LastUpdated", "Created")
    if request.arg(f"{other}Before"):
        raise InvalidInput(f"{other}Before cannot be specified together with {family}After.")
    after = _date(request, f"{family}After")
    before = now
    if request.arg(f"{family}Before"):
        before = _date(request, f"{family}Before")
        if before < after or before > now - BEFORE_MARGIN:
            raise InvalidInput(GENERIC_MESSAGE)
    if after > now:
        raise InvalidInput(GENERIC_MESSAGE)
    ids = csv_values(request, "AmazonOrderIds")
    if len(ids) > 50:
        raise InvalidInput("AmazonOrderIds may contain at most 50 values.")
    return OrderQuery(
        family=family,
        after=after,
        before=before,
        statuses=_enum(request, "OrderStatuses", ORDER_STATUSES),
        payment_methods=_enum(request, "PaymentMethods", PAYMENT_METHODS),
        channels=_enum(request, "FulfillmentChannels", FULFILLMENT_CHANNELS),
        order_ids=ids,
        buyer_email=request.arg("BuyerEmail") or "",
        seller_order_id=request.arg("SellerOrderId") or "",
        page_size=_page_size(request),
    )


def _encode(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(token: str) -> dict:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("Invalid NextToken.") from exc
    if not isinstance(data, dict):
        raise InvalidInput("Invalid NextToken.")
    return data


def encode_orders_token(query: OrderQuery) -> str:
    return _encode(
        {
            "f": query.family,
            "a": query.after.timestamp(),
            "b": query.before.timestamp(),
            "s": query.statuses,
            "p": query.payment_methods,
            "c": query.channels,
            "i": query.order_ids,
            "e": query.buyer_email,
            "o": query.seller_order_id,
            "n": query.page_size,
            "k": list(query.cursor) if query.cursor else None,
        }
    )


def decode_orders_token(token: str) -> OrderQuery:
    data = _decode(token)
    try:
        return OrderQuery(
            family=data["f"],
            after=datetime.fromtimestamp(data["a"], UTC),
            before=datetime.fromtimestamp(data["b"], UTC),
            statuses=data["s"],
            payment_methods=data["p"],
            channels=data["c"],
            order_ids=data["i"],
            buyer_email=data["e"],
            seller_order_id=data["o"],
            page_size=data["n"],
            cursor=(float(data["k"][0]), str(data["k"][1])),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InvalidInput("Invalid NextToken.") from exc


def orders_page(records: list[dict], query: OrderQuery) -> tuple[list[dict], str | None]:
    """One page of matching orders, oldest first, and the NextToken for the rest (None on the last page).

    The token keeps the search's upper bound, so orders placed while a client pages wait for its next search.
    """
    date_field = query.date_field
    found = sorted(
        (record for record in records if query.matches(record)),
        key=lambda record: (record[date_field].timestamp(), record["AmazonOrderId"]),
    )
    if query.cursor:
        found = [r for r in found if (r[date_field].timestamp(), r["AmazonOrderId"]) > query.cursor]
    page = found[: query.page_size]
    if len(found) <= query.page_size:
        return page, None
    last = page[-1]
    query.cursor = (last[date_field].timestamp(), last["AmazonOrderId"])
    return page, encode_orders_token(query)


def items_page(order_id: str, items: list[dict], token: str | None) -> tuple[list[dict], str | None]:
    """getOrderItems paging: ORDER_ITEMS_PAGE_SIZE items a page."""
    start = 0
    if token:
        data = _decode(token)
        if data.get("o") != order_id or not isinstance(data.get("i"), int) or data["i"] < 0:
            raise InvalidInput("Invalid NextToken.")
        start = data["i"]
    end = start + ORDER_ITEMS_PAGE_SIZE
    return items[start:end], (_encode({"o": order_id, "i": end}) if end < len(items) else None)


def shipment_package(body: Any, record: dict) -> dict:
    """The packageDetail of a confirmShipment body, checked against the order; raises InvalidInput."""
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    missing = [
        f"Missing request parameter: {n}." for n in ("marketplaceId", "packageDetail") if not body.get(n)
    ]
    if missing:
        raise InvalidInput(*missing)
    if body["marketplaceId"] != MARKETPLACE_ID:
        raise InvalidInput(f"Invalid marketplaceId: {body['marketplaceId']}.")
    package = body["packageDetail"]
    if not isinstance(package, dict):
        raise InvalidInput("packageDetail must be an object.")
    required = ("packageReferenceId", "carrierCode", "trackingNumber", "shipDate", "orderItems")
    if missing := [f"Missing request parameter: packageDetail.{n}." for n in required if not package.get(n)]:
        raise InvalidInput(*missing)
    for name in required[:4]:
        if not isinstance(package[name], str):
            raise InvalidInput(f"packageDetail.{name} must be a string.")
    if parse_iso(package["shipDate"]) is None:
        raise InvalidInput(("Invalid Input", "packageDetail.shipDate must be an ISO 8601 date-time."))
    if package["packageReferenceId"] not in {known["packageReferenceId"] for known in record["packages"]}:
        _check_package_items(package["orderItems"], record)  # a re-sent package ships nothing new
    return package


def _check_package_items(lines: Any, record: dict) -> None:
    if not isinstance(lines, list):
        raise InvalidInput("packageDetail.orderItems must be a list.")
    open_quantity = {i["OrderItemId"]: i["QuantityOrdered"] - i["QuantityShipped"] for i in record["items"]}
    asked: dict[str, int] = {}
    for index, line in enumerate(lines):
        item_id = line.get("orderItemId") if isinstance(line, dict) else None
        quantity = line.get("quantity") if isinstance(line, dict) else None
        if not isinstance(item_id, str) or item_id not in open_quantity:
            raise InvalidInput(f"Invalid orderItemId in packageDetail.orderItems[{index}]: {item_id}.")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise InvalidInput(f"packageDetail.orderItems[{index}].quantity must be a positive integer.")
        asked[item_id] = asked.get(item_id, 0) + quantity
    if over := [item_id for item_id, quantity in asked.items() if quantity > open_quantity[item_id]]:
        raise InvalidInput(f"Quantity exceeds the unshipped quantity for orderItemId(s): {', '.join(over)}.")


def _issue(code: str, message: str, category: str, attribute: str | None = None) -> dict:
    issue = {"code": code, "message": message, "severity": "ERROR", "categories": [category]}
    if attribute:
        issue["attributeNames"] = [attribute]
    return issue


def listing_patch(body: Any) -> tuple[int | None, list[dict]]:
    """(new quantity or None, issues) for a patchListingsItem body; schema violations raise InvalidInput.

    Only fulfillment_availability changes the simulated listing; patches of other attributes are accepted
    and ignored (prices and descriptions are not simulated).
    """
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object.")
    if not isinstance(body.get("productType"), str) or not body["productType"]:
        raise InvalidInput("Missing request parameter: productType.")
    patches = body.get("patches")
    if not isinstance(patches, list) or not patches:
        raise InvalidInput("Missing request parameter: patches.")
    quantity: int | None = None
    issues: list[dict] = []
    for index, patch in enumerate(patches):
        op = patch.get("op") if isinstance(patch, dict) else None
        path = patch.get("path") if isinstance(patch, dict) else None
        if op not in PATCH_OPS:
            issues.append(
                _issue(
                    "INVALID_PATCH_OP",
                    f"patches[{index}].op must be one of {PATCH_OPS}.",
                    "INVALID_ATTRIBUTE",
                )
            )
        elif not isinstance(path, str) or not path.startswith("/attributes/"):
            issues.append(
                _issue(
                    "INVALID_PATCH_PATH",
                    f"patches[{index}].path must be /attributes/<name>.",
                    "INVALID_ATTRIBUTE",
                )
            )
        elif path == QUANTITY_PATH:
            found, problem = _quantity_value(op, patch.get("value"))
            if problem:
                issues.append(
                    _issue(
                        "INVALID_ATTRIBUTE_VALUE", problem, "INVALID_ATTRIBUTE", "fulfillment_availability"
                    )
                )
            else:
                quantity = found
    return quantity, issues


def _quantity_value(op: str, value: Any) -> tuple[int | None, str | None]:
    if op == "delete":
        return 0, None
    entry = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else None
    if entry is None:
        return None, "fulfillment_availability must be a list of {fulfillment_channel_code, quantity}."
    if entry.get("fulfillment_channel_code") != "DEFAULT":
        return None, "fulfillment_channel_code must be DEFAULT for a seller-fulfilled (MFN) listing."
    quantity = entry.get("quantity")
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
        return None, "quantity must be an integer greater than or equal to 0."
    return quantity, None
