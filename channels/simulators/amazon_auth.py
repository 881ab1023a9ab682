"""Amazon simulator: Login with Amazon (LWA) token exchange and the x-amz-access-token check of API calls."""

from __future__ import annotations

import secrets
import threading
import time
import uuid

from channels.simulators.amazon_render import MARKETPLACE_ID
from channels.simulators.base import BadRequest, Request, Response, json_response

CREDENTIALS = {
    "lwa_app_id": "amzn1.application-oa2-client.demo",
    "lwa_client_secret": "demo-amazon-secret",
    "refresh_token": "Atzr|demo-amazon-refresh",
    "seller_id": "A1DEMOSELLER",
    "marketplace_id": MARKETPLACE_ID,
}
LWA_PATH = "/auth/o2/token"
TOKEN_LIFETIME_SECONDS = 3600
GRANTLESS_SCOPES = ("sellingpartnerapi::notifications", "sellingpartnerapi::migration")
SELLER_SCOPE = "seller"  # tokens from a refresh_token grant act for the seller
DENIED = "Access to requested resource is denied."


def request_id() -> dict[str, str]:
    return {"x-amzn-RequestId": str(uuid.uuid4())}


def amazon_error(
    status: int, code: str, message: str, details: str = "", rate: str | None = None
) -> Response:
    """The SP-API error body {"errors": [{code, message, details}]}; `rate` adds x-amzn-RateLimit-Limit."""
    headers = request_id() | ({"x-amzn-RateLimit-Limit": rate} if rate else {})
    return json_response(
        {"errors": [{"code": code, "message": message, "details": details}]}, status, headers
    )


def lwa_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status)


class LwaTokens:
    """Access tokens handed out by POST /auth/o2/token; each lives TOKEN_LIFETIME_SECONDS."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[float, str]] = {}  # token -> (monotonic expiry, scope)
        self._lock = threading.Lock()

    def exchange(self, request: Request) -> Response:
        """The LWA answer to a refresh_token or client_credentials (grantless) request."""
        fields = _fields(request)
        grant_type = fields.get("grant_type", "")
        if grant_type not in ("refresh_token", "client_credentials"):
            if not grant_type:
                return lwa_error(
                    400, "invalid_request", "The request is missing a required parameter : grant_type"
                )
            return lwa_error(400, "unsupported_grant_type", f"Unsupported grant_type : {grant_type}")
        client_ok = fields.get("client_id") == CREDENTIALS["lwa_app_id"]
        if not client_ok or fields.get("client_secret") != CREDENTIALS["lwa_client_secret"]:
            return lwa_error(401, "invalid_client", "Client authentication failed")
        if grant_type == "client_credentials":
            scope = fields.get("scope", "")
            if scope not in GRANTLESS_SCOPES:
                return lwa_error(400, "invalid_scope", "An unknown scope was requested")
            return json_response(self._issue(scope) | {"scope": scope})
        if not fields.get("refresh_token"):
            return lwa_error(
                400, "invalid_request", "The request is missing a required parameter : refresh_token"
            )
        if fields["refresh_token"] != CREDENTIALS["refresh_token"]:
            return lwa_error(
                400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        return json_response(self._issue(SELLER_SCOPE) | {"refresh_token": CREDENTIALS["refresh_token"]})

    def refusal(self, request: Request) -> Response | None:
        """None when x-amz-access-token holds a live seller token, else the SP-API 403 Unauthorized."""
        token = request.headers.get("x-amz-access-token")
        if not token:
            return amazon_error(403, "Unauthorized", DENIED)
        with self._lock:
            grant = self._tokens.get(token)
        if grant is None:
            details = "The access token you provided is revoked, malformed or invalid."
            return amazon_error(403, "Unauthorized", DENIED, details)
        expires, scope = grant
        if time.monotonic() >= expires:
            return amazon_error(403, "Unauthorized", DENIED, "The access token you provided has expired.")
        if scope != SELLER_SCOPE:  # a grantless token cannot read a seller's orders or listings
            return amazon_error(403, "Unauthorized", DENIED)
        return None

    def _issue(self, scope: str) -> dict:
        token = "Atza|" + secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = (time.monotonic() + TOKEN_LIFETIME_SECONDS, scope)
        return {"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_SECONDS}


def _fields(request: Request) -> dict[str, str]:
    """LWA takes a form body (what clients send) or a JSON one."""
    content_type = (request.headers.get("Content-Type") or "").lower()
    if content_type.startswith("application/json"):
        try:
            body = request.json()
        except BadRequest:
            return {}
        return {key: str(value) for key, value in body.items()} if isinstance(body, dict) else {}
    try:
        form = request.form()
    except BadRequest:
        return {}
    return {name: values[0] for name, values in form.items() if values}
