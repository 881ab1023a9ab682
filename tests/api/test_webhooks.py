"""Webhooks: subscription endpoints, the outbox written with each change, signed delivery to a real receiver
on loopback, retries with backoff, the sweep that recovers deliveries a dead worker left behind, and the
refusal of internal receiver addresses (at subscription and at every delivery)."""

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from channels.adapters.base import CanonicalAddress, CanonicalLine, CanonicalOrder
from inventory.services import stock_adjust
from oms.celery import app as celery_app
from oms.webhooks import transport
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from oms.webhooks.services import (
    deliveries_sweep,
    delivery_attempt,
    subscription_create,
    subscription_secret,
)
from oms.webhooks.signing import signature_header, signature_verify
from oms.webhooks.tasks import webhook_deliver
from orders.intake import orders_import
from orders.services import order_hold_add
from shipping.models import Carrier
from tests.api.conftest import make_order

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


class Receiver:
    """An HTTP receiver on 127.0.0.1 that verifies each POST's signature with the subscription's secret and
    answers the next status of `answers` (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.secret = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {
                        "headers": dict(self.headers),
                        "body": body,
                        "verified": signature_verify(receiver.secret, body, self.headers["X-OMS-Signature"]),
                    }
                )
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answer {status}".encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(settings):
    """A receiver on 127.0.0.1, which production refuses: these tests allow private addresses explicitly."""
    settings.OMS_WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def subscribe(receiver):
    def make(*events: str, url: str | None = None) -> WebhookSubscription:
        subscription, secret = subscription_create(url=url or receiver.url, events=list(events), actor="test")
        receiver.secret = secret
        return subscription

    return make


@pytest.fixture
def eager_celery():
    """Tasks run in this process when enqueued (the delivery task, the sweep's re-enqueue)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def admin_api(make_client):
    return make_client("webhooks:manage", name="erp")


# ---- subscription endpoints ------------------------------------------------------------------------------


def test_creating_a_subscription_answers_its_secret_once(admin_api):
    response = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://erp.example.jp/hooks", "events": ["order.created", "order.shipped"]},
        format="json",
    )
    listed = admin_api.get("/api/v1/webhooks/").json()["results"]
    detail = admin_api.get(f"/api/v1/webhooks/{response.json()['id']}/").json()

    assert response.status_code == 201
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    subscription = WebhookSubscription.objects.get()
    assert subscription_secret(subscription) == secret
    assert secret not in subscription.secret_encrypted  # stored encrypted
    assert "secret" not in listed[0] and "secret" not in detail
    assert detail["events"] == ["order.created", "order.shipped"]


def test_a_subscription_can_be_changed_paused_and_deleted(admin_api, subscribe):
    subscription = subscribe("order.created")

    changed = admin_api.patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"events": ["stock.changed"], "active": False}, format="json"
    )
    deleted = admin_api.delete(f"/api/v1/webhooks/{subscription.pk}/")

    assert changed.status_code == 200
    assert changed.json()["events"] == ["stock.changed"] and changed.json()["active"] is False
    assert deleted.status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_rotating_the_secret_answers_the_new_one(admin_api, subscribe):
    subscription = subscribe("order.created")
    old = subscription_secret(subscription)

    response = admin_api.post(f"/api/v1/webhooks/{subscription.pk}/rotate-secret/")

    assert response.status_code == 200
    subscription.refresh_from_db()
    assert response.json()["secret"] == subscription_secret(subscription) != old


