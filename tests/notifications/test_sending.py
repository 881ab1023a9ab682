"""Sending from the outbox: once per row, retried on definite failures, never repeated on unknown outcomes.

The task runs eagerly here (`apply`); retries follow at once instead of after the backoff."""

import pytest
import requests
from anymail.exceptions import AnymailRequestsAPIError
from django.core import mail as django_mail
from django.core.mail.backends.base import BaseEmailBackend

from notifications.models import OutboundMail
from notifications.services import mail_queue
from notifications.tasks import MAX_RETRIES, retry_countdown, send_outbound_mail
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


class ReadTimeoutBackend(BaseEmailBackend):
    """An ESP whose API took the request but whose answer never came."""

    def send_messages(self, email_messages):
        try:
            raise requests.exceptions.ReadTimeout("read timed out")
        except requests.exceptions.ReadTimeout as exc:
            raise AnymailRequestsAPIError("Error posting to https://api.esp.example/send") from exc


@pytest.fixture
def queued(mail_templates, shop_order) -> OutboundMail:
    return mail_queue(order=shop_order, template_code="order_confirmation", actor="system")


def send(mail: OutboundMail, token: int | None = None) -> str:
    result = send_outbound_mail.apply(args=[mail.pk, mail.attempts if token is None else token])
    mail.refresh_from_db()
    return result.get(propagate=False)


def kinds(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).values_list("kind", flat=True))


def test_a_queued_mail_is_sent_with_the_rows_message_id(queued):
    assert send(queued) == "sent"

    (message,) = django_mail.outbox
    assert (message.to, message.subject, message.body) == (["taro@example.jp"], queued.subject, queued.body)
    assert message.message()["Message-ID"] == queued.message_id
    assert (queued.status, queued.attempts, queued.last_error) == ("sent", 1, "")
    assert queued.sent_at is not None


def test_sending_shows_in_the_order_timeline(queued):
    send(queued)

    assert kinds(queued.order) == ["mail_queued", "mail_sent"]
    sent_event = OrderEvent.objects.get(kind="mail_sent")
    assert sent_event.after["message_id"] == queued.message_id


def test_a_second_copy_of_the_task_message_sends_nothing(queued):
    send(queued, token=0)

    assert send(queued, token=0) == "skipped"
    assert len(django_mail.outbox) == 1


def test_a_temporary_refusal_is_retried_until_the_server_takes_the_mail(queued, mail_to_smtp):
    mail_to_smtp.refuse_rcpt, mail_to_smtp.refusals = "451 4.3.0 try again later", 2

    assert send(queued, token=0) == "sent"

    assert len(mail_to_smtp.messages) == 1
    assert (queued.status, queued.attempts) == ("sent", 3)


def test_a_permanent_refusal_fails_at_once_and_says_why(queued, mail_to_smtp):
    mail_to_smtp.refuse_rcpt = "550 5.1.1 no such user"

    send(queued)

    assert (queued.status, queued.attempts) == ("failed", 1)
    assert "550" in queued.last_error
    assert queued.last_error.startswith("送信を中止しました（1 回目）")
    assert kinds(queued.order) == ["mail_queued", "mail_failed"]


def test_an_unreachable_server_is_retried_then_given_up(queued, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 1  # nothing listens on port 1

    send(queued)

    assert (queued.status, queued.attempts) == ("failed", MAX_RETRIES + 1)
    assert queued.last_error.startswith(
        f"送信を中止しました（{MAX_RETRIES + 1} 回目）: ConnectionRefusedError"
    )
    assert kinds(queued.order) == ["mail_queued", "mail_failed"]


def test_a_lost_answer_to_data_is_an_unknown_outcome_and_not_retried(queued, mail_to_smtp, settings):
    settings.EMAIL_TIMEOUT = 1
    mail_to_smtp.data_delay = 2  # the server keeps the mail but answers after the client gave up

    send(queued)

    assert (queued.status, queued.attempts) == ("failed", 1)
    assert queued.last_error.startswith("送信結果不明")
    assert queued.message_id in queued.last_error
    assert kinds(queued.order) == ["mail_queued", "mail_failed"]
    assert len(mail_to_smtp.messages) == 1  # it did arrive: a retry would have been a second mail


def test_an_esp_read_timeout_is_an_unknown_outcome(queued, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_sending.ReadTimeoutBackend"

    send(queued)

    assert (queued.status, queued.attempts) == ("failed", 1)
    assert queued.last_error.startswith("送信結果不明")


def test_an_idempotent_backend_retries_unknown_outcomes(queued, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_sending.ReadTimeoutBackend"
    settings.OMS_MAIL_BACKEND_IDEMPOTENT = True

    send(queued)

    assert (queued.status, queued.attempts) == ("failed", MAX_RETRIES + 1)
    assert queued.last_error.startswith("送信を中止しました")


def test_the_japanese_subject_and_body_go_out_encoded(queued, mail_to_smtp):
    send(queued)

    (received,) = mail_to_smtp.messages
    assert received.raw_header("Subject").startswith(b"=?utf-8?b?")  # RFC 2047 encoded words
    assert all(len(line) <= 78 for line in received.header_lines("Subject"))
    assert received.decoded_header("Subject") == queued.subject
    assert received.raw_header("Content-Type") == b'text/plain; charset="utf-8"'
    assert received.raw_header("Content-Transfer-Encoding") == b"8bit"
    assert received.raw_body.decode("utf-8").replace("\r\n", "\n") == queued.body


def test_the_backoff_doubles_with_each_retry(settings):
    settings.OMS_MAIL_RETRY_BASE_SECONDS = 30

    waits = [retry_countdown(n) for n in range(MAX_RETRIES)]

    for n, wait in enumerate(waits):
        assert 0.8 * 30 * 2**n <= wait <= 1.2 * 30 * 2**n
