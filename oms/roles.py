"""Staff roles: the four Django groups, what each may do in the dashboard, and the check every view makes.

An administrator may do everything (a superuser counts as one). The other roles get the capabilities
listed in CAPABILITIES; a page or action names the capability it needs, answers 403 without it, and the
templates hide its links and buttons through `request.can` (set by the check).
"""

from functools import wraps
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.contrib.auth.models import Group, Permission
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "administrator"
OPERATOR = "operator"
WAREHOUSE = "warehouse"
CUSTOMER_SERVICE = "customer_service"
ROLES = (ADMINISTRATOR, OPERATOR, WAREHOUSE, CUSTOMER_SERVICE)
ROLE_LABELS = {
    ADMINISTRATOR: _("Administrator"),
    OPERATOR: _("Operator"),
    WAREHOUSE: _("Warehouse"),
    CUSTOMER_SERVICE: _("Customer service"),
}

# The permission matrix: capability -> the roles that have it besides the administrator.
CAPABILITIES: dict[str, frozenset[str]] = {
    # Status tabs, order list, order slip, channel health.
    "orders_view": frozenset({OPERATOR, WAREHOUSE, CUSTOMER_SERVICE}),
    # Ship-to, wishes and contact edits, the one-click fix, merge (同梱), split (分割), payment, status.
    "orders_edit": frozenset({OPERATOR}),
    "holds_release": frozenset({OPERATOR}),
    # Customer mails on the slip; sending or resending them.
    "mails_view": frozenset({OPERATOR, CUSTOMER_SERVICE}),
    "mails_send": frozenset({OPERATOR}),
    # Picking lists, packing slips (納品書), scan-to-verify (検品), label CSV, tracking import.
    "fulfilment": frozenset({WAREHOUSE}),
    "stock_view": frozenset({OPERATOR, WAREHOUSE, CUSTOMER_SERVICE}),
    "stock_adjust": frozenset({WAREHOUSE}),
    # Payloads a shop sent that could not be imported, and retrying them.
    "quarantine": frozenset({OPERATOR}),
    # Buyer messages (問い合わせ) and replies.
    "inquiries": frozenset({CUSTOMER_SERVICE}),
    # The Django admin: channels, carriers, mail templates, hold rules, users.
    "settings": frozenset(),
}


def roles_for(capability: str) -> frozenset[str]:
    """Every role that has `capability`, the administrator included."""
    return CAPABILITIES[capability] | {ADMINISTRATOR}


@transaction.atomic
def roles_ensure() -> dict[str, bool]:
    """Create the four role groups if missing (idempotent; returns {role: created}). The administrator
    group holds every model permission, so an administrator who is not a superuser can use the Django
    admin (with is_staff); the other roles hold none: the admin is for settings, and settings are theirs
    only through the dashboard's capabilities."""
    created = {}
    for role in ROLES:
        group, created[role] = Group.objects.get_or_create(name=role)
        if role == ADMINISTRATOR:
            group.permissions.set(Permission.objects.all())
    return created


def user_roles(user) -> frozenset[str]:
    """The roles of a user: their role groups; a superuser is an administrator."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset({ADMINISTRATOR})
    return frozenset(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def user_capabilities(roles: frozenset[str]) -> dict[str, bool]:
    """{capability: allowed} for templates: `{% if request.can.orders_edit %}`."""
    return {capability: bool(roles & roles_for(capability)) for capability in CAPABILITIES}


def _annotate(request) -> frozenset[str]:
    """Work out the user's roles once per request, and what the templates may show."""
    if not hasattr(request, "roles"):
        request.roles = user_roles(request.user)
        request.can = user_capabilities(request.roles)
    return request.roles


def _to_login(request):
    login_url = reverse("dashboard:login")
    if request.headers.get("HX-Request"):
        # An htmx fragment (status polling) must not swap a login form into the page: reload it instead.
        current = urlsplit(request.headers.get("HX-Current-URL", "/"))
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{login_url}?{urlencode({'next': urlunsplit(('', '', *current[2:]))})}"
        return response
    return redirect_to_login(request.get_full_path(), login_url)


def forbidden(request) -> HttpResponse:
    return render(request, "dashboard/forbidden.html", status=403)


def role_required(*roles: str):
    """View decorator: anonymous users go to the login page; signed-in users without one of `roles`
    (or administrator) get 403. The allowed roles are kept on the view as `allowed_roles`, so tests can
    walk the URLconf and check every page against the matrix."""
    allowed = frozenset(roles) | {ADMINISTRATOR}
    unknown = allowed - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _to_login(request)
            if not _annotate(request) & allowed:
                return forbidden(request)
            return view(request, *args, **kwargs)

        wrapped.allowed_roles = allowed
        return wrapped

    return decorator


def capability_required(capability: str):
    """role_required for the roles that have `capability` in the matrix."""
    return role_required(*roles_for(capability))


class RoleRequiredMixin:
    """The same check for class-based views: set `allowed_roles` (or `capability`) on the view."""

    allowed_roles: tuple[str, ...] = ()
    capability: str | None = None

    @classmethod
    def as_view(cls, **initkwargs):
        roles = roles_for(cls.capability) if cls.capability else cls.allowed_roles
        return role_required(*roles)(super().as_view(**initkwargs))
