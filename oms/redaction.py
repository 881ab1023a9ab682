"""Redaction of personal data (a buyer's name, address, phone, e-mail) and secrets, from text and from data.

Used by the log filter (oms.logs), the dead-letter record of failed tasks (oms.failed_tasks) and the
anonymisation of stored shop payloads (orders.privacy). Names cannot be recognised in free text, so the
first defence stays the code's own: log ids, never buyer fields. This catches what slips through in a
recognisable shape: e-mail addresses, phone numbers, postal codes, Japanese addresses, `key: value` pairs
whose key names personal data or a secret, Authorization headers and tokens.
"""

import re
from collections.abc import Iterable
from functools import lru_cache

REDACTED = "[redacted]"

# A key whose value is personal data, once lower-cased with everything but letters removed (zipCode1 → zipcode):
# our fields (buyer_name, address1), Rakuten (familyNameKana, emailAddress, phoneNumber1), Yahoo (ShipLastName,
# BillMailAddress, ShipZipCode), Amazon (BuyerEmail, AddressLine1, StateOrRegion), outbox mails (to, body).
PERSONAL_KEY_ENDINGS = (
    "name",
    "kana",
    "mail",
    "address",
    "addressline",
    "phone",
    "phonenumber",
    "tel",
    "fax",
    "zip",
    "zipcode",
    "postalcode",
    "city",
    "prefecture",
    "stateorregion",
    "county",
    "district",
    "birthday",
    "remarks",
    "comment",
    "comments",
    "message",
)
PERSONAL_KEYS_EXACT = {"to", "body", "sex"}
# Whole objects of a shop payload that describe a person (Rakuten's orderer and recipients, Amazon's buyer).
PERSONAL_OBJECTS = {"orderermodel", "sendermodel", "buyerinfo", "billinginfo"}
# Keys that end like a personal one but name a product or a payment: kept.
NOT_PERSONAL_KEYS = {"itemname", "productname", "skuname", "paymethodname", "settlementname", "title"}

SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "licensekey",
    "accesskey",
    "privatekey",
    "authorization",
    "cookie",
    "sessionid",
    "csrf",
    "signature",
    "credential",
)


def _normal(key: str) -> str:
    return re.sub(r"[^a-z]", "", str(key).lower())


def is_personal_key(key: str) -> bool:
    normal = _normal(key)
    if normal in NOT_PERSONAL_KEYS:
        return False
    return (
        normal in PERSONAL_KEYS_EXACT
        or normal in PERSONAL_OBJECTS
        or any(normal.endswith(ending) for ending in PERSONAL_KEY_ENDINGS)
    )


def is_secret_key(key: str) -> bool:
    normal = _normal(key)
    return any(part in normal for part in SECRET_KEY_PARTS)


_PREFECTURES = (
    "北海道|東京都|京都府|大阪府|(?:青森|岩手|宮城|秋田|山形|福島|茨城|栃木|群馬|埼玉|千葉|神奈川|新潟|富山|石川|福井|山梨"
    "|長野|岐阜|静岡|愛知|三重|滋賀|兵庫|奈良|和歌山|鳥取|島根|岡山|広島|山口|徳島|香川|愛媛|高知|福岡|佐賀|長崎|熊本|大分"
    "|宮崎|鹿児島|沖縄)県"
)
_KEY = r"[A-Za-z_][\w-]*"
_VALUE = r"\"[^\"]*\"|'[^']*'|[^\s,;&{}\[\]()]+"
TEXT_PATTERNS: list[tuple[re.Pattern, str]] = [
    # `Authorization: Bearer …`, `Token …`, Rakuten's `ESA …`, Basic auth.
    (re.compile(r"\b(Bearer|Token|Basic|ESA)\s+[A-Za-z0-9._~+/=|:-]{8,}", re.I), r"\1 " + REDACTED),
    # Our API keys (oms_<prefix>_<secret>), Amazon LWA tokens (Atza|…, Atzr|…), Fernet tokens (credentials).
    (re.compile(r"\boms_[A-Za-z0-9]+_[A-Za-z0-9_-]{8,}"), REDACTED),
    (re.compile(r"\bAtz[ar]\|[\w|.+/=-]+"), REDACTED),
    (re.compile(r"\bgAAAAA[\w-]{20,}={0,2}"), REDACTED),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), REDACTED),
    # Japanese phone numbers: 10 or 11 digits from 0, written together or in groups, or from +81.
    (
        re.compile(
            r"(?<![\w-])(?:0\d{9,10}|0\d{1,4}[-\s(（]\d{1,4}[-\s)）]\d{3,4}|\+81[-\s]?\d{1,4}[-\s]?\d{1,4}[-\s]?\d{3,4})(?![\w-])"
        ),
        REDACTED,
    ),
    (re.compile(r"(?<![\w-])〒?\s?\d{3}-\d{4}(?![\w-])"), REDACTED),
    (re.compile(rf"(?:{_PREFECTURES})[^\s\"',;、。)）\]}}]*"), REDACTED),
]
KEY_VALUE = re.compile(rf"(?P<key>[\"']?(?P<name>{_KEY})[\"']?\s*[:=]\s*)(?P<value>{_VALUE})")


