"""Amazon.co.jp inquiries: buyer messages arrive as e-mail from relay addresses, replies go back by e-mail.

Amazon has no API that reads buyer-seller messages (the SP-API Messaging API only sends a fixed set of
notices). Each buyer message reaches the seller's mailbox from `<random>@marketplace.amazon.co.jp` with the
order number in the subject; the seller answers by mailing that relay address from the address registered
in Seller Central.

Channel credentials used here (besides the SP-API ones):
- inquiry_maildir: the mailbox Amazon's mails are delivered to, as a Maildir (tmp/new/cur). In production a
  mailbox is synced into one by fetchmail, getmail or mbsync; the simulator writes one directly.
- reply_from: the sender of replies (the address registered with Amazon); default DEFAULT_FROM_EMAIL.
- smtp_host, smtp_port, smtp_user, smtp_password, smtp_use_tls: where replies are sent; without smtp_host
  they go through the OMS's own mail backend (EMAIL_BACKEND, EMAIL_HOST, ...).

How mail is read: every file in new/ and cur/ delivered (mtime) since the window's start, each one a
RawInquiry of its own; the mailbox is never changed (no flags, no moves), so two OMS processes or a mail
client can read it too. Mail not from a relay address (Amazon's own notices) is skipped. A thread is one
relay address and one order number: "<relay address>#<order number>" (the relay address alone when the
subject names no order). The message id is the mail's Message-ID.

Replies: a reply is a mail with our own Message-ID, In-Reply-To the buyer's last mail. No one can ask
Amazon's relay whether it took a mail, so a send whose outcome is unknown (the connection broke after
DATA) is not repeated automatically (can_verify_replies = False): a person decides.
"""

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage as MimeMessage
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from channels.adapters.base import AdapterError, PayloadError, TransientError
from channels.adapters.inquiries import (
    IN,
    CanonicalInquiry,
    InquiryMessageData,
    PostedReply,
    RawInquiry,
    ReplyOutcomeUnknown,
    ReplyRefused,
    ReplyRequest,
)

logger = logging.getLogger("channels.amazon")

RELAY_DOMAIN = "marketplace.amazon.co.jp"
ORDER_NUMBER = re.compile(r"\b\d{3}-\d{7}-\d{7}\b")
REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw)\s*[:：]\s*)+", re.IGNORECASE)
DISPLAY_SUFFIX = re.compile(r"\s*-\s*Amazon( Marketplace|\.co\.jp)?\s*$", re.IGNORECASE)
SIGNATURE = "\n-- \n"  # RFC 3676: what follows is Amazon's footer, not the buyer's words
PAGE_SIZE = 50
MAX_BODY = 10_000  # our own sanity limit: Amazon publishes none for mail replies


