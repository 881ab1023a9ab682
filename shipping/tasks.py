"""Celery tasks of the shipping app (thin: they take ids and call shipping.services)."""

from datetime import timedelta

from celery import shared_task
from django.db.models import F, Q
from django.utils import timezone

from channels.adapters.base import AdapterError, AuthError
from shipping.labels.prepared import labels_prepare
from shipping.models import Shipment
from shipping.services import shipment_push, shipment_push_failed

MAX_PUSH_RETRIES = 8
MAX_PUSH_ATTEMPTS = 1 + MAX_PUSH_RETRIES
SWEEP_GRACE = timedelta(minutes=5)


@shared_task(bind=True, acks_late=True, max_retries=None)  # the attempts are counted on the shipment
def push_shipment(self, shipment_id: int) -> str:
    shipment = Shipment.objects.select_related("order__channel", "carrier").filter(pk=shipment_id).first()
    if shipment is None or shipment.pushed_at is not None:
        return "nothing to do"
    # Counted in the row, not by Celery: a try started by the safety-net sweep continues the same count.
    Shipment.objects.filter(pk=shipment_id).update(push_attempts=F("push_attempts") + 1, push_retry_at=None)
    attempts = Shipment.objects.values_list("push_attempts", flat=True).get(pk=shipment_id)
    try:
        return shipment_push(shipment=shipment)
    except AdapterError as exc:
        final = isinstance(exc, AuthError) or attempts >= MAX_PUSH_ATTEMPTS
        countdown = min(2 ** (attempts - 1) * 5, 600)
        retry_at = None if final else timezone.now() + timedelta(seconds=countdown)
        shipment_push_failed(shipment=shipment, error=str(exc), final=final, retry_at=retry_at)
        if final:
            raise
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task
def push_pending_shipments() -> int:
    """Safety net: parcels whose report to the shop never went out (a lost enqueue) or whose scheduled retry
    is long overdue (a lost retry) are sent again. A retry still waiting, or a parcel given up, is left."""
    cutoff = timezone.now() - SWEEP_GRACE
    stale = Shipment.objects.filter(pushed_at__isnull=True, push_attempts__lt=MAX_PUSH_ATTEMPTS).filter(
        Q(push_attempts=0, created_at__lt=cutoff) | Q(push_retry_at__lt=cutoff)
    )
    stale_ids = list(stale.values_list("pk", flat=True))
    for shipment_id in stale_ids:
        push_shipment.delay(shipment_id)
    return len(stale_ids)


@shared_task
def prepare_labels() -> int:
    """Build the labels of orders waiting for shipment ahead of the export (shipping.labels.prepared)."""
    return labels_prepare()
