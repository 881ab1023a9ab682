"""HTTP plumbing shared by the simulators: request/response types, helpers, token bucket, request handler."""

from __future__ import annotations

import email.message
import json as jsonlib
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from channels.simulators.base import Simulator

JST = timezone(timedelta(hours=9))
Handler = Callable[["Request"], "Response"]


def now_jst() -> datetime:
    return datetime.now(JST)


class BadRequest(Exception):
    """The request body could not be parsed; the loop answers error_response(400)."""


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: email.message.Message
    body: bytes
    params: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return jsonlib.loads(self.body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise BadRequest(f"invalid JSON body: {exc}") from exc

    def form(self) -> dict[str, list[str]]:
        try:
            return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        except UnicodeDecodeError as exc:
            raise BadRequest(f"invalid form body: {exc}") from exc

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def json_response(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = jsonlib.dumps(obj, ensure_ascii=False).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json;charset=utf-8", **(headers or {})})


def xml_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        status, text.encode("utf-8"), {"Content-Type": "application/xml;charset=UTF-8", **(headers or {})}
    )


def control_error(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


class TokenBucket:
    """Classic token bucket: `rate` tokens per second, at most `burst` stored; thread-safe."""

    def __init__(self, rate: float, burst: float):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            now = time.monotonic()
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True
            return False


def body_dict(request: Request) -> dict:
    body = request.json()
    if not isinstance(body, dict):
        raise BadRequest("body must be a JSON object")
    return body


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def handler_class(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    class SimHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = f"{sim.kind}-simulator"
        # Headers and body go out in separate writes; with Nagle on, a keep-alive client waits ~40 ms
        # for the delayed ACK on every request.
        disable_nagle_algorithm = True

        def _handle(self) -> None:
            started = time.monotonic()
            split = urlsplit(self.path)
            request = Request(
                method=self.command,
                path=split.path,
                query=parse_qs(split.query, keep_blank_values=True),
                headers=self.headers,
                body=self._read_body(),
            )
            response, transport_fault = sim.dispatch(request)
            body = response.body
            if transport_fault == "malformed":
                body = body[: len(body) // 2]
            try:
                self._write(response, body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its timeout passed first)
            elapsed = (time.monotonic() - started) * 1000
            # Paths and status only: bodies and query strings can carry buyers' personal data.
            sys.stderr.write(f"{sim.kind} {self.command} {split.path} {response.status} {elapsed:.0f}ms\n")

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length > 0 else b""

        def _write(self, response: Response, body: bytes) -> None:
            self.send_response(response.status)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.status not in (204, 304):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and self.command != "HEAD" and response.status not in (204, 304):
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # _handle logs each request without personal data

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

    return SimHandler
