"""Dead letters: record a Celery task that failed for good, run one again, dismiss one."""

import hashlib
import json
import re

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from oms.models import FailedTask
from oms.redaction import REDACTED, redact_text

# Tasks take ids (STYLE.md); anything else in their arguments is not kept, in case it is personal data.
_ID_LIKE = re.compile(r"[\w.:-]{1,64}")
MAX_TEXT = 20_000


def _id_only(value):
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str) and _ID_LIKE.fullmatch(value) and "@" not in value:
        return value
    if isinstance(value, list | tuple):
        return [_id_only(item) for item in value]
    return REDACTED


def failed_task_record(
    *, task_name: str, task_id: str, args, kwargs, exception: BaseException, traceback_text: str = ""
) -> FailedTask:
    """Keep the failure for a person: a new row, or one more failure on the open row of the same call."""
    args = [_id_only(item) for item in (args or [])]
    kwargs = {str(key): _id_only(value) for key, value in (kwargs or {}).items()}
    fingerprint = hashlib.sha256(
        json.dumps([task_name, args, kwargs], sort_keys=True, default=str).encode()
    ).hexdigest()
    text = redact_text(f"{exception.__class__.__name__}: {exception}")[:MAX_TEXT]
    trace = redact_text(traceback_text)[-MAX_TEXT:]
    now = timezone.now()
    values = {"task_id": task_id, "exception": text, "traceback": trace, "failed_at": now}
    for _attempt in range(2):  # a concurrent insert of the same call wins once; the second try updates it
        with transaction.atomic():
            updated = FailedTask.objects.filter(fingerprint=fingerprint, resolved_at__isnull=True).update(
                failures=F("failures") + 1, **values
            )
            if updated:
                return FailedTask.objects.get(fingerprint=fingerprint, resolved_at__isnull=True)
            try:
                with transaction.atomic():
                    return FailedTask.objects.create(
                        task_name=task_name,
                        args=args,
                        kwargs=kwargs,
                        fingerprint=fingerprint,
                        first_failed_at=now,
                        **values,
                    )
            except IntegrityError:
                continue
    raise RuntimeError(f"could not record the failure of {task_name}")


def failed_task_retry(*, failed: FailedTask) -> str:
    """Send the task again with its stored arguments (tasks are idempotent) and close the dead letter.

    Returns the new task id. A call whose arguments were not kept (redacted) cannot be sent again."""
    from oms.celery import app

    if REDACTED in json.dumps([failed.args, failed.kwargs]):
        raise ValueError("the arguments of this call were not kept; run the work again by hand")
    result = app.send_task(failed.task_name, args=failed.args, kwargs=failed.kwargs)
    FailedTask.objects.filter(pk=failed.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution="requeued"
    )
    return result.id


def failed_task_dismiss(*, failed: FailedTask) -> None:
    FailedTask.objects.filter(pk=failed.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolution="dismissed"
    )
