"""Celery tasks of the outbox (thin: they take ids and call notifications.services)."""

import random
from datetime import timedelta

from celery import shared_task
from django.conf import settings

# The inbox's tasks live beside the shop calls they make; importing them here registers them with the
# worker (autodiscovery only imports each app's tasks module).
from channels import inquiry_tasks  # noqa: F401
from notifications.services import mail_send, mails_sweep

MAX_RETRIES = 5


def retry_countdown(retries: int) -> float:
    """Exponential backoff (30 s, 60 s, 2 min, 4 min, 8 min by default) with jitter, so mails that failed
    together do not all hit the recovering server in the same second."""
    base = getattr(settings, "OMS_MAIL_RETRY_BASE_SECONDS", 30.0)
    return base * 2**retries * random.uniform(0.8, 1.2)


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def send_outbound_mail(self, mail_id: int, expected_attempts: int) -> str:
    """`expected_attempts` is the claim token (notifications.services docstring); a retry carries the
    count after the failed attempt, so only the retry can claim the row next."""
    outcome = mail_send(
        mail_id=mail_id,
        expected_attempts=expected_attempts,
        final_attempt=self.request.retries >= MAX_RETRIES,
    )
    if outcome.retry:
        raise self.retry(args=[mail_id, outcome.attempts], countdown=retry_countdown(self.request.retries))
    return outcome.status


@shared_task
def send_pending_mails(lease_seconds: float | None = None, queued_seconds: float = 10.0) -> dict:
    """Beat's safety net: queued mails whose enqueue was lost, sends whose outcome is overdue."""
    lease = timedelta(seconds=lease_seconds) if lease_seconds is not None else None
    result = mails_sweep(queued_for=timedelta(seconds=queued_seconds), lease=lease)
    return result.__dict__
