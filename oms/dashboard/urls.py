"""Dashboard routes. Every page and action is behind oms.roles (role_required); only the login page and
the language switch are open. tests/dashboard/test_access.py walks this list against the role matrix."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.i18n import set_language

from oms.dashboard import views_home, views_orders, views_slip
from oms.roles import ROLES, role_required

app_name = "dashboard"

signed_in = role_required(*ROLES)

urlpatterns = [
    # Session auth. django-axes counts failed logins and locks an account and address out for a while.
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="dashboard/login.html",
            redirect_authenticated_user=True,
            next_page=reverse_lazy("dashboard:home"),
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("dashboard:login")), name="logout"),
    path(
        "password/",
        signed_in(
            auth_views.PasswordChangeView.as_view(
                template_name="dashboard/password_change.html",
                success_url=reverse_lazy("dashboard:password_change_done"),
            )
        ),
        name="password_change",
    ),
    path(
        "password/done/",
        signed_in(
            auth_views.PasswordChangeDoneView.as_view(template_name="dashboard/password_change_done.html")
        ),
        name="password_change_done",
    ),
    path("i18n/setlang/", set_language, name="set_language"),
    # Home
    path("", views_home.home, name="home"),
    path("status-counts/", views_home.status_counts, name="status_counts"),
    # Orders
    path("orders/", views_orders.order_list, name="order_list"),
    path("orders/<int:pk>/", views_slip.order_slip, name="order_slip"),
    path("orders/<int:pk>/ship-to/<int:ship_to_pk>/edit/", views_slip.ship_to_edit, name="ship_to_edit"),
    path("orders/<int:pk>/wishes/edit/", views_slip.wishes_edit, name="wishes_edit"),
    path("orders/<int:pk>/contact/edit/", views_slip.contact_edit, name="contact_edit"),
    path("orders/<int:pk>/holds/<int:hold_pk>/release/", views_slip.hold_release, name="hold_release"),
    path("orders/<int:pk>/holds/<int:hold_pk>/fix/", views_slip.hold_fix, name="hold_fix"),
    path("orders/<int:pk>/mark-paid/", views_slip.mark_paid, name="mark_paid"),
    path("orders/<int:pk>/merge/", views_slip.merge, name="merge"),
    path("orders/<int:pk>/split/", views_slip.split, name="split"),
    path("orders/<int:pk>/split-unallocated/", views_slip.split_unallocated, name="split_unallocated"),
]