class AmazonInquiryAdapter:
    """InquiryAdapter for one Amazon.co.jp seller account (mailbox and mail settings: module docstring)."""

    can_verify_replies = False

    def __init__(self, channel, **_http_options):
        self.channel = channel
        self.credentials = channel.credentials

    # ---- reading ------------------------------------------------------------------------------------------
    def fetch_inquiries(self, *, since: datetime, until: datetime) -> Iterator[list[RawInquiry]]:
        maildir = self._maildir()
        earliest = since.timestamp()
        found: list[tuple[float, str, Path]] = []
        for folder in ("new", "cur"):
            for path in (maildir / folder).iterdir():
                try:
                    delivered = path.stat().st_mtime
                except FileNotFoundError:  # moved from new/ to cur/ by a mail client meanwhile
                    continue
                if path.is_file() and delivered >= earliest:
                    found.append((delivered, path.name, path))
        found.sort()
        page: list[RawInquiry] = []
        skipped = 0
        for _delivered, name, path in found:
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            mail = message_from_bytes(raw, policy=policy.default)
            if not _from_relay(mail):
                skipped += 1
                continue
            message_id = str(mail.get("Message-ID") or "").strip() or f"<maildir:{name.split(':')[0]}>"
            page.append(RawInquiry(message_id, {"message": raw.decode("utf-8", "replace"), "file": name}))
            if len(page) >= PAGE_SIZE:
                yield page
                page = []
        if page:
            yield page
        logger.info(
            "amazon %s: %d mail(s) read, %d not from a relay address", self.channel.pk, len(found), skipped
        )

    def _maildir(self) -> Path:
        configured = self.credentials.get("inquiry_maildir") or ""
        if not configured:
            raise AdapterError("the Amazon channel has no inquiry_maildir in its credentials")
        maildir = Path(configured)
        if not (maildir / "new").is_dir() or not (maildir / "cur").is_dir():
            raise TransientError(f"the inquiry Maildir of channel {self.channel.name} is not reachable")
        return maildir

    def parse_inquiry(self, raw: RawInquiry) -> CanonicalInquiry:
        payload = raw.payload if isinstance(raw.payload, dict) else {}
        text = payload.get("message")
        if not isinstance(text, str) or not text.strip():
            raise PayloadError("Amazon mail: empty")
        mail = message_from_bytes(text.encode("utf-8"), policy=policy.default)
        display, relay = parseaddr(str(mail.get("From") or ""))
        relay = relay.lower()
        if not relay.endswith("@" + RELAY_DOMAIN):
            raise PayloadError("Amazon mail: not from a relay address")
        subject = REPLY_PREFIX.sub("", str(mail.get("Subject") or "")).strip()
        numbers = ORDER_NUMBER.findall(subject)
        order_number = numbers[0] if numbers else ""
        part = mail.get_body(preferencelist=("plain", "html"))
        if part is None:
            raise PayloadError(f"Amazon mail {raw.external_id}: no text part")
        try:
            body = part.get_content()
        except (LookupError, ValueError) as exc:
            raise PayloadError(f"Amazon mail {raw.external_id}: unreadable text ({exc})") from None
        body = body.replace("\r\n", "\n").split(SIGNATURE, 1)[0].strip("\n")
        if not body.strip():
            raise PayloadError(f"Amazon mail {raw.external_id}: no message text")
        return CanonicalInquiry(
            external_id=f"{relay}#{order_number}" if order_number else relay,
            subject=subject[:255],
            external_order_id=order_number,
            buyer_name=DISPLAY_SUFFIX.sub("", display).strip(),
            buyer_contact=relay,
            completed=False,
            messages=[InquiryMessageData(raw.external_id, IN, body, _date(mail))],
        )

    # ---- replying -----------------------------------------------------------------------------------------
    def reply_problems(self, body: str) -> list[str]:
        if not body.strip():
            return ["返信が空です"]
        if len(body) > MAX_BODY:
            return [f"返信は {MAX_BODY} 文字までです"]
        return []

    def link_allowed(self, url: str) -> bool:
        return True

    def post_reply(self, request: ReplyRequest) -> PostedReply:
        if not request.buyer_contact.lower().endswith("@" + RELAY_DOMAIN):
            raise ReplyRefused("the thread has no Amazon relay address to reply to")
        from notifications.delivery import email_deliver, is_permanent_failure, outcome_unknown

        subject = request.subject if REPLY_PREFIX.match(request.subject) else f"Re: {request.subject}"
        headers = {"Message-ID": request.reply_key}
        if request.in_reply_to:
            headers.update({"In-Reply-To": request.in_reply_to, "References": request.in_reply_to})
        message = EmailMessage(
            subject=subject.strip()[:255],
            body=request.body,
            from_email=self.credentials.get("reply_from") or settings.DEFAULT_FROM_EMAIL,
            to=[request.buyer_contact],
            headers=headers,
        )
        try:
            email_deliver(message=message, connection=self._connection(), label=f"reply {request.reply_key}")
        except Exception as exc:
            text = f"{type(exc).__name__}: {exc}"
            if outcome_unknown(exc):
                raise ReplyOutcomeUnknown(f"the relay may have taken the reply ({text})") from exc
            if is_permanent_failure(exc):
                raise ReplyRefused(f"the relay refused the reply ({text})") from exc
            raise TransientError(f"the reply was not sent ({text})") from exc
        return PostedReply(request.reply_key, datetime.now(UTC))

    def _connection(self):
        host = self.credentials.get("smtp_host")
        if not host:
            return get_connection(fail_silently=False)
        return get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            fail_silently=False,
            host=host,
            port=int(self.credentials.get("smtp_port") or 25),
            username=self.credentials.get("smtp_user") or "",
            password=self.credentials.get("smtp_password") or "",
            use_tls=bool(self.credentials.get("smtp_use_tls")),
            timeout=getattr(settings, "EMAIL_TIMEOUT", None),
        )

    def find_reply(self, *, thread_external_id: str, body: str, since: datetime) -> PostedReply | None:
        return None  # nobody can read Amazon's relay back

    def complete(self, *, thread_external_id: str, replied: bool) -> None:
        """Amazon has no "done" for a message thread."""


def _from_relay(mail: MimeMessage) -> bool:
    return any(
        address.lower().endswith("@" + RELAY_DOMAIN)
        for _name, address in getaddresses(mail.get_all("From", []))
    )


def _date(mail: MimeMessage) -> datetime | None:
    try:
        moment = parsedate_to_datetime(str(mail.get("Date") or ""))
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
