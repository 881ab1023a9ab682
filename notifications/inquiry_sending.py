"""The sending states of a reply from the inbox (pending, sending, sent, failed): claim, mark, retry timing,
and the staff's way out of an unknown outcome. channels.inquiry_push makes the shop calls in between.

How a reply is never posted twice
---------------------------------
A reply is an InquiryMessage (direction out) that starts `pending`; `reply_claim` takes it for one attempt
with a conditional UPDATE on its attempts count (the fencing token every task message carries, as the mail
outbox does in notifications.services): of two copies of one task only one wins, a stale one never.
The attempt posts once (channels.inquiry_push). Then:
- accepted: `sent`, with the shop's message id; only now is the reply shown as sent.
- refused (too long, a link the shop does not take): `failed` for good, the error is shown.
- not sent (connection refused, SMTP 4xx): `failed`, tried again at `retry_at`.
- unknown (a timeout or a broken answer after posting): `failed` with outcome_unknown. Where the shop can be
  read back (Yahoo, Rakuten), the next attempt first looks for the reply in the thread (no sooner than
  OMS_INQUIRY_VERIFY_AFTER_SECONDS, so a slow post has landed) and only posts when it is not there.
  Amazon's relay cannot be read back: the reply waits for a person (再送 or 送信済みにする).
A reply `sending` for longer than the lease (the worker died) is settled the same way by the sweep.
The poll matches the shop's copy of a reply to ours by body (inquiry_import), so it is never shown twice.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import InquiryMessage, InquiryThread
from oms.actors import SYSTEM
from orders.services import event_record

logger = logging.getLogger(__name__)
Status = InquiryThread.Status
State = InquiryMessage.State
OUT = InquiryMessage.Direction.OUT
UNKNOWN_OUTCOME = "送信結果不明"


def _setting(name: str, default):
    return getattr(settings, name, default)


def send_reply_after_commit(message_id: int, attempts: int) -> None:
    """Enqueue the send once committed (robust: a broker outage must not fail the request; the sweep
    sends it later). OMS_INQUIRY_TRIGGERS = False leaves sending to the sweep alone (tests)."""
    if _setting("OMS_INQUIRY_TRIGGERS", True):
        transaction.on_commit(lambda: _enqueue(message_id, attempts), robust=True)


def _enqueue(message_id: int, attempts: int, eta: datetime | None = None) -> None:
    from channels.inquiry_tasks import send_inquiry_reply

    send_inquiry_reply.apply_async(args=[message_id, attempts], eta=eta)


def reply_claim(*, message_id: int, expected_attempts: int) -> InquiryMessage | None:
    """Take the reply for one attempt; None when it is not pending/failed-with-retry at that token.

    Call outside any transaction: the claim must be committed before the reply goes out."""
    claimed = (
        InquiryMessage.objects.filter(pk=message_id, direction=OUT, attempts=expected_attempts)
        .filter(Q(state=State.PENDING) | Q(state=State.FAILED, retry_at__isnull=False))
        .update(state=State.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now(), retry_at=None)
    )
    if not claimed:
        return None
    return InquiryMessage.objects.select_related("thread", "thread__channel", "thread__order").get(
        pk=message_id
    )


@transaction.atomic
def reply_mark_sent(*, reply: InquiryMessage, external_id: str, sent_at: datetime | None, actor: str) -> bool:
    """The shop accepted the reply. Fenced by the attempt: a reply someone else moved on is left alone.
    A reply the poll already matched to the shop's copy keeps that id."""
    current = InquiryMessage.objects.select_for_update().get(pk=reply.pk)
    if current.attempts != reply.attempts or current.state not in (State.SENDING, State.FAILED):
        return False
    duplicate = (
        external_id
        and InquiryMessage.objects.filter(thread_id=reply.thread_id, external_id=external_id)
        .exclude(pk=reply.pk)
        .exists()
    )
    if duplicate:
        # The poll stored the shop's copy as a message of its own before it could be matched: ours is it.
        InquiryMessage.objects.filter(thread_id=reply.thread_id, external_id=external_id).exclude(
            pk=reply.pk
        ).delete()
    InquiryMessage.objects.filter(pk=reply.pk).update(
        state=State.SENT,
        external_id=current.external_id or external_id,
        sent_at=sent_at or timezone.now(),
        error="",
        retry_at=None,
        outcome_unknown=False,
    )
    reply_after_sent(thread_id=reply.thread_id, reply=reply, actor=actor)
    return True


