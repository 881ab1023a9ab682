"""Yahoo!ショッピング inquiries: 問い合わせ管理 APIs (JSON, Bearer token): 質問一覧, 質問詳細, メッセージ投稿, 質問完了.

How threads are found: externalTalkList with dateType userPostTime (the buyer's last post) and then
sellerPostTime (posts of the store, ours or made in Yahoo's own pages), each over [since, until], 20 a page;
then externalTalkDetail for each topic found. A listing whose total changes while it is paged is read
again, so a topic that moved between pages is not missed.

Yahoo shows sellers no buyer name in inquiries (only a masked id): the canonical inquiry has none either.
Replies go out with externalTalkAdd, once; whether an unanswered one reached Yahoo is read back from the
topic's messages (find_reply). Answer shapes: see channels.simulators.yahoo_talk (what is documented and what
is assumed).
"""

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial

import requests

from channels.adapters.base import AdapterError, AuthError, PayloadError, TransientError
from channels.adapters.http import HttpClient, Limit
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
    same_text,
)
from channels.adapters.yahoo import is_throttled
from channels.adapters.yahoo_auth import TokenSource, auth_base_url
from channels.adapters.yahoo_parse import text_of, xml_root

logger = logging.getLogger("channels.yahoo")

API = "/ShoppingWebService/V1"
TALK_APIS = ("externalTalkList", "externalTalkDetail", "externalTalkAdd", "externalTalkComplete")
LIMITS = {name: Limit(name, rate=10.0, burst=10.0) for name in TALK_APIS}  # 10 req/s per API [doc]
PAGE_SIZE = 20  # result: at most 20 [doc]
MAX_BODY = 2000  # externalTalkAdd body: at most 2000 characters [doc]
LIST_PASSES = 3  # a listing whose total keeps changing is read at most this often
COMPLETE_NORMAL, COMPLETE_NO_ANSWER_NEEDED = 1, 5  # completeConditionId 通常完了 / 回答不要


