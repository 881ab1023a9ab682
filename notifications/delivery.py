"""Handing one outbox mail to the configured mail backend, and telling failures apart: definite (retry or
give up) or unknown outcome (the backend may have taken the mail; notifications.services decides)."""

import logging
import smtplib

import requests
from anymail.exceptions import AnymailInvalidAddress, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend

from notifications.models import OutboundMail

logger = logging.getLogger(__name__)


def outcome_unknown(exc: Exception) -> bool:
    """Set by mail_deliver on the exception it raises."""
    return getattr(exc, "oms_outcome_unknown", False)


class _DataPhaseWatch:
    """Wraps smtplib's DATA command: a failure there without an answer from the server (timeout, broken
    connection) means the server may have taken the message, so the outcome is unknown."""

    def __init__(self, smtp: smtplib.SMTP):
        self.unanswered = False
        original = smtp.data

        def data(msg):
            try:
                return original(msg)
            except smtplib.SMTPResponseException:
                raise  # the server answered: a clear refusal
            except Exception:
                self.unanswered = True
                raise

        smtp.data = data


def mail_deliver(*, mail: OutboundMail) -> None:
    """Hand the mail to the configured backend; raises on failure. Precondition: the row is claimed."""
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[mail.to],
        headers={"Message-ID": mail.message_id},
    )
    email_deliver(message=message, label=f"mail {mail.pk}")


def email_deliver(*, message: EmailMessage, connection=None, label: str = "") -> None:
    """Send one message through `connection` (default: the configured backend); raises on failure, with
    `oms_outcome_unknown` set on the exception when the server may have taken the message anyway."""
    connection = connection or get_connection(fail_silently=False)
    connection.open()
    watch = None
    if isinstance(connection, SMTPBackend) and connection.connection is not None:
        watch = _DataPhaseWatch(connection.connection)
    try:
        try:
            sent = connection.send_messages([message])
        except Exception as exc:
            exc.oms_outcome_unknown = bool(watch and watch.unanswered) or _api_read_timed_out(exc)
            raise
        if sent != 1:
            raise RuntimeError(f"the mail backend reported {sent} messages sent")
    finally:
        try:  # the mail is out; a failing QUIT must not turn it into a failure that would be retried
            connection.close()
        except Exception as exc:
            logger.info("closing the mail connection failed after %s: %r", label, type(exc))


def _api_read_timed_out(exc: Exception) -> bool:
    """An ESP API call whose answer never came: the ESP may have accepted the mail."""
    return isinstance(exc.__cause__, requests.exceptions.ReadTimeout)


def is_permanent_failure(exc: Exception) -> bool:
    """A 5xx answer: retrying the same message to the same address will not help."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress)
