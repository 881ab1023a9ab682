"""Webhook HTTP: which addresses a receiver may have, and the POST that connects only to an address it checked.

A subscription's URL comes from whoever holds `webhooks:manage`, and every attempt's status and the start of
the answer are shown back to them: without a check, a URL such as http://127.0.0.1:8000/metrics or
http://169.254.169.254/ would make the OMS fetch its own internal services and report what they said.

So a receiver must have a public address. Loopback, private (RFC 1918, fc00::/7, 100.64.0.0/10 …),
link-local, multicast, reserved and unspecified addresses are refused, IPv4 and IPv6 alike, including IPv4
addresses carried inside IPv6 (::ffff:127.0.0.1, 6to4). The check runs twice:

- when a subscription is made or its URL changed (`url_check`): a host that is, or resolves to, a refused
  address is refused; a name that does not resolve yet is accepted (nothing can be reached through it now);
- at every delivery, on the address actually connected to: the connection resolves the host once, checks
  every address it got, and connects to those checked addresses only, so a DNS answer that changed after
  the subscription was made (DNS rebinding) cannot reach an internal address. A refused address is a
  failed attempt whose error says why.

OMS_WEBHOOK_ALLOW_PRIVATE (default False) turns both checks off, for receivers on the OMS's own network
(and tests with a receiver on 127.0.0.1). Deliveries never use a proxy from the environment: the address
checked must be the one connected to.
"""

import codecs
import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils.translation import gettext, pgettext_lazy
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family, create_connection

RESPONSE_BODY_LIMIT = 2000  # characters of the answer kept (WebhookAttempt.response_body)
# UTF-8 takes at most 4 bytes a character: this many bytes always hold RESPONSE_BODY_LIMIT characters, and
# nothing past them is downloaded.
RESPONSE_READ_BYTES = 4 * RESPONSE_BODY_LIMIT

KIND_LABELS = {
    "unspecified": pgettext_lazy("address kind", "unspecified"),
    "loopback": pgettext_lazy("address kind", "loopback"),
    "link-local": pgettext_lazy("address kind", "link-local"),
    "multicast": pgettext_lazy("address kind", "multicast"),
    "reserved": pgettext_lazy("address kind", "reserved"),
    "private": pgettext_lazy("address kind", "private"),
}

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    """A receiver's host is, or resolves to, an address webhooks may not go to.

    str() is the English reason stored with a delivery attempt; `message()` the reason in the request's
    language, for the API and the admin."""

    def __init__(self, *, host: str, address: str, kind: str):
        self.host, self.address, self.kind = host, address, kind
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.address if self.host == self.address else f"{self.host} ({self.address})"
        return (
            f"refused: {where} is a {self.kind} address; webhooks go only to public addresses "
            "(OMS_WEBHOOK_ALLOW_PRIVATE is off)"
        )

    def message(self) -> str:
        kind = KIND_LABELS[self.kind]
        if self.host == self.address:
            return gettext(
                "%(address)s is a %(kind)s address; webhooks can only be sent to public addresses."
            ) % {"address": self.address, "kind": kind}
        return gettext(
            "%(host)s resolves to %(address)s, a %(kind)s address; webhooks can only be sent to public "
            "addresses."
        ) % {"host": self.host, "address": self.address, "kind": kind}


def private_allowed() -> bool:
    return bool(getattr(settings, "OMS_WEBHOOK_ALLOW_PRIVATE", False))


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (::ffff:a.b.c.d, 6to4 2002:a.b.c.d::), if any."""
    if isinstance(address, ipaddress.IPv6Address):
        return address.ipv4_mapped or address.sixtofour
    return None


def address_kind(address: IPAddress) -> str | None:
    """Why a webhook may not go to `address` (a KIND_LABELS key), or None for a public address."""
    address = _embedded_ipv4(address) or address
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_reserved:
        return "reserved"
    if address.is_private or getattr(address, "is_site_local", False) or not address.is_global:
        return "private"  # also 100.64.0.0/10 (carrier-grade NAT) and the deprecated fec0::/10
    return None


def address_check(*, host: str, address: str) -> None:
    """Raise AddressRefused unless a webhook may connect to `address` (one that `host` resolved to)."""
    if private_allowed():
        return
    kind = address_kind(ipaddress.ip_address(address))
    if kind is not None:
        raise AddressRefused(host=host, address=address, kind=kind)


def _resolve(host: str, port: int) -> list[tuple]:
    """getaddrinfo's stream entries for host (a name or an address literal)."""
    return socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)


def url_check(url: str) -> None:
    """Raise AddressRefused when the URL's host is, or resolves to, a refused address (any of them).

    A name that does not resolve is accepted: it reaches nothing now, and every delivery checks again."""
    if private_allowed():
        return
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        entries = _resolve(host, port)
    except (OSError, UnicodeError, ValueError):
        return
    for entry in entries:
        address_check(host=host, address=entry[4][0])


# ---- the POST --------------------------------------------------------------------------------------------


class _CheckedConnectionMixin:
    """Resolve the host once, check every address, connect only to those (urllib3 would resolve again)."""

    def _new_conn(self) -> socket.socket:
        try:
            entries = _resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        addresses = list(dict.fromkeys(entry[4][0] for entry in entries))
        for address in addresses:
            address_check(host=self.host, address=address)
        error: Exception | None = None
        for address in addresses:
            try:
                # An address literal: create_connection does no lookup of its own.
                return create_connection(
                    (address, self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                error = ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                )
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
                error.__cause__ = exc
        raise error or NewConnectionError(self, f"No address for {self.host}")


class _CheckedHTTPConnection(_CheckedConnectionMixin, HTTPConnection):
    pass


class _CheckedHTTPSConnection(_CheckedConnectionMixin, HTTPSConnection):
    """TLS still names and verifies the URL's host (SNI and certificate), not the address."""


class _CheckedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _CheckedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class CheckedAddressAdapter(HTTPAdapter):
    """A requests adapter whose connections go only to addresses address_check allowed."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _CheckedHTTPPool, "https": _CheckedHTTPSPool}


def _answer_start(response: requests.Response) -> str:
    """The first RESPONSE_BODY_LIMIT characters of the answer, reading at most RESPONSE_READ_BYTES."""
    data = b""
    try:
        for chunk in response.iter_content(chunk_size=1024):
            data += chunk
            if len(data) >= RESPONSE_READ_BYTES:
                break
    except requests.RequestException:
        pass  # the status already came: a body cut short changes nothing about the attempt
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    # final=False: a character cut in half at the end is left out rather than shown as U+FFFD.
    return decoder.decode(data[:RESPONSE_READ_BYTES], final=False)[:RESPONSE_BODY_LIMIT]


def webhook_post(
    *, url: str, body: bytes, headers: dict[str, str], timeout: tuple[float, float]
) -> tuple[int | None, str, str]:
    """POST to a receiver through checked addresses only; (status code or None, start of the answer, error).

    Never raises for the receiver's sake: a refused address, a timeout or a connection error is the error."""
    session = requests.Session()
    session.trust_env = False  # no proxy or .netrc from the environment
    adapter = CheckedAddressAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    try:
        with session.post(
            url,
            data=body,
            headers={"Accept-Encoding": "identity", **headers},
            timeout=timeout,
            allow_redirects=False,
            stream=True,  # the answer is read only as far as it is kept
        ) as response:
            return response.status_code, _answer_start(response), ""
    except AddressRefused as exc:
        return None, "", str(exc)
    except requests.RequestException as exc:
        return None, "", f"{type(exc).__name__}: {exc}"[:RESPONSE_BODY_LIMIT]
    finally:
        session.close()
