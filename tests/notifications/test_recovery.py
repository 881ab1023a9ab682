"""The beat sweep and the staff actions: lost enqueues are sent, overdue sends are settled, staff decide."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications.models import OutboundMail
from notifications.services import mail_confirm_sent, mail_queue, mail_requeue, mails_sweep
from notifications.tasks import send_pending_mails
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db

LEASE = timedelta(minutes=2)


@pytest.fixture
def enqueued(monkeypatch) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []
    monkeypatch.setattr("notifications.services._enqueue_send", lambda *args: calls.append(args))
    return calls


@pytest.fixture
def queued(mail_templates, shop_order) -> OutboundMail:
    return mail_queue(order=shop_order, template_code="order_confirmation", actor="system")


def age(mail: OutboundMail, **changes) -> OutboundMail:
    """Pretend the row was written a while ago (created_at is auto_now_add, so update it directly)."""
    OutboundMail.objects.filter(pk=mail.pk).update(**changes)
    mail.refresh_from_db()
    return mail


def stuck_sending(mail: OutboundMail, since: timedelta) -> OutboundMail:
    """What a worker that died between send and mark leaves behind."""
    return age(mail, status="sending", attempts=1, sent_at=timezone.now() - since)


def test_a_queued_mail_whose_enqueue_was_lost_is_enqueued_by_the_sweep(queued, enqueued):
    age(queued, created_at=timezone.now() - timedelta(minutes=1))

    result = mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    assert (result.enqueued, enqueued) == (1, [(queued.pk, 0)])


def test_a_just_queued_mail_is_left_to_its_own_enqueue(queued, enqueued):
    mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    assert enqueued == []


def test_a_send_overdue_past_the_lease_becomes_unknown_and_is_not_resent(queued, enqueued):
    stuck_sending(queued, since=LEASE + timedelta(seconds=1))

    result = mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    queued.refresh_from_db()
    assert (result.unknown, enqueued) == (1, [])
    assert (queued.status, queued.attempts) == ("failed", 1)
    assert queued.last_error.startswith("送信結果不明")
    event = OrderEvent.objects.filter(order=queued.order).last()
    assert (event.kind, event.after["message_id"]) == ("mail_failed", queued.message_id)


def test_a_send_within_the_lease_is_left_alone(queued, enqueued):
    stuck_sending(queued, since=LEASE - timedelta(seconds=10))

    mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    queued.refresh_from_db()
    assert queued.status == "sending"


def test_with_an_idempotent_backend_an_overdue_send_is_sent_again_under_its_token(queued, enqueued, settings):
    settings.OMS_MAIL_BACKEND_IDEMPOTENT = True
    stuck_sending(queued, since=LEASE + timedelta(seconds=1))
    age(queued, created_at=timezone.now() - timedelta(minutes=5))

    result = mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    queued.refresh_from_db()
    assert (result.resent, queued.status, enqueued) == (1, "queued", [(queued.pk, 1)])


def test_the_beat_task_takes_the_lease_in_seconds(queued, enqueued):
    stuck_sending(queued, since=timedelta(seconds=5))

    result = send_pending_mails.apply(kwargs={"lease_seconds": 1}).get()

    assert result == {"enqueued": 0, "unknown": 1, "resent": 0}


def test_staff_resend_a_failed_mail_after_checking(queued, enqueued, django_capture_on_commit_callbacks):
    stuck_sending(queued, since=LEASE * 2)
    mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    with django_capture_on_commit_callbacks(execute=True):
        assert mail_requeue(mail=queued, actor="user:staff") is True

    queued.refresh_from_db()
    assert (queued.status, enqueued) == ("queued", [(queued.pk, 1)])
    assert OrderEvent.objects.filter(order=queued.order).last().actor == "user:staff"


def test_staff_confirm_a_mail_found_in_the_server_log(queued, enqueued):
    stuck_sending(queued, since=LEASE * 2)
    mails_sweep(queued_for=timedelta(seconds=10), lease=LEASE)

    assert mail_confirm_sent(mail=queued, actor="user:staff") is True

    queued.refresh_from_db()
    assert (queued.status, queued.last_error) == ("sent", "")
    assert OrderEvent.objects.filter(order=queued.order).last().kind == "mail_sent"


def test_a_mail_that_is_not_failed_cannot_be_resent(queued, enqueued):
    assert mail_requeue(mail=queued, actor="user:staff") is False
    assert mail_confirm_sent(mail=queued, actor="user:staff") is False


def test_resending_a_mail_whose_template_failed_renders_it_again(
    mail_templates, shop_order, enqueued, django_capture_on_commit_callbacks
):
    template = mail_templates["order_confirmation"]
    template.body = "{% if %}"
    template.save()
    mail = mail_queue(order=shop_order, template_code="order_confirmation", actor="system")
    template.body = "{{ order.buyer_name }} 様"
    template.save()

    with django_capture_on_commit_callbacks(execute=True):
        mail_requeue(mail=mail, actor="user:staff")

    mail.refresh_from_db()
    assert (mail.status, mail.body) == ("queued", "山田 太郎 様\n")
