"""Celery tasks of the webhook outbox (thin: ids in, oms.webhooks.services called). Queue: `mail`."""

from datetime import timedelta

from celery import shared_task

from oms.webhooks.services import deliveries_sweep, delivery_attempt


@shared_task(acks_late=True)
def webhook_deliver(delivery_id: int, expected_attempts: int) -> str:
    """One attempt; a failure that may be retried schedules the next one after its backoff.
    `expected_attempts` is the claim token (oms.webhooks.services docstring)."""
    outcome = delivery_attempt(delivery_id=delivery_id, expected_attempts=expected_attempts)
    if outcome.retry_in is not None:
        webhook_deliver.apply_async(args=[delivery_id, outcome.attempts], countdown=outcome.retry_in)
    return outcome.status


@shared_task
def webhook_sweep(grace_seconds: float = 30.0) -> dict:
    """Beat's safety net: deliveries whose task was lost or whose worker died are sent again."""
    return deliveries_sweep(grace=timedelta(seconds=grace_seconds)).__dict__
