"""Rakuten Order API 2.0 shipping calls: updateOrderShipping, its async pair and the async result lookup."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

from channels.simulators import rakuten_render as render
from channels.simulators.base import Request, Response, json_response, now_jst
from channels.simulators.rakuten_render import ORDER_BURST, ORDER_RATE, message

if TYPE_CHECKING:
    from channels.simulators.rakuten import RakutenSimulator

SYNC = "ORDER_EXT_API_UPDATE_ORDERSHIPPING"
ASYNC = "ORDER_EXT_API_UPDATE_ORDERSHIPPING_ASYNC"
RESULT = "ORDER_EXT_API_GET_RESULT_UPDATEORDERSHIPPING_ASYNC"
MAX_SHIPPINGS_PER_BASKET = 20
MAX_SHIPPING_NUMBER_LENGTH = 120
MAX_ASYNC_ORDERS = 100
ASYNC_READY_AFTER_SECONDS = 0.5  # results are "not there yet" for a moment, as on the real service


def validate_order_shipping(entry: Any, code: str) -> list[dict]:
    """Format errors (…_ERROR_009/011) of one {"orderNumber", "BasketidModelList"}; dataNumber is 1-based overall."""
    if not isinstance(entry, dict):
        return [message("ERROR", f"{code}_ERROR_011", "リクエストの書式が不正です。")]
    errors = []
    if not isinstance(entry.get("orderNumber"), str) or not entry["orderNumber"]:
        errors.append(message("ERROR", f"{code}_ERROR_009", "orderNumberの項目を指定して下さい。"))
    baskets = entry.get("BasketidModelList")
    if not isinstance(baskets, list) or not baskets:
        errors.append(message("ERROR", f"{code}_ERROR_009", "BasketidModelListの項目を指定して下さい。"))
        return errors
    data_number = 0
    for basket in baskets:
        if not isinstance(basket, dict) or not _is_int(basket.get("basketId")):
            errors.append(message("ERROR", f"{code}_ERROR_009", "basketIdの項目を指定して下さい。"))
            continue
        shippings = basket.get("ShippingModelList")
        if not isinstance(shippings, list) or not shippings or len(shippings) > MAX_SHIPPINGS_PER_BASKET:
            errors.append(message("ERROR", f"{code}_ERROR_011", "ShippingModelListの書式が不正です。"))
            continue
        for shipping in shippings:
            data_number += 1
            for field in _bad_shipping_fields(shipping):
                detail_id = shipping.get("shippingDetailId") if isinstance(shipping, dict) else None
                text = f"{field}の書式が不正です。"
                errors.append(
                    message(
                        "ERROR", f"{code}_ERROR_011", text, dataNumber=data_number, shippingDetailId=detail_id
                    )
                )
    return errors


def _bad_shipping_fields(shipping: Any) -> list[str]:
    if not isinstance(shipping, dict):
        return ["ShippingModel"]
    bad = []
    detail_id = shipping.get("shippingDetailId")
    if detail_id is not None and not _is_int(detail_id):
        bad.append("shippingDetailId")
    if "deliveryCompany" in shipping and shipping["deliveryCompany"] not in render.DELIVERY_COMPANIES:
        bad.append("deliveryCompany")
    number = shipping.get("shippingNumber")
    if number is not None and (not isinstance(number, str) or len(number) > MAX_SHIPPING_NUMBER_LENGTH):
        bad.append("shippingNumber")
    shipped = shipping.get("shippingDate")
    if shipped not in (None, "") and not render.is_iso_date(shipped):
        bad.append("shippingDate")
    if shipping.get("shippingDeleteFlag", 0) not in (0, 1):
        bad.append("shippingDeleteFlag")
    return bad


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class RakutenShippingAPI:
    """Mixin for RakutenSimulator: registering shipments (発送完了報告) moves an order 300 -> 500."""

    def update_order_shipping(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("updateOrderShipping", ORDER_RATE, ORDER_BURST)
        if throttled:
            return throttled
        body = request.json()
        errors = validate_order_shipping(body, SYNC)
        if errors:
            return json_response({"MessageModelList": errors}, 400)
        messages, ok = self.apply_order_shipping(body, SYNC)
        return json_response({"MessageModelList": messages}, 200 if ok else 400)

    def update_order_shipping_async(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("updateOrderShippingAsync", ORDER_RATE, ORDER_BURST)
        if throttled:
            return throttled
        body = request.json()
        entries = body.get("OrderShippingModelList") if isinstance(body, dict) else None
        errors = _async_request_errors(entries)
        if errors:  # validation errors come back at once, in an HTTP 200 as in the documented sample
            return json_response({"MessageModelList": errors})
        request_id = f"{uuid.UUID(int=self.rng.getrandbits(128), version=4)}_{now_jst():%Y%m%d%H%M%S}"
        results = []
        for entry in entries:
            messages, _ = self.apply_order_shipping(entry, SYNC)
            results.append({"orderNumber": entry["orderNumber"], "MessageModelList": messages})
        self.async_results[request_id] = {
            "ready_at": time.monotonic() + ASYNC_READY_AFTER_SECONDS,
            "results": results,
        }
        accepted = message(
            "INFO",
            f"{ASYNC}_INFO_101",
            "発送情報の更新を受付けました。",
            requestId=request_id,
            dataNumber=None,
        )
        accepted["shippingDetailId"] = None
        return json_response({"MessageModelList": [accepted]})

    def get_result_shipping_async(self: RakutenSimulator, request: Request) -> Response:
        throttled = self.limit("getResultUpdateOrderShippingAsync", ORDER_RATE, ORDER_BURST)
        if throttled:
            return throttled
        body = request.json()
        request_id = body.get("requestId") if isinstance(body, dict) else None
        if not isinstance(request_id, str) or not request_id:
            missing = message("ERROR", f"{RESULT}_ERROR_009", "requestIdの項目を指定して下さい。")
            return json_response({"ResultShippingModelList": [{"MessageModelList": [missing]}]}, 400)
        stored = self.async_results.get(request_id)
        if stored is None or time.monotonic() < stored["ready_at"]:
            text = "指定されたリクエストIDの処理結果は存在しませんでした。"
            absent = message("INFO", f"{RESULT}_INFO_101", text)
            return json_response({"ResultShippingModelList": [{"MessageModelList": [absent]}]})
        return json_response({"ResultShippingModelList": stored["results"]})

    def apply_order_shipping(self: RakutenSimulator, entry: dict, code: str) -> tuple[list[dict], bool]:
        """Apply one order's shipping changes; ([messages], True) or ([business errors], False), nothing applied."""
        number = entry["orderNumber"]
        order = self.orders.get(number)
        problem = _order_problem(order, code)
        if problem:
            return [problem], False
        packages = {p["basketId"]: p for p in order["PackageModelList"]}
        problems = _reference_problems(entry["BasketidModelList"], packages, code)
        if problems:
            return problems, False
        messages, data_number = [], 0
        for basket in entry["BasketidModelList"]:
            records = packages[basket["basketId"]]["ShippingModelList"]
            for shipping in basket["ShippingModelList"]:
                data_number += 1
                messages.append(self._apply_one(records, shipping, data_number, code))
        if order["orderProgress"] in (300, 400) and _has_tracking(order):
            moment = render.format_order_datetime(now_jst().replace(microsecond=0))
            order.update(orderProgress=500, shippingCmplRptDatetime=moment)
        return messages, True

    def _apply_one(
        self: RakutenSimulator, records: list[dict], shipping: dict, data_number: int, code: str
    ) -> dict:
        detail_id = shipping.get("shippingDetailId")
        if detail_id is None:
            detail_id = self.next_shipping_detail_id
            self.next_shipping_detail_id += 1
            record = {"shippingDetailId": detail_id, "shippingNumber": None, "deliveryCompany": None,
                      "deliveryCompanyName": None, "shippingDate": None}  # fmt: skip
            _merge(record, shipping)
            records.append(record)
            text = "発送情報の追加設定が完了しました。"
            return message(
                "INFO", f"{code}_INFO_101", text, dataNumber=data_number, shippingDetailId=detail_id
            )
        record = next(r for r in records if r["shippingDetailId"] == detail_id)
        if shipping.get("shippingDeleteFlag") == 1:
            records.remove(record)
            text = "発送情報の削除設定が完了しました。"  # [assumed] wording
            return message(
                "INFO", f"{code}_INFO_103", text, dataNumber=data_number, shippingDetailId=detail_id
            )
        _merge(record, shipping)
        text = "発送情報の更新設定が完了しました。"
        return message("INFO", f"{code}_INFO_102", text, dataNumber=data_number, shippingDetailId=detail_id)


