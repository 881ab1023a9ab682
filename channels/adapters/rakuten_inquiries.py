"""Rakuten inquiries: RMS 問い合わせ管理API (InquiryManagementAPI, R-Messe) on /es/1.0/inquirymng-api, ESA auth.

It must be enabled for the shop in RMS first. Functions used [doc]: inquiries.get (list, replies included),
inquiry.get (one), reply.post, inquiries.patch.complete. channels.simulators.rakuten_inquiries says what
the reference documents and what the simulator had to assume.

How threads are found: inquiries.get selects on a date window (at most 31 days, JST without offset) that is
taken to be the inquiry's date (regDate), not its last change [assumed]. So each poll lists the lookback
period (OMS_INQUIRY_LOOKBACK_DAYS, 30 by default) up to the window's end, 100 a page, and keeps the
inquiries whose lastUpdateDate falls in the window: new ones, and old ones with a new message. A buyer
writing again on an inquiry older than the lookback is not seen.

Message ids: the inquiry's first message is "inquiry"; later ones are "reply:<id>" (replies' ids count 0, 1..
within the inquiry). reply.post answers no id, so after a reply the inquiry is read back to learn it; the
poll fills it in otherwise.
"""

import logging
from collections.abc import Iterator
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

import requests
from django.conf import settings

from channels.adapters.base import AdapterError, PayloadError, TransientError
from channels.adapters.http import Limit
from channels.adapters.inquiries import (
    IN,
    OUT,
    CanonicalInquiry,
    InquiryMessageData,
    PostedReply,
    RawInquiry,
    ReplyOutcomeUnknown,
    ReplyRefused,
    ReplyRequest,
    links_in,
    same_text,
)
from channels.adapters.rakuten_client import RmsClient, refusal
from channels.adapters.rakuten_parse import JST, parse_rms_time

logger = logging.getLogger("channels.rakuten")

INQUIRY_API = "/es/1.0/inquirymng-api"
# No limit is published; ~1 request/s per function is the usual advice [unverified]. 5% slower, as rakuten_client.
LIMITS = {
    name: Limit(f"inquiry.{name}", rate=0.95, burst=3.0)
    for name in ("inquiries.get", "inquiry.get", "reply.post", "patch.complete")
}
PAGE_SIZE = 100  # limit: at most 100
MAX_RECORDS = 10_000  # limit x page may reach 10,000 records at most
WINDOW = timedelta(days=30)  # fromDate..toDate: at most 31 days
MAX_MESSAGE, MAX_LINE = 2000, 300
# A reply may link only to these domains, over https [doc: reply.post].
ALLOWED_LINK_DOMAINS = (
    "rakuten.co.jp", "rakuten.ne.jp", "rakuten.com", "rakuten-bank.co.jp", "trafficgate.net",
    "rakuten-card.co.jp", "payment.sej.co.jp", "faq.rakuten.net", "support.rakuten-card.jp",
)  # fmt: skip
FIRST_MESSAGE = "inquiry"


def lookback() -> timedelta:
    return timedelta(days=getattr(settings, "OMS_INQUIRY_LOOKBACK_DAYS", 30))


