"""Amazon buyer-seller messages (購入者とのメッセージ) as e-mail, the way sellers really receive them.

Amazon offers no API that reads buyer messages: each one reaches the seller's mailbox from a relay address
`<random>@marketplace.amazon.co.jp` (the order's BuyerEmail), and the seller answers by mailing that address.
This simulator plays both sides:
- Every buyer message becomes one .eml file in a Maildir: `--maildir DIR`, by default a new directory
  under the system temp directory, printed at start and returned by `GET /_sim/maildir`. The OMS reads
  that Maildir (a real shop syncs its mailbox into one with fetchmail, getmail or mbsync).
- Replies reach the simulated relay by SMTP when the simulator runs with `--smtp-port PORT` (0 = any free
  port; aiosmtpd listens on the simulator's address), or as a raw RFC 5322 message in
  `POST /_sim/relay`. A reply is filed under the buyer message it answers (In-Reply-To / References),
  else under the thread of that relay address whose order number the subject names, else under the
  newest thread of that relay address. Mail to an unknown relay address is refused (550).
- Injected faults apply to SMTP too: "timeout" stores the reply, then answers late (the sender cannot tell
  whether it went out); every other kind answers 451 without storing it.

Mail shapes [inferred: Amazon publishes no format]: From "<buyer name> - Amazon Marketplace <relay>",
Subject "<subject>（注文番号 <order id>）", text/plain UTF-8 body ending in a "-- " signature block.
Like Amazon, the relay does not drop a second copy of a reply.
"""

from __future__ import annotations

import asyncio
import mailbox
import re
import socket
import tempfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, getaddresses, make_msgid
from pathlib import Path
from typing import Any

from channels.simulators.amazon_render import RELAY_DOMAIN
from channels.simulators.base import BadRequest, Request, Response, json_response
from channels.simulators.base_http import control_error

SELLER_MAILBOX = "seller@example.jp"  # where Amazon sends the demo shop's buyer messages
ORDER_NUMBER = re.compile(r"\d{3}-\d{7}-\d{7}")
SIGNATURE = (
    "\n-- \n注文番号: {order_id}\n"
    "このメッセージは Amazon.co.jp の購入者とのメッセージを通じて送信されました。\n"
)
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"