def _async_request_errors(entries: Any) -> list[dict]:
    if not isinstance(entries, list) or not entries:
        return [message("ERROR", f"{ASYNC}_ERROR_009", "OrderShippingModelListの項目を指定して下さい。")]
    if len(entries) > MAX_ASYNC_ORDERS:  # [assumed] code
        return [message("ERROR", f"{ASYNC}_ERROR_012", "OrderShippingModelListは100件以内で指定して下さい。")]
    errors, seen = [], set()
    for entry in entries:
        number = entry.get("orderNumber") if isinstance(entry, dict) else None
        for error in validate_order_shipping(entry, ASYNC):
            errors.append({**error, "orderNumber": number})
        if number in seen:  # [assumed] code for a repeated order number
            errors.append(
                message("ERROR", f"{ASYNC}_ERROR_013", "注文番号が重複しています。", orderNumber=number)
            )
        seen.add(number)
    return errors


def _order_problem(order: dict | None, code: str) -> dict | None:
    if order is None:  # [assumed] code
        return message("ERROR", f"{code}_ERROR_101", "指定された注文番号は存在しません。", dataNumber=None)
    if order["orderProgress"] in (800, 900):
        text = (
            "指定された注文番号は既にキャンセルされているため、発送完了報告が出来る状態ではありませんでした。"
        )
        return message("ERROR", f"{code}_ERROR_102", text, dataNumber=None, shippingDetailId=None)
    if order["orderProgress"] in (100, 200):  # [assumed] code: shipment before the shop confirmed the order
        text = "指定された注文番号は注文確認前のため、発送完了報告が出来る状態ではありませんでした。"
        return message("ERROR", f"{code}_ERROR_103", text, dataNumber=None, shippingDetailId=None)
    return None


