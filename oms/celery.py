"""The Celery app: configured from Django settings, tasks discovered in every app's tasks.py, and the signal
handlers for logging, metrics and dead letters (oms.celery_signals)."""

import os

from celery import Celery

from oms import celery_signals  # noqa: F401  (importing it connects the handlers)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")

app = Celery("oms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
