"""Buyer inquiries (問い合わせ) from the shops: the canonical types and the one interface each shop's inquiry
adapter implements (rakuten_inquiries, yahoo_inquiries, amazon_inquiries).

Everything shop-specific (paths, field names, how a reply is posted, what a reply may contain) stays in those
modules; the inbox (notifications) sees only these types.
"""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from channels.adapters.base import AdapterError, TransientError

IN, OUT = "in", "out"
# Options every inquiry adapter is built with (tests make backoffs short); see inquiry_adapter_for.
ADAPTER_OPTIONS: dict[str, Any] = {}


class ReplyRefused(AdapterError):
    """The shop refused this reply for good (too long, a link it does not allow, the thread is closed)."""


class ReplyOutcomeUnknown(TransientError):
    """The reply may or may not have reached the shop (a timeout or a broken answer after sending it)."""


@dataclass(frozen=True)
class InquiryMessageData:
    external_id: str  # the shop's id of the message, unique within its thread
    direction: str  # IN (the buyer) or OUT (the shop: our replies, or staff in the shop's own pages)
    body: str
    sent_at: datetime | None


@dataclass
class CanonicalInquiry:
    """A thread as the OMS understands it, whatever shop it came from."""

    external_id: str
    subject: str
    external_order_id: str  # "" when the question is not about an order (e.g. a question about an item)
    buyer_name: str  # as the shop shows it: "" where the shop hides it (Yahoo)
    buyer_contact: str  # the masked address or id the shop shows (Amazon: the relay address replies go to)
    completed: bool  # the shop marks the thread done
    messages: list[InquiryMessageData]
    shop_data: dict = field(default_factory=dict)


@dataclass(frozen=True)
class RawInquiry:
    """One thread (or, for e-mail, one message) as fetched, kept whole so a broken one can be quarantined."""

    external_id: str
    payload: Any


@dataclass(frozen=True)
class ReplyRequest:
    thread_external_id: str
    body: str
    buyer_contact: str
    subject: str
    external_order_id: str
    reply_key: str  # our Message-ID for e-mail replies
    in_reply_to: str  # the shop's id of the buyer's last message (e-mail threading)


@dataclass(frozen=True)
class PostedReply:
    external_id: str  # "" when the shop does not tell (found later by the poll)
    sent_at: datetime | None


class InquiryAdapter(Protocol):
    """What the inbox asks of a shop. Methods raise AuthError, TransientError or AdapterError."""

    # True when find_reply can tell whether a reply reached the shop (so an unknown outcome can be settled).
    can_verify_replies: bool

    def fetch_inquiries(self, *, since: datetime, until: datetime) -> Iterator[list[RawInquiry]]:
        """Threads with a message in [since, until], page by page (a page may repeat a thread)."""
        ...

    def parse_inquiry(self, raw: RawInquiry) -> CanonicalInquiry:
        """Raises PayloadError when the payload cannot be understood."""
        ...

    def reply_problems(self, body: str) -> list[str]:
        """Why the shop would refuse this reply (its length and link rules); [] when it would take it."""
        ...

    def link_allowed(self, url: str) -> bool:
        """Whether a reply may carry this link (Rakuten takes links to its own domains only)."""
        ...

    def post_reply(self, request: ReplyRequest) -> PostedReply:
        """Send one reply, once (never retried inside: the caller settles unknown outcomes).

        Raises ReplyRefused, ReplyOutcomeUnknown, TransientError (definitely not sent) or AuthError."""
        ...

    def find_reply(self, *, thread_external_id: str, body: str, since: datetime) -> PostedReply | None:
        """Our reply with this body, posted at or after `since`, if the shop shows it."""
        ...

    def complete(self, *, thread_external_id: str, replied: bool) -> None:
        """Mark the thread done in the shop (a no-op where the shop has no such step)."""
        ...


def inquiry_adapter_for(channel) -> InquiryAdapter:
    """The inquiry adapter of this channel's marketplace."""
    if channel.kind == "rakuten":
        from channels.adapters.rakuten_inquiries import RakutenInquiryAdapter as adapter_class
    elif channel.kind == "yahoo":
        from channels.adapters.yahoo_inquiries import YahooInquiryAdapter as adapter_class
    elif channel.kind == "amazon":
        from channels.adapters.amazon_inquiries import AmazonInquiryAdapter as adapter_class
    else:
        raise ValueError(f"no inquiry adapter for marketplace {channel.kind!r}")
    return adapter_class(channel, **ADAPTER_OPTIONS)


def same_text(a: str, b: str) -> bool:
    """Whether two message bodies are the same text once line ends, trailing blanks and Unicode forms agree
    (a shop may give back CRLF where we sent LF, or drop a final newline)."""
    return _normal(a) == _normal(b)


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


URL_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"'）」]+")


def links_in(text: str) -> list[str]:
    return URL_PATTERN.findall(text)
