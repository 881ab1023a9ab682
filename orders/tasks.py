"""Celery tasks of the orders app (thin: they call orders services)."""

from celery import shared_task

from orders.editing import orders_release_scheduled
from orders.intake import orders_allocate_waiting
from orders.privacy import orders_anonymise_due


@shared_task
def allocate_waiting_orders() -> int:
    return orders_allocate_waiting()


@shared_task
def release_scheduled_orders() -> int:
    return orders_release_scheduled()


@shared_task
def personal_data_anonymise_due() -> int:
    """Daily: anonymise buyer data past each channel's retention (orders.privacy)."""
    return orders_anonymise_due()
