"""Inbox writes: threads and messages from the shops, writing a reply, staff actions, data retention.

The shops' side (fetching, posting) is in channels.inquiry_sync and channels.inquiry_push; this module only
writes the database, one transaction per service.

Status (未対応 new / 対応中 in_progress / 返信済み replied / 完了 closed)
- A new message from the buyer makes the thread 未対応 and unread, unless someone is on it (対応中).
- Writing a reply or taking the thread (assign) makes a 未対応 thread 対応中.
- A reply the shop accepted makes the thread 返信済み (a closed thread stays closed).
- Closing makes it 完了, and the shop is told where it has such a step (Rakuten, Yahoo).
- The shop marking the thread done (in its own pages) closes it here too, unless the buyer wrote after.

The states a reply goes through on its way to the shop, and why it cannot go twice: notifications.inquiry_sending.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail.message import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from channels.adapters.inquiries import IN, OUT, CanonicalInquiry, same_text
from notifications.inquiry_sending import reply_after_sent, send_reply_after_commit
from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from oms.actors import SYSTEM
from orders.models import Order
from orders.services import event_record

logger = logging.getLogger(__name__)
Status = InquiryThread.Status
State = InquiryMessage.State
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ANONYMISED = "匿名化済み"  # the same word orders.privacy writes


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- from the shops ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InquiryImport:
    thread: InquiryThread
    created: bool
    new_messages: int


@transaction.atomic
def inquiry_import(*, channel, canonical: CanonicalInquiry) -> InquiryImport:
    """Create or update the thread (channel, external id) and add the messages not seen before.

    Idempotent: a thread or message fetched again changes nothing. A message of the shop (ours, or written
    in the shop's own pages) that matches one of our replies without a shop id by its text is that reply."""
    thread, created = _thread_locked(channel, canonical)
    if thread.buyer_name != ANONYMISED:  # personal data once erased is not written back by a later poll
        thread.subject = thread.subject or canonical.subject
        thread.buyer_name, thread.buyer_contact = canonical.buyer_name, canonical.buyer_contact
        thread.shop_data = {**thread.shop_data, **canonical.shop_data}
    if canonical.external_order_id and not thread.external_order_id:
        thread.external_order_id = canonical.external_order_id
    if thread.order_id is None and thread.external_order_id:
        thread.order = Order.objects.filter(channel=channel, external_id=thread.external_order_id).first()
    known = set(thread.messages.exclude(external_id="").values_list("external_id", flat=True))
    fresh = [m for m in canonical.messages if m.external_id and m.external_id not in known]
    buyer_wrote = False
    for data in fresh:
        if data.direction == OUT and _reply_matched(thread, data):
            continue
        InquiryMessage.objects.create(
            thread=thread,
            direction=data.direction,
            body=data.body,
            external_id=data.external_id,
            sent_at=data.sent_at,
            state=State.RECEIVED if data.direction == IN else State.SENT,
        )
        buyer_wrote = buyer_wrote or data.direction == IN
    moments = [m.sent_at for m in fresh if m.sent_at]
    if thread.last_message_at:
        moments.append(thread.last_message_at)
    thread.last_message_at = max(moments) if moments else timezone.now()
    if created:
        thread.status, thread.unread = _first_status(canonical)
    elif buyer_wrote:
        thread.unread = True
        if thread.status != Status.IN_PROGRESS:
            thread.status = Status.NEW
    elif canonical.completed and not thread.shop_completed:
        # Marked done in the shop's own pages (a transition: a thread reopened here stays open).
        thread.status, thread.unread = Status.CLOSED, False
    thread.shop_completed = canonical.completed
    thread.save()
    return InquiryImport(thread=thread, created=created, new_messages=len(fresh))


def _first_status(canonical: CanonicalInquiry) -> tuple[str, bool]:
    """(status, unread) of a thread seen for the first time: done in the shop, answered, or waiting."""
    if canonical.completed:
        return Status.CLOSED, False
    # Sorted by time, ties kept in the shop's order (a reply in the same second as the question is later).
    ordered = sorted(canonical.messages, key=lambda m: m.sent_at or EPOCH)
    if ordered and ordered[-1].direction == OUT:
        return Status.REPLIED, False
    return Status.NEW, True


def _thread_locked(channel, canonical: CanonicalInquiry) -> tuple[InquiryThread, bool]:
    thread = InquiryThread.objects.select_for_update().filter(
        channel=channel, external_id=canonical.external_id
    )
    existing = thread.first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            created = InquiryThread.objects.create(
                channel=channel,
                external_id=canonical.external_id,
                subject=canonical.subject,
                external_order_id=canonical.external_order_id,
                status=Status.NEW,
            )
        return created, True
    except IntegrityError:  # a concurrent poll created it first
        return InquiryThread.objects.select_for_update().get(
            channel=channel, external_id=canonical.external_id
        ), False


def _reply_matched(thread: InquiryThread, data) -> bool:
    """Give the shop's id to our reply with the same text that has none yet (the oldest first); mark it
    sent when it was still in flight. True when one matched."""
    candidates = thread.messages.filter(direction=OUT, external_id="").exclude(state=State.RECEIVED)
    for reply in candidates.order_by("pk"):
        if same_text(reply.body, data.body):
            was_sent = reply.state == State.SENT
            InquiryMessage.objects.filter(pk=reply.pk).update(
                external_id=data.external_id,
                state=State.SENT,
                sent_at=reply.sent_at or data.sent_at or timezone.now(),
                error="",
                retry_at=None,
                outcome_unknown=False,
            )
            if not was_sent:
                reply_after_sent(thread_id=thread.pk, reply=reply, actor=SYSTEM)
                if thread.status != Status.CLOSED:  # the caller saves this instance afterwards
                    thread.status = Status.REPLIED
            return True
    return False


def inquiry_link_orders(*, channel) -> int:
    """Link the channel's threads that name an order which has arrived since. Returns how many."""
    linked = 0
    waiting = InquiryThread.objects.filter(channel=channel, order__isnull=True).exclude(external_order_id="")
    for thread_id, number in waiting.values_list("pk", "external_order_id"):
        order_id = (
            Order.objects.filter(channel=channel, external_id=number).values_list("pk", flat=True).first()
        )
        if order_id:
            linked += InquiryThread.objects.filter(pk=thread_id, order__isnull=True).update(order_id=order_id)
    return linked


# --- staff ---------------------------------------------------------------------------------------------------


def _reply_key() -> str:
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<oms-inquiry-{uuid.uuid4().hex}@{domain}>"


@transaction.atomic
def inquiry_reply(
    *, thread: InquiryThread, body: str, actor: str, user=None, template: ReplyTemplate | None = None
) -> InquiryMessage:
    """Write a reply (pending); a task posts it through the shop once this commits. Raises ValidationError
    when the shop would refuse it (its length and link rules) or the thread is closed."""
    from channels.adapters.inquiries import inquiry_adapter_for

    thread = InquiryThread.objects.select_for_update().select_related("channel").get(pk=thread.pk)
    body = body.replace("\r\n", "\n").strip("\n")
    if thread.status == Status.CLOSED:
        raise ValidationError("完了した問い合わせには返信できません")
    problems = inquiry_adapter_for(thread.channel).reply_problems(body)
    if problems:
        raise ValidationError(problems)
    reply = InquiryMessage.objects.create(
        thread=thread,
        direction=OUT,
        body=body,
        state=State.PENDING,
        reply_key=_reply_key(),
        template=template,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    changes = {"unread": False}
    if thread.status == Status.NEW:
        changes["status"] = Status.IN_PROGRESS
    InquiryThread.objects.filter(pk=thread.pk).update(**changes)
    if thread.order_id:
        event_record(
            order=thread.order,
            kind="inquiry_reply_queued",
            actor=actor,
            message=f"問い合わせへの返信を送信待ちにしました: {thread.subject}",
            after={"thread_id": thread.pk, "message_id": reply.pk},
        )
    send_reply_after_commit(reply.pk, reply.attempts)
    return reply


@transaction.atomic
def inquiry_close(*, thread: InquiryThread, actor: str, tell_shop: bool = True) -> bool:
    """完了: closed here, and (after commit) in the shop where it has such a step. False when it was."""
    thread = InquiryThread.objects.select_for_update().get(pk=thread.pk)
    if thread.status == Status.CLOSED:
        return False
    InquiryThread.objects.filter(pk=thread.pk).update(status=Status.CLOSED, unread=False)
    if thread.order_id:
        event_record(order=thread.order, kind="inquiry_closed", actor=actor, message=thread.subject,
                     after={"thread_id": thread.pk})  # fmt: skip
    if tell_shop and not thread.shop_completed and _setting("OMS_INQUIRY_TRIGGERS", True):
        from channels.inquiry_tasks import complete_inquiry_in_shop

        thread_id = thread.pk
        transaction.on_commit(lambda: complete_inquiry_in_shop.delay(thread_id), robust=True)
    return True


@transaction.atomic
def inquiry_assign(*, thread: InquiryThread, assignee, actor: str) -> InquiryThread:
    """Give the thread to a person (None: to nobody). Taking a 未対応 thread makes it 対応中."""
    thread = InquiryThread.objects.select_for_update().get(pk=thread.pk)
    thread.assignee = assignee
    fields = ["assignee", "updated_at"]
    if assignee is not None and thread.status == Status.NEW:
        thread.status = Status.IN_PROGRESS
        fields.append("status")
    thread.save(update_fields=fields)
    logger.info("inquiry %s assigned to %s by %s", thread.pk, getattr(assignee, "pk", None), actor)
    return thread


def inquiry_set_memo(*, thread: InquiryThread, memo: str, actor: str) -> InquiryThread:
    """The internal memo (never sent to the buyer)."""
    InquiryThread.objects.filter(pk=thread.pk).update(memo=memo.strip(), updated_at=timezone.now())
    thread.refresh_from_db()
    return thread


def inquiry_set_status(*, thread: InquiryThread, status: str, actor: str) -> InquiryThread:
    """Move the thread by hand between 未対応, 対応中 and 返信済み (完了 goes through inquiry_close)."""
    if status not in (Status.NEW, Status.IN_PROGRESS, Status.REPLIED):
        raise ValidationError(f"status {status} cannot be set by hand")
    InquiryThread.objects.filter(pk=thread.pk).update(status=status, updated_at=timezone.now())
    thread.refresh_from_db()
    return thread


def inquiry_mark_read(*, thread: InquiryThread, read: bool = True) -> None:
    InquiryThread.objects.filter(pk=thread.pk).update(unread=not read)


@transaction.atomic
def inquiries_anonymise_for_order(*, order: Order) -> int:
    """Personal data retention and erasure (orders.privacy): the order's threads (linked, or naming its order
    number in its shop and not linked yet) lose the buyer's name and contact, the subject, the memo, the shop's
    data and every message's text; their dates, statuses and the order link stay. Returns threads changed.
    Call inside the transaction that anonymises the order (it holds the order's row lock)."""
    named = Q(order__isnull=True, channel_id=order.channel_id, external_order_id=order.external_id)
    threads = list(
        InquiryThread.objects.select_for_update()
        .filter(Q(order=order) | named)
        .exclude(buyer_name=ANONYMISED)
        .order_by("pk")
    )
    ids = [thread.pk for thread in threads]
    InquiryMessage.objects.filter(thread_id__in=ids).update(body=ANONYMISED, error="")
    InquiryThread.objects.filter(pk__in=ids).update(
        buyer_name=ANONYMISED, buyer_contact="", memo="", subject=ANONYMISED, shop_data={}
    )
    return len(ids)
