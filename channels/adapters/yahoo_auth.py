"""Yahoo! ID連携 v2 access tokens for the Yahoo!ショッピング adapter: refresh, cache, and 公開鍵認証 headers.

The access token is cached in Django's cache under `oms:token:<channel pk>` until shortly before it
expires, so every worker process shares one token per shop. Credentials and tokens are never logged.
"""

import base64
import logging
import time
from urllib.parse import urlsplit

import requests

from channels.adapters.base import AdapterError, AuthError
from channels.adapters.http import Limit
from channels.adapters.tokens import CachedToken

logger = logging.getLogger("channels.yahoo")

TOKEN_PATH = "/yconnect/v2/token"  # noqa: S105  # nosec B105 # a path, not a password
# Production serves the store APIs and the token endpoint on different hosts; a simulator serves both.
PRODUCTION_AUTH_BASE = "https://auth.login.yahoo.co.jp"
STORE_API_HOST_SUFFIX = "shopping.yahooapis.jp"
TOKEN_LIMIT = Limit("token", rate=1.0, burst=5.0)  # undocumented; a token is fetched about once an hour
EXPIRY_MARGIN_SECONDS = 60.0


def auth_base_url(api_base_url: str) -> str:
    host = urlsplit(api_base_url).hostname or ""
    return PRODUCTION_AUTH_BASE if host.endswith(STORE_API_HOST_SUFFIX) else api_base_url


class TokenSource(CachedToken):
    """Hands out a valid access token for one channel, refreshing it with the channel's refresh token."""

    expiry_margin = EXPIRY_MARGIN_SECONDS

    def _fetch(self) -> tuple[str, float]:
        client_id = self.credentials.get("client_id") or ""
        secret = self.credentials.get("client_secret") or ""
        refresh_token = self.credentials.get("refresh_token") or ""
        if not (client_id and secret and refresh_token):
            raise AuthError("Yahoo credentials need client_id, client_secret and refresh_token")
        response = self.http.request(
            "POST",
            TOKEN_PATH,
            limit=TOKEN_LIMIT,
            data={"grant_type": "refresh_token", "refresh_token": refresh_token},
            auth=(client_id, secret),  # HTTP Basic client authentication, as Yahoo! ID連携 documents
            validate=_json_body,
        )
        body = _json_or_empty(response)
        if response.status_code == 200:
            logger.info("yahoo access token refreshed expires_in=%s", body.get("expires_in"))
            return body["access_token"], float(body.get("expires_in") or 3600)
        error = body.get("error") or f"HTTP {response.status_code}"
        described = f"{error}: {body.get('error_description', '')}".rstrip(": ")
        if error == "invalid_client" or response.status_code in (401, 403):
            raise AuthError(f"Yahoo! ID連携 refused the client id or secret ({described})")
        if error == "invalid_grant":
            raise AuthError(
                f"Yahoo! ID連携 refused the refresh token ({described}); authorise the app again and "
                "save the new refresh token in the channel's credentials"
            )
        raise AdapterError(f"Yahoo! ID連携 token request failed ({described})")


def _json_body(response: requests.Response) -> None:
    """A token answer must be JSON (a broken one is retried); a 200 must carry an access token."""
    if response.status_code >= 400 and not response.content.strip():
        return
    try:
        body = response.json()
    except ValueError as exc:
        raise ValueError(f"token answer is not JSON ({exc})") from None
    if response.status_code == 200 and not (isinstance(body, dict) and body.get("access_token")):
        raise ValueError("token answer has no access_token")


def _json_or_empty(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def signature_headers(credentials: dict, seller_id: str) -> dict[str, str]:
    """公開鍵認証 headers for the order APIs when the store's public key is configured, else none.

    X-sws-signature = Base64(RSA PKCS#1 v1.5 encrypt("<sellerId>:<unixtime>")) with the key Yahoo issued;
    with it a refresh token lives 4 weeks instead of 12 hours.
    """
    pem, version = credentials.get("public_key"), credentials.get("public_key_version")
    if not pem or not version:
        return {}
    from cryptography.hazmat.primitives.asymmetric import padding
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        key = load_pem_public_key(pem.encode("ascii"))
    except ValueError:
        raise AuthError("the channel's Yahoo public_key is not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise AuthError("the channel's Yahoo public_key is not an RSA key")
    message = f"{seller_id}:{int(time.time())}".encode("ascii")
    signature = base64.b64encode(key.encrypt(message, padding.PKCS1v15())).decode("ascii")
    return {"X-sws-signature": signature, "X-sws-signature-version": str(version)}
