"""Who is calling: an API key (`Authorization: Token <key>` or `Bearer <key>`) or a staff session."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from oms.actors import user_actor
from oms.api.keys import api_key_find, api_key_touch
from oms.models import ApiKey

KEYWORDS = ("token", "bearer")


class ApiKeyUser:
    """request.user for a call made with an API key: authenticated, never staff, named after the key."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key

    def get_username(self) -> str:
        return f"api:{self.api_key.name}"

    def __str__(self) -> str:
        return self.get_username()


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` (the DESIGN.md form) or `Authorization: Bearer <key>`.

    No Authorization header (or another scheme): not this class's business, the session may still
    authenticate. A header of these schemes with a wrong or revoked key: 401, whatever else is sent."""

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].decode("latin-1").lower() not in KEYWORDS:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Invalid Authorization header: send `Token <key>`."), code="invalid_authorization_header"
            )
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid API key."), code="invalid_api_key") from None
        api_key = api_key_find(raw_key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(_("Invalid API key."), code="invalid_api_key")
        if api_key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."), code="api_key_revoked")
        api_key_touch(api_key=api_key)
        return ApiKeyUser(api_key), api_key

    def authenticate_header(self, request) -> str:
        return 'Token realm="api"'


def request_actor(request) -> str:
    """How the audit trail and stock ledger name the caller: `api:<key name>` or `user:<username>`."""
    if isinstance(request.auth, ApiKey):
        return f"api:{request.auth.name}"
    return user_actor(request.user)


def request_user(request):
    """The Django user behind a session call (for `resolved_by` columns); None for API keys."""
    return None if isinstance(request.auth, ApiKey) else request.user
