"""Celery tasks of the orders app (thin: they call orders services)."""

from celery import shared_task

from orders.editing import orders_release_scheduled
from orders.intake import orders_allocate_waiting


@shared_task
def allocate_waiting_orders() -> int:
    return orders_allocate_waiting()


@shared_task
def release_scheduled_orders() -> int:
    return orders_release_scheduled()
