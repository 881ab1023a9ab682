"""Yahoo! ID連携 v2 for the Yahoo!ショッピング simulator: the token endpoint and the Bearer check.

Access tokens live `YAHOO_SIM_TOKEN_TTL` seconds (environment variable, default 3600 as on the real
service; fractions allowed so tests can watch a token expire in well under a second).
"""

from __future__ import annotations

import base64
import binascii
import math
import os
import secrets
import threading
import time
from dataclasses import dataclass

from channels.simulators.base import Request, Response, json_response

TOKEN_TTL_ENV = "YAHOO_SIM_TOKEN_TTL"  # noqa: S105 (a variable name)
DEFAULT_TOKEN_TTL = 3600.0
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@dataclass
class TokenError(Exception):
    """An OAuth 2.0 error answer of the token endpoint (RFC 6749 §5.2, as Yahoo! ID連携 returns it)."""

    status: int
    error: str
    description: str

    def response(self) -> Response:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="yahooapis.jp"'
        body = {"error": self.error, "error_description": self.description}
        return json_response(body, self.status, headers)


def token_ttl_from_env() -> float:
    raw = os.environ.get(TOKEN_TTL_ENV, "")
    try:
        ttl = float(raw) if raw else DEFAULT_TOKEN_TTL
    except ValueError:
        return DEFAULT_TOKEN_TTL
    return ttl if ttl > 0 else DEFAULT_TOKEN_TTL


class TokenStore:
    """Issues access tokens for the one demo refresh token and tells whether a Bearer token is valid."""

    def __init__(self, *, client_id: str, client_secret: str, refresh_token: str, ttl: float):
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.ttl = ttl
        self._expiry: dict[str, float] = {}  # access token -> time.monotonic() when it expires
        self._lock = threading.Lock()

    def exchange(self, request: Request) -> Response:
        """POST /yconnect/v2/token: refresh_token grant with client authentication (Basic or form)."""
        try:
            answer = self._issue(request.form(), request.headers.get("Authorization"))
            return json_response(answer, 200, NO_STORE)
        except TokenError as refusal:
            return refusal.response()

    def _issue(self, form: dict[str, list[str]], authorization: str | None) -> dict:
        grant_type = _first(form, "grant_type")
        if not grant_type:
            raise TokenError(400, "invalid_request", "grant_type is required")
        client_id, client_secret = _client_credentials(form, authorization)
        if client_id != self.client_id or client_secret != self.client_secret:
            raise TokenError(401, "invalid_client", "client authentication failed")
        if grant_type == "authorization_code":
            # The simulator has no consent screen, so no code it could have issued exists.
            raise TokenError(400, "invalid_grant", "authorization code is invalid or expired")
        if grant_type != "refresh_token":
            raise TokenError(400, "unsupported_grant_type", f"unsupported grant_type: {grant_type}")
        if _first(form, "refresh_token") != self.refresh_token:
            raise TokenError(400, "invalid_grant", "refresh token is invalid or expired")
        token = secrets.token_urlsafe(48)
        now = time.monotonic()
        with self._lock:
            self._expiry = {t: at for t, at in self._expiry.items() if at > now}
            self._expiry[token] = now + self.ttl
        return {"access_token": token, "token_type": "Bearer", "expires_in": max(1, math.ceil(self.ttl))}

    def problem(self, token: str | None) -> str | None:
        """None when the access token is valid, else the error_description the API answers with."""
        if not token:
            return "no token"
        with self._lock:
            expires = self._expiry.get(token)
        if expires is None:
            return "invalid token"
        if expires <= time.monotonic():
            return "expired token"
        return None


def bearer_token(request: Request) -> str | None:
    """The access token from `Authorization: Bearer`, or from ?access_token= on GET (ID連携 allows both)."""
    header = request.headers.get("Authorization") or ""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "GET":
        return request.arg("access_token")
    return None


def _client_credentials(form: dict[str, list[str]], authorization: str | None) -> tuple[str, str]:
    scheme, _, value = (authorization or "").strip().partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return _first(form, "client_id") or "", _first(form, "client_secret") or ""


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None
