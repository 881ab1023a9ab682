"""Yahoo!ショッピング 問い合わせ管理 APIs of the simulator: 質問一覧, 質問詳細, メッセージ投稿, 質問完了 (JSON).

GET  /ShoppingWebService/V1/externalTalkList?sellerId=..   start (1..), result (1..20, default 20),
     dateType userPostTime|sellerPostTime with startDate/endDate (UNIX seconds), qaType item|order,
     isPrivate, requestFilter all|unanswered|asnwered|completed, sort
GET  /ShoppingWebService/V1/externalTalkDetail?sellerId=..&topicId=..
POST /ShoppingWebService/V1/externalTalkAdd?topicId=..   {"body", "sellerId", "orderId"?, "fileList"?}
PUT  /ShoppingWebService/V1/externalTalkComplete?topicId=..   {"sellerId", "completeConditionId"?}

Field names follow the reference [doc] and public client code [code]; what neither says is assumed here:
- The list answer is {"summary": {"filter", "unansweredCount", "topic": {"start", "end", "count"}},
  "headlines": [...]} and the detail answer {"topic": {...}, "messages": [...]} [code]; both unwrapped.
- Times are UNIX seconds as strings everywhere ("1513776685" as in the detail reference) [assumed for the list].
  userPostTime / sellerPostTime are the buyer's / the seller's last post; dateType filters on them.
- Default order: userPostTime newest first; `sort` takes +/-userPostTime and +/-sellerPostTime [assumed].
- requestFilter "asnwered" [sic, as documented] and "answered" both mean: the seller wrote last.
- externalTalkAdd answers {"topicid", "messageid", "postdate"} [code, unverified]; a completed topic takes
  no post (400): the reference says a completed topic cannot be reopened by the seller.
- externalTalkComplete answers {"status": "ok"}; completeConditionId 1 (通常完了, the default) needs a seller
  post in the topic [code]; completing a completed topic again is no error [assumed].
- messageId counts 1, 2, .. within a topic; postUserType is "user" or "seller" [code].
- The detail call does not mark the topic read (externalTalkRead does, not simulated) [assumed].
- Refusals use the store APIs' XML <Error><Message> answer, like every other error of this host [assumed].
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from channels.simulators.base import JST, Request, Response, json_response
from channels.simulators.base_inquiries import awaits_seller, last_post
from channels.simulators.yahoo_orders import item_code_of
from channels.simulators.yahoo_render import YahooApiError

MAX_RESULT = 20
MAX_BODY = 2000
REQUEST_FILTERS = ("all", "unanswered", "asnwered", "answered", "completed")
SORTS = ("-userPostTime", "+userPostTime", "-sellerPostTime", "+sellerPostTime")
COMPLETE_CONDITIONS = {1: "通常完了", 2: "電話完了", 3: "メール対応", 4: "同一質問", 5: "回答不要"}
ORDER_CATEGORY = (3, "注文・配送について")  # [assumed] category id and name of an order question
TOPIC_ID_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


class YahooTalkAPI:
    """Mixin for YahooSimulator (which provides `_check_seller`, `inquiries`, the lock and the store)."""

    def talk_apis(self) -> dict[str, tuple[str, Callable[[Request], Response]]]:
        return {
            "externalTalkList": ("GET", self.talk_list),
            "externalTalkDetail": ("GET", self.talk_detail),
            "externalTalkAdd": ("POST", self.talk_add),
            "externalTalkComplete": ("PUT", self.talk_complete),
        }

    # ---- the store's hooks ------------------------------------------------------------------------------
    def new_inquiry_id(self, order_id: str, now: datetime) -> str:
        while True:
            topic_id = "".join(self.inquiry_rng.choice(TOPIC_ID_LETTERS) for _ in range(36))
            if topic_id not in self.inquiries:
                return topic_id

    def inquiry_extras(self, order_id: str) -> dict:
        order = self.orders[order_id]
        email = order["Pay"].get("BillMailAddress") or "buyer"
        items = order.get("Item") or [{}]
        return {
            "masked_id": f"{email[:2]}***",  # Yahoo shows sellers a masked id, never the buyer's name
            "item_code": items[0].get("ItemId") or item_code_of(items[0].get("SubCode") or "item"),
            "qa_type": "order",
            "is_private": True,
            "complete_condition": None,
        }

    # ---- the APIs ---------------------------------------------------------------------------------------
    def talk_list(self, request: Request) -> Response:
        self._check_seller(request.arg("sellerId"))
        start = _number(request.arg("start"), 1, "start")
        result = _number(request.arg("result"), MAX_RESULT, "result")
        if result > MAX_RESULT:
            raise YahooApiError(f"Invalid Request : result must be {MAX_RESULT} or less")
        wanted = request.arg("requestFilter") or "all"
        if wanted not in REQUEST_FILTERS:
            raise YahooApiError(
                "Invalid Request : requestFilter must be all, unanswered, asnwered or completed"
            )
        sort = request.arg("sort") or "-userPostTime"
        if sort not in SORTS:
            raise YahooApiError(f"Invalid Request : sort must be one of {', '.join(SORTS)}")
        matched = [r for r in self.inquiries.values() if _matches(r, request, wanted)]
        field = "buyer" if sort.endswith("userPostTime") else "seller"
        matched.sort(key=lambda r: (_post_time(r, field) or 0, r["inquiry_id"]), reverse=sort[0] == "-")
        page = matched[start - 1 : start - 1 + result]
        unanswered = sum(1 for r in self.inquiries.values() if awaits_seller(r) and not r["completed"])
        summary = {
            "filter": wanted,
            "unansweredCount": unanswered,
            "topic": {"start": start, "end": start + len(page) - 1, "count": len(matched)},
        }
        return json_response({"summary": summary, "headlines": [_headline(r) for r in page]})

    def talk_detail(self, request: Request) -> Response:
        self._check_seller(request.arg("sellerId"))
        record = self._topic(request.arg("topicId"))
        return json_response({"topic": _topic(record), "messages": [_message(m) for m in record["messages"]]})

    def talk_add(self, request: Request) -> Response:
        record = self._topic(request.arg("topicId"))
        body = _json_object(request)
        self._check_seller(body.get("sellerId"))
        text = body.get("body")
        if not isinstance(text, str) or not text.strip():
            raise YahooApiError("Invalid Request : body is required")
        if len(text) > MAX_BODY:
            raise YahooApiError(f"Invalid Request : body must be {MAX_BODY} characters or less")
        order_id = body.get("orderId")
        if order_id not in (None, "") and order_id != record["order_id"]:
            raise YahooApiError(f"Invalid Request : orderId {order_id} is not the order of this topic")
        if record["completed"]:
            raise YahooApiError("Invalid Request : the topic is completed")
        message = self.seller_writes(record["inquiry_id"], text)
        return json_response(
            {
                "topicid": record["inquiry_id"],
                "messageid": message["id"],
                "postdate": _unix(message["at"]),
            }
        )

    def talk_complete(self, request: Request) -> Response:
        record = self._topic(request.arg("topicId"))
        body = _json_object(request)
        self._check_seller(body.get("sellerId"))
        condition = body.get("completeConditionId", 1)
        if condition not in COMPLETE_CONDITIONS or isinstance(condition, bool):
            raise YahooApiError("Invalid Request : completeConditionId must be 1 to 5")
        if condition == 1 and last_post(record, "seller") is None:
            raise YahooApiError("Invalid Request : completeConditionId 1 needs a reply of the store")
        if self.complete_inquiry(record["inquiry_id"]):
            record["complete_condition"] = condition
        return json_response({"status": "ok"})

    def _topic(self, topic_id: str | None) -> dict:
        if not topic_id:
            raise YahooApiError("Invalid Request : topicId is required")
        record = self.inquiries.get(topic_id)
        if record is None:
            raise YahooApiError(f"Invalid Request : topicId {topic_id} does not exist", status=404)
        return record


# ---- answers ---------------------------------------------------------------------------------------------
def _headline(record: dict) -> dict:
    buyer, seller = last_post(record, "buyer"), last_post(record, "seller")
    condition = record.get("complete_condition")
    first = record["messages"][0]
    return {
        "topicId": record["inquiry_id"],
        "isUnread": not record["seller_read"],
        "isUserUnRead": seller is not None,
        "isNoAnswer": awaits_seller(record),
        "isCompleted": record["completed"],
        "completeConditionId": condition or 0,
        "completeConditionShortName": COMPLETE_CONDITIONS.get(condition) if condition else None,
        "userPostTime": _unix(buyer["at"]) if buyer else None,
        "sellerPostTime": _unix(seller["at"]) if seller else None,
        "qaType": record["qa_type"],
        "isPrivate": record["is_private"],
        "category": ORDER_CATEGORY[0],
        "title": record["subject"],
        "body": first["body"],
        "messageCount": len(record["messages"]),
        "userMaskedId": record["masked_id"],
        "itemCode": record["item_code"],
        "orderId": record["order_id"],
        "firstPoster": "user",
        "serviceType": "shopping",
        "memo": None,
    }


def _topic(record: dict) -> dict:
    condition = record.get("complete_condition")
    return {
        "accessUserType": "seller",
        "userLastReadTime": _unix(record["created"]),
        "isUserUnRead": last_post(record, "seller") is not None,
        "sellerLastReadTime": _unix(record["updated"]) if record["seller_read"] else None,
        "isSellerUnRead": not record["seller_read"],
        "isPrivate": record["is_private"],
        "isComplete": record["completed"],
        "completeConditionId": condition,
        "isMail": False,
        "userMaskedIdx": record["masked_id"],
        "itemcode": record["item_code"],
        "orderid": record["order_id"],
        "categoryid": ORDER_CATEGORY[0],
        "categoryName": [ORDER_CATEGORY[1]],
        "title": record["subject"],
        "qaType": record["qa_type"],
    }


def _message(message: dict) -> dict:
    return {
        "messageId": message["id"],
        "postUserType": "user" if message["from"] == "buyer" else "seller",
        "bid": None,
        "postdate": _unix(message["at"]),
        "body": message["body"],
        "fileList": [],
    }


# ---- request values ------------------------------------------------------------------------------------------
def _matches(record: dict, request: Request, wanted: str) -> bool:
    if wanted == "unanswered" and (record["completed"] or not awaits_seller(record)):
        return False
    if wanted in ("asnwered", "answered") and (record["completed"] or awaits_seller(record)):
        return False
    if wanted == "completed" and not record["completed"]:
        return False
    qa_type = request.arg("qaType")
    if qa_type not in (None, "", record["qa_type"]):
        return False
    private = request.arg("isPrivate")
    if private in ("true", "false") and (private == "true") != record["is_private"]:
        return False
    date_type = request.arg("dateType")
    if not date_type:
        return True
    if date_type not in ("userPostTime", "sellerPostTime"):
        raise YahooApiError("Invalid Request : dateType must be userPostTime or sellerPostTime")
    moment = _post_time(record, "buyer" if date_type == "userPostTime" else "seller")
    start, end = _time_arg(request, "startDate"), _time_arg(request, "endDate")
    if moment is None:
        return False
    return (start is None or moment >= start) and (end is None or moment <= end)


def _post_time(record: dict, sender: str) -> int | None:
    message = last_post(record, sender)
    return int(message["at"].timestamp()) if message else None


def _time_arg(request: Request, name: str) -> int | None:
    value = request.arg(name)
    if value in (None, ""):
        return None
    if not value.isdigit():
        raise YahooApiError(f"Invalid Request : {name} must be UNIX time")
    return int(value)


def _number(value: str | None, default: int, name: str) -> int:
    if value in (None, ""):
        return default
    if not value.isdigit() or int(value) < 1:
        raise YahooApiError(f"Invalid Request : {name} must be a positive integer")
    return int(value)


def _json_object(request: Request) -> dict:
    try:
        body = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise YahooApiError("Invalid Request : the body must be JSON") from None
    if not isinstance(body, dict):
        raise YahooApiError("Invalid Request : the body must be a JSON object")
    return body


def _unix(moment: datetime) -> str:
    return str(int(moment.astimezone(JST).timestamp()))
