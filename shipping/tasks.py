"""Celery tasks of the shipping app (thin: they take ids and call shipping.services)."""

from celery import shared_task

from channels.adapters.base import AdapterError, AuthError
from shipping.models import Shipment
from shipping.services import shipment_push, shipment_push_failed

MAX_PUSH_RETRIES = 8


@shared_task(bind=True, acks_late=True, max_retries=MAX_PUSH_RETRIES)
def push_shipment(self, shipment_id: int) -> str:
    shipment = Shipment.objects.select_related("order__channel", "carrier").filter(pk=shipment_id).first()
    if shipment is None or shipment.pushed_at is not None:
        return "nothing to do"
    Shipment.objects.filter(pk=shipment_id).update(push_attempts=shipment.push_attempts + 1)
    try:
        return shipment_push(shipment=shipment)
    except AdapterError as exc:
        final = isinstance(exc, AuthError) or self.request.retries >= MAX_PUSH_RETRIES
        shipment_push_failed(shipment=shipment, error=str(exc), final=final)
        if final:
            raise
        raise self.retry(exc=exc, countdown=min(2**self.request.retries * 5, 600)) from exc


@shared_task
def push_pending_shipments() -> int:
    """Safety net: parcels whose report to the shop never went out (a lost enqueue) are sent again."""
    from datetime import timedelta

    from django.utils import timezone

    stale = Shipment.objects.filter(
        pushed_at__isnull=True,
        push_attempts__lt=MAX_PUSH_RETRIES,
        created_at__lt=timezone.now() - timedelta(minutes=5),
    ).values_list("pk", flat=True)
    for shipment_id in stale:
        push_shipment.delay(shipment_id)
    return len(stale)
