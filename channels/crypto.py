"""Encryption of channel credentials at rest (Fernet; the key comes from the environment, see settings)."""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """The stored credentials were encrypted with a key this installation no longer has."""


def _fernet() -> MultiFernet:
    return MultiFernet(
        [Fernet(key.encode() if isinstance(key, str) else key) for key in settings.OMS_ENCRYPTION_KEYS]
    )


def encrypt_json(value: dict) -> str:
    return _fernet().encrypt(json.dumps(value, ensure_ascii=False).encode()).decode()


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "credentials were encrypted with another key (OMS_ENCRYPTION_KEYS)"
        ) from exc


def reencrypt(token: str) -> str:
    """The same credentials encrypted with the first (newest) key of OMS_ENCRYPTION_KEYS."""
    if not token:
        return token
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise CredentialsUnreadable(
            "credentials were encrypted with another key (OMS_ENCRYPTION_KEYS)"
        ) from exc
