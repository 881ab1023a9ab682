"""Webhook writes: subscriptions, the outbox rows written with each change, and delivering one row.

How an event is never lost
--------------------------
1. `emit` / `emit_batch` insert one WebhookDelivery row per (active subscription, event) with a single
   INSERT … SELECT, inside the caller's transaction: the row commits or rolls back with the change. The
   send task is enqueued on commit. Which events have any active subscription is cached
   (`active_events`), so a service whose events nobody wants pays one cache read and no query.
2. `delivery_attempt` claims the row in its own committed transaction, fenced by the attempts count (the
   mail outbox's pattern, notifications.services): `UPDATE … SET status='delivering',
   attempts=attempts+1 WHERE attempts=<token> AND status='pending'`, so two copies of one task message never
   both POST. The claim carries a lease.
3. It POSTs the signed body outside any transaction, to a checked public address only (oms.webhooks.transport:
   a receiver may not be an internal address), then records the attempt (status code, start of the
   answer) and settles the row: `delivered` on 2xx; else `pending` again with the next attempt after an
   exponential backoff, or `failed` after OMS_WEBHOOK_MAX_ATTEMPTS.
4. `deliveries_sweep` (beat) re-enqueues pending rows whose task message was lost, and puts rows whose
   lease ran out (the worker died during the POST) back to pending. Delivery is therefore at-least-once:
   receivers deduplicate on `X-OMS-Delivery`, which stays the same across attempts.
"""

import json
import logging
import random
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from channels.crypto import decrypt_json, encrypt_json
from oms.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from oms.webhooks.signing import signature_header
from oms.webhooks.transport import url_check, webhook_post

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status

ACTIVE_EVENTS_CACHE_KEY = "oms:webhooks:active-events"
ACTIVE_EVENTS_CACHE_SECONDS = 60
SWEEP_BATCH = 500
SECRET_PREFIX = "whsec_"  # noqa: S105  # nosec B105 # a prefix, not a secret
USER_AGENT = "OMS-Webhooks/1.0"