@lru_cache(maxsize=1)
def _configured_secrets() -> tuple[str, ...]:
    """The secret values of this installation (settings), redacted wherever they appear."""
    from django.conf import settings

    values: list[str] = [settings.SECRET_KEY, *settings.OMS_ENCRYPTION_KEYS]
    for name in ("EMAIL_HOST_PASSWORD", "OMS_METRICS_TOKEN"):
        values.append(getattr(settings, name, "") or "")
    return tuple(sorted({v for v in values if isinstance(v, str) and len(v) >= 8}, key=len, reverse=True))


def _secrets() -> tuple[str, ...]:
    try:
        return _configured_secrets()
    except Exception:  # settings not configured yet (early start-up): nothing to compare with
        return ()


def _replace_pair(match: re.Match) -> str:
    name = match.group("name")
    if is_personal_key(name) or is_secret_key(name):
        value = match.group("value")
        quote = value[0] if value[:1] in "\"'" else ""
        return f"{match.group('key')}{quote}{REDACTED}{quote}"
    return match.group(0)


def redact_text(text: str) -> str:
    """`text` with recognisable personal data and secrets replaced by [redacted]."""
    if not text:
        return text
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, replacement in TEXT_PATTERNS:
        text = pattern.sub(replacement, text)
    return KEY_VALUE.sub(_replace_pair, text)


def redact_data(value):
    """A copy of JSON-like data with personal and secret keys' values replaced and strings redacted."""
    if isinstance(value, dict):
        return {
            key: REDACTED if is_personal_key(key) or is_secret_key(key) else redact_data(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_data(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def strip_personal(value, keep: Iterable[str] = ()):
    """A copy of a shop payload without its personal fields (their keys removed), everything else kept."""
    kept = {_normal(key) for key in keep}
    if isinstance(value, dict):
        return {
            key: strip_personal(item, keep)
            for key, item in value.items()
            if _normal(key) in kept or not is_personal_key(key)
        }
    if isinstance(value, list):
        return [strip_personal(item, keep) for item in value]
    return value


def strip_personal_xml(text: str) -> str:
    """An XML payload (Yahoo's order detail) without the elements that hold personal data.

    Raises ValueError for text that is not well-formed XML. DTDs are refused, so no entity can expand."""
    # Our own stored payloads; DTDs are refused below.
    import xml.etree.ElementTree as ET  # nosec B405

    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("XML with a DTD is refused")
    try:
        # DTDs refused above; expat resolves no external entities.
        root = ET.fromstring(text)  # noqa: S314  # nosec B314
    except ET.ParseError as exc:
        raise ValueError(f"XML is not well-formed ({exc})") from exc
    for parent in list(root.iter()):
        for child in list(parent):
            if is_personal_key(child.tag):
                parent.remove(child)
    return ET.tostring(root, encoding="unicode")


def replace_values(value, known: Iterable[str], replacement: str = REDACTED):
    """A copy of JSON-like data (or text) with every occurrence of the `known` strings replaced."""
    ordered = sorted({k for k in known if k}, key=len, reverse=True)
    if isinstance(value, dict):
        return {key: replace_values(item, ordered, replacement) for key, item in value.items()}
    if isinstance(value, list):
        return [replace_values(item, ordered, replacement) for item in value]
    if isinstance(value, str):
        for item in ordered:
            value = value.replace(item, replacement)
    return value
