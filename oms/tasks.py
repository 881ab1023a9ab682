"""Celery tasks of the dashboard (thin: they load the row by id and call a service)."""

from celery import shared_task

from oms.dashboard.bulk import bulk_job_run as run
from oms.webhooks import tasks as webhook_tasks  # noqa: F401  (registers the webhook tasks with the worker)


@shared_task
def bulk_job_run(job_id: int) -> None:
    """Run a bulk action on orders ticked in the order list (oms.dashboard.bulk)."""
    run(job_id=job_id)


@shared_task
def prune_idempotency_keys() -> int:
    """Forget API idempotency keys past their keeping time (oms.api.idempotency)."""
    from oms.api.idempotency import idempotency_keys_prune

    return idempotency_keys_prune()