def _setting(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    return int(_setting("OMS_WEBHOOK_MAX_ATTEMPTS", 8))


def lease() -> timedelta:
    """Longer than the mail queue's hard time limit (90 s), so a live attempt is never taken for dead."""
    return timedelta(seconds=float(_setting("OMS_WEBHOOK_LEASE_SECONDS", 120.0)))


def retry_delay(attempts: int) -> float:
    """Seconds before the next attempt after `attempts` failed ones: 30 s, 1, 2, 4 min … capped at 1 h,
    with jitter so deliveries that failed together do not all return in the same second."""
    base = float(_setting("OMS_WEBHOOK_RETRY_BASE_SECONDS", 30.0))
    delay = min(base * 2 ** max(attempts - 1, 0), float(_setting("OMS_WEBHOOK_RETRY_MAX_SECONDS", 3600.0)))
    return delay * random.uniform(0.9, 1.1)


# ---- subscriptions -----------------------------------------------------------------------------------


def _active_events_key() -> str:
    # Named after the database too: two installations (or test runs) sharing one Redis never mix their answers.
    return f"{ACTIVE_EVENTS_CACHE_KEY}:{connection.settings_dict['NAME']}"


def _forget_active_events() -> None:
    """Now (this process sees its own change) and after the commit (others may have cached the old state
    in between)."""
    key = _active_events_key()
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def active_events() -> frozenset[str]:
    """The events at least one active subscription wants (cached for a minute, dropped on every change)."""
    events = cache.get(_active_events_key())
    if events is None:
        events = sorted(
            {
                event
                for subscribed in WebhookSubscription.objects.filter(active=True).values_list(
                    "events", flat=True
                )
                for event in subscribed
            }
        )
        cache.set(_active_events_key(), events, ACTIVE_EVENTS_CACHE_SECONDS)
    return frozenset(events)


def subscription_secret(subscription: WebhookSubscription) -> str:
    return decrypt_json(subscription.secret_encrypted)["secret"]


def _new_secret() -> tuple[str, str]:
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, encrypt_json({"secret": secret})


@transaction.atomic
def subscription_create(
    *, url: str, events: list[str], actor: str, name: str = "", active: bool = True
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret; the secret is returned this once and stored encrypted.
    Raises transport.AddressRefused when the URL's host is, or resolves to, an internal address."""
    url_check(url)
    secret, encrypted = _new_secret()
    subscription = WebhookSubscription.objects.create(
        name=name,
        url=url,
        events=sorted(set(events)),
        secret_encrypted=encrypted,
        active=active,
        created_by=actor,
    )
    _forget_active_events()
    return subscription, secret


@transaction.atomic
def subscription_update(*, subscription: WebhookSubscription, **changes) -> WebhookSubscription:
    """Change any of url, events, name, active. A new URL is checked as in subscription_create."""
    allowed = {"url", "events", "name", "active"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"cannot change {', '.join(sorted(unknown))}")
    if "url" in changes:
        url_check(changes["url"])
    if "events" in changes:
        changes["events"] = sorted(set(changes["events"]))
    for name, value in changes.items():
        setattr(subscription, name, value)
    subscription.save(update_fields=list(changes) or None)
    _forget_active_events()
    return subscription


@transaction.atomic
def subscription_rotate_secret(*, subscription: WebhookSubscription) -> str:
    """A new secret (returned once); deliveries signed from now on use it."""
    secret, subscription.secret_encrypted = _new_secret()
    subscription.save(update_fields=["secret_encrypted"])
    return secret


@transaction.atomic
def subscription_delete(*, subscription: WebhookSubscription) -> None:
    """Gone with its deliveries and their attempts."""
    subscription.delete()
    _forget_active_events()


# ---- the outbox --------------------------------------------------------------------------------------

_INSERT = """
INSERT INTO {table} (subscription_id, event, payload, dedupe_key, status, attempts, next_attempt_at,
                     last_error, created_at)
SELECT s.id, item->>0, item->1,
       CASE WHEN item->>2 IS NULL THEN '' ELSE (item->>2) || ':' || txid_current()::text END,
       'pending', 0, now(), '', now()
FROM jsonb_array_elements(%s::jsonb) AS items(item)
JOIN {subscriptions} AS s ON s.active AND s.events @> jsonb_build_array(item->>0)
ON CONFLICT (subscription_id, event, dedupe_key) WHERE NOT (dedupe_key = '')
DO UPDATE SET payload = EXCLUDED.payload
RETURNING id
"""


def _insert_portable(rows: list[list]) -> list[int]:
    """The outbox rows for the embedded SQLite database (make run's default), which lacks the JSON operators
    of _INSERT: the same rows, without merging repeated events of one transaction (each is delivered)."""
    subscriptions = list(WebhookSubscription.objects.filter(active=True).only("pk", "events"))
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=subscription,
            event=event,
            payload=json.loads(json.dumps(payload, cls=DjangoJSONEncoder)),
            next_attempt_at=now,
        )
        for event, payload, _key in rows
        for subscription in subscriptions
        if event in subscription.events
    )
    return [delivery.pk for delivery in deliveries]


def emit(event: str, payload) -> int:
    """Write the outbox rows of one event (see emit_batch); `payload` may be a function making it."""
    if event not in active_events():
        return 0
    return emit_batch([(event, payload() if callable(payload) else payload)])


