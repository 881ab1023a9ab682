"""A real SMTP server on loopback for the mail tests (aiosmtpd in a thread), keeping every message's bytes."""

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # exactly as it came over DATA (CRLF line ends)

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)

    def raw_header(self, name: str) -> bytes:
        """The header as it went over the wire, continuation lines joined (no decoding)."""
        head = self.data.split(b"\r\n\r\n", 1)[0]
        unfolded = head.replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
        prefix = name.lower().encode() + b":"
        for line in unfolded.split(b"\r\n"):
            if line.lower().startswith(prefix):
                return line[len(prefix) :].strip()
        raise KeyError(name)

    def decoded_header(self, name: str) -> str:
        """The header decoded the way RFC 2047 says (whitespace between encoded words drops out)."""
        return str(make_header(decode_header(self.raw_header(name).decode("ascii"))))

    def header_lines(self, name: str) -> list[bytes]:
        """The header's physical lines as sent, folding kept."""
        head = self.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        prefix = name.lower().encode() + b":"
        start = next(i for i, line in enumerate(head) if line.lower().startswith(prefix))
        end = start + 1
        while end < len(head) and head[end][:1] in (b" ", b"\t"):
            end += 1
        return head[start:end]

    @property
    def raw_body(self) -> bytes:
        return self.data.split(b"\r\n\r\n", 1)[1]


@dataclass
class CollectingHandler:
    """Accepts everything and keeps it. `refuse_rcpt` answers RCPT TO with that reply instead (only the
    first `refusals` times when set); `data_delay` keeps the mail, then waits before answering DATA (an
    answer that reaches the client too late)."""

    received: list[ReceivedMail] = field(default_factory=list)
    refuse_rcpt: str = ""
    refusals: int | None = None
    data_delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt and (self.refusals is None or self.refusals > 0):
            if self.refusals is not None:
                self.refusals -= 1
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(
                ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        if self.data_delay:  # the mail is queued here, the answer comes late (or never reaches the client)
            await asyncio.sleep(self.data_delay)
        return "250 2.0.0 queued"

    @property
    def messages(self) -> list[ReceivedMail]:
        with self.lock:
            return list(self.received)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server(handler: CollectingHandler | None = None) -> Iterator[tuple[CollectingHandler, int]]:
    handler = handler or CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()
