"""Fixtures for the mail tests: the demo's templates, an order, a real SMTP server on loopback."""

import pytest

from tests.notifications.fixtures import create_mail_templates, create_shop_order
from tests.notifications.smtp_server import CollectingHandler, smtp_server


@pytest.fixture
def mail_templates(db):
    return create_mail_templates()


@pytest.fixture
def shop_order(db):
    return create_shop_order()


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1: yields (handler, port)."""
    with smtp_server(CollectingHandler()) as server:
        yield server


@pytest.fixture
def mail_to_smtp(settings, smtp):
    """Django's SMTP backend pointed at the loopback server; yields its handler."""
    handler, port = smtp
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    settings.EMAIL_TIMEOUT = 5
    return handler
