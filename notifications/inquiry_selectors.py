"""Inbox reads: the thread list with its filters, unread counts, one thread with its messages, replies due."""

from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Prefetch, Q, QuerySet

from notifications.models import InquiryMessage, InquiryThread, ReplyTemplate
from oms.roles import roles_for

Status = InquiryThread.Status
State = InquiryMessage.State
OPEN_STATUSES = (Status.NEW, Status.IN_PROGRESS, Status.REPLIED)


def inquiry_list(*, filters: dict | None = None) -> QuerySet[InquiryThread]:
    """Threads, newest message first, with what a list row shows loaded up front (a constant number of
    queries whatever the page size). Filters (all optional):
    status: one value or a list ("open" = every status but 完了); channel: id or name; kind: marketplace;
    assignee: user id, or "none"; unread: bool; order: order id; q: words in the subject, the order number,
    the buyer (as the shop shows it) or a message; since / until: last message at or after / before."""
    filters = filters or {}
    threads = InquiryThread.objects.select_related("channel", "order", "assignee").annotate(
        message_count=Count("messages")
    )
    status = filters.get("status")
    if status == "open":
        threads = threads.filter(status__in=OPEN_STATUSES)
    elif isinstance(status, list | tuple | set):
        threads = threads.filter(status__in=list(status))
    elif status:
        threads = threads.filter(status=status)
    channel = filters.get("channel")
    if channel not in (None, ""):
        by = {"channel_id": channel} if str(channel).isdigit() else {"channel__name": channel}
        threads = threads.filter(**by)
    if filters.get("kind"):
        threads = threads.filter(channel__kind=filters["kind"])
    assignee = filters.get("assignee")
    if assignee == "none":
        threads = threads.filter(assignee__isnull=True)
    elif assignee not in (None, ""):
        threads = threads.filter(assignee_id=assignee)
    if filters.get("unread") is not None and filters.get("unread") != "":
        threads = threads.filter(unread=_true(filters["unread"]))
    if filters.get("order"):
        threads = threads.filter(order_id=filters["order"])
    if filters.get("since"):
        threads = threads.filter(last_message_at__gte=filters["since"])
    if filters.get("until"):
        threads = threads.filter(last_message_at__lt=filters["until"])
    words = str(filters.get("q") or "").split()
    for word in words:
        matching = InquiryMessage.objects.filter(body__icontains=word).values("thread_id")
        threads = threads.filter(
            Q(subject__icontains=word)
            | Q(external_order_id__icontains=word)
            | Q(buyer_name__icontains=word)
            | Q(pk__in=matching)
        )
    return threads.order_by(F("last_message_at").desc(nulls_last=True), "-pk")


def _true(value) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class InquiryCounts:
    unread: int  # unread threads that are not closed
    by_status: dict[str, int] = field(default_factory=dict)
    unread_by_channel: dict[str, int] = field(default_factory=dict)  # channel name -> unread threads


def inquiry_counts() -> InquiryCounts:
    """For the home page and the inbox tabs: two queries."""
    by_status = dict(InquiryThread.objects.values_list("status").annotate(n=Count("pk")).order_by())
    unread_rows = (
        InquiryThread.objects.filter(unread=True)
        .exclude(status=Status.CLOSED)
        .values_list("channel__name")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_channel = dict(unread_rows)
    return InquiryCounts(
        unread=sum(by_channel.values()),
        by_status={value: by_status.get(value, 0) for value in Status.values},
        unread_by_channel=by_channel,
    )


def inquiry_unread_count(*, assignee=None) -> int:
    threads = InquiryThread.objects.filter(unread=True).exclude(status=Status.CLOSED)
    if assignee is not None:
        threads = threads.filter(assignee=assignee)
    return threads.count()


def inquiry_get(*, thread_id: int) -> InquiryThread:
    """One thread with its messages (oldest first) and their writers; raises DoesNotExist."""
    return (
        InquiryThread.objects.select_related("channel", "order", "assignee")
        .prefetch_related(Prefetch("messages", queryset=inquiry_messages_queryset()))
        .get(pk=thread_id)
    )


def inquiry_messages_queryset() -> QuerySet[InquiryMessage]:
    """Messages in the order they were written: the shop's time, ours for a reply not sent yet."""
    return InquiryMessage.objects.select_related("created_by", "template").order_by(
        F("sent_at").asc(nulls_last=True), "pk"
    )


def inquiry_messages(*, thread: InquiryThread) -> QuerySet[InquiryMessage]:
    return inquiry_messages_queryset().filter(thread=thread)


def inquiry_threads_for_order(*, order) -> QuerySet[InquiryThread]:
    """The order slip's threads."""
    return inquiry_list(filters={"order": order.pk})


def inquiry_last_inbound_id(*, thread: InquiryThread) -> str:
    """The shop's id of the buyer's newest message (what an e-mail reply answers)."""
    last = (
        thread.messages.filter(direction=InquiryMessage.Direction.IN)
        .exclude(external_id="")
        .order_by(F("sent_at").desc(nulls_last=True), "-pk")
        .values_list("external_id", flat=True)
        .first()
    )
    return last or ""


def inquiry_assignees() -> QuerySet:
    """The people a thread can be given to: active users whose role may answer inquiries (oms.roles)."""
    roles = sorted(roles_for("inquiries"))
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=roles))
        .distinct()
        .order_by("username")
    )


def reply_templates(*, enabled_only: bool = True) -> QuerySet[ReplyTemplate]:
    templates = ReplyTemplate.objects.all()
    return templates.filter(enabled=True) if enabled_only else templates


def reply_template_by_code(*, code: str) -> ReplyTemplate | None:
    return ReplyTemplate.objects.filter(code=code).first()


# --- the sender's sweep ------------------------------------------------------------------------------------


def replies_pending_before(*, moment: datetime, limit: int) -> list[tuple[int, int]]:
    """(id, attempts) of replies written before `moment` and never tried: their enqueue was lost."""
    return list(
        InquiryMessage.objects.filter(direction="out", state=State.PENDING, created_at__lt=moment)
        .order_by("pk")
        .values_list("pk", "attempts")[:limit]
    )


def replies_due(*, moment: datetime, limit: int) -> list[tuple[int, int]]:
    """(id, attempts) of failed replies whose retry time has come."""
    return list(
        InquiryMessage.objects.filter(direction="out", state=State.FAILED, retry_at__lte=moment)
        .order_by("retry_at", "pk")
        .values_list("pk", "attempts")[:limit]
    )


def replies_sending_before(*, moment: datetime, limit: int) -> list[InquiryMessage]:
    """Replies claimed before `moment` and never marked: the worker died or hung between claim and mark."""
    return list(
        InquiryMessage.objects.filter(direction="out", state=State.SENDING)
        .filter(Q(claimed_at__lt=moment) | Q(claimed_at__isnull=True))
        .select_related("thread", "thread__channel")
        .order_by("pk")[:limit]
    )
