"""3PL claims (出荷指示の引き取り): ready orders for a label, claimed in batches so two warehouse workers never
get the same order, and shipped with their tracking numbers through the one ship confirmation.

A claim is a row of oms.ShipmentClaim per order, taken with one statement: the candidate orders are
locked `FOR UPDATE SKIP LOCKED` (a concurrent claim skips them instead of waiting), and the claim rows are
an upsert that only overwrites an expired claim. An order whose claim a concurrent transaction committed
between our snapshot and our lock therefore conflicts on the upsert and is not returned: the claim set
returned is exactly the rows this statement wrote.
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.translation import gettext as _

from oms.models import ApiKey, ShipmentClaim
from orders.models import Order, OrderLine, OrderStatus, ShipTo
from shipping.models import Shipment
from shipping.services import ShipRefused, order_ship

S = OrderStatus
MAX_CLAIM_BATCH = 200
CLAIM_TRIES = 3
# {candidates}: the ORM's SELECT … FOR UPDATE SKIP LOCKED of the orders to claim; {table}: the claims table.
_CLAIM_SQL = """
WITH candidates (order_id) AS ({candidates})
INSERT INTO {table} (order_id, api_key_id, claimed_by, claimed_at, expires_at)
SELECT order_id, %s, %s, now(), now() + %s * interval '1 second' FROM candidates
ON CONFLICT (order_id) DO UPDATE SET
    api_key_id = EXCLUDED.api_key_id,
    claimed_by = EXCLUDED.claimed_by,
    claimed_at = EXCLUDED.claimed_at,
    expires_at = EXCLUDED.expires_at