def test_unknown_events_and_non_http_urls_are_refused(admin_api):
    response = admin_api.post(
        "/api/v1/webhooks/", {"url": "ftp://example.jp/x", "events": ["order.exploded"]}, format="json"
    )

    assert response.status_code == 400
    assert {problem["field"] for problem in response.json()["error"]["details"]} == {"url", "events.0"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/webhooks/"),
        ("post", "/api/v1/webhooks/"),
        ("get", "/api/v1/webhooks/1/"),
        ("patch", "/api/v1/webhooks/1/"),
        ("delete", "/api/v1/webhooks/1/"),
        ("post", "/api/v1/webhooks/1/rotate-secret/"),
        ("get", "/api/v1/webhooks/1/deliveries/"),
        ("post", "/api/v1/webhooks/1/deliveries/1/redeliver/"),
    ],
)
def test_every_webhook_endpoint_needs_webhooks_manage(make_client, method, path):
    all_but = make_client("orders:read", "orders:write", "shipments:write", "stock:read", "stock:write")

    refused = getattr(all_but, method)(path, {}, format="json")
    anonymous = getattr(APIClient(), method)(path, {}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "missing_scope"
    assert anonymous.status_code == 401


def test_an_unknown_subscription_is_a_404(admin_api):
    assert admin_api.get("/api/v1/webhooks/424242/").status_code == 404


# ---- the outbox ------------------------------------------------------------------------------------------


def _canonical(n: int) -> CanonicalOrder:
    return CanonicalOrder(
        external_id=f"100001-20261126-{n:08d}",
        ordered_at=timezone.now(),
        updated_at=None,
        cancelled=False,
        buyer_name=f"顧客 {n}号",
        buyer_kana="コキャク",
        buyer_email=f"c{n}@example.jp",
        buyer_phone="090-1234-5678",
        payment_method="credit_card",
        paid=True,
        subtotal=2980,
        shipping_fee=0,
        payment_fee=0,
        discount=0,
        total=2980,
        remarks="ギフト包装お願いします" if n == 2 else "",
        is_gift=False,
        delivery_date=None,
        delivery_time="",
        ship_tos=[
            CanonicalAddress(
                name=f"顧客 {n}号",
                postal_code="100-0001",
                prefecture="東京都",
                city="千代田区",
                address1=f"千代田{n}-1",
                phone="090-1234-5678",
                external_id="1",
            )
        ],
        lines=[CanonicalLine("1", "honey", "HONEY-300G", "はちみつ", 1, 2980)],
    )


def _outbox_inserts(queries) -> int:
    return sum(
        'INSERT INTO "oms_webhookdelivery"' in q["sql"] or "INSERT INTO oms_webhookdelivery" in q["sql"]
        for q in queries
    )


def test_an_imported_page_writes_its_events_in_one_query(shop, subscribe):
    channel, _skus = shop
    subscribe("order.created", "order.held")

    with CaptureQueriesContext(connection) as queries:
        orders_import(channel=channel, items=[(_canonical(n), {}) for n in range(1, 4)])

    assert _outbox_inserts(queries.captured_queries) == 1
    created = WebhookDelivery.objects.filter(event="order.created").order_by("pk")
    assert [d.payload["external_id"] for d in created] == [f"100001-20261126-{n:08d}" for n in range(1, 4)]
    held = [d.payload for d in WebhookDelivery.objects.filter(event="order.held")]
    holds = {(p["order"]["external_id"], p["hold"]["code"]) for p in held}
    assert ("100001-20261126-00000002", "remarks") in holds
    created_by_number = {d.payload["external_id"]: d.payload for d in created}
    assert "remarks" in created_by_number["100001-20261126-00000002"]["holds"]  # order.created lists holds


def test_without_subscriptions_an_import_writes_no_outbox_row_and_no_query(shop):
    channel, _skus = shop
    orders_import(channel=channel, items=[(_canonical(1), {})])  # warms the subscription cache

    with CaptureQueriesContext(connection) as queries:
        orders_import(channel=channel, items=[(_canonical(n), {}) for n in range(5, 8)])

    assert not any("webhook" in q["sql"] for q in queries.captured_queries)
    assert not WebhookDelivery.objects.exists()


def test_only_subscribed_events_are_written(shop, subscribe):
    channel, _skus = shop
    subscribe("order.shipped")
    subscribe("order.created")

    orders_import(channel=channel, items=[(_canonical(1), {})])

    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["order.created"]


def test_the_embedded_database_writes_the_same_outbox_rows(shop, subscribe, monkeypatch):
    """SQLite (make run's default) lacks the JSON operators of the one-query insert: same rows, portably."""
    channel, _skus = shop
    subscribe("order.created")
    subscribe("order.created", "order.held")
    monkeypatch.setattr(connection, "vendor", "sqlite")

    orders_import(channel=channel, items=[(_canonical(n), {}) for n in range(1, 3)])
    monkeypatch.undo()

    created = WebhookDelivery.objects.filter(event="order.created").order_by("pk")
    assert created.count() == 4  # two orders, two subscriptions
    assert {d.payload["external_id"] for d in created} == {f"100001-20261126-{n:08d}" for n in (1, 2)}
    assert {d.status for d in created} == {"pending"}
    from orders.models import Hold

    held = WebhookDelivery.objects.filter(event="order.held")
    assert held.count() == Hold.objects.count() > 0  # one per hold: only the second subscription wants them


def test_a_rolled_back_change_leaves_no_outbox_row(shop, subscribe):
    channel, skus = shop
    subscribe("order.held")
    order = make_order(channel, skus["HONEY-300G"])

    with pytest.raises(RuntimeError), transaction.atomic():
        order_hold_add(order=order, code="remarks", actor="test")
        assert WebhookDelivery.objects.count() == 1  # written in the change's transaction
        raise RuntimeError("the change fails after the hold was added")

    assert not WebhookDelivery.objects.exists()


def test_a_hold_writes_order_held(shop, subscribe):
    channel, skus = shop
    subscribe("order.held")
    order = make_order(channel, skus["HONEY-300G"])

    order_hold_add(order=order, code="phone_invalid", actor="test")

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "order.held"
    assert delivery.payload["hold"]["code"] == "phone_invalid"
    assert delivery.payload["order"]["id"] == order.pk


def test_stock_changes_write_one_row_per_sku_per_transaction_with_the_last_state(
    shop, subscribe, on_postgres
):
    _channel, skus = shop
    subscribe("stock.changed")

    with transaction.atomic():
        stock_adjust(sku=skus["HONEY-300G"], delta=5, actor="test")
        stock_adjust(sku=skus["HONEY-300G"], delta=-2, actor="test")
        stock_adjust(sku=skus["TSHIRT-BLK-M"], delta=1, actor="test")

    rows = {d.payload["sku"]: d.payload for d in WebhookDelivery.objects.all()}
    assert rows == {
        "HONEY-300G": {"sku": "HONEY-300G", "on_hand": 13, "allocated": 0, "free": 13},
        "TSHIRT-BLK-M": {"sku": "TSHIRT-BLK-M", "on_hand": 11, "allocated": 0, "free": 11},
    }


def test_shipping_through_the_api_writes_order_shipped(make_client, shop, subscribe):
    Carrier.objects.get_or_create(code="yamato", defaults={"name": "ヤマト運輸"})
    channel, skus = shop
    subscribe("order.shipped")
    order = make_order(channel, skus["HONEY-300G"])

    make_client("shipments:write").post(
        f"/api/v1/orders/{order.pk}/shipments/",
        {"parcels": [{"carrier": "yamato", "tracking_number": "444413758703"}]},
        format="json",
    )

    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "order.shipped"
    assert delivery.payload["order"]["status"] == "shipped"
    assert delivery.payload["parcels"][0]["tracking_number"] == "444413758703"


# ---- delivering ------------------------------------------------------------------------------------------


def test_a_committed_change_is_delivered_signed_to_the_receiver(
    shop, subscribe, receiver, eager_celery, django_capture_on_commit_callbacks
):
    channel, skus = shop
    subscription = subscribe("order.held")
    order = make_order(channel, skus["HONEY-300G"])

    with django_capture_on_commit_callbacks(execute=True):
        order_hold_add(order=order, code="remarks", actor="test")

    [request] = receiver.requests
    delivery = WebhookDelivery.objects.get()
    assert request["verified"]
    assert request["headers"]["X-OMS-Event"] == "order.held"
    assert request["headers"]["X-OMS-Delivery"] == str(delivery.pk)
    body = json.loads(request["body"])
    assert body["id"] == delivery.pk and body["event"] == "order.held"
    assert body["data"]["order"]["external_id"] == order.external_id
    assert not signature_verify("whsec_wrong", request["body"], request["headers"]["X-OMS-Signature"])
    assert delivery.status == Status.DELIVERED and delivery.subscription == subscription
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.response_body) == (200, "answer 200")


