"""Rakuten RMS over HTTP: the ESA header, each function's rate limit, and the checks that tell a whole
answer from a broken one (retried) or an error answer (raised with its codes, never with buyer data)."""

import base64
from collections.abc import Callable
from functools import partial
from urllib.parse import urlsplit

import requests

from channels.adapters.base import AdapterError, AuthError
from channels.adapters.http import HttpClient, Limit

ORDER_API = "/es/2.0/order"
INVENTORY_API = "/es/2.0/inventories"
# The shop's limits per function (requests per second, burst). Our buckets run 5% slower: when both sides
# count at exactly the same rate, a call sent the instant our bucket allows it can reach the shop a hair
# before its bucket refilled, and be throttled.
SHOP_LIMITS = {
    "searchOrder": (1.0, 3.0),
    "getOrder": (1.0, 3.0),
    "confirmOrder": (1.0, 3.0),
    "updateOrderShipping": (1.0, 3.0),
    "inventories.bulk.upsert": (1.0, 1.0),
    "inventories.bulk.get": (5.0, 5.0),
}
RATE_MARGIN = 0.95
LIMITS = {
    name: Limit(name, rate=rate * RATE_MARGIN, burst=burst) for name, (rate, burst) in SHOP_LIMITS.items()
}
THROTTLED_MARK = "QPSLimit"  # the legacy APIs' 403 body when over the request threshold


def is_throttled(response: requests.Response) -> bool:
    return response.status_code == 429 or (response.status_code == 403 and THROTTLED_MARK in response.text)


def is_auth_failure(response: requests.Response) -> bool:
    return response.status_code == 401 or (response.status_code == 403 and not is_throttled(response))


class RmsClient:
    """The two API families of one shop. `once` sends a call a single time (for calls that are not
    idempotent, whose caller checks the outcome before trying again)."""

    def __init__(self, channel, *, rate_limits: bool, **options):
        self.credentials = channel.credentials
        shop = self.credentials.get("shop_id") or f"channel-{channel.pk}"
        # Rakuten counts requests per shop (license key), so the buckets are shared per shop and host.
        options["scope"] = f"rakuten:{shop}@{urlsplit(channel.base_url).netloc}"
        options["channel"] = channel.name
        hooks = {"is_throttled": is_throttled, "is_auth_failure": is_auth_failure}
        self.http = HttpClient(base_url=channel.base_url, **hooks, **options)
        self.http_once = HttpClient(base_url=channel.base_url, **hooks, **(options | {"max_attempts": 1}))
        self.rate_limits = rate_limits

    @property
    def max_attempts(self) -> int:
        return self.http.max_attempts

    def headers(self) -> dict[str, str]:
        secret, key = self.credentials.get("service_secret"), self.credentials.get("license_key")
        if not secret or not key:
            raise AuthError("Rakuten credentials need service_secret and license_key")
        token = base64.b64encode(f"{secret}:{key}".encode()).decode()
        return {"Authorization": f"ESA {token}", "Content-Type": "application/json; charset=utf-8"}

    def limit(self, name: str) -> Limit | None:
        return LIMITS[name] if self.rate_limits else None

    def order_call(self, name: str, body: dict, check: Callable[[dict], None], *, once: bool = False) -> dict:
        """POST one Order API function; returns its JSON when HTTP 200, else raises AdapterError."""
        response = (self.http_once if once else self.http).request(
            "POST",
            f"{ORDER_API}/{name}/",
            limit=self.limit(name),
            validate=partial(_validate_json, check),
            json=body,
            headers=self.headers(),
        )
        if response.status_code != 200:
            raise AdapterError(f"Rakuten {name}: HTTP {response.status_code} {refusal(response)}")
        return response.json()

    def inventory_call(
        self, name: str, body: dict, *, expect: int, check: Callable[[dict], None] | None = None
    ) -> dict:
        """POST one Inventory API bulk function; its JSON (or {} for 204), else raises AdapterError."""
        response = self.http.request(
            "POST",
            f"{INVENTORY_API}/{name}",
            limit=self.limit(f"inventories.{name.replace('-', '.')}"),
            validate=partial(_validate_json, check, empty_ok=expect == 204),
            json=body,
            headers=self.headers(),
        )
        if response.status_code != expect:
            raise AdapterError(f"Rakuten {name}: HTTP {response.status_code} {refusal(response)}")
        return response.json() if response.content else {}


# ---- answers ------------------------------------------------------------------------------------------------
def _validate_json(
    check: Callable[[dict], None] | None, response: requests.Response, *, empty_ok=False
) -> None:
    """HttpClient's validate hook: a body that is not whole JSON (or not the expected shape) is retried."""
    if empty_ok and response.status_code == 204:
        return
    try:
        data = response.json()
    except ValueError:
        raise ValueError("body is not JSON") from None
    if not isinstance(data, dict):
        raise ValueError("body is not a JSON object")
    if response.status_code == 200 and check is not None:
        check(data)


def check_messages(data: dict) -> None:
    if not isinstance(data.get("MessageModelList"), list):
        raise ValueError("MessageModelList missing")


def check_named(numbers: list[str], data: dict) -> None:
    """confirmOrder: the messages may only be about the orders asked about (a replayed answer is not)."""
    check_messages(data)
    named = {m.get("orderNumber") for m in data["MessageModelList"] if isinstance(m, dict)}
    if not named - {None} <= set(numbers):
        raise ValueError("the answer is about other orders")


def check_get_order(numbers: list[str], data: dict) -> None:
    """getOrder: OrderModelList holds only orders asked about (a replayed answer does not)."""
    check_messages(data)
    models = data.get("OrderModelList")
    if not isinstance(models, list) or not all(isinstance(m, dict) for m in models):
        raise ValueError("OrderModelList missing")
    if not {m.get("orderNumber") for m in models} <= set(numbers):
        raise ValueError("the answer is about other orders")


def check_search(page: int, data: dict) -> None:
    numbers = data.get("orderNumberList")
    if not isinstance(numbers, list) or not all(isinstance(n, str) for n in numbers):
        raise ValueError("orderNumberList missing")
    paging = data.get("PaginationResponseModel")
    if numbers and (not isinstance(paging, dict) or paging.get("requestPage") != page):
        raise ValueError(f"the answer is not page {page}")


def refusal(response: requests.Response) -> str:
    """The codes and messages of an error answer (Order API, Inventory API or gateway); no buyer data."""
    try:
        data = response.json()
    except ValueError:
        return response.text[:200]
    if not isinstance(data, dict):
        return response.text[:200]
    if isinstance(data.get("MessageModelList"), list):
        parts = [
            f"{m.get('messageCode')} {m.get('message')}"
            for m in data["MessageModelList"]
            if isinstance(m, dict)
        ]
    elif isinstance(data.get("errors"), list):
        parts = [
            f"{e.get('code')} {e.get('message')} ({(e.get('metadata') or {}).get('propertyPath')})"
            for e in data["errors"]
            if isinstance(e, dict)
        ]
    elif isinstance(data.get("Results"), dict):
        parts = [f"{data['Results'].get('errorCode')} {data['Results'].get('message')}"]
    else:
        parts = [response.text[:200]]
    return "; ".join(parts)[:1000]