class RakutenInquiryAdapter:
    """InquiryAdapter for one Rakuten shop (channel.credentials: service_secret, license_key, shop_id)."""

    can_verify_replies = True

    def __init__(
        self,
        channel,
        *,
        timeout: tuple[float, float] | None = None,
        backoff_base: float | None = None,
        max_attempts: int | None = None,
        rate_limits: bool | None = None,
    ):
        self.channel = channel
        self.shop_id = str(channel.credentials.get("shop_id") or "")
        options = {"timeout": timeout, "backoff_base": backoff_base, "max_attempts": max_attempts}
        rate_limits = (
            getattr(settings, "OMS_CLIENT_RATE_LIMITS", True) if rate_limits is None else rate_limits
        )
        self.client = RmsClient(
            channel, rate_limits=rate_limits, **{k: v for k, v in options.items() if v is not None}
        )

    # ---- reading ------------------------------------------------------------------------------------------
    def fetch_inquiries(self, *, since: datetime, until: datetime) -> Iterator[list[RawInquiry]]:
        if since > until:
            return
        start = min(since, until - lookback()).astimezone(JST).replace(microsecond=0)
        end = until.astimezone(JST).replace(microsecond=0) + timedelta(seconds=1)
        taken: set[str] = set()
        while start <= end:
            window_end = min(start + WINDOW, end)
            for items in self._list(start, window_end):
                page = [
                    RawInquiry(str(item.get("inquiryNumber") or ""), item)
                    for item in items
                    if _changed_since(item, since) and str(item.get("inquiryNumber") or "") not in taken
                ]
                taken.update(raw.external_id for raw in page)
                if page:
                    yield page
            start = window_end + timedelta(seconds=1)

    def _list(self, start: datetime, end: datetime) -> Iterator[list[dict]]:
        page = 1
        while True:
            params = {
                "fromDate": _rms_date(start),
                "toDate": _rms_date(end),
                "limit": str(PAGE_SIZE),
                "page": str(page),
            }
            answer = self._call("GET", "inquiries.get", "/inquiries", params=params, check=_list_check(page))
            yield answer["list"]
            if page >= (answer.get("totalPageCount") or 0) or page * PAGE_SIZE >= MAX_RECORDS:
                if page * PAGE_SIZE >= MAX_RECORDS and (answer.get("totalCount") or 0) > MAX_RECORDS:
                    logger.warning(
                        "rakuten %s: more than %d inquiries in one window", self.channel.pk, MAX_RECORDS
                    )
                return
            page += 1

    def fetch_inquiry(self, number: str) -> RawInquiry:
        answer = self._call("GET", "inquiry.get", f"/inquiry/{quote(number, safe='')}", check=_one_check)
        return RawInquiry(number, answer["result"])

    def parse_inquiry(self, raw: RawInquiry) -> CanonicalInquiry:
        item = raw.payload
        if not isinstance(item, dict) or not item.get("inquiryNumber"):
            raise PayloadError("Rakuten inquiry: no inquiryNumber")
        number = str(item["inquiryNumber"])
        messages = [
            InquiryMessageData(
                FIRST_MESSAGE, IN, str(item.get("message") or ""), _time(number, item, "regDate")
            )
        ]
        replies = item.get("replies") or []
        if not isinstance(replies, list):
            raise PayloadError(f"Rakuten inquiry {number}: replies is not a list")
        for reply in replies:
            if not isinstance(reply, dict) or reply.get("id") is None:
                raise PayloadError(f"Rakuten inquiry {number}: a reply has no id")
            sender = reply.get("replyFrom")
            if sender not in ("merchant", "user"):
                raise PayloadError(f"Rakuten inquiry {number}: unknown replyFrom {sender!r}")
            messages.append(
                InquiryMessageData(
                    f"reply:{reply['id']}",
                    OUT if sender == "merchant" else IN,
                    str(reply.get("message") or ""),
                    _time(number, reply, "regDate"),
                )
            )
        return CanonicalInquiry(
            external_id=number,
            subject=str(item.get("category") or item.get("type") or item.get("itemName") or "")[:255],
            external_order_id=str(item.get("orderNumber") or ""),
            buyer_name=str(item.get("userName") or ""),
            buyer_contact=str(item.get("userMaskEmail") or ""),
            completed=item.get("isCompleted") is True,
            messages=messages,
            shop_data={
                key: item[key]
                for key in ("type", "category", "itemName", "itemNumber", "itemUrl")
                if item.get(key) not in (None, "")
            },
        )

    # ---- replying -----------------------------------------------------------------------------------------
    def reply_problems(self, body: str) -> list[str]:
        problems = []
        if not body.strip():
            problems.append("返信が空です")
        if len(body) > MAX_MESSAGE:
            problems.append(f"楽天の返信は {MAX_MESSAGE} 文字までです（{len(body)} 文字）")
        if any(len(line) > MAX_LINE for line in body.split("\n")):
            problems.append(f"楽天の返信は 1 行 {MAX_LINE} 文字までです")
        for url in links_in(body):
            if not self.link_allowed(url):
                problems.append(f"楽天の返信に入れられるリンクは楽天のドメイン（https）だけです: {url}")
        return problems

    def link_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        return parts.scheme == "https" and any(
            host == domain or host.endswith("." + domain) for domain in ALLOWED_LINK_DOMAINS
        )

    def post_reply(self, request: ReplyRequest) -> PostedReply:
        message = request.body.replace("\r\n", "\n")
        body = {"inquiryNumber": request.thread_external_id, "shopId": self.shop_id, "message": message}
        try:
            response = self.client.http_once.request(
                "POST",
                f"{INQUIRY_API}/inquiry/reply",
                limit=self._limit("reply.post"),
                json=body,
                headers=self.client.headers(),
                validate=_reply_validate,
            )
        except TransientError as exc:
            raise ReplyOutcomeUnknown(f"Rakuten reply.post: {exc}") from exc
        if response.status_code == 409:  # データ重複: Rakuten already has this reply
            found = self._find_quietly(request.thread_external_id, message, None)
            if found is not None:
                return found
        if response.status_code != 201:
            raise ReplyRefused(f"Rakuten reply.post: HTTP {response.status_code} {_error_text(response)}")
        try:
            posted_at = _time(request.thread_external_id, response.json()["result"], "regDate")
        except PayloadError:
            posted_at = None
        found = self._find_quietly(request.thread_external_id, message, posted_at)
        return found or PostedReply("", posted_at)

    def _find_quietly(self, number: str, body: str, posted_at: datetime | None) -> PostedReply | None:
        """The id of a reply just accepted (read back); None when that read fails: the poll fills it in."""
        try:
            return self.find_reply(thread_external_id=number, body=body, since=posted_at, exact=True)
        except AdapterError as exc:
            logger.info("rakuten inquiry %s: reply id not read back (%s)", number, exc)
            return None

    def find_reply(
        self, *, thread_external_id: str, body: str, since: datetime | None, exact: bool = False
    ) -> PostedReply | None:
        """Our reply with this body at or after `since` (`exact`: posted at exactly `since`)."""
        item = self.fetch_inquiry(thread_external_id).payload
        for reply in reversed(item.get("replies") or []):
            if reply.get("replyFrom") != "merchant" or not same_text(str(reply.get("message") or ""), body):
                continue
            try:
                sent_at = _time(thread_external_id, reply, "regDate")
            except PayloadError:
                sent_at = None
            if since is None or sent_at is None or (sent_at == since if exact else sent_at >= since):
                return PostedReply(f"reply:{reply['id']}", sent_at)
        return None

    def complete(self, *, thread_external_id: str, replied: bool) -> None:
        answer = self._call(
            "PATCH",
            "patch.complete",
            "/inquiries/complete",
            body={"inquiryNumbers": [thread_external_id]},
            check=_patch_check,
        )
        for error in answer["result"].get("error") or []:
            if error.get("errorMessage") != "already set value as specified":
                raise AdapterError(
                    f"Rakuten inquiries/complete {thread_external_id}: {error.get('errorMessage')}"
                )

    # ---- HTTP ---------------------------------------------------------------------------------------------
    def _limit(self, name: str) -> Limit | None:
        return LIMITS[name] if self.client.rate_limits else None

    def _call(self, method: str, name: str, path: str, *, check, params=None, body=None) -> dict:
        response = self.client.http.request(
            method,
            f"{INQUIRY_API}{path}",
            limit=self._limit(name),
            params=params,
            json=body,
            headers=self.client.headers(),
            validate=lambda r: check(_json_object(r)) if r.status_code == 200 else None,
        )
        if response.status_code != 200:
            raise AdapterError(f"Rakuten {name}: HTTP {response.status_code} {_error_text(response)}")
        return response.json()


