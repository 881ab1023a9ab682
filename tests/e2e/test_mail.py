"""Customer mail end to end: PostgreSQL, Redis, a real Celery worker process and a real SMTP server
(aiosmtpd on loopback, started here). The confirmation arrives once, correctly encoded; a worker killed
between the SMTP send and the mark leaves exactly one mail at the server."""

import re
import signal
import time

import pytest
from django.db import transaction

from notifications.models import OutboundMail
from notifications.services import mail_queue
from notifications.tasks import send_pending_mails
from orders.models import OrderEvent
from tests.e2e.conftest import SHOP_FROM, wait_until
from tests.notifications.fixtures import create_mail_templates, create_shop_order

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CONFIRMATION_SUBJECT = (
    "【さくら堂 楽天市場店】ご注文ありがとうございます（注文番号 100001-20261126-00000042）"
)


@pytest.fixture
def shop_order(db):
    create_mail_templates()
    return create_shop_order()


def start_worker(celery_processes, name: str = "worker"):
    """Start a worker and wait until it consumes: until then a message published to a freshly flushed
    Redis has no queue binding to land in."""
    proc = celery_processes.start_worker(name)
    wait_until(lambda: " ready." in celery_processes.log(name), timeout=60, message=f"{name} did not start")
    return proc


def queue_confirmation(order) -> OutboundMail:
    """As the order intake does: in the transaction of the change, the send enqueued on commit."""
    with transaction.atomic():
        return mail_queue(order=order, template_code="order_confirmation", actor="system")


def status(mail: OutboundMail) -> str:
    mail.refresh_from_db()
    return mail.status


def timeline(order) -> list[str]:
    return list(OrderEvent.objects.filter(order=order).order_by("pk").values_list("kind", flat=True))


def test_the_order_confirmation_arrives_once_with_japanese_subject_and_utf8_body(
    smtp, celery_processes, shop_order
):
    start_worker(celery_processes)

    mail = queue_confirmation(shop_order)

    wait_until(lambda: status(mail) == "sent", timeout=60, message=celery_processes.log("worker")[-3000:])
    time.sleep(2)  # nothing more may arrive
    (received,) = smtp.messages
    assert (received.mail_from, received.rcpt_tos) == ("shop@sakura-do.example.jp", ["taro@example.jp"])
    assert received.raw_header("Message-ID").decode() == mail.message_id
    assert received.raw_header("Subject").startswith(b"=?utf-8?b?")  # RFC 2047, ASCII on the wire
    assert all(len(line) <= 78 for line in received.header_lines("Subject"))
    assert received.decoded_header("Subject") == CONFIRMATION_SUBJECT
    assert received.decoded_header("From") == SHOP_FROM
    assert received.raw_header("Content-Type") == b'text/plain; charset="utf-8"'
    assert received.raw_header("Content-Transfer-Encoding") == b"8bit"
    body = received.raw_body.decode("utf-8")  # raises if the bytes are not UTF-8
    assert body.startswith("山田 太郎 様\r\n\r\nさくら堂 楽天市場店をご利用いただき")
    assert "・オーガニックコットン Tシャツ ブラック M × 2\r\n" in body
    assert "お届け希望日：2026年12月5日\r\n" in body
    assert body.replace("\r\n", "\n") == mail.body
    assert (mail.attempts, timeline(shop_order)) == (1, ["mail_queued", "mail_sent"])


def _killed_after_send(celery_processes, smtp, order) -> tuple[OutboundMail, str]:
    """A worker that dies (SIGKILL) right after the server accepted the mail, before marking the row.
    Returns the mail and the id of the task message the dead worker left unacknowledged."""
    celery_processes.env["OMS_TEST_CRASH_AFTER_SEND"] = "1"
    doomed = start_worker(celery_processes, "doomed")
    mail = queue_confirmation(order)
    wait_until(lambda: doomed.poll() is not None, timeout=60, message="the doomed worker did not die")
    assert doomed.returncode == -signal.SIGKILL
    assert len(smtp.messages) == 1
    mail.refresh_from_db()
    assert (mail.status, mail.attempts) == ("sending", 1)  # sent, but nobody wrote it down
    task_id = re.search(r"send_outbound_mail\[([0-9a-f-]+)\] received", celery_processes.log("doomed"))[1]
    del celery_processes.env["OMS_TEST_CRASH_AFTER_SEND"]
    return mail, task_id


def start_restarted_worker(celery_processes, settings_module: str) -> None:
    celery_processes.env["DJANGO_SETTINGS_MODULE"] = settings_module
    start_worker(celery_processes, "restarted")


def test_a_worker_killed_between_send_and_mark_still_leaves_exactly_one_mail(
    smtp, celery_processes, shop_order
):
    mail, task_id = _killed_after_send(celery_processes, smtp, shop_order)

    # The new worker gets the dead worker's task message back from the broker ...
    start_restarted_worker(celery_processes, "tests.notifications.restarted_worker_settings")
    # ... and beat's sweep finds the send overdue (a 1 s lease instead of 2 minutes).
    time.sleep(1.5)
    send_pending_mails.delay(lease_seconds=1, queued_seconds=0)

    log = lambda: celery_processes.log("restarted")  # noqa: E731
    wait_until(lambda: status(mail) == "failed", timeout=60, message="the sweep did not settle the mail")
    redelivered = f"send_outbound_mail[{task_id}] succeeded in "
    wait_until(lambda: redelivered in log(), timeout=30, message=f"no redelivery of {task_id}")
    assert log().split(redelivered, 1)[1].split("\n", 1)[0].endswith("'skipped'")
    time.sleep(3)
    assert len(smtp.messages) == 1
    assert mail.last_error.startswith("送信結果不明")
    assert mail.message_id in mail.last_error  # what staff look for in the server log
    assert timeline(shop_order) == ["mail_queued", "mail_failed"]


def test_with_an_idempotent_backend_the_overdue_mail_is_resent_under_the_same_message_id(
    smtp, celery_processes, shop_order
):
    mail, _task_id = _killed_after_send(celery_processes, smtp, shop_order)

    start_restarted_worker(celery_processes, "tests.notifications.idempotent_worker_settings")
    time.sleep(1.5)
    send_pending_mails.delay(lease_seconds=1, queued_seconds=0)

    wait_until(lambda: status(mail) == "sent", timeout=60, message=celery_processes.log("restarted")[-3000:])
    time.sleep(2)
    # Two SMTP transactions, one Message-ID: a receiver that drops repeated Message-IDs shows one mail.
    assert [m.raw_header("Message-ID").decode() for m in smtp.messages] == [mail.message_id] * 2
    assert (mail.attempts, timeline(shop_order)) == (2, ["mail_queued", "mail_sent"])
