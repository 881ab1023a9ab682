"""Amazon SP-API transport helpers: Login with Amazon (LWA) access tokens cached in Django's cache, checks of
response bodies (a cut or misshapen body is retried), and the reasons of SP-API error bodies.

Tokens live 3600 s; one is kept under `oms:token:<channel pk>` until shortly before it expires, so every
worker process shares it. Credentials and tokens are never logged, nor put in an error message.
"""

import json
from collections.abc import Callable
from urllib.parse import urlsplit

import requests

from channels.adapters.base import AdapterError, AuthError
from channels.adapters.tokens import CachedToken

LWA_PATH = "/auth/o2/token"
# Production serves LWA on its own host; a simulator serves it beside the API.
PRODUCTION_LWA_BASE = "https://api.amazon.com"
SP_API_HOST_SUFFIX = ".amazon.com"
EXPIRY_MARGIN_SECONDS = 120.0
REQUIRED_CREDENTIALS = ("lwa_app_id", "lwa_client_secret", "refresh_token", "seller_id")


def lwa_base_url(api_base_url: str) -> str:
    host = urlsplit(api_base_url).hostname or ""
    return PRODUCTION_LWA_BASE if host.endswith(SP_API_HOST_SUFFIX) else api_base_url


def json_body(response: requests.Response) -> dict:
    """The JSON object of a response; ValueError when the body is cut or not an object (retried)."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError) as exc:
        raise ValueError(f"body is not JSON ({exc.__class__.__name__})") from exc
    if not isinstance(body, dict):
        raise ValueError("body is not a JSON object")
    return body


def error_text(response: requests.Response) -> str:
    """ "Code: message" of an SP-API error body {"errors": [...]} (these bodies carry no buyer data)."""
    try:
        errors = json_body(response).get("errors") or []
    except ValueError:
        return response.text[:200].replace("\n", " ")
    parts = [
        f"{error.get('code', '?')}: {error.get('message', '')}".strip()
        + (f" ({error['details']})" if error.get("details") else "")
        for error in errors
        if isinstance(error, dict)
    ]
    return "; ".join(parts) or response.text[:200].replace("\n", " ")


# ---- body checks: a body that is cut or not of the expected shape raises ValueError and is retried ---------
def validator(shape: Callable[[dict], None] | None) -> Callable[[requests.Response], None]:
    def check(response: requests.Response) -> None:
        if response.status_code == 204:
            return
        body = json_body(response)  # error bodies must be whole too: their reason is reported
        if shape is not None and 200 <= response.status_code < 300:
            shape(body)

    return check


def _payload(body: dict) -> dict:
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise ValueError("no payload object")
    return payload


def orders_page_shape(params: dict) -> Callable[[dict], None]:
    def shape(body: dict) -> None:
        payload = _payload(body)
        if not isinstance(payload.get("Orders"), list) or not all(
            isinstance(o, dict) for o in payload["Orders"]
        ):
            raise ValueError("payload.Orders is not a list of orders")
        if params.get("NextToken") and payload.get("NextToken") == params["NextToken"]:
            raise ValueError("the page repeats the previous one")

    return shape


def one_order_shape(order_id: str) -> Callable[[dict], None]:
    def shape(body: dict) -> None:
        if _payload(body).get("AmazonOrderId") != order_id:
            raise ValueError("payload is not the order asked for")

    return shape


def items_page_shape(order_id: str, token: str | None) -> Callable[[dict], None]:
    def shape(body: dict) -> None:
        payload = _payload(body)
        if payload.get("AmazonOrderId") != order_id:
            raise ValueError("payload is not the items of the order asked for")
        if not isinstance(payload.get("OrderItems"), list) or not all(
            isinstance(i, dict) for i in payload["OrderItems"]
        ):
            raise ValueError("payload.OrderItems is not a list of items")
        if token and payload.get("NextToken") == token:
            raise ValueError("the page repeats the previous one")

    return shape


class AmazonRefusal(AdapterError):
    """Amazon refused a well-formed call (400 InvalidInput, 404 NotFound, ...); retrying will not help."""

    def __init__(self, operation: str, response: requests.Response):
        self.operation, self.status = operation, response.status_code
        super().__init__(f"Amazon {operation}: HTTP {response.status_code} {error_text(response)}")


class LwaTokens(CachedToken):
    """Hands out a live LWA access token for one channel, exchanging its refresh token when needed."""

    expiry_margin = EXPIRY_MARGIN_SECONDS

    def _fetch(self) -> tuple[str, float]:
        if missing := [name for name in REQUIRED_CREDENTIALS if not self.credentials.get(name)]:
            raise AuthError(f"Amazon credentials lack {', '.join(missing)}")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": self.credentials["refresh_token"],
            "client_id": self.credentials["lwa_app_id"],
            "client_secret": self.credentials["lwa_client_secret"],
        }
        response = self.http.request(
            "POST",
            LWA_PATH,
            data=form,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
            validate=_lwa_body,
        )
        body = json_body(response)
        if response.status_code != 200:
            # {"error": "invalid_grant", "error_description": "..."}: LWA's words, never our secrets.
            reason = f"{body.get('error', '?')}: {body.get('error_description', '')}".strip()
            raise AuthError(f"Amazon LWA token exchange refused: HTTP {response.status_code} {reason}")
        return body["access_token"], float(body.get("expires_in", 3600))


def _lwa_body(response: requests.Response) -> None:
    body = json_body(response)
    if response.status_code == 200 and not (
        isinstance(body.get("access_token"), str)
        and body["access_token"]
        and isinstance(body.get("expires_in", 3600), int | float)
    ):
        raise ValueError("LWA answered 200 without access_token/expires_in")
