"""XML in and out for the Yahoo!ショッピング simulator: request parsing, order lists/details, errors.

Values in stored orders are Python values; they are written the way Yahoo writes them: booleans as
true/false, datetimes as ISO 8601 with +09:00, dates as YYYY-MM-DD, None as an empty element.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from datetime import date, datetime

from channels.simulators.base import Response, xml_response

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Field names per node of orderInfo's <OrderInfo>, in the order they are written [code: JSPSystem field list].
TOP_FIELDS = (
    "OrderId", "Version", "ParentOrderId", "ChildOrderId", "DeviceType", "IsActive", "IsSeen", "IsSplit",
    "CancelReason", "CancelReasonDetail", "IsRoyalty", "IsRoyaltyFix", "IsSeller", "IsAffiliate",
    "IsRatingB2s", "OrderTime", "LastUpdateTime", "Suspect", "OrderStatus", "StoreStatus", "RoyaltyFixTime",
    "BuyerComments", "SellerComments", "Notes", "OperationUser", "PublicationTime",
)  # fmt: skip
GROUP_FIELDS: dict[str, tuple[str, ...]] = {
    "Pay": (
        "PayStatus", "SettleStatus", "PayType", "PayKind", "PayMethod", "PayMethodName", "PayDate",
        "BillFirstName", "BillFirstNameKana", "BillLastName", "BillLastNameKana", "BillZipCode",
        "BillPrefecture", "BillCity", "BillAddress1", "BillAddress2", "BillPhoneNumber", "BillMailAddress",
    ),
    "Ship": (
        "ShipStatus", "ShipMethod", "ShipMethodName", "ShipRequestDate", "ShipRequestTime", "ShipNotes",
        "ShipCompanyCode", "ShipInvoiceNumber1", "ShipInvoiceNumber2", "ShipInvoiceNumberEmptyReason",
        "ShipUrl", "ArriveType", "ShipDate", "ArrivalDate", "NeedGiftWrap", "GiftWrapType", "GiftWrapMessage",
        "ShipFirstName", "ShipFirstNameKana", "ShipLastName", "ShipLastNameKana", "ShipZipCode",
        "ShipPrefecture", "ShipCity", "ShipAddress1", "ShipAddress2", "ShipPhoneNumber",
    ),
    "Seller": ("SellerId",),
    "Buyer": ("IsLogin",),
    "Detail": (
        "PayCharge", "ShipCharge", "GiftWrapCharge", "Discount", "Adjustments", "SettleAmount", "UsePoint",
        "TotalPrice", "SettlePayAmount",
    ),
}  # fmt: skip
ITEM_FIELDS = (
    "LineId", "ItemId", "Title", "SubCode", "SubCodeOption", "ItemOption", "IsTaxable", "ItemTaxRatio",
    "UnitPrice", "Quantity",
)  # fmt: skip
ORDER_INFO_FIELDS = frozenset(TOP_FIELDS + ITEM_FIELDS).union(*GROUP_FIELDS.values())


class YahooApiError(Exception):
    """A refused API call, answered as <Error><Message>..</Message>(<Code>..</Code>)</Error>."""

    def __init__(self, message: str, *, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code

    def response(self, headers: dict[str, str] | None = None) -> Response:
        return error_response(self.status, self.message, self.code, headers)


def error_response(
    status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Response:
    root = ET.Element("Error")
    ET.SubElement(root, "Message").text = message
    if code:
        ET.SubElement(root, "Code").text = code
    return xml_response(_text(root), status, headers)


def ok_result_set(warnings: Iterable[str] = ()) -> Response:
    """<ResultSet><Result><Status>OK</Status>(<Warning>..)</Result></ResultSet> of the change APIs."""
    root = ET.Element("ResultSet", _positions(1, 1))
    result = ET.SubElement(root, "Result")
    ET.SubElement(result, "Status").text = "OK"
    for warning in warnings:
        ET.SubElement(result, "Warning").text = warning
    return xml_response(_text(root))


def parse_request(body: bytes, root_tag: str = "Req") -> ET.Element:
    """The <Req> document of an XML API; clients send it as text/xml or (JSPSystem) form-typed."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise YahooApiError("Invalid Request : DTDs are not accepted")
    try:
        # No DTD can reach the parser (refused above), and the server listens on loopback only.
        root = ET.fromstring(body)  # noqa: S314
    except ET.ParseError as exc:
        raise YahooApiError(f"Invalid Request : XML is not well-formed ({exc})") from exc
    if root.tag != root_tag:
        raise YahooApiError(f"Invalid Request : root element must be <{root_tag}>")
    return root


