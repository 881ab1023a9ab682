"""Scopes: each view names the one scope it needs; API keys must hold it, staff sessions hold them all."""

from django.utils.translation import gettext as _
from rest_framework import exceptions, permissions

from oms.models import ApiKey


class HasScope(permissions.BasePermission):
    """Allows the call when the API key holds `view.required_scope`, or the session user is active staff.

    Anonymous callers get 401 (DRF turns a False for an unauthenticated request into NotAuthenticated);
    an authenticated caller without the right gets 403 with a code saying why."""

    def has_permission(self, request, view) -> bool:
        scope = getattr(view, "required_scope", None)
        if scope is None:  # a view that forgot to declare its scope is closed, not open
            return False
        if isinstance(request.auth, ApiKey):
            if request.auth.has_scope(scope):
                return True
            raise exceptions.PermissionDenied(
                _("This API key does not have the scope %(scope)s.") % {"scope": scope}, code="missing_scope"
            )
        user = request.user
        if user is None or not user.is_authenticated:
            return False
        if user.is_active and user.is_staff:
            return True
        raise exceptions.PermissionDenied(
            _("Only staff users may use the API with a session."), code="staff_only"
        )