WHERE {table}.expires_at <= now()
RETURNING order_id
"""


class ClaimedByAnother(ShipRefused):
    """Another 3PL worker holds an unexpired claim on the order."""


def claim_lifetime() -> timedelta:
    return timedelta(seconds=getattr(settings, "OMS_SHIPMENT_CLAIM_SECONDS", 1800))


def _ready(*, channel: str | None = None, carrier: str | None = None) -> QuerySet[Order]:
    orders = Order.objects.filter(status=S.READY)
    if channel:
        orders = orders.filter(channel__name=channel)
    if carrier:  # the order's own carrier, or its shop's default (shipping.labels.order_carrier_code)
        orders = orders.filter(
            Q(carrier__code=carrier) | Q(carrier__isnull=True, channel__default_carrier=carrier)
        )
    return orders


def _active_claim():
    return ShipmentClaim.objects.filter(order=OuterRef("pk"), expires_at__gt=Now())


def shipments_ready(
    *,
    channel: str | None = None,
    carrier: str | None = None,
    claim: str = "any",
    api_key: ApiKey | None = None,
    claimed_by: str = "",
) -> QuerySet[Order]:
    """Ready (印刷待ち) orders with what a label needs prefetched: channel, carrier, addresses, lines with
    SKUs, and their claim. `claim`: any, unclaimed (no unexpired claim), or mine (claimed by this caller)."""
    orders = (
        _ready(channel=channel, carrier=carrier)
        .select_related("channel", "carrier", "shipment_claim")
        .defer("raw_payload", "channel__credentials_encrypted")
        .prefetch_related(
            Prefetch("ship_tos", queryset=ShipTo.objects.order_by("pk")),
            Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("pk")),
        )
    )
    if claim == "unclaimed":
        orders = orders.filter(~Exists(_active_claim()))
    elif claim == "mine":
        mine = _active_claim().filter(**_claimant(api_key, claimed_by))
        orders = orders.filter(Exists(mine))
    return orders


def _claimant(api_key: ApiKey | None, claimed_by: str) -> dict:
    return (
        {"api_key": api_key} if api_key is not None else {"api_key__isnull": True, "claimed_by": claimed_by}
    )


def shipments_claim(
    *,
    limit: int,
    claimed_by: str,
    api_key: ApiKey | None = None,
    channel: str | None = None,
    carrier: str | None = None,
) -> list[int]:
    """Claim up to `limit` ready, unclaimed orders, oldest first, for this caller; returns their ids.

    One statement in its own transaction (module docstring): concurrent callers get disjoint batches."""
    limit = max(1, min(int(limit), MAX_CLAIM_BATCH))
    if not _skips_locked_rows():
        return _claim_serialised(
            limit=limit, claimed_by=claimed_by, api_key=api_key, channel=channel, carrier=carrier
        )
    table = ShipmentClaim._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        candidates = (
            _ready(channel=channel, carrier=carrier)
            .filter(~Exists(_active_claim()))
            .order_by("ordered_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:limit]
        )
        candidate_sql, params = (
            candidates.query.sql_with_params()
        )  # FOR UPDATE compiles only in a transaction
        sql = _CLAIM_SQL.format(candidates=candidate_sql, table=table)
        params = [*params, api_key.pk if api_key else None, claimed_by, claim_lifetime().total_seconds()]
        for _attempt in range(CLAIM_TRIES):
            # Each statement reads a fresh snapshot: an empty result caused only by claims committed between
            # our snapshot and our locks is retried, so "nothing claimed" means nothing is left to claim.
            cursor.execute(sql, params)
            claimed = sorted(row[0] for row in cursor.fetchall())
            if claimed:
                break
        return claimed


def _skips_locked_rows() -> bool:
    return connection.vendor == "postgresql"


def _claim_serialised(
    *, limit: int, claimed_by: str, api_key: ApiKey | None, channel: str | None, carrier: str | None
) -> list[int]:
    """The same claim for the embedded SQLite database (make run's default), which has neither SKIP LOCKED
    nor now(): SQLite lets one writer at a time, and a claim row another caller wrote first makes the
    conditional writes below skip that order, so callers still get disjoint batches."""
    now = timezone.now()
    with transaction.atomic():
        candidates = list(
            _ready(channel=channel, carrier=carrier)
            .filter(~Exists(_active_claim()))
            .order_by("ordered_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        claim = {
            "api_key": api_key,
            "claimed_by": claimed_by,
            "claimed_at": now,
            "expires_at": now + claim_lifetime(),
        }
        ShipmentClaim.objects.filter(order_id__in=candidates, expires_at__lte=now).update(**claim)
        ShipmentClaim.objects.bulk_create(
            [ShipmentClaim(order_id=pk, **claim) for pk in candidates], ignore_conflicts=True
        )
        mine = ShipmentClaim.objects.filter(
            order_id__in=candidates, claimed_at=now, **_claimant(api_key, claimed_by)
        )
        return sorted(mine.values_list("order_id", flat=True))


@transaction.atomic
def shipments_release(
    *, claimed_by: str, api_key: ApiKey | None = None, order_ids: list[int] | None = None
) -> int:
    """Give back this caller's claims (all, or on these orders); returns how many were released."""
    claims = ShipmentClaim.objects.filter(**_claimant(api_key, claimed_by))
    if order_ids is not None:
        claims = claims.filter(order_id__in=sorted(order_ids))
    deleted, _per_model = claims.delete()
    return deleted


@transaction.atomic
def order_ship_claimed(
    *,
    order: Order,
    parcels: list[tuple[str, str]],
    actor: str,
    api_key: ApiKey | None = None,
    shipped_at=None,
) -> list[Shipment]:
    """Ship an order through shipping.services.order_ship (stock consumed, shop told, mail queued), refusing
    an order another caller holds an unexpired claim on; the caller's own claim ends with the shipment."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    claim = ShipmentClaim.objects.filter(order=order, expires_at__gt=timezone.now()).first()
    if claim is not None and not _holds(claim, api_key, actor):
        raise ClaimedByAnother(
            _("Order %(order)s is claimed by another worker until %(until)s.")
            % {"order": order.external_id, "until": timezone.localtime(claim.expires_at).isoformat()}
        )
    shipments = order_ship(order=order, parcels=parcels, actor=actor, shipped_at=shipped_at)
    ShipmentClaim.objects.filter(order=order).delete()
    return shipments


def _holds(claim: ShipmentClaim, api_key: ApiKey | None, actor: str) -> bool:
    if api_key is not None:
        return claim.api_key_id == api_key.pk
    return claim.api_key_id is None and claim.claimed_by == actor