class AmazonMailbox:
    """Mixin for AmazonSimulator: the seller's Maildir and Amazon's relay."""

    def setup_mailbox(self, maildir: str | None, smtp_port: int | None) -> None:
        self.maildir = Path(maildir) if maildir else Path(tempfile.mkdtemp(prefix="amazon-sim-maildir-"))
        for folder in ("tmp", "new", "cur"):  # Maildir(create=True) skips them when the directory exists
            (self.maildir / folder).mkdir(parents=True, exist_ok=True)
        self.smtp_port = smtp_port
        self.smtp_address: tuple[str, int] | None = None
        self._smtp_controller: Any = None
        self.mail_threads: dict[str, str] = {}  # Message-ID -> inquiry id (buyer mails and seller replies)

    # ---- the store's hooks ------------------------------------------------------------------------------
    def inquiry_subject(self, order_id: str) -> str:
        return "商品・配送についてのお問い合わせ"

    def inquiry_extras(self, order_id: str) -> dict:
        buyer = self.orders[order_id]["BuyerInfo"]
        return {"relay": buyer["BuyerEmail"].lower(), "buyer_name": buyer.get("BuyerName") or "購入者"}

    def inquiry_view_extras(self, record: dict) -> dict:
        return {"relay_address": record["relay"]}

    def on_buyer_message(self, record: dict, message: dict) -> None:
        mail = EmailMessage()
        mail["From"] = formataddr((f"{record['buyer_name']} - Amazon Marketplace", record["relay"]))
        mail["To"] = SELLER_MAILBOX
        mail["Subject"] = f"{record['subject']}（注文番号 {record['order_id']}）"
        mail["Date"] = format_datetime(message["at"])
        mail["Message-ID"] = make_msgid(domain=RELAY_DOMAIN)
        previous = [m["message_id"] for m in record["messages"] if m.get("message_id") and m is not message]
        if previous:
            mail["In-Reply-To"] = previous[-1]
            mail["References"] = " ".join(previous)
        mail.set_content(message["body"] + "\n" + SIGNATURE.format(order_id=record["order_id"]))
        message["message_id"] = mail["Message-ID"]
        self.mail_threads[mail["Message-ID"]] = record["inquiry_id"]
        mailbox.Maildir(str(self.maildir), create=False).add(mail)

    def on_reset(self) -> None:
        self.mail_threads.clear()  # the Maildir keeps its files: a real mailbox does not forget either

    # ---- control calls ----------------------------------------------------------------------------------
    def control_extra(self, request: Request, method: str, path: str) -> Response | None:
        if (method, path) == ("GET", "/_sim/maildir"):
            smtp = {"host": self.smtp_address[0], "port": self.smtp_address[1]} if self.smtp_address else None
            return json_response(
                {
                    "maildir": str(self.maildir),
                    "smtp": smtp,
                    "relay_domain": RELAY_DOMAIN,
                    "seller_address": SELLER_MAILBOX,
                }
            )
        if (method, path) == ("POST", "/_sim/relay"):
            if not request.body.strip():
                raise BadRequest("the body must be an RFC 5322 message")
            code, text = self.relay_receive(request.body)
            if code != 250:
                return control_error(f"{code} {text}", 400)
            return json_response({"accepted": True, "reply": text}, 201)
        return None

    # ---- the relay --------------------------------------------------------------------------------------
    def relay_known(self, address: str) -> bool:
        with self.lock:
            return any(record["relay"] == address.lower() for record in self.inquiries.values())

    def relay_receive(self, raw: bytes, recipients: list[str] | None = None) -> tuple[int, str]:
        """File a seller's reply under its thread; returns the SMTP answer (250 on success)."""
        mail = message_from_bytes(raw.replace(b"\r\n", b"\n"), policy=policy.default)
        addresses = recipients or [
            a for _n, a in getaddresses(mail.get_all("To", []) + mail.get_all("Cc", []))
        ]
        relays = [a.lower() for a in addresses if a.lower().endswith("@" + RELAY_DOMAIN)]
        if not relays:
            return 550, "5.1.1 no relay address among the recipients"
        part = mail.get_body(preferencelist=("plain",))
        body = part.get_content().rstrip("\n") if part is not None else ""
        if not body.strip():
            return 550, "5.6.0 the message has no text"
        with self.lock:
            threads = [self._thread_for(relay, mail) for relay in relays]
            if any(record is None for record in threads):
                return 550, "5.1.1 unknown relay address"
            for record in threads:
                message_id = mail.get("Message-ID") or make_msgid(domain="relay.invalid")
                self.seller_writes(record["inquiry_id"], body, message_id=message_id)
                self.mail_threads[message_id] = record["inquiry_id"]
        return 250, "2.0.0 Ok: queued"

    def _thread_for(self, relay: str, mail: EmailMessage) -> dict | None:
        mine = [record for record in self.inquiries.values() if record["relay"] == relay]
        referred = f"{mail.get('In-Reply-To', '')} {mail.get('References', '')}".split()
        for message_id in reversed(referred):
            inquiry_id = self.mail_threads.get(message_id)
            if inquiry_id and self.inquiries.get(inquiry_id) in mine:
                return self.inquiries[inquiry_id]
        numbers = set(ORDER_NUMBER.findall(str(mail.get("Subject", ""))))
        named = [record for record in mine if record["order_id"] in numbers]
        chosen = named or mine
        return max(chosen, key=lambda r: (r["updated"], r["inquiry_id"])) if chosen else None

    def start_smtp(self, host: str) -> None:
        """Listen for SMTP as Amazon's relay (needs aiosmtpd)."""
        from aiosmtpd.controller import Controller

        port = self.smtp_port or _free_port(host)
        self._smtp_controller = Controller(_RelayHandler(self), hostname=host, port=port)
        self._smtp_controller.start()
        self.smtp_address = (host, port)

    def stop_smtp(self) -> None:
        if self._smtp_controller is not None:
            self._smtp_controller.stop()
            self._smtp_controller = None


class _RelayHandler:
    """aiosmtpd handler: RCPT only to known relay addresses, DATA files the reply (faults included)."""

    def __init__(self, simulator: Any):
        self.simulator = simulator

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not address.lower().endswith("@" + RELAY_DOMAIN):
            return "550 5.7.1 relaying denied: only Amazon relay addresses"
        if not self.simulator.relay_known(address):
            return "550 5.1.1 unknown relay address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = self.simulator._pick_fault()
        if fault is not None and fault != "timeout":
            return TEMPORARY_FAILURE
        code, text = self.simulator.relay_receive(envelope.original_content, list(envelope.rcpt_tos))
        if fault == "timeout":  # taken, but the answer comes too late for the sender
            await asyncio.sleep(self.simulator.faults.timeout_seconds)
        return f"{code} {text}"


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