# ---- answers --------------------------------------------------------------------------------------------
def _json_object(response: requests.Response) -> dict:
    try:
        data = response.json()
    except ValueError:
        raise ValueError("body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body is not a JSON object")
    return data


def _list_check(page: int):
    def check(data: dict) -> None:
        if not isinstance(data.get("list"), list) or not all(isinstance(i, dict) for i in data["list"]):
            raise ValueError("inquiries.get has no list")
        if data.get("page") != page:
            raise ValueError(f"inquiries.get answered page {data.get('page')}, asked for {page}")

    return check


def _one_check(data: dict) -> None:
    if not isinstance(data.get("result"), dict) or not isinstance(data["result"].get("replies", []), list):
        raise ValueError("inquiry.get has no result")


def _patch_check(data: dict) -> None:
    if not isinstance(data.get("result"), dict):
        raise ValueError("the answer has no result")


def _reply_validate(response: requests.Response) -> None:
    """A 201 must carry its result; other answers only need to be JSON (their codes are read)."""
    if response.status_code == 201:
        data = _json_object(response)
        if not isinstance(data.get("result"), dict) or not data["result"].get("regDate"):
            raise ValueError("reply.post answered no result")


def _error_text(response: requests.Response) -> str:
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict):
        targets = "; ".join(f"{k}: {v}" for k, v in (error.get("targets") or {}).items())
        return f"{error.get('code')} {error.get('message')}" + (f" ({targets})" if targets else "")
    return refusal(response)


def _changed_since(item: dict, since: datetime) -> bool:
    """Keep an inquiry with a message (or a change) in the window; an unreadable date is kept for its parse."""
    for name in ("lastUpdateDate", "regDate"):
        try:
            if parse_rms_time(str(item.get(name))) >= since.replace(microsecond=0):
                return True
        except ValueError:
            return True
    return False


def _rms_date(moment: datetime) -> str:
    return moment.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S")  # JST, no offset (as the API wants)


def _time(number: str, item: dict, name: str) -> datetime | None:
    value = item.get(name)
    if value in (None, ""):
        return None
    try:
        return parse_rms_time(str(value))
    except ValueError:
        raise PayloadError(f"Rakuten inquiry {number}: {name} {value!r} is not a date") from None
