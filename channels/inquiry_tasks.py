"""Celery tasks of the inquiry inbox (thin: they take ids, load the row, call a service).

Beat runs poll_all_inquiries and send_pending_inquiry_replies (oms.settings CELERY_BEAT_SCHEDULE).
"""

import logging

from celery import shared_task

from channels.adapters.base import AdapterError
from channels.inquiry_push import inquiry_replies_sweep, inquiry_reply_send, inquiry_shop_complete
from channels.inquiry_sync import inquiries_poll
from channels.models import Channel
from notifications.models import InquiryThread

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def poll_inquiries(channel_id: int) -> dict:
    channel = Channel.objects.filter(pk=channel_id, enabled=True).first()
    if channel is None:
        return {"skipped": "disabled or deleted"}
    return inquiries_poll(channel=channel).__dict__


@shared_task
def poll_all_inquiries() -> list[int]:
    """One poll task per enabled channel, so a slow shop never delays another."""
    channel_ids = list(Channel.objects.filter(enabled=True).order_by("pk").values_list("pk", flat=True))
    for channel_id in channel_ids:
        poll_inquiries.delay(channel_id)
    return channel_ids


@shared_task(acks_late=True)
def send_inquiry_reply(message_id: int, expected_attempts: int) -> str:
    """`expected_attempts` is the claim token (notifications.inquiry_services); a retry is enqueued for its
    time with the token after the failed attempt, and the sweep re-enqueues any retry that got lost."""
    outcome = inquiry_reply_send(message_id=message_id, expected_attempts=expected_attempts)
    if outcome.retry_at is not None:
        send_inquiry_reply.apply_async(args=[message_id, outcome.attempts], eta=outcome.retry_at)
    return outcome.status


@shared_task
def send_pending_inquiry_replies() -> dict:
    """Beat's safety net for replies (inquiry_replies_sweep)."""
    result = inquiry_replies_sweep()
    for message_id, attempts in result.enqueued:
        send_inquiry_reply.delay(message_id, attempts)
    return {"enqueued": len(result.enqueued), "settled": result.settled}


@shared_task(bind=True, acks_late=True, max_retries=5)
def complete_inquiry_in_shop(self, thread_id: int) -> str:
    thread = InquiryThread.objects.select_related("channel").filter(pk=thread_id).first()
    if thread is None or thread.shop_completed:
        return "skipped"
    try:
        inquiry_shop_complete(thread=thread)
    except AdapterError as exc:
        logger.warning("inquiry %s not completed in the shop: %s", thread_id, exc)
        raise self.retry(countdown=60 * 2**self.request.retries) from exc
    return "completed"