def test_a_500_is_retried_later_and_then_delivered(shop, subscribe, receiver):
    channel, skus = shop
    subscribe("order.held")
    order = make_order(channel, skus["HONEY-300G"])
    order_hold_add(order=order, code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()
    receiver.answers = [500]

    first = delivery_attempt(delivery_id=delivery.pk, expected_attempts=0)
    delivery.refresh_from_db()
    pending = (delivery.status, delivery.last_status_code, delivery.next_attempt_at)
    stale = delivery_attempt(delivery_id=delivery.pk, expected_attempts=0)  # an old copy of the message
    second = delivery_attempt(delivery_id=delivery.pk, expected_attempts=first.attempts)

    assert first.status == "retry" and 20 <= first.retry_in <= 40
    assert pending[0] == Status.PENDING and pending[1] == 500 and pending[2] > timezone.now()
    assert stale.status == "skipped"
    assert second.status == "delivered"
    assert [(a.number, a.status_code) for a in WebhookAttempt.objects.order_by("number")] == [
        (1, 500),
        (2, 200),
    ]
    assert all(r["verified"] for r in receiver.requests) and len(receiver.requests) == 2
    assert len({r["headers"]["X-OMS-Delivery"] for r in receiver.requests}) == 1


def test_the_task_retries_until_the_receiver_accepts(shop, subscribe, receiver, eager_celery):
    channel, skus = shop
    subscribe("order.held")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()
    receiver.answers = [500, 503]

    webhook_deliver.delay(delivery.pk, 0)  # eager: each retry runs at once instead of after its backoff

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert [a.status_code for a in delivery.attempt_log.order_by("number")] == [500, 503, 200]


def test_after_the_last_attempt_the_delivery_fails(shop, subscribe, receiver, settings):
    settings.OMS_WEBHOOK_MAX_ATTEMPTS = 2
    channel, skus = shop
    subscribe("order.held")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()
    receiver.answers = [500, 500]

    delivery_attempt(delivery_id=delivery.pk, expected_attempts=0)
    last = delivery_attempt(delivery_id=delivery.pk, expected_attempts=1)

    delivery.refresh_from_db()
    assert last.status == "failed" and last.retry_in is None
    assert (delivery.status, delivery.attempts, delivery.last_error) == (Status.FAILED, 2, "HTTP 500")


def test_an_unreachable_receiver_is_recorded_and_retried(shop, subscribe):
    channel, skus = shop
    subscribe("order.held", url="http://127.0.0.1:9/nothing-listens-here")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()

    outcome = delivery_attempt(delivery_id=delivery.pk, expected_attempts=0)

    attempt = delivery.attempt_log.get()
    assert outcome.status == "retry"
    assert attempt.status_code is None and "ConnectionError" in attempt.error


def test_the_sweep_redelivers_what_a_dead_worker_left(shop, subscribe, receiver, eager_celery):
    channel, skus = shop
    subscribe("order.held")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()
    # The worker claimed the row and died during the POST: the row is `delivering` with its lease run out.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.DELIVERING, attempts=1, lease_until=timezone.now() - timedelta(seconds=1)
    )

    result = deliveries_sweep()

    delivery.refresh_from_db()
    assert (result.requeued, result.enqueued) == (1, 1)
    assert delivery.status == Status.DELIVERED and delivery.attempts == 2
    assert receiver.requests and receiver.requests[0]["verified"]


