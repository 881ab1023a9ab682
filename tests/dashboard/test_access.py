"""Every dashboard URL answers anonymous users with the login page, and each role with 200 or 403 as the
role matrix says: no page is left unprotected, and a new URL must be added to EXPECTED to pass."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from channels.models import QuarantinedPayload
from notifications.models import InquiryMessage, InquiryThread
from oms.models import BulkJob
from oms.roles import ADMINISTRATOR, CUSTOMER_SERVICE, OPERATOR, ROLES, WAREHOUSE, roles_for
from shipping.models import PickingBatch

pytestmark = pytest.mark.django_db

EVERYONE = frozenset(ROLES)
EDITORS = frozenset({ADMINISTRATOR, OPERATOR})
WAREHOUSE_ROLES = frozenset({ADMINISTRATOR, WAREHOUSE})
BULK_VIEWERS = frozenset({ADMINISTRATOR, OPERATOR, WAREHOUSE})
INBOX_ROLES = frozenset({ADMINISTRATOR, CUSTOMER_SERVICE})
# URL name -> the roles that may use it. Written out by hand, not derived from the views, so that a view
# guarded with the wrong capability fails here.
EXPECTED = {
    "home": EVERYONE,
    "status_counts": EVERYONE,
    "order_list": EVERYONE,
    "order_slip": EVERYONE,
    "password_change": EVERYONE,
    "password_change_done": EVERYONE,
    "ship_to_edit": EDITORS,
    "wishes_edit": EDITORS,
    "contact_edit": EDITORS,
    "hold_release": EDITORS,
    "hold_fix": EDITORS,
    "mark_paid": EDITORS,
    "merge": EDITORS,
    "split": EDITORS,
    "split_unallocated": EDITORS,
    # Bulk actions: operators confirm, release and change status; the warehouse prints and exports labels.
    "bulk_confirm": EDITORS,
    "bulk_release": EDITORS,
    "bulk_status": EDITORS,
    "bulk_picking": WAREHOUSE_ROLES,
    "bulk_labels": WAREHOUSE_ROLES,
    "bulk_job": BULK_VIEWERS,
    "bulk_job_progress": BULK_VIEWERS,
    "bulk_job_download": BULK_VIEWERS,
    "fulfilment": WAREHOUSE_ROLES,
    "picking_create": WAREHOUSE_ROLES,
    "picking_list_download": WAREHOUSE_ROLES,
    "packing_slips_download": WAREHOUSE_ROLES,
    "labels_export": WAREHOUSE_ROLES,
    "inspection": WAREHOUSE_ROLES,
    "tracking": WAREHOUSE_ROLES,
    "stock": EVERYONE,
    "stock_adjust": WAREHOUSE_ROLES,
    "stock_import": WAREHOUSE_ROLES,
    "quarantine": EDITORS,
    "quarantine_retry": EDITORS,
    # The inbox (問い合わせ): customer service only, never the warehouse.
    "inbox": INBOX_ROLES,
    "inbox_thread": INBOX_ROLES,
    "inbox_preview": INBOX_ROLES,
    "inbox_reply": INBOX_ROLES,
    "inbox_update": INBOX_ROLES,
    "inbox_reply_settle": INBOX_ROLES,
}
# Open to anyone: signing in and out, and choosing the language.
PUBLIC = {"login", "logout", "set_language"}
# Actions answer POST only; the walk posts to them (with no or minimal data).
POST_ONLY = {"hold_release", "hold_fix", "mark_paid", "merge", "split", "split_unallocated"}
POST_ONLY |= {"bulk_confirm", "bulk_release", "bulk_status", "bulk_picking", "bulk_labels"}
POST_ONLY |= {"picking_create", "labels_export", "stock_adjust", "quarantine_retry"}
POST_ONLY |= {"inbox_reply", "inbox_update", "inbox_reply_settle"}


def dashboard_patterns() -> dict[str, URLPattern]:
    resolver = next(
        p for p in get_resolver().url_patterns if isinstance(p, URLResolver) and p.namespace == "dashboard"
    )
    return {p.name: p for p in resolver.url_patterns if isinstance(p, URLPattern)}


def test_every_dashboard_url_is_classified():
    assert set(dashboard_patterns()) == set(EXPECTED) | PUBLIC


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_protected_view_declares_the_roles_of_the_matrix(name):
    view = dashboard_patterns()[name].callback
    assert getattr(view, "allowed_roles", None) == EXPECTED[name]


def test_the_matrix_gives_customer_service_and_warehouse_no_edits():
    assert CUSTOMER_SERVICE not in roles_for("orders_edit")
    assert WAREHOUSE not in roles_for("orders_edit") | roles_for("mails_view") | roles_for("settings")
    assert roles_for("settings") == {ADMINISTRATOR}


@pytest.fixture
def url_of(mismatched_order):
    hold = mismatched_order.holds.get(code="postcode_address_mismatch")
    job = BulkJob.objects.create(
        kind=BulkJob.Kind.LABELS,
        total=1,
        done=1,
        state=BulkJob.State.DONE,
        result=b"a,b\r\n",
        result_name="x.csv",
    )
    row = QuarantinedPayload.objects.create(
        channel=mismatched_order.channel,
        external_id="R-BROKEN",
        payload={"orderNumber": "R-BROKEN"},
        error="x",
    )
    thread = InquiryThread.objects.create(
        channel=mismatched_order.channel, external_id="T1", order=mismatched_order
    )
    values = {
        "pk": mismatched_order.pk,
        "ship_to_pk": mismatched_order.ship_tos.get().pk,
        "hold_pk": hold.pk,
        "job_pk": job.pk,
        "batch_pk": PickingBatch.objects.create(actor="test").pk,
        "row_pk": row.pk,
        "thread_pk": thread.pk,
        "message_pk": InquiryMessage.objects.create(
            thread=thread, direction="out", body="x", state="failed"
        ).pk,
    }

    def build(name: str) -> str:
        converters = dashboard_patterns()[name].pattern.converters
        return reverse(f"dashboard:{name}", kwargs={key: values[key] for key in converters})

    return build


def _request(client, name: str, url: str):
    return client.post(url) if name in POST_ONLY else client.get(url)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_anonymous_users_are_sent_to_the_login_page(client, url_of, name):
    url = url_of(name)

    response = _request(client, name, url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("dashboard:login") + "?next=")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_role_is_answered_as_the_matrix_says(login, url_of, name, role):
    client = login(role)

    response = _request(client, name, url_of(name))

    if role not in EXPECTED[name]:
        assert response.status_code == 403
    elif name in POST_ONLY:
        # An action redirects back to the slip, with a message saying what happened.
        assert response.status_code == 302
        assert not response.url.startswith(reverse("dashboard:login"))
    else:
        assert response.status_code == 200


def test_a_user_without_a_role_is_refused(client, django_user_model, clean_order):
    client.force_login(django_user_model.objects.create_user(username="nobody", password="x-long-password-1"))

    assert client.get(reverse("dashboard:home")).status_code == 403
    assert client.get(reverse("dashboard:order_slip", args=[clean_order.pk])).status_code == 403


def test_a_superuser_counts_as_an_administrator(client, django_user_model, clean_order):
    client.force_login(
        django_user_model.objects.create_superuser(username="root", password="x-long-password-1")
    )

    response = client.get(reverse("dashboard:order_slip", args=[clean_order.pk]))

    assert response.status_code == 200
    assert response.context["request"].can["settings"]


def test_the_login_and_language_pages_are_open(client):
    assert client.get(reverse("dashboard:login")).status_code == 200
    response = client.post(reverse("dashboard:set_language"), {"language": "en", "next": "/login/"})
    assert response.status_code == 302


def test_a_polling_fragment_after_the_session_ended_reloads_into_the_login_page(client):
    response = client.get(
        reverse("dashboard:status_counts"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/orders/?status=on_hold&page=2"},
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?next=%2Forders%2F%3Fstatus%3Don_hold%26page%3D2"
