"""Customer mail outbox writes: queue a mail with the event that causes it, send it at most once, recover.

How a mail is never sent twice
------------------------------
1. `mail_queue` writes the OutboundMail row (status `queued`, a Message-ID fixed for the row's lifetime)
   in the caller's transaction, next to the event that causes it, and enqueues the send task on commit.
   A row per (order, template): queuing again returns the row that exists.
2. `mail_send` claims the row in its own committed transaction: a conditional
   `UPDATE ... SET status='sending', attempts=attempts+1, sent_at=now() WHERE attempts=<token> AND status
   IN ('queued','failed')`. The attempts count is a fencing token: every task message carries the count
   it expects, so of two copies of one message (Celery redelivers an unacknowledged message after a
   worker dies, beat re-enqueues a queued row) only one wins, and a stale message can never claim a row
   that moved on. The committed claim is the durable record of the intent to send.
3. It hands the message to the mail backend with the row's Message-ID, outside any transaction.
4. It marks the row `sent` (and records the `mail_sent` order event) in one transaction.

A crash between 3 and 4 leaves the row `sending`. Nothing can ask an SMTP server whether it took a
message, so a row found `sending` longer than the lease (OMS_MAIL_SEND_LEASE_SECONDS, 120 s; well above
EMAIL_TIMEOUT) is *not* sent again by default: `mails_sweep` marks it `failed` with "送信結果不明", and an
order event tells staff to look for the Message-ID in the mail server's log, then choose "再送" (resend)
or "送信済みにする" (mark sent) in the admin. That makes the crash window at-most-once: a mail can need a
person, it can never reach the customer twice. The same holds for an SMTP connection that breaks after
the message went out in DATA but before the server's reply, and for an ESP API call that times out
while reading the answer: the outcome is unknown, so it is treated like the crash.

Only when the operator declares that the backend drops a second message with the same Message-ID
(OMS_MAIL_BACKEND_IDEMPOTENT = True, e.g. a relay that deduplicates on Message-ID) are unknown outcomes
re-queued and sent again with the same Message-ID, which makes delivery exactly-once end to end.
django-anymail offers no send-side idempotency key for any ESP today, so the default stays False.

Definite failures (the server answered with an error, or the connection never opened) go to `failed`
with the error in `last_error`; the send task retries them with exponential backoff, and after the last
retry, or at once for a permanent 5xx refusal, the order gets a `mail_failed` event.

While a row is `sending`, `sent_at` holds the moment the send began (the claim); once `sent`, the moment
the backend accepted the mail. The sweep uses the first meaning for the lease.

Test-only hook: with the environment variable OMS_TEST_CRASH_AFTER_SEND=1 the process kills itself
(SIGKILL) right after the backend accepted a mail and before the row is marked; the end-to-end test uses
it to prove the crash window. Never set it anywhere else.
"""

import logging
import os
import signal
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parseaddr
from functools import partial

from django.conf import settings
from django.core.mail.message import DNS_NAME
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from notifications.delivery import is_permanent_failure, mail_deliver, outcome_unknown
from notifications.models import OutboundMail
from notifications.rendering import OrderInHand, mail_render, mail_render_many
from notifications.selectors import mail_template_by_code, mails_queued_before, mails_sending_since_before
from oms.actors import SYSTEM
from orders.models import Order, OrderEvent
from orders.services import event_record

logger = logging.getLogger(__name__)
Status = OutboundMail.Status

UNKNOWN_OUTCOME = "送信結果不明"
SWEEP_BATCH = 500


def _setting(name: str, default):
    return getattr(settings, name, default)


def send_lease() -> timedelta:
    return timedelta(seconds=_setting("OMS_MAIL_SEND_LEASE_SECONDS", 120.0))


def backend_is_idempotent() -> bool:
    return bool(_setting("OMS_MAIL_BACKEND_IDEMPOTENT", False))


