"""`Idempotency-Key` for API writes: the first answer is kept; a retry with the same key and body replays it.

The key row is inserted in the transaction that does the work, before the work: a concurrent request with
the same key waits on the unique index until the first commits, then replays its answer. A refused or
failed request rolls its key row back with everything else, so it may be retried with the same key.
Keys are kept OMS_IDEMPOTENCY_KEY_HOURS (24) hours; an hourly beat task prunes older ones.

An endpoint that takes the header documents it with IDEMPOTENCY_PARAMETER and IDEMPOTENCY_REUSED_RESPONSE
(its 422), so every such endpoint describes it in the same words.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse
from rest_framework import status
from rest_framework.response import Response

from oms.api.errors import ApiError, ErrorSerializer
from oms.models import ApiKey, IdempotencyKey

HEADER = "Idempotency-Key"
REPLAY_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Marked for the catalogue here, translated where it is raised; the schema's example shows the English.
REUSED_MESSAGE = gettext_noop(
    "This Idempotency-Key was used with another request; use a new key for a new request."
)

IDEMPOTENCY_PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string per request (e.g. a UUID), 1 to 255 printable characters. A retry with "
    "the same key and body answers the first response again, with `Idempotent-Replayed: true`; keys are "
    "kept 24 hours.",
)
IDEMPOTENCY_REUSED_RESPONSE = OpenApiResponse(
    ErrorSerializer,
    description="The Idempotency-Key was used before with another request (another body or path).",
    examples=[
        OpenApiExample(
            "idempotency_key_reused",
            value={
                "error": {
                    "code": "idempotency_key_reused",
                    "message": REUSED_MESSAGE,
                    "field": HEADER,
                    "details": [],
                }
            },
        )
    ],
)


def _owner(request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def _request_hash(request) -> str:
    body = json.dumps(request.data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def _key(request) -> str | None:
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise ApiError(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="invalid_idempotency_key",
            message=_("The Idempotency-Key header must be 1 to 255 printable characters."),
            field=HEADER,
        )
    return key


def idempotent_response(request, work: Callable[[], tuple[int, dict]]) -> Response:
    """Run `work` (returning status and body) once per Idempotency-Key of this caller; without the header,
    just run it. Same key, other body or path: 422 `idempotency_key_reused`."""
    key = _key(request)
    if key is None:
        status_code, body = work()
        return Response(body, status=status_code)
    owner, request_hash = _owner(request), _request_hash(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    owner=owner,
                    key=key,
                    request_hash=request_hash,
                    method=request.method,
                    path=request.path[:500],
                )
        except IntegrityError:
            return _replay(IdempotencyKey.objects.get(owner=owner, key=key), request_hash)
        status_code, body = work()
        row.response_status, row.response_body = status_code, body
        row.save(update_fields=["response_status", "response_body"])
    return Response(body, status=status_code)


def _replay(row: IdempotencyKey, request_hash: str) -> Response:
    if row.request_hash != request_hash:
        raise ApiError(
            status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
            code="idempotency_key_reused",
            message=_(REUSED_MESSAGE),
            field=HEADER,
        )
    return Response(row.response_body, status=row.response_status, headers={REPLAY_HEADER: "true"})


def idempotency_keys_prune() -> int:
    """Forget the keys older than OMS_IDEMPOTENCY_KEY_HOURS (a retry that late is a new request); returns
    how many were deleted."""
    cutoff = timezone.now() - timedelta(hours=settings.OMS_IDEMPOTENCY_KEY_HOURS)
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