def emit_batch(items, *, dedupe: list[str | None] | None = None) -> int:
    """Write one outbox row per (active subscription, item) in ONE query, and enqueue their delivery on
    commit. Returns how many rows were written. Items of events nobody subscribed to cost nothing.

    Call inside the transaction of the change, so the rows commit or roll back with it. `dedupe`, per
    item: a key that makes a second emit of the same key in the same transaction overwrite the first
    row's payload instead of adding a row. `items` may be a function making the list: it is called only
    when some subscription is active."""
    wanted = active_events()
    if not wanted:
        return 0
    if callable(items):
        items = items()
    dedupe = dedupe or [None] * len(items)
    rows = [
        [event, payload, key]
        for (event, payload), key in zip(items, dedupe, strict=True)
        if event in wanted and event in WebhookEvent.values
    ]
    if not rows:
        return 0
    if connection.vendor == "postgresql":
        sql = _INSERT.format(
            table=WebhookDelivery._meta.db_table, subscriptions=WebhookSubscription._meta.db_table
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [json.dumps(rows, cls=DjangoJSONEncoder, ensure_ascii=False)])
            ids = [row[0] for row in cursor.fetchall()]
    else:
        ids = _insert_portable(rows)
    if ids and _setting("OMS_WEBHOOK_TRIGGERS", True):
        transaction.on_commit(lambda ids=ids: _enqueue_many([(pk, 0) for pk in ids]))
    return len(ids)


def emit_stock_changed(*, sku_ids: set[int]) -> int:
    """`stock.changed` for each SKU, with its counters as they are now: one row per SKU and subscription per
    transaction, however often the transaction changes it (a later change overwrites the payload).

    Call inside the transaction that changed stock, after the change."""
    if not sku_ids or WebhookEvent.STOCK_CHANGED not in active_events():
        return 0
    from inventory.models import SKU
    from inventory.selectors import sku_free_stock, sku_stock_totals

    ids = sorted(sku_ids)
    codes = dict(SKU.objects.filter(pk__in=ids).values_list("pk", "code"))
    totals = sku_stock_totals(sku_ids=ids)
    free = sku_free_stock(sku_ids=ids)
    items, keys = [], []
    for sku_id in ids:
        total = totals.get(sku_id, {})
        payload = {
            "sku": codes.get(sku_id),
            "on_hand": total.get("on_hand", 0),
            "allocated": total.get("allocated", 0),
            "free": free.get(sku_id, 0),
        }
        items.append((WebhookEvent.STOCK_CHANGED.value, payload))
        keys.append(f"sku{sku_id}")
    return emit_batch(items, dedupe=keys)


def _enqueue_many(pairs: list[tuple[int, int]]) -> None:
    from oms.webhooks.tasks import webhook_deliver

    for delivery_id, attempts in pairs:
        webhook_deliver.delay(delivery_id, attempts)


# ---- delivering --------------------------------------------------------------------------------------