def reply_after_sent(*, thread_id: int, reply: InquiryMessage, actor: str) -> None:
    thread = InquiryThread.objects.select_related("order").get(pk=thread_id)
    if thread.status != Status.CLOSED:
        InquiryThread.objects.filter(pk=thread_id).update(
            status=Status.REPLIED, last_message_at=timezone.now(), updated_at=timezone.now()
        )
    if thread.order_id:
        event_record(
            order=thread.order,
            kind="inquiry_reply_sent",
            actor=actor,
            message=f"問い合わせに返信しました: {thread.subject}",
            after={"thread_id": thread.pk, "message_id": reply.pk},
        )


@transaction.atomic
def reply_mark_failed(
    *, reply: InquiryMessage, error: str, retry_at: datetime | None, outcome_unknown: bool = False
) -> bool:
    """The attempt failed. `retry_at` None: no automatic retry (a person decides; the order gets an event)."""
    marked = InquiryMessage.objects.filter(pk=reply.pk, attempts=reply.attempts, state=State.SENDING).update(
        state=State.FAILED, error=error[:2000], retry_at=retry_at, outcome_unknown=outcome_unknown
    )
    if marked and retry_at is None:
        thread = InquiryThread.objects.select_related("order").get(pk=reply.thread_id)
        if thread.order_id:
            event_record(
                order=thread.order,
                kind="inquiry_reply_failed",
                actor=SYSTEM,
                message=f"問い合わせへの返信を送れませんでした: {error[:500]}",
                after={"thread_id": thread.pk, "message_id": reply.pk},
            )
    return bool(marked)


@transaction.atomic
def reply_requeue(*, reply: InquiryMessage, actor: str) -> bool:
    """Staff: try a failed reply again now (after fixing the cause, or after checking that a reply of
    unknown outcome did not arrive). False when the reply is not failed."""
    marked = InquiryMessage.objects.filter(pk=reply.pk, direction=OUT, state=State.FAILED).update(
        retry_at=timezone.now(), outcome_unknown=False, error=""
    )
    if marked:
        reply.refresh_from_db()
        logger.info("inquiry reply %s re-queued by %s", reply.pk, actor)
        send_reply_after_commit(reply.pk, reply.attempts)
    return bool(marked)


@transaction.atomic
def reply_confirm_sent(*, reply: InquiryMessage, actor: str) -> bool:
    """Staff: a reply of unknown outcome did reach the buyer (seen in the shop or the mail log)."""
    current = InquiryMessage.objects.select_for_update().get(pk=reply.pk)
    if current.direction != OUT or current.state != State.FAILED:
        return False
    InquiryMessage.objects.filter(pk=reply.pk).update(
        state=State.SENT, sent_at=current.claimed_at or timezone.now(), error="", retry_at=None,
        outcome_unknown=False,
    )  # fmt: skip
    reply_after_sent(thread_id=current.thread_id, reply=current, actor=actor)
    return True


def unknown_outcome_text(reply: InquiryMessage, cause: str) -> str:
    return (
        f"{UNKNOWN_OUTCOME}（{cause}）: ショップの画面（Amazon はメールサーバーのログの Message-ID "
        f"{reply.reply_key}）で届いたか確かめ、届いていなければ「再送」、届いていれば「送信済みにする」を選んでください。"
    )


def retry_delay(attempts: int) -> timedelta:
    """Backoff before the next attempt: 30 s, 60 s, 2 min, ... (OMS_INQUIRY_RETRY_BASE_SECONDS), at most 1 h."""
    base = float(_setting("OMS_INQUIRY_RETRY_BASE_SECONDS", 30.0))
    return timedelta(seconds=min(3600.0, base * 2 ** max(attempts - 1, 0)))


def verify_delay() -> timedelta:
    """How long after an attempt of unknown outcome the shop is read back (a slow post must have landed)."""
    return timedelta(seconds=float(_setting("OMS_INQUIRY_VERIFY_AFTER_SECONDS", 120.0)))


def max_attempts() -> int:
    return int(_setting("OMS_INQUIRY_REPLY_MAX_ATTEMPTS", 8))


def send_lease() -> timedelta:
    return timedelta(seconds=float(_setting("OMS_INQUIRY_SEND_LEASE_SECONDS", 300.0)))
