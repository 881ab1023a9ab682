"""Rakuten RMS 問い合わせ管理API (InquiryManagementAPI, R-Messe) of the simulator, on /es/1.0/inquirymng-api.

GET   /inquiries/count           counts.get     fromDate, toDate, noMerchantReply
GET   /inquiries                 inquiries.get  fromDate, toDate (yyyy-MM-ddTHH:mm:ss JST, at most 31 days),
                                                limit 1..100 (10), page 1..10000, noMerchantReply
GET   /inquiry/{inquiryNumber}   inquiry.get    one inquiry with its replies
POST  /inquiry/reply             reply.post     {"inquiryNumber", "shopId", "message"} -> 201
PATCH /inquiries/read            inquiries.patch.read         {"inquiryNumbers": [..20]}
PATCH /inquiries/complete        inquiries.patch.complete     {"inquiryNumbers": [..20]}
PATCH /inquiries/incomplete      inquiries.patch.incomplete   {"inquiryNumbers": [..20]}

Paths, parameters, fields, limits and error bodies follow the RMS reference pages of each function [doc]
(mirrored in public repositories). Where they are silent this simulator chose [assumed]:
- fromDate/toDate select on regDate (問い合わせ日時); lists are newest regDate first (as documented).
- noMerchantReply=true keeps inquiries whose last message is the user's.
- Inquiry numbers look like the samples: "<shopId>-<yyyyMMdd>-<n>t".
- Every function has its own limit of 1 request/s (burst 3); over it: HTTP 429 (no figure is published).
- Gateway errors (faults, unknown paths) answer {"error": {"code": "SIM-<status>", "message": ..}}.
- A reply to a completed inquiry is accepted and leaves it completed; 409 (duplicate) is never answered.
- The first message of an inquiry is the top level `message`; `replies` hold the later ones, both sides,
  with ids 0, 1, .. in order.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from channels.simulators.base import JST, Request, Response, json_response
from channels.simulators.base_inquiries import awaits_seller
from channels.simulators.rakuten_render import masked_email

INQUIRY_API = "/es/1.0/inquirymng-api"
RATE, BURST = 1.0, 3.0
MAX_SPAN = timedelta(days=31)
MAX_LIMIT, MAX_PAGE, MAX_RECORDS = 100, 10_000, 10_000
MAX_NUMBERS = 20
MAX_MESSAGE, MAX_LINE = 2000, 300
DATE_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
NUMBER_PATTERN = re.compile(r"[0-9a-zA-Z-]{1,40}")
URL_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"']+")
# A reply may link only to these domains, over https [doc: reply.post].
ALLOWED_LINK_DOMAINS = (
    "rakuten.co.jp", "rakuten.ne.jp", "rakuten.com", "rakuten-bank.co.jp", "trafficgate.net",
    "rakuten-card.co.jp", "payment.sej.co.jp", "faq.rakuten.net", "support.rakuten-card.jp",
)  # fmt: skip


class InquiryApiError(Exception):
    def __init__(self, status: int, code: str, message: str, targets: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.targets = status, code, message, targets

    def response(self) -> Response:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.targets:
            error["targets"] = self.targets
        return json_response({"error": error}, self.status)


def bad_parameter(**targets: str) -> InquiryApiError:
    return InquiryApiError(400, "IE001", "bad parameter", targets)


class RakutenInquiryAPI:
    """Mixin for RakutenSimulator (which provides `shop_id`, `limit`, `orders`, `inquiries` and the store)."""

    def inquiry_routes(self) -> list[tuple[str, str, Any]]:
        api = INQUIRY_API
        return [
            ("GET", rf"{api}/inquiries/count", self._inquiry_call("counts.get", self.inquiry_count)),
            ("GET", rf"{api}/inquiries", self._inquiry_call("inquiries.get", self.inquiry_list)),
            ("GET", rf"{api}/inquiry/(?P<number>[^/]+)", self._inquiry_call("inquiry.get", self.inquiry_get)),
            ("POST", rf"{api}/inquiry/reply", self._inquiry_call("reply.post", self.inquiry_reply)),
            ("PATCH", rf"{api}/inquiries/read", self._inquiry_call("patch.read", self.inquiries_read)),
            ("PATCH", rf"{api}/inquiries/complete", self._inquiry_call("patch.complete", self.inquiries_done)),
            ("PATCH", rf"{api}/inquiries/incomplete", self._inquiry_call("patch.incomplete", self.inquiries_undone)),
        ]  # fmt: skip

    def inquiry_error_response(self, status: int, reason: str) -> Response:
        return InquiryApiError(status, f"SIM-{status}", reason).response()

    # ---- the store's hooks ----------------------------------------------------------------------------------
    def new_inquiry_id(self, order_id: str, now: datetime) -> str:
        while True:
            number = f"{self.shop_id}-{now:%Y%m%d}-{self.inquiry_rng.randint(1, 99_999)}t"
            if number not in self.inquiries:
                return number

    def inquiry_extras(self, order_id: str) -> dict:
        order = self.orders[order_id]
        orderer = order["OrdererModel"]
        items = [item for package in order["PackageModelList"] for item in package["ItemModelList"]]
        first = items[0] if items else {}
        return {
            "user_name": f"{orderer.get('familyName', '')} {orderer.get('firstName', '')}".strip(),
            "user_mask_email": orderer.get("emailAddress") or masked_email(order_id),
            "item_name": first.get("itemName", ""),
            "item_number": first.get("itemNumber"),
            "item_url": f"/shop{self.shop_id}/{first.get('manageNumber', '')}/",
            "category": "送料・商品配送",
            "type": "受注問い合わせ",
        }

    # ---- the functions --------------------------------------------------------------------------------------
    def inquiry_count(self, request: Request) -> Response:
        return json_response({"result": {"count": len(self._selected(request))}})

    def inquiry_list(self, request: Request) -> Response:
        limit = _int_arg(request, "limit", 10, 1, MAX_LIMIT, "should be less than equal 100")
        page = _page_arg(request)
        if limit * page > MAX_RECORDS:
            raise InquiryApiError(400, "IE000", "400 Bad Request")
        found = self._selected(request)
        found.sort(key=lambda r: (r["created"], r["inquiry_id"]), reverse=True)
        chosen = found[(page - 1) * limit : page * limit]
        return json_response(
            {
                "totalCount": len(found),
                "totalPageCount": -(-len(found) // limit),
                "page": page,
                "list": [self._inquiry_model(record) for record in chosen],
            }
        )

    def inquiry_get(self, request: Request) -> Response:
        number = request.params["number"]
        if not NUMBER_PATTERN.fullmatch(number):
            raise bad_parameter(inquiryNumber='must match "^[0-9a-zA-Z-]+$"')
        record = self.inquiries.get(number)
        if record is None:
            raise InquiryApiError(404, "IE004", "not found")
        return json_response({"result": self._inquiry_model(record)})

    def inquiry_reply(self, request: Request) -> Response:
        body = _body(request)
        number, shop_id, message = body.get("inquiryNumber"), body.get("shopId"), body.get("message")
        if not isinstance(number, str) or not NUMBER_PATTERN.fullmatch(number):
            raise bad_parameter(inquiryNumber='must match "^[0-9a-zA-Z-]+$"')
        if str(shop_id) != self.shop_id:
            raise bad_parameter(shopId="does not match the shop of the license key")
        if problem := reply_problem(message):
            raise bad_parameter(message=problem)
        attachments = body.get("attachments") or []
        if not isinstance(attachments, list) or len(attachments) > 1:
            raise bad_parameter(attachments="size must be between 0 and 1")
        record = self.inquiries.get(number)
        if record is None:
            raise InquiryApiError(404, "IE004", "not found")
        posted = self.seller_writes(number, message)
        result = {
            "inquiryNumber": number,
            "message": posted["body"],
            "regDate": _rms_datetime(posted["at"]),
            "replyFrom": "merchant",
            "isRead": False,
            "attachments": attachments,
        }
        return json_response({"result": result}, 201)

    def inquiries_read(self, request: Request) -> Response:
        return self._patch(request, "seller_read", True)

    def inquiries_done(self, request: Request) -> Response:
        return self._patch(request, "completed", True)

    def inquiries_undone(self, request: Request) -> Response:
        return self._patch(request, "completed", False)

    # ---- helpers --------------------------------------------------------------------------------------------
    def _inquiry_call(self, name: str, handler: Any) -> Any:
        def run(request: Request) -> Response:
            if refusal := self.limit(f"inquiry.{name}", RATE, BURST):
                return refusal
            try:
                return handler(request)
            except InquiryApiError as error:
                return error.response()

        return run

    def _selected(self, request: Request) -> list[dict]:
        start, end = _date_arg(request, "fromDate"), _date_arg(request, "toDate")
        if end < start:
            message = "date time range is invalid."
            raise bad_parameter(fromDate=message, toDate=message)
        if end - start > MAX_SPAN:
            message = "date time range should be within 31 days."
            raise bad_parameter(fromDate=message, toDate=message)
        only_unreplied = request.arg("noMerchantReply") == "true"
        return [
            record
            for record in self.inquiries.values()
            if start <= record["created"] <= end and (not only_unreplied or awaits_seller(record))
        ]

    def _patch(self, request: Request, field: str, value: bool) -> Response:
        numbers = _body(request).get("inquiryNumbers")
        if not isinstance(numbers, list) or not numbers:
            raise bad_parameter(inquiryNumbers="must not be empty")
        if len(numbers) > MAX_NUMBERS:
            raise bad_parameter(inquiryNumbers=f"size must be between 1 and {MAX_NUMBERS}")
        if any(not isinstance(n, str) or not n for n in numbers):
            raise bad_parameter(**{"inquiryNumbers[]": "must not be blank"})
        if any(not NUMBER_PATTERN.fullmatch(n) for n in numbers):
            raise bad_parameter(**{"inquiryNumbers[]": 'must match "^[0-9a-zA-Z-]+$"'})
        ok, errors = [], []
        for number in numbers:
            record = self.inquiries.get(number)
            if record is None:
                errors.append({"inquiryNumber": number, "errorMessage": "not found."})
            elif record[field] == value:
                errors.append({"inquiryNumber": number, "errorMessage": "already set value as specified"})
            else:
                if field == "completed" and value:
                    self.complete_inquiry(number)
                else:
                    record[field] = value
                    if field == "completed":
                        record["completed_at"] = None
                ok.append(number)
        return json_response({"result": {"ok": ok, "error": errors}})

    def _inquiry_model(self, record: dict) -> dict:
        first, later = record["messages"][0], record["messages"][1:]
        return {
            "inquiryNumber": record["inquiry_id"],
            "shopId": int(self.shop_id),
            "userName": record["user_name"],
            "userMaskEmail": record["user_mask_email"],
            "message": first["body"],
            "regDate": _rms_datetime(record["created"]),
            "itemUrl": record["item_url"],
            "itemName": record["item_name"],
            "itemNumber": record["item_number"],
            "isCompleted": record["completed"],
            "completedDate": _rms_datetime(record["completed_at"]) if record["completed_at"] else None,
            "category": record["category"],
            "type": record["type"],
            "orderNumber": record["order_id"],
            "readByMerchant": record["seller_read"],
            "attachments": [],
            "replies": [
                {
                    "id": index,
                    "message": message["body"],
                    "regDate": _rms_datetime(message["at"]),
                    "replyFrom": "merchant" if message["from"] == "seller" else "user",
                    "isRead": message["from"] == "seller",
                    "attachments": [],
                    "isMessageDeleted": False,
                }
                for index, message in enumerate(later)
            ],
            "lastUpdateDate": _rms_datetime(record["updated"]),
            "isMessageDeleted": False,
            "socialGiftUserType": None,
        }


def reply_problem(message: object) -> str | None:
    """Why reply.post refuses a message, or None [doc: 1-2000 characters, 300 a line, links to Rakuten only]."""
    if not isinstance(message, str) or not message:
        return "must not be blank"
    if len(message) > MAX_MESSAGE:
        return f"size must be between 1 and {MAX_MESSAGE}"
    if any(len(line) > MAX_LINE for line in message.split("\n")):
        return f"a line must be {MAX_LINE} characters or less"
    for url in URL_PATTERN.findall(message):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        allowed = any(host == d or host.endswith("." + d) for d in ALLOWED_LINK_DOMAINS)
        if parts.scheme != "https" or not allowed:
            return f"URL {url} is not allowed: only https links to Rakuten domains"
    return None


def _rms_datetime(moment: datetime) -> str:
    return moment.astimezone(JST).replace(microsecond=0).isoformat()  # 2020-04-30T13:58:37+09:00


def _date_arg(request: Request, name: str) -> datetime:
    value = request.arg(name)
    if not value:
        raise bad_parameter(**{name: "must not be null"})
    if not DATE_PATTERN.fullmatch(value):
        raise bad_parameter(**{name: 'must match "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$"'})
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=JST)
    except ValueError:
        raise bad_parameter(**{name: "is not a date"}) from None


def _int_arg(request: Request, name: str, default: int, low: int, high: int, too_big: str) -> int:
    value = request.arg(name)
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) < low:
        raise bad_parameter(**{name: f"should be greater than equal {low}"})
    if int(value) > high:
        raise bad_parameter(**{name: too_big})
    return int(value)


def _page_arg(request: Request) -> int:
    value = request.arg("page")
    if value in (None, ""):
        return 1
    if not value.isdigit() or int(value) < 1:
        raise bad_parameter(page="should be greater than equal 1")
    if int(value) > MAX_PAGE:
        raise InquiryApiError(400, "IE001", "400 Bad Request")
    return int(value)


def _body(request: Request) -> dict:
    try:
        body = request.json()
    except Exception:
        raise bad_parameter(body="must be JSON") from None
    if not isinstance(body, dict):
        raise bad_parameter(body="must be a JSON object")
    return body
