"""Replies from the inbox out to the shops (Yahoo externalTalkAdd, Rakuten reply.post, Amazon mail to the
relay address), each posted once; closing a thread in the shop; the sweep that retries and settles.

The states and why a reply cannot go out twice: notifications.inquiry_services (module docstring).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from channels.adapters.base import AdapterError, AuthError
from channels.adapters.inquiries import ReplyOutcomeUnknown, ReplyRefused, ReplyRequest, inquiry_adapter_for
from channels.services import channel_record_failure
from notifications.inquiry_selectors import (
    inquiry_last_inbound_id,
    replies_due,
    replies_pending_before,
    replies_sending_before,
)
from notifications.inquiry_sending import (
    max_attempts,
    reply_claim,
    reply_mark_failed,
    reply_mark_sent,
    retry_delay,
    send_lease,
    unknown_outcome_text,
    verify_delay,
)
from notifications.models import InquiryMessage, InquiryThread
from oms.actors import SYSTEM

logger = logging.getLogger(__name__)
VERIFY_SKEW = timedelta(minutes=2)  # the shop's clock against ours, when a reply is looked for by time
SWEEP_BATCH = 200


@dataclass(frozen=True)
class ReplyOutcome:
    status: str  # "sent", "skipped" (someone else has the reply at another token), "failed"
    attempts: int
    retry_at: datetime | None = None  # when to try again (None: no automatic retry)
    error: str = ""


def inquiry_reply_send(*, message_id: int, expected_attempts: int) -> ReplyOutcome:
    """One attempt at one reply: claim it, look for it in the shop when the last attempt's outcome was
    unknown, else post it; then mark it. Call outside any transaction (the claim commits first)."""
    reply = reply_claim(message_id=message_id, expected_attempts=expected_attempts)
    if reply is None:
        return ReplyOutcome("skipped", expected_attempts)
    thread = reply.thread
    adapter = inquiry_adapter_for(thread.channel)
    if problems := adapter.reply_problems(reply.body):
        return _failed(reply, "; ".join(problems), retry=False)
    try:
        if reply.outcome_unknown and adapter.can_verify_replies:
            since = reply.created_at - VERIFY_SKEW
            found = adapter.find_reply(thread_external_id=thread.external_id, body=reply.body, since=since)
            if found is not None:
                logger.info("inquiry reply %s was in the shop already: not posted again", reply.pk)
                reply_mark_sent(
                    reply=reply, external_id=found.external_id, sent_at=found.sent_at, actor=SYSTEM
                )
                return ReplyOutcome("sent", reply.attempts)
        posted = adapter.post_reply(_request(reply, thread))
    except ReplyRefused as exc:
        return _failed(reply, f"ショップが返信を受け付けませんでした: {exc}", retry=False)
    except ReplyOutcomeUnknown as exc:
        if adapter.can_verify_replies:
            return _failed(reply, f"{exc}（ショップで確認してから再試行します）", retry=True, unknown=True)
        return _failed(reply, unknown_outcome_text(reply, str(exc)), retry=False, unknown=True)
    except AuthError as exc:
        channel_record_failure(channel=thread.channel, error=f"inquiry reply: {exc}", auth=True)
        return _failed(reply, f"認証エラー: {exc}", retry=True)
    except AdapterError as exc:
        return _failed(reply, str(exc), retry=True, unknown=reply.outcome_unknown)
    reply_mark_sent(reply=reply, external_id=posted.external_id, sent_at=posted.sent_at, actor=SYSTEM)
    return ReplyOutcome("sent", reply.attempts)


def _request(reply: InquiryMessage, thread: InquiryThread) -> ReplyRequest:
    return ReplyRequest(
        thread_external_id=thread.external_id,
        body=reply.body,
        buyer_contact=thread.buyer_contact,
        subject=thread.subject,
        external_order_id=thread.external_order_id,
        reply_key=reply.reply_key,
        in_reply_to=inquiry_last_inbound_id(thread=thread),
    )


def _failed(reply: InquiryMessage, error: str, *, retry: bool, unknown: bool = False) -> ReplyOutcome:
    """Mark the attempt failed; a retry waits the backoff (and, after an unknown outcome, until the shop
    can be read back). After the last attempt a person decides."""
    retry_at = None
    if retry and reply.attempts < max_attempts():
        wait = retry_delay(reply.attempts)
        retry_at = timezone.now() + (max(wait, verify_delay()) if unknown else wait)
    elif retry:
        error = f"送信を中止しました（{reply.attempts} 回目）: {error}"
    logger.warning("inquiry reply %s attempt %d failed: %s", reply.pk, reply.attempts, error[:300])
    marked = reply_mark_failed(reply=reply, error=error, retry_at=retry_at, outcome_unknown=unknown)
    return ReplyOutcome("failed", reply.attempts, retry_at if marked else None, error)


def inquiry_shop_complete(*, thread: InquiryThread) -> None:
    """Tell the shop the thread is done (Rakuten inquiries/complete, Yahoo externalTalkComplete)."""
    replied = thread.messages.filter(direction="out", state=InquiryMessage.State.SENT).exists()
    inquiry_adapter_for(thread.channel).complete(thread_external_id=thread.external_id, replied=replied)
    InquiryThread.objects.filter(pk=thread.pk).update(shop_completed=True)


@dataclass(frozen=True)
class SweepResult:
    enqueued: list[tuple[int, int]]  # (message id, attempts token) to send now
    settled: int  # replies found `sending` past the lease


def inquiry_replies_sweep(*, now: datetime | None = None, queued_for: timedelta | None = None) -> SweepResult:
    """Beat's safety net: pending replies whose enqueue was lost, failed ones due for a retry, and replies
    `sending` longer than the lease (the worker died): these are settled like an unknown outcome."""
    now = now or timezone.now()
    settled = 0
    for reply in replies_sending_before(moment=now - send_lease(), limit=SWEEP_BATCH):
        adapter = inquiry_adapter_for(reply.thread.channel)
        cause = "送信中に処理が止まりました"
        if adapter.can_verify_replies:
            settled += reply_mark_failed(reply=reply, error=cause, retry_at=now, outcome_unknown=True)
        else:
            text = unknown_outcome_text(reply, cause)
            settled += reply_mark_failed(reply=reply, error=text, retry_at=None, outcome_unknown=True)
    due = replies_pending_before(moment=now - (queued_for or timedelta(seconds=10)), limit=SWEEP_BATCH)
    due += replies_due(moment=now, limit=SWEEP_BATCH)
    return SweepResult(enqueued=due, settled=settled)