def test_the_sweep_sends_pending_rows_whose_task_was_lost(shop, subscribe, receiver, eager_celery):
    channel, skus = shop
    subscribe("order.held")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))

    result = deliveries_sweep()

    assert result.enqueued == 1
    assert WebhookDelivery.objects.get().status == Status.DELIVERED


def test_deliveries_are_listed_with_their_attempts_and_can_be_sent_again(
    admin_api, shop, subscribe, receiver
):
    channel, skus = shop
    subscription = subscribe("order.held")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()
    receiver.answers = [500]
    delivery_attempt(delivery_id=delivery.pk, expected_attempts=0)

    listed = admin_api.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/?status=pending").json()["results"]
    too_early = admin_api.post(f"/api/v1/webhooks/{subscription.pk}/deliveries/{delivery.pk}/redeliver/")

    assert listed[0]["id"] == delivery.pk
    assert listed[0]["attempt_log"][0]["status_code"] == 500
    assert listed[0]["attempt_log"][0]["response_body"] == "answer 500"
    assert too_early.status_code == 409 and too_early.json()["error"]["code"] == "not_redeliverable"


# ---- signatures ------------------------------------------------------------------------------------------


def test_a_signature_fails_for_another_body_or_an_old_timestamp():
    body = b'{"id":1}'
    header = signature_header("whsec_x", body, timestamp=1_800_000_000)

    assert signature_verify("whsec_x", body, header, now=1_800_000_100)
    assert not signature_verify("whsec_x", b'{"id":2}', header, now=1_800_000_100)
    assert not signature_verify("whsec_x", body, header, now=1_800_000_000 + 301)
    assert not signature_verify("whsec_x", body, "v1=abc", now=1_800_000_000)


