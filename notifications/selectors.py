"""Outbox reads: an order's mails, mails due for sending, sends whose outcome is overdue."""

from datetime import datetime

from django.db.models import Q, QuerySet

from notifications.models import MailTemplate, OutboundMail
from orders.models import Order

Status = OutboundMail.Status


def mail_list_for_order(*, order: Order) -> QuerySet[OutboundMail]:
    return OutboundMail.objects.filter(order=order).select_related("template").order_by("pk")


def mail_template_by_code(*, code: str) -> MailTemplate | None:
    return MailTemplate.objects.filter(code=code).first()


def mails_queued_before(*, moment: datetime, limit: int) -> list[tuple[int, int]]:
    """(id, attempts) of queued mails created before `moment`, oldest first: their enqueue was lost or has
    not run yet. The attempts count is the claim token the send task needs."""
    return list(
        OutboundMail.objects.filter(status=Status.QUEUED, created_at__lt=moment)
        .order_by("pk")
        .values_list("pk", "attempts")[:limit]
    )


def mails_sending_since_before(*, moment: datetime, limit: int) -> list[tuple[int, int]]:
    """(id, attempts) of mails claimed for sending before `moment` and never marked: the worker died or
    hung between claim and mark. `sent_at` holds the claim time while a mail is `sending`."""
    return list(
        OutboundMail.objects.filter(status=Status.SENDING)
        .filter(Q(sent_at__lt=moment) | Q(sent_at__isnull=True))
        .order_by("pk")
        .values_list("pk", "attempts")[:limit]
    )
