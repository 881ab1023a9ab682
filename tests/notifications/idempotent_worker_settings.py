"""Settings for a restarted worker in tests/e2e/test_mail.py whose mail backend is declared idempotent
(it drops a repeated Message-ID)."""

from tests.notifications.restarted_worker_settings import *  # noqa: F403

OMS_MAIL_BACKEND_IDEMPOTENT = True