class YahooInquiryAdapter:
    """InquiryAdapter for one Yahoo!ショッピング store (the channel's credentials, as YahooAdapter's)."""

    can_verify_replies = True

    def __init__(
        self,
        channel,
        *,
        timeout: tuple[float, float] | None = None,
        backoff_base: float | None = None,
        max_attempts: int | None = None,
    ):
        self.channel = channel
        self.credentials = channel.credentials
        self.seller_id = self.credentials.get("seller_id") or ""
        options: dict = {
            "scope": f"yahoo:{channel.pk}",
            "is_throttled": is_throttled,
            "channel": channel.name,
        }
        for name, value in (("timeout", timeout), ("backoff_base", backoff_base)):
            if value is not None:
                options[name] = value
        attempts = {"max_attempts": max_attempts} if max_attempts is not None else {}
        forbidden = {"is_auth_failure": lambda r: r.status_code == 403 and not is_throttled(r)}
        self.http = HttpClient(base_url=channel.base_url, **forbidden, **options, **attempts)
        # Posting is not idempotent: a post is sent once, never repeated inside the client.
        self.http_once = HttpClient(base_url=channel.base_url, **forbidden, **options, max_attempts=1)
        auth_http = HttpClient(
            base_url=auth_base_url(channel.base_url), is_auth_failure=lambda r: False, **options, **attempts
        )
        self.tokens = TokenSource(http=auth_http, channel_pk=channel.pk, credentials=self.credentials)

    # ---- reading ------------------------------------------------------------------------------------------
    def fetch_inquiries(self, *, since: datetime, until: datetime) -> Iterator[list[RawInquiry]]:
        if since > until:
            return
        headlines: dict[str, dict] = {}
        for date_type in ("userPostTime", "sellerPostTime"):
            for headline in self._listing(date_type, since, until):
                headlines[str(headline["topicId"])] = headline
        logger.info("yahoo %s: %d topic(s) with posts in the window", self.channel.pk, len(headlines))
        topic_ids = list(headlines)
        for start in range(0, len(topic_ids), PAGE_SIZE):
            yield [
                RawInquiry(topic_id, {"headline": headlines[topic_id], "detail": self._detail(topic_id)})
                for topic_id in topic_ids[start : start + PAGE_SIZE]
            ]

    def _listing(self, date_type: str, since: datetime, until: datetime) -> list[dict]:
        """Every headline of one listing; read again (up to LIST_PASSES) while its total moves."""
        params = {
            "sellerId": self.seller_id,
            "dateType": date_type,
            "startDate": str(int(since.timestamp())),
            "endDate": str(int(until.timestamp()) + 1),
            "result": str(PAGE_SIZE),
        }
        found: dict[str, dict] = {}
        for _pass in range(LIST_PASSES):
            counts = set()
            start = 1
            while True:
                page = self._json("GET", "externalTalkList", params={**params, "start": str(start)},
                                  check=partial(_check_list, start=start))  # fmt: skip
                counts.add(page["summary"]["topic"]["count"])
                for headline in page["headlines"]:
                    found[str(headline["topicId"])] = headline
                start += len(page["headlines"])
                if not page["headlines"] or start > page["summary"]["topic"]["count"]:
                    break
            if len(counts) == 1:
                return list(found.values())
        raise TransientError(f"Yahoo externalTalkList kept changing while it was read ({date_type})")

    def _detail(self, topic_id: str) -> dict:
        return self._json(
            "GET",
            "externalTalkDetail",
            params={"sellerId": self.seller_id, "topicId": topic_id},
            check=_check_detail,
        )

    def parse_inquiry(self, raw: RawInquiry) -> CanonicalInquiry:
        payload = raw.payload if isinstance(raw.payload, dict) else {}
        detail, headline = payload.get("detail"), payload.get("headline") or {}
        if not isinstance(detail, dict) or not isinstance(detail.get("topic"), dict):
            raise PayloadError("Yahoo topic: the detail has no topic")
        topic, messages = detail["topic"], detail.get("messages")
        if not isinstance(messages, list) or not messages:
            raise PayloadError("Yahoo topic: the detail has no messages")
        return CanonicalInquiry(
            external_id=raw.external_id,
            subject=str(topic.get("title") or headline.get("title") or "")[:255],
            external_order_id=str(topic.get("orderid") or headline.get("orderId") or ""),
            buyer_name="",  # Yahoo hides the buyer's name from the store
            buyer_contact=str(topic.get("userMaskedIdx") or headline.get("userMaskedId") or ""),
            completed=topic.get("isComplete") is True,
            messages=[_message(raw.external_id, message) for message in messages],
            shop_data={
                key: value
                for key, value in (
                    ("qaType", topic.get("qaType") or headline.get("qaType")),
                    ("isPrivate", topic.get("isPrivate")),
                    ("itemCode", topic.get("itemcode") or headline.get("itemCode")),
                    ("category", topic.get("categoryName")),
                )
                if value not in (None, "", [])
            },
        )

    # ---- replying -----------------------------------------------------------------------------------------
    def reply_problems(self, body: str) -> list[str]:
        if not body.strip():
            return ["返信が空です"]
        if len(body) > MAX_BODY:
            return [f"Yahoo!ショッピングの返信は {MAX_BODY} 文字までです（{len(body)} 文字）"]
        return []

    def link_allowed(self, url: str) -> bool:
        return True

    def post_reply(self, request: ReplyRequest) -> PostedReply:
        body = {"body": request.body.replace("\r\n", "\n"), "sellerId": self.seller_id}
        if request.external_order_id:
            body["orderId"] = request.external_order_id
        try:
            answer = self._json(
                "POST",
                "externalTalkAdd",
                params={"topicId": request.thread_external_id},
                body=body,
                check=_check_added,
                once=True,
            )
        except TransientError as exc:
            raise ReplyOutcomeUnknown(f"Yahoo externalTalkAdd: {exc}") from exc
        return PostedReply(str(answer["messageid"]), _time(answer.get("postdate")))

    def find_reply(self, *, thread_external_id: str, body: str, since: datetime) -> PostedReply | None:
        detail = self._detail(thread_external_id)
        for message in reversed(detail.get("messages") or []):
            try:
                sent_at = _time(message.get("postdate"))
            except ValueError:
                sent_at = None
            if (
                message.get("postUserType") == "seller"
                and same_text(str(message.get("body") or ""), body)
                and (sent_at is None or sent_at >= since)
            ):
                return PostedReply(str(message.get("messageId")), sent_at)
        return None

    def complete(self, *, thread_external_id: str, replied: bool) -> None:
        condition = COMPLETE_NORMAL if replied else COMPLETE_NO_ANSWER_NEEDED
        self._json(
            "PUT",
            "externalTalkComplete",
            params={"topicId": thread_external_id},
            body={"sellerId": self.seller_id, "completeConditionId": condition},
            check=lambda data: None,
        )

    # ---- HTTP ---------------------------------------------------------------------------------------------
    def _json(
        self,
        method: str,
        api: str,
        *,
        params: dict,
        check: Callable[[dict], None],
        body: dict | None = None,
        once: bool = False,
    ) -> dict:
        """One call with the Bearer token (renewed once when refused). A 400/404 is a refusal: ReplyRefused
        for a post, AdapterError otherwise."""
        client = self.http_once if once else self.http
        for renew in (False, True):
            headers = {"Authorization": f"Bearer {self.tokens.get(renew=renew)}"}
            response = client.request(
                method,
                f"{API}/{api}",
                limit=LIMITS[api],
                params=params,
                json=body,
                headers=headers,
                validate=partial(_validate, check),
            )
            if response.status_code == 401 and not renew:
                logger.info("yahoo %s answered 401: renewing the access token once", api)
                continue
            if response.status_code == 200:
                return response.json()
            if response.status_code == 401:
                raise AuthError(f"Yahoo {api} refused a freshly issued access token")
            refusal = f"Yahoo {api}: HTTP {response.status_code} {_error_message(response)}"
            raise ReplyRefused(refusal) if api == "externalTalkAdd" else AdapterError(refusal)
        raise AssertionError("unreachable")