def _message_id_for(order: Order, template_code: str) -> str:
    """Unique across databases too (a reset database reuses primary keys, and some mailbox providers
    hide a second mail with a Message-ID they have seen)."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<oms-mail-{order.pk}-{template_code}-{uuid.uuid4().hex[:16]}@{domain}>"


def _enqueue_send(mail_id: int, attempts: int) -> None:
    from notifications.tasks import send_outbound_mail

    send_outbound_mail.delay(mail_id, attempts)


def _send_after_commit(mail_id: int, attempts: int, *, always: bool = False) -> None:
    """Enqueue the send once the row is committed. Without OMS_MAIL_TRIGGERS only the beat sweep sends.
    robust: a broker outage must not fail the request whose transaction already committed; the sweep
    picks the row up later."""
    if always or _setting("OMS_MAIL_TRIGGERS", True):
        transaction.on_commit(partial(_enqueue_send, mail_id, attempts), robust=True)


# --- queue -------------------------------------------------------------------------------------------


def mail_queue(
    *, order: Order, template_code: str, actor: str, extra_context: dict | None = None
) -> OutboundMail | None:
    """Queue the mail `template_code` for `order`; returns the outbox row, or None when there is nothing to
    send (template missing or disabled, no buyer e-mail).

    Call inside the transaction of the change that causes the mail (the row and the `mail_queued` event
    commit or roll back with it); save the order first, the mail is rendered from the database. Queuing
    a template twice for one order returns the first row and sends nothing more."""
    template = mail_template_by_code(code=template_code)
    if template is None:
        logger.warning("mail template %s does not exist; order %s gets no mail", template_code, order.pk)
        return None
    if not template.enabled or not order.buyer_email:
        return None
    existing = OutboundMail.objects.filter(order=order, template=template).first()
    if existing is not None:
        return existing

    with transaction.atomic():
        subject, body, error = "", "", ""
        try:
            with transaction.atomic():  # a failing render must leave the caller's transaction usable
                rendered = mail_render(template=template, order=order, extra_context=extra_context)
            subject, body = rendered.subject, rendered.body
        except Exception as exc:  # a broken template must not undo the order change that caused the mail
            error = f"テンプレートエラー: {exc}"
        try:
            with transaction.atomic():
                mail = OutboundMail.objects.create(
                    order=order,
                    template=template,
                    to=order.buyer_email,
                    subject=subject,
                    body=body,
                    status=Status.FAILED if error else Status.QUEUED,
                    last_error=error,
                    message_id=_message_id_for(order, template.code),
                )
        except IntegrityError:  # a concurrent transaction queued it first
            return OutboundMail.objects.get(order=order, template=template)
        event_record(
            order=order,
            kind="mail_failed" if error else "mail_queued",
            actor=actor,
            message=f"{template.name}: {error or subject}",
            after={"mail_id": mail.pk, "template": template.code},
        )
    if not error:
        _send_after_commit(mail.pk, mail.attempts)
    return mail


def mails_queue_many(
    *, orders: list[Order], template_code: str, actor: str, lines: dict[int, list] | None = None
) -> int:
    """`mail_queue` for a page of orders with a fixed number of queries (intake confirms whole pages).
    Orders already having this mail, or no e-mail, are skipped. Returns how many rows were queued.
    `lines`: order pk -> its lines, for orders the caller has just created (rendered without reading back).

    Call inside the caller's transaction, like mail_queue. Any order that cannot go the fast way (its
    render failed, or a concurrent transaction queued it first) falls back to mail_queue on its own."""
    template = mail_template_by_code(code=template_code)
    if template is None or not template.enabled:
        return 0
    wanted = {order.pk: order for order in orders if order.buyer_email}
    wanted_ids = sorted(wanted)
    done = set(
        OutboundMail.objects.filter(template=template, order_id__in=wanted_ids).values_list(
            "order_id", flat=True
        )
    )
    todo = [pk for pk in wanted if pk not in done]
    if not todo:
        return 0
    in_hand = {pk: OrderInHand(wanted[pk], lines[pk]) for pk in todo if pk in lines} if lines else None
    rendered = mail_render_many(template=template, order_ids=todo, in_hand=in_hand)
    rows = [
        OutboundMail(
            order_id=pk,
            template=template,
            to=wanted[pk].buyer_email,
            subject=rendered[pk].subject,
            body=rendered[pk].body,
            status=Status.QUEUED,
            message_id=_message_id_for(wanted[pk], template.code),
        )
        for pk in todo
        if pk in rendered
    ]
    try:
        with transaction.atomic():
            mails = OutboundMail.objects.bulk_create(rows)
    except IntegrityError:
        return sum(
            mail_queue(order=wanted[pk], template_code=template_code, actor=actor) is not None for pk in todo
        )
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order_id=mail.order_id,
            kind="mail_queued",
            actor=actor,
            message=f"{template.name}: {mail.subject}",
            after={"mail_id": mail.pk, "template": template.code},
        )
        for mail in mails
    )
    for mail in mails:
        _send_after_commit(mail.pk, mail.attempts)
    for pk in todo:
        if pk not in rendered:
            mail_queue(order=wanted[pk], template_code=template_code, actor=actor)
    return len(todo)


# --- send --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SendOutcome:
    status: str  # "sent", "skipped" (the token did not match: someone else has the row), "failed"
    attempts: int
    retry: bool = False
    error: str = ""


def mail_claim(*, mail_id: int, expected_attempts: int) -> OutboundMail | None:
    """Take the row for one send attempt; None when the row is not queued/failed with `expected_attempts`.

    Call outside any transaction: the claim must be committed before the mail leaves."""
    claimed = (
        OutboundMail.objects.filter(
            pk=mail_id, attempts=expected_attempts, status__in=[Status.QUEUED, Status.FAILED]
        )
        .exclude(body="")  # never rendered (template error): mail_requeue renders it first
        .update(status=Status.SENDING, attempts=F("attempts") + 1, sent_at=timezone.now())
    )
    if not claimed:
        return None
    return OutboundMail.objects.select_related("order", "template").get(pk=mail_id)


def _crash_after_send_for_tests() -> None:
    """TEST ONLY (tests/e2e/test_mail.py): die like a killed worker between send and mark."""
    if os.environ.get("OMS_TEST_CRASH_AFTER_SEND") == "1":
        os.kill(os.getpid(), signal.SIGKILL)


def mail_send(*, mail_id: int, expected_attempts: int, final_attempt: bool = False) -> SendOutcome:
    """One send attempt: claim, deliver, mark. `expected_attempts` is the token from the task message;
    `final_attempt` says the task will not retry, so a failure is final.

    Call outside any transaction (see the module docstring for why the steps commit separately)."""
    mail = mail_claim(mail_id=mail_id, expected_attempts=expected_attempts)
    if mail is None:
        return SendOutcome(status="skipped", attempts=expected_attempts)
    try:
        mail_deliver(mail=mail)
    except Exception as exc:
        return _mail_after_failure(mail=mail, exc=exc, final_attempt=final_attempt)
    _crash_after_send_for_tests()
    mail_mark_sent(mail=mail, actor=SYSTEM)
    return SendOutcome(status="sent", attempts=mail.attempts)


def _mail_after_failure(*, mail: OutboundMail, exc: Exception, final_attempt: bool) -> SendOutcome:
    error = f"{type(exc).__name__}: {exc}"
    logger.warning(
        "mail %s attempt %s failed: %s %s",
        mail.pk,
        mail.attempts,
        type(exc).__name__,
        getattr(exc, "smtp_code", ""),
    )
    if outcome_unknown(exc) and not backend_is_idempotent():
        _mail_mark_outcome_unknown(mail_id=mail.pk, attempts=mail.attempts, cause=error)
        return SendOutcome(status="failed", attempts=mail.attempts, error=error)
    final = final_attempt or is_permanent_failure(exc)
    text = f"送信を中止しました（{mail.attempts} 回目）: {error}" if final else f"再試行します: {error}"
    with transaction.atomic():
        marked = OutboundMail.objects.filter(
            pk=mail.pk, attempts=mail.attempts, status=Status.SENDING
        ).update(status=Status.FAILED, last_error=text, sent_at=None)
        if marked and final:
            event_record(
                order=mail.order,
                kind="mail_failed",
                actor=SYSTEM,
                message=f"{mail.template.name}: {text}",
                after={"mail_id": mail.pk, "template": mail.template.code},
            )
    return SendOutcome(status="failed", attempts=mail.attempts, retry=bool(marked) and not final, error=error)


@transaction.atomic
def mail_mark_sent(*, mail: OutboundMail, actor: str, note: str = "") -> bool:
    """Record that the backend took the mail (or, from the admin, that staff found it in the server log).

    Fenced by the attempt: a row that staff re-queued or another attempt claimed in the meantime is left
    alone. A row the sweep marked "unknown" while this attempt was still sending is corrected to sent."""
    marked = OutboundMail.objects.filter(
        pk=mail.pk, attempts=mail.attempts, status__in=[Status.SENDING, Status.FAILED]
    ).update(status=Status.SENT, sent_at=timezone.now(), last_error="")
    if not marked:
        logger.warning("mail %s changed while attempt %s was sending; not marked", mail.pk, mail.attempts)
        return False
    event_record(
        order=mail.order,
        kind="mail_sent",
        actor=actor,
        message=f"{mail.template.name}: {mail.subject}{note}",
        after={"mail_id": mail.pk, "template": mail.template.code, "message_id": mail.message_id},
    )
    return True


# --- recovery ----------------------------------------------------------------------------------------


def _unknown_outcome_text(message_id: str, cause: str = "") -> str:
    why = f"（{cause}）" if cause else "（送信中に処理が止まりました）"
    return (
        f"{UNKNOWN_OUTCOME}{why}: メールサーバーのログで Message-ID {message_id} を確認し、"
        "届いていなければ「再送」、届いていれば「送信済みにする」を選んでください。"
    )


@transaction.atomic
def _mail_mark_outcome_unknown(*, mail_id: int, attempts: int, cause: str = "") -> bool:
    mail = OutboundMail.objects.select_related("order", "template").get(pk=mail_id)
    text = _unknown_outcome_text(mail.message_id, cause)
    marked = OutboundMail.objects.filter(pk=mail_id, attempts=attempts, status=Status.SENDING).update(
        status=Status.FAILED, last_error=text
    )
    if marked:
        event_record(
            order=mail.order,
            kind="mail_failed",
            actor=SYSTEM,
            message=f"{mail.template.name}: {text}",
            after={"mail_id": mail.pk, "template": mail.template.code, "message_id": mail.message_id},
        )
    return bool(marked)


@dataclass(frozen=True)
class SweepResult:
    enqueued: int
    unknown: int
    resent: int


def mails_sweep(*, queued_for: timedelta, lease: timedelta | None = None) -> SweepResult:
    """Beat's safety net. Enqueue queued rows older than `queued_for` (their on-commit enqueue was lost),
    and settle rows `sending` for longer than the lease: re-queue them when the backend is idempotent,
    else mark them "送信結果不明" for a person (module docstring)."""
    now = timezone.now()
    lease = lease if lease is not None else send_lease()
    unknown = resent = 0
    for mail_id, attempts in mails_sending_since_before(moment=now - lease, limit=SWEEP_BATCH):
        if backend_is_idempotent():
            requeued = OutboundMail.objects.filter(
                pk=mail_id, attempts=attempts, status=Status.SENDING
            ).update(status=Status.QUEUED, last_error=f"{UNKNOWN_OUTCOME}: 同じ Message-ID で再送します")
            resent += requeued
        else:
            unknown += _mail_mark_outcome_unknown(mail_id=mail_id, attempts=attempts)
    due = mails_queued_before(moment=now - queued_for, limit=SWEEP_BATCH)
    for mail_id, attempts in due:
        _enqueue_send(mail_id, attempts)
    return SweepResult(enqueued=len(due), unknown=unknown, resent=resent)


# --- staff actions -----------------------------------------------------------------------------------


@transaction.atomic
def mail_requeue(*, mail: OutboundMail, actor: str) -> bool:
    """Send a failed mail again (after staff checked an unknown outcome, or fixed the cause). A mail whose
    template failed to render is rendered again from the current template. False when not failed."""
    mail = OutboundMail.objects.select_for_update().select_related("order", "template").get(pk=mail.pk)
    if mail.status != Status.FAILED:
        return False
    if not mail.body:
        rendered = mail_render(template=mail.template, order=mail.order)
        mail.subject, mail.body = rendered.subject, rendered.body
    mail.status = Status.QUEUED
    mail.save(update_fields=["status", "subject", "body"])
    event_record(
        order=mail.order,
        kind="mail_queued",
        actor=actor,
        message=f"{mail.template.name}: 再送 {mail.subject}",
        after={"mail_id": mail.pk, "template": mail.template.code},
    )
    _send_after_commit(mail.pk, mail.attempts, always=True)  # a person asked for it: send now
    return True


def mail_confirm_sent(*, mail: OutboundMail, actor: str) -> bool:
    """Staff found a mail of unknown outcome in the mail server's log: mark it sent."""
    mail = OutboundMail.objects.select_related("order", "template").get(pk=mail.pk)
    if mail.status != Status.FAILED:
        return False
    return mail_mark_sent(mail=mail, actor=actor, note="（送信済みを確認）")
