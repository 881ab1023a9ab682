"""Dashboard routes. Every page and action is behind oms.roles (role_required); only the login page and
the language switch are open. tests/dashboard/test_access.py walks this list against the role matrix."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy
from django.views.i18n import set_language

from oms.dashboard import (
    views_bulk,
    views_fulfilment,
    views_home,
    views_inbox,
    views_orders,
    views_quarantine,
    views_slip,
    views_stock,
)
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
    # Bulk actions on the ticked orders of the list, run as jobs whose page follows their progress
    path("orders/bulk/confirm/", views_bulk.bulk_confirm, name="bulk_confirm"),
    path("orders/bulk/release-hold/", views_bulk.bulk_release, name="bulk_release"),
    path("orders/bulk/status/", views_bulk.bulk_status, name="bulk_status"),
    path("orders/bulk/picking/", views_bulk.bulk_picking, name="bulk_picking"),
    path("orders/bulk/labels/", views_bulk.bulk_labels, name="bulk_labels"),
    path("orders/bulk/<int:job_pk>/", views_bulk.bulk_job, name="bulk_job"),
    path("orders/bulk/<int:job_pk>/progress/", views_bulk.bulk_job_progress, name="bulk_job_progress"),
    path("orders/bulk/<int:job_pk>/download/", views_bulk.bulk_job_download, name="bulk_job_download"),
    # Fulfilment (warehouse): picking, packing slips, labels, 検品, tracking import
    path("fulfilment/", views_fulfilment.fulfilment, name="fulfilment"),
    path("fulfilment/picking/", views_fulfilment.picking_create, name="picking_create"),
    path(
        "fulfilment/batches/<int:batch_pk>/picking-list/",
        views_fulfilment.picking_list_download,
        name="picking_list_download",
    ),
    path(
        "fulfilment/batches/<int:batch_pk>/packing-slips/",
        views_fulfilment.packing_slips_download,
        name="packing_slips_download",
    ),
    path("fulfilment/labels/", views_fulfilment.labels_export_start, name="labels_export"),
    path("fulfilment/inspection/", views_fulfilment.inspection, name="inspection"),
    path("fulfilment/tracking/", views_fulfilment.tracking, name="tracking"),
    # Stock
    path("stock/", views_stock.stock, name="stock"),
    path("stock/adjust/", views_stock.stock_adjust_view, name="stock_adjust"),
    path("stock/import/", views_stock.stock_import, name="stock_import"),
    # Payloads that failed to import
    path("quarantine/", views_quarantine.quarantine, name="quarantine"),
    path("quarantine/<int:row_pk>/retry/", views_quarantine.quarantine_retry_view, name="quarantine_retry"),
    # Buyer inquiries (問い合わせ) from every shop: the list, a thread, its reply (previewed first), status/memo
    path("inbox/", views_inbox.inbox, name="inbox"),
    path("inbox/<int:thread_pk>/", views_inbox.inbox_thread, name="inbox_thread"),
    path("inbox/<int:thread_pk>/preview/", views_inbox.inbox_preview, name="inbox_preview"),
    path("inbox/<int:thread_pk>/reply/", views_inbox.inbox_reply, name="inbox_reply"),
    path("inbox/<int:thread_pk>/update/", views_inbox.inbox_update, name="inbox_update"),
    path(
        "inbox/<int:thread_pk>/replies/<int:message_pk>/settle/",
        views_inbox.inbox_reply_settle,
        name="inbox_reply_settle",
    ),
]
