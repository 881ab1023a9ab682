"""API key writes and the check of a presented key. Only a SHA-256 hash of a key is ever stored.

A key has 256 bits of randomness, so one unsalted SHA-256 is enough (nothing to brute-force); the
comparison is constant-time all the same.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.models import ApiKey, Scope

KEY_PREFIX = "oms"
# last_used_at is for people ("is this integration still alive?"): a write per minute per key is enough.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class ApiKeyRefused(ValueError):
    """The key cannot be made as asked; the message says why, for a person."""


def key_hash(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def scopes_parse(text: str) -> list[str]:
    """`orders:read, stock:read` → ['orders:read', 'stock:read']; refuses unknown scopes and an empty list."""
    scopes = [part.strip() for part in text.split(",") if part.strip()]
    unknown = sorted(set(scopes) - set(Scope.values))
    if unknown:
        raise ApiKeyRefused(
            _("Unknown scopes: %(unknown)s. Known scopes: %(known)s.")
            % {"unknown": ", ".join(unknown), "known": ", ".join(Scope.values)}
        )
    if not scopes:
        raise ApiKeyRefused(_("Give at least one scope."))
    return list(dict.fromkeys(scopes))


@transaction.atomic
def api_key_create(*, name: str, scopes: list[str], actor: str = "") -> tuple[ApiKey, str]:
    """Make a key; returns the row and the key itself, which exists nowhere else from now on."""
    name = name.strip()
    if not name:
        raise ApiKeyRefused(_("Give the key a name."))
    scopes = scopes_parse(",".join(scopes))
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    name=name, prefix=prefix, key_hash=key_hash(raw_key), scopes=scopes, created_by=actor
                )
        except IntegrityError:  # the 32-bit prefix collided with an existing key: draw again
            continue
        return api_key, raw_key
    raise ApiKeyRefused(_("Could not draw a unique key prefix; try again."))


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Refuse the key from now on. Revoking a revoked key keeps its first revocation time."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def api_key_find(raw_key: str) -> ApiKey | None:
    """The key row a presented key belongs to (revoked ones included), or None for a wrong key."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    api_key = ApiKey.objects.filter(prefix=parts[1]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, key_hash(raw_key)):
        return None
    return api_key


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record that the key was used, at most once a minute (one UPDATE, no read)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