# ---- answers --------------------------------------------------------------------------------------------
def _validate(check: Callable[[dict], None], response: requests.Response) -> None:
    """A 200 must be a whole JSON object of the expected shape (a cut or stale one is retried)."""
    if response.status_code != 200:
        return
    try:
        data = response.json()
    except ValueError:
        raise ValueError("body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body is not a JSON object")
    check(data)


def _check_list(data: dict, *, start: int) -> None:
    summary = data.get("summary")
    topic = summary.get("topic") if isinstance(summary, dict) else None
    if not isinstance(topic, dict) or not isinstance(topic.get("count"), int):
        raise ValueError("externalTalkList has no summary.topic.count")
    headlines = data.get("headlines")
    if not isinstance(headlines, list) or not all(
        isinstance(h, dict) and h.get("topicId") for h in headlines
    ):
        raise ValueError("externalTalkList headlines are missing")
    if headlines and topic.get("start") != start:
        raise ValueError(f"externalTalkList answered from {topic.get('start')}, asked from {start}")


def _check_detail(data: dict) -> None:
    if not isinstance(data.get("topic"), dict) or not isinstance(data.get("messages"), list):
        raise ValueError("externalTalkDetail has no topic or messages")


def _check_added(data: dict) -> None:
    if data.get("messageid") in (None, ""):
        raise ValueError("externalTalkAdd answered no messageid")


def _error_message(response: requests.Response) -> str:
    try:
        root = xml_root(response.content)
    except ValueError:
        return response.text[:200].replace("\n", " ")
    return text_of(root, "Message") or root.tag


def _message(topic_id: str, message: object) -> InquiryMessageData:
    if not isinstance(message, dict) or message.get("messageId") in (None, ""):
        raise PayloadError(f"Yahoo topic {topic_id}: a message has no messageId")
    sender = message.get("postUserType")
    if sender not in ("user", "seller"):
        raise PayloadError(f"Yahoo topic {topic_id}: unknown postUserType {sender!r}")
    try:
        sent_at = _time(message.get("postdate"))
    except ValueError:
        raise PayloadError(f"Yahoo topic {topic_id}: postdate {message.get('postdate')!r}") from None
    return InquiryMessageData(
        external_id=str(message["messageId"]),
        direction=IN if sender == "user" else OUT,
        body=str(message.get("body") or ""),
        sent_at=sent_at,
    )


def _time(value: object) -> datetime | None:
    """UNIX seconds (a string or a number) as an aware datetime."""
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not str(value).isdigit():
        raise ValueError(f"not UNIX time: {value!r}")
    return datetime.fromtimestamp(int(value), tz=UTC)