# ---- admin -----------------------------------------------------------------------------------------------


def test_a_subscription_made_in_the_admin_shows_its_secret_once(admin_client):
    response = admin_client.post(
        "/admin/oms/webhooksubscription/add/",
        {"name": "ERP", "url": "https://erp.example.jp/hooks", "events": ["order.created"], "active": "on"},
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    secret = subscription_secret(subscription)
    assert secret in response.content.decode()
    assert subscription.events == ["order.created"] and subscription.created_by
    assert (
        secret
        not in admin_client.get(f"/admin/oms/webhooksubscription/{subscription.pk}/change/").content.decode()
    )


# ---- internal addresses ----------------------------------------------------------------------------------

INTERNAL_URLS = [
    ("http://127.0.0.1:8000/metrics", "loopback"),
    ("http://localhost:8000/metrics", "loopback"),  # a name: checked on what it resolves to
    ("http://[::1]:8000/metrics", "loopback"),
    ("http://[::ffff:127.0.0.1]:8000/metrics", "loopback"),  # IPv4-mapped IPv6
    ("http://10.0.0.5/hooks", "private"),
    ("http://172.16.3.4/hooks", "private"),
    ("http://192.168.1.10/hooks", "private"),
    ("http://100.64.0.1/hooks", "private"),  # carrier-grade NAT
    ("http://[fd00::1]/hooks", "private"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),  # cloud metadata
    ("http://[fe80::1]/hooks", "link-local"),
    ("http://224.0.0.1/hooks", "multicast"),
    ("http://[ff02::1]/hooks", "multicast"),
    ("http://240.0.0.1/hooks", "reserved"),
    ("http://0.0.0.0:8000/hooks", "unspecified"),
    ("http://[::]:8000/hooks", "unspecified"),
]


@pytest.fixture
def dns(monkeypatch):
    """Names the webhook transport resolves, and to what: {"hooks.example.jp": "127.0.0.1"} (no real DNS)."""
    answers: dict[str, str] = {}
    resolve = transport._resolve

    def fake(host, port):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return resolve(host, port)

    monkeypatch.setattr(transport, "_resolve", fake)
    return answers


@pytest.mark.parametrize(("url", "kind"), INTERNAL_URLS)
def test_a_subscription_to_an_internal_address_is_refused(admin_api, url, kind):
    response = admin_api.post("/api/v1/webhooks/", {"url": url, "events": ["order.created"]}, format="json")

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert (error["field"], error["details"][0]["code"]) == ("url", "address_not_public")
    assert f"a {kind} address" in error["message"]
    assert not WebhookSubscription.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused(admin_api, dns):
    dns["erp.example.jp"] = "10.1.2.3"

    response = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://erp.example.jp/hooks", "events": ["order.created"]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "erp.example.jp resolves to 10.1.2.3, a private address; webhooks can only be sent to public addresses."
    )


def test_a_public_address_and_a_name_that_does_not_resolve_yet_are_accepted(admin_api, dns):
    dns["erp.example.jp"] = "203.0.114.7"

    public = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://erp.example.jp/hooks", "events": ["order.created"]},
        format="json",
    )
    unresolved = admin_api.post(
        "/api/v1/webhooks/",
        {"url": "https://new-erp.invalid/hooks", "events": ["order.created"]},
        format="json",
    )

    assert public.status_code == unresolved.status_code == 201


