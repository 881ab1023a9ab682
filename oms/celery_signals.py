"""Celery signal handlers: logging from Django's LOGGING, the task id on every log line, task metrics, stock
push latency, and the dead-letter record of tasks that failed for good. oms.celery imports this module.

Infrastructure only: no business rule lives here (STYLE.md); the dead letter is written by a service.
"""

import contextlib
import logging
import time
import traceback
from datetime import datetime

from celery import signals

from oms import metrics
from oms.logs import request_id_var, task_id_var, task_name_var

logger = logging.getLogger(__name__)

# Message headers we add when a task is sent; the worker sees them as attributes of task.request.
ENQUEUED_HEADER = "oms_enqueued_at"
REQUEST_HEADER = "oms_request_id"
STOCK_PUSH_TASK = "channels.tasks.push_channel_stock"
_STATES = {"SUCCESS": "success", "FAILURE": "failure", "RETRY": "retry"}

# task id -> stack of (start, context tokens); a stack because an eager retry runs again under the same id.
_running: dict[str, list[tuple[float, tuple]]] = {}


@signals.setup_logging.connect
def logging_from_django(**_kwargs) -> None:
    """Workers and beat log like the web server (settings.LOGGING: LOG_FORMAT, redaction) instead of
    Celery's own set-up."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@signals.before_task_publish.connect
def stamp_message(headers=None, **_kwargs) -> None:
    if headers is None:
        return
    headers.setdefault(ENQUEUED_HEADER, time.time())
    request_id = request_id_var.get()
    if request_id:
        headers.setdefault(REQUEST_HEADER, request_id)


@signals.task_prerun.connect
def task_started(task_id=None, task=None, **_kwargs) -> None:
    # A task started by a web request keeps that request's id, so its lines can be followed across both.
    request_id = (getattr(task.request, REQUEST_HEADER, None) if task else None) or ""
    tokens = (
        task_id_var.set(task_id or ""),
        task_name_var.set(task.name if task else ""),
        request_id_var.set(request_id),
    )
    _running.setdefault(task_id or "", []).append((time.monotonic(), tokens))


@signals.task_postrun.connect
def task_finished(task_id=None, task=None, retval=None, state=None, **_kwargs) -> None:
    stack = _running.get(task_id or "")
    if not stack:
        return
    started, tokens = stack.pop()
    if not stack:
        _running.pop(task_id or "", None)
    try:
        label = _STATES.get(state or "")
        if task is not None and label:
            metrics.task_observed(task.name, label, time.monotonic() - started)
        if task is not None and task.name == STOCK_PUSH_TASK and state == "SUCCESS":
            _observe_push_latency(task, retval)
    finally:
        for var, token in zip((task_id_var, task_name_var, request_id_var), tokens, strict=True):
            var.reset(token)


def _observe_push_latency(task, retval) -> None:
    """From when the push fell due (sent, or its countdown's end) to now, for pushes that told the shop."""
    if not isinstance(retval, dict) or "skipped" in retval or retval.get("error"):
        return
    enqueued = getattr(task.request, ENQUEUED_HEADER, None)
    if enqueued is None:
        return
    due = float(enqueued)
    eta = getattr(task.request, "eta", None)
    if eta:
        with contextlib.suppress(ValueError):
            due = max(due, datetime.fromisoformat(str(eta)).timestamp())
    metrics.stock_push_observed(retval.get("channel", ""), max(time.time() - due, 0.0))


@signals.task_failure.connect
def task_failed_for_good(
    sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_kw
):
    """task_failure comes only when no retry is left (a retry sends task_retry instead)."""
    from oms.failed_tasks import failed_task_record

    name = getattr(sender, "name", "") or "unknown"
    trace = str(einfo) if einfo is not None else "".join(traceback.format_exception(exception))
    try:
        failed_task_record(
            task_name=name,
            task_id=task_id or "",
            args=args,
            kwargs=kwargs,
            exception=exception or Exception("unknown"),
            traceback_text=trace,
        )
    except Exception:
        logger.exception("could not record the failure of task %s[%s]", name, task_id)
