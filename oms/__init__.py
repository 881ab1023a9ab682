"""The OMS Django project: settings, URLs, the Celery app and process supervision for `make run`."""

from .celery import app as celery_app

__all__ = ("celery_app",)