def test_changing_a_url_to_an_internal_address_is_refused(admin_api, dns):
    dns["erp.example.jp"] = "203.0.114.7"
    subscription, _secret = subscription_create(
        url="https://erp.example.jp/hooks", events=["order.created"], actor="test"
    )

    response = admin_api.patch(
        f"/api/v1/webhooks/{subscription.pk}/", {"url": "http://127.0.0.1:8000/metrics"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["code"] == "address_not_public"
    subscription.refresh_from_db()
    assert subscription.url == "https://erp.example.jp/hooks"


def test_the_admin_refuses_an_internal_address(admin_client):
    response = admin_client.post(
        "/admin/oms/webhooksubscription/add/",
        {"name": "x", "url": "http://169.254.169.254/latest/", "events": ["order.created"], "active": "on"},
    )

    assert response.status_code == 200  # the form again, with the error
    assert "address_not_public" in [
        e.code for e in response.context["adminform"].form.errors.as_data()["url"]
    ]
    assert not WebhookSubscription.objects.exists()


def test_the_internal_server_that_was_subscribed_is_never_contacted_nor_shown(
    shop, subscribe, receiver, settings, admin_api
):
    """The review's case: a subscription to an internal server (made before the check, or while it was
    allowed) no longer makes the OMS fetch it and show its answer."""
    channel, skus = shop
    subscription = subscribe("order.held")
    settings.OMS_WEBHOOK_ALLOW_PRIVATE = False
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    delivery = WebhookDelivery.objects.get()

    outcome = delivery_attempt(delivery_id=delivery.pk, expected_attempts=0)

    listed = admin_api.get(f"/api/v1/webhooks/{subscription.pk}/deliveries/").json()["results"]
    [attempt] = listed[0]["attempt_log"]
    assert receiver.requests == []
    assert outcome.status == "retry"  # a failed attempt like any other: the URL may be corrected meanwhile
    assert (attempt["status_code"], attempt["response_body"]) == (None, "")
    assert attempt["error"].startswith("refused: 127.0.0.1 is a loopback address")
    assert listed[0]["last_error"] == attempt["error"]


def test_a_name_that_resolves_elsewhere_at_delivery_time_is_refused(shop, receiver, settings, dns):
    """DNS rebinding: public when subscribed, loopback when delivered. The address connected to is checked."""
    settings.OMS_WEBHOOK_ALLOW_PRIVATE = False
    channel, skus = shop
    port = receiver.server.server_address[1]
    dns["hooks.example.jp"] = "203.0.114.7"
    subscription_create(url=f"http://hooks.example.jp:{port}/hooks", events=["order.held"], actor="test")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")
    dns["hooks.example.jp"] = "127.0.0.1"

    outcome = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk, expected_attempts=0)

    attempt = WebhookAttempt.objects.get()
    assert outcome.status == "retry" and receiver.requests == []
    assert attempt.error.startswith("refused: hooks.example.jp (127.0.0.1) is a loopback address")


def test_a_delivery_connects_to_the_address_it_checked(shop, subscribe, receiver, dns):
    """The name is resolved once, by the check, and that address is the one connected to (the system's DNS
    does not know the name at all); the request still names the host."""
    channel, skus = shop
    port = receiver.server.server_address[1]
    dns["receiver.invalid"] = "127.0.0.1"
    subscribe("order.held", url=f"http://receiver.invalid:{port}/hooks")
    order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")

    outcome = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk, expected_attempts=0)

    assert outcome.status == "delivered"
    assert receiver.requests[0]["headers"]["Host"] == f"receiver.invalid:{port}"
    assert receiver.requests[0]["verified"]


class StallingReceiver:
    """Answers 200 with a body far longer than is kept, sends its first 64 KB and then stalls until closed."""

    def __init__(self):
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(50_000_000))
                self.end_headers()
                try:
                    self.wfile.write(("<p>内部の秘密</p>" * 5000).encode()[:65536])
                    self.wfile.flush()
                except OSError:
                    return
                receiver.release.wait(10)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_only_the_start_of_a_long_answer_is_read(shop, settings):
    """Reading the whole 50 MB (or waiting for it) would run into the 1 s read timeout and lose the status."""
    settings.OMS_WEBHOOK_ALLOW_PRIVATE = True
    settings.OMS_WEBHOOK_READ_TIMEOUT = 1.0
    stalling = StallingReceiver()
    try:
        channel, skus = shop
        subscription_create(url=stalling.url, events=["order.held"], actor="test")
        order_hold_add(order=make_order(channel, skus["HONEY-300G"]), code="remarks", actor="test")

        outcome = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk, expected_attempts=0)
    finally:
        stalling.close()

    attempt = WebhookAttempt.objects.get()
    assert outcome.status == "delivered" and attempt.error == ""
    assert len(attempt.response_body) == 2000
    assert attempt.response_body.startswith("<p>内部の秘密</p>") and "\ufffd" not in attempt.response_body


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("2002:7f00:1::", "loopback"),  # 6to4 carrying 127.0.0.1
        ("fec0::1", "private"),  # site-local (deprecated)
        ("255.255.255.255", "reserved"),
        ("8.8.8.8", None),
        ("2001:4860:4860::8888", None),
        ("::ffff:8.8.8.8", None),
    ],
)
def test_address_kinds(address, kind):
    import ipaddress

    assert transport.address_kind(ipaddress.ip_address(address)) == kind