@dataclass
class AttemptOutcome:
    status: str  # "delivered", "retry", "failed", or "skipped" (the token did not match: not ours)
    attempts: int
    retry_in: float | None = None
    status_code: int | None = None


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The JSON document POSTed: the same bytes on every attempt of a delivery."""
    envelope = {
        "id": delivery.pk,
        "event": delivery.event,
        "created_at": timezone.localtime(delivery.created_at).isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(envelope, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":")).encode()


def delivery_claim(*, delivery_id: int, expected_attempts: int) -> WebhookDelivery | None:
    """Take a pending row for one attempt; None when it is not pending with `expected_attempts`.

    Call outside any transaction: the claim (and its lease) must be committed before the POST."""
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, attempts=expected_attempts, status=Status.PENDING
    ).update(
        status=Status.DELIVERING,
        attempts=F("attempts") + 1,
        lease_until=timezone.now() + lease(),
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)


def _post(delivery: WebhookDelivery) -> tuple[int | None, str, str]:
    """POST the delivery; (status code or None, start of the answer, error)."""
    body = delivery_body(delivery)
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-OMS-Event": delivery.event,
        "X-OMS-Delivery": str(delivery.pk),
        "X-OMS-Signature": signature_header(subscription_secret(delivery.subscription), body),
    }
    timeout = (
        float(_setting("OMS_WEBHOOK_CONNECT_TIMEOUT", 5.0)),
        float(_setting("OMS_WEBHOOK_READ_TIMEOUT", 10.0)),
    )
    return webhook_post(url=delivery.subscription.url, body=body, headers=headers, timeout=timeout)


def delivery_attempt(*, delivery_id: int, expected_attempts: int) -> AttemptOutcome:
    """One attempt: claim, POST, record. Call outside any transaction (module docstring)."""
    delivery = delivery_claim(delivery_id=delivery_id, expected_attempts=expected_attempts)
    if delivery is None:
        return AttemptOutcome(status="skipped", attempts=expected_attempts)
    started_at = timezone.now()
    clock = time.monotonic()
    if delivery.subscription.active:
        status_code, text, error = _post(delivery)
    else:
        status_code, text, error = None, "", "the subscription is not active"
    duration_ms = int((time.monotonic() - clock) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    final = not ok and (delivery.attempts >= max_attempts() or not delivery.subscription.active)
    if not ok and not error:
        error = f"HTTP {status_code}"
    retry_in = None if ok or final else retry_delay(delivery.attempts)
    now = timezone.now()
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started_at,
            duration_ms=duration_ms,
            status_code=status_code,
            response_body=text,
            error=error,
        )
        if ok:
            changes = {"status": Status.DELIVERED, "delivered_at": now, "last_error": ""}
        elif final:
            changes = {"status": Status.FAILED, "last_error": error}
        else:
            changes = {
                "status": Status.PENDING,
                "next_attempt_at": now + timedelta(seconds=retry_in),
                "last_error": error,
            }
        WebhookDelivery.objects.filter(
            pk=delivery.pk, attempts=delivery.attempts, status=Status.DELIVERING
        ).update(last_status_code=status_code, lease_until=None, **changes)
    if not ok:
        logger.info("webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, error[:200])
    status = "delivered" if ok else ("failed" if final else "retry")
    return AttemptOutcome(
        status=status, attempts=delivery.attempts, retry_in=retry_in, status_code=status_code
    )


@dataclass
class SweepResult:
    requeued: int = 0
    enqueued: int = 0
    failed: int = 0


def deliveries_sweep(*, grace: timedelta = timedelta(seconds=30)) -> SweepResult:
    """Beat's safety net. Rows still `delivering` after their lease belong to a worker that died: back to
    pending (or failed when out of attempts). Pending rows due for longer than `grace` lost their task
    message: enqueued again. A copy of a message still on its way is harmless (the claim is fenced)."""
    result = SweepResult()
    now = timezone.now()
    stale = list(
        WebhookDelivery.objects.filter(status=Status.DELIVERING, lease_until__lt=now)
        .order_by("pk")
        .values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    pairs: dict[int, int] = {}
    for delivery_id, attempts in stale:
        final = attempts >= max_attempts()
        moved = WebhookDelivery.objects.filter(
            pk=delivery_id, attempts=attempts, status=Status.DELIVERING
        ).update(
            status=Status.FAILED if final else Status.PENDING,
            next_attempt_at=now,
            lease_until=None,
            last_error="the worker stopped during the attempt; outcome unknown",
        )
        if moved and final:
            result.failed += 1
        elif moved:
            result.requeued += 1
            pairs[delivery_id] = attempts
    due = (
        WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now - grace)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", "attempts")[:SWEEP_BATCH]
    )
    pairs.update(due)
    _enqueue_many(sorted(pairs.items()))
    result.enqueued = len(pairs)
    return result


@transaction.atomic
def delivery_redeliver(*, delivery: WebhookDelivery) -> bool:
    """Send a failed (or delivered) delivery again, keeping its id and body; its attempts go on counting."""
    moved = WebhookDelivery.objects.filter(
        pk=delivery.pk, status__in=[Status.FAILED, Status.DELIVERED]
    ).update(status=Status.PENDING, next_attempt_at=timezone.now(), delivered_at=None)
    if moved:
        delivery.refresh_from_db()
        attempts = delivery.attempts
        transaction.on_commit(lambda: _enqueue_many([(delivery.pk, attempts)]))
    return bool(moved)
