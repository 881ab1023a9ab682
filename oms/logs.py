"""Log plumbing: the request or task a line belongs to, redaction, and the JSON line format (LOG_FORMAT=json).

The ids live in context variables: RequestIdMiddleware sets the request's, the Celery task_prerun handler
(oms.celery_signals) the task's. Both filters go on the handler, so every line a handler writes, from any
logger, carries the ids and has passed redaction.
"""

import json
import logging
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime

from oms.redaction import redact_data, redact_text

request_id_var: ContextVar[str] = ContextVar("oms_request_id", default="")
task_id_var: ContextVar[str] = ContextVar("oms_task_id", default="")
task_name_var: ContextVar[str] = ContextVar("oms_task_name", default="")

# Attributes every LogRecord has; anything else on a record came in through `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "context_id"}
_CONTEXT = {"request_id", "task_id", "task_name"}
# Objects Django passes as `extra` that must never be written whole (headers, cookies, the session).
_NEVER_WRITTEN = {"request", "response", "scope"}


class ContextFilter(logging.Filter):
    """Adds request_id, task_id and task_name (empty when none) and context_id (the one there is, or -)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.task_id = task_id_var.get()
        record.task_name = task_name_var.get()
        record.context_id = record.request_id or record.task_id or "-"
        return True


class RedactingFilter(logging.Filter):
    """Rewrites the message, the exception text and `extra` values without personal data or secrets."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep its text, not its arguments
            message = str(record.msg)
        record.msg, record.args = redact_text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and key not in _CONTEXT and key not in _NEVER_WRITTEN:
                setattr(record, key, redact_data(value) if isinstance(value, dict | list | str) else value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the ids, the exception and `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "task_id", "task_name"):
            if getattr(record, key, ""):
                entry[key] = getattr(record, key)
        request = getattr(record, "request", None)
        if request is not None and hasattr(request, "method"):
            entry["method"], entry["path"] = request.method, getattr(request, "path", "")
        for key, value in record.__dict__.items():
            if key in _STANDARD or key in _CONTEXT or key in _NEVER_WRITTEN:
                continue
            if key == "data" and record.name.startswith("celery."):
                continue  # Celery's copy of the message's task id, name, arguments and result
            entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)