def _reference_problems(baskets: list[dict], packages: dict[int, dict], code: str) -> list[dict]:
    """Unknown basketId or shippingDetailId ([assumed] codes 104/105)."""
    problems, data_number = [], 0
    for basket in baskets:
        package = packages.get(basket["basketId"])
        if package is None:
            problems.append(
                message("ERROR", f"{code}_ERROR_104", "指定された送付先IDは存在しません。", dataNumber=None)
            )
            data_number += len(basket["ShippingModelList"])
            continue
        known = {r["shippingDetailId"] for r in package["ShippingModelList"]}
        for shipping in basket["ShippingModelList"]:
            data_number += 1
            detail_id = shipping.get("shippingDetailId")
            if detail_id is not None and detail_id not in known:
                text = "指定された発送明細IDは存在しません。"
                problems.append(
                    message(
                        "ERROR", f"{code}_ERROR_105", text, dataNumber=data_number, shippingDetailId=detail_id
                    )
                )
    return problems


def _merge(record: dict, shipping: dict) -> None:
    """Omitted = unchanged, "" = cleared (stored as null), otherwise the new value."""
    for field in ("shippingNumber", "deliveryCompany", "shippingDate"):
        if field in shipping:
            record[field] = shipping[field] or None
    company = record.get("deliveryCompany")
    record["deliveryCompanyName"] = render.DELIVERY_COMPANY_NAMES.get(company) if company else None


def _has_tracking(order: dict) -> bool:
    return any(r.get("shippingNumber") for p in order["PackageModelList"] for r in p["ShippingModelList"])