def child_text(node: ET.Element | None, path: str) -> str | None:
    """Stripped text of node/path; None when missing or empty."""
    if node is None:
        return None
    found = node.find(path)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def render_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def order_list_response(rows: list[dict], *, total: int, start: int, fields: list[str]) -> Response:
    """orderList: <Result><Status>OK</Status><Search><TotalCount>..<OrderInfo><Index>.. per order."""
    root = ET.Element("Result")
    ET.SubElement(root, "Status").text = "OK"
    search = ET.SubElement(root, "Search")
    ET.SubElement(search, "TotalCount").text = str(total)
    for offset, order in enumerate(rows):
        info = ET.SubElement(search, "OrderInfo")
        ET.SubElement(info, "Index").text = str(start + offset)
        for name in fields:
            found, value = flat_value(order, name)
            if found:
                _leaf(info, name, value)
    return xml_response(_text(root))


def order_info_response(order: dict, fields: set[str] | None) -> Response:
    """orderInfo: <ResultSet><Result><Status>OK</Status><OrderInfo> with Pay/Ship/Seller/Buyer/Detail/Item."""
    root = ET.Element("ResultSet", _positions(1, 1))
    result = ET.SubElement(root, "Result")
    ET.SubElement(result, "Status").text = "OK"
    info = ET.SubElement(result, "OrderInfo")
    wanted = ORDER_INFO_FIELDS if fields is None else fields
    for name in TOP_FIELDS:
        if name in wanted and name in order:
            _leaf(info, name, order[name])
    for group, names in GROUP_FIELDS.items():
        chosen = [n for n in names if n in wanted and n in order[group]]
        if chosen:
            node = ET.SubElement(info, group)
            for name in chosen:
                _leaf(node, name, order[group][name])
    item_fields = [n for n in ITEM_FIELDS if n in wanted]
    for item in order["Item"] if item_fields else ():
        node = ET.SubElement(info, "Item")
        for name in item_fields:
            if name in item:
                _leaf(node, name, item[name])
    return xml_response(_text(root))


def flat_value(order: dict, name: str) -> tuple[bool, object]:
    """orderList fields are flat (ShipStatus, not Ship/ShipStatus): look the name up in every node."""
    if name in order and name in TOP_FIELDS:
        return True, order[name]
    for group in GROUP_FIELDS:
        if name in order[group]:
            return True, order[group][name]
    return False, None


def stock_result_set(results: list[dict]) -> Response:
    """setStock/getStock: <ResultSet ...><Result><ItemCode/><SubCode/><Quantity/>(<ErrorCode/>)</Result>.."""
    root = ET.Element("ResultSet", _positions(len(results), len(results)))
    for row in results:
        node = ET.SubElement(root, "Result")
        for name in ("ItemCode", "SubCode", "Quantity", "ErrorCode", "ErrorMessage"):
            if name in row:
                _leaf(node, name, row[name])
    return xml_response(_text(root))


def _leaf(parent: ET.Element, name: str, value: object) -> None:
    ET.SubElement(parent, name).text = render_value(value)


def _positions(available: int, returned: int) -> dict[str, str]:
    return {
        "totalResultsAvailable": str(available),
        "totalResultsReturned": str(returned),
        "firstResultPosition": "1",
    }


def _text(root: ET.Element) -> str:
    return DECLARATION + ET.tostring(root, encoding="unicode")
