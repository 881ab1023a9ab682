"""Settings for the worker that tests/e2e/test_mail.py starts after killing one: the project's settings,
with a 1 s broker visibility timeout, so the new worker gets the killed worker's unacknowledged task
message back when it starts (in production that takes the hour of CELERY_BROKER_TRANSPORT_OPTIONS)."""

from oms.settings import *  # noqa: F403

CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 1}
