"""One error shape for every refusal: {"error": {"code", "message", "field", "details"}}, in the caller's language.

`code` is stable (integrations branch on it), `message` is for a person (ja or en by Accept-Language),
`field` names the offending input (dotted for nested input, e.g. `0.on_hand`) or is null, and
`details` lists every problem when there are several (validation) or carries facts (a transition's
from/to).
"""

import math

from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework import exceptions, serializers, status
from rest_framework.views import exception_handler as drf_exception_handler

from inventory.services import InsufficientStock, NegativeStockError, StockError
from oms.api.actions import CountsRefused, HoldNotReleasable
from orders.editing import EditRefused
from orders.services import IllegalStatusTransition
from shipping.services import ShipRefused, TrackingNumberTaken

# Domain refusals raised by services, most specific first: (exception class, HTTP status, stable code).
DOMAIN_ERRORS: list[tuple[type[Exception], int, str]] = [
    (IllegalStatusTransition, status.HTTP_409_CONFLICT, "illegal_transition"),
    (HoldNotReleasable, status.HTTP_409_CONFLICT, "hold_not_releasable"),
    (CountsRefused, status.HTTP_409_CONFLICT, "counts_refused"),
    (NegativeStockError, status.HTTP_409_CONFLICT, "negative_stock"),
    (InsufficientStock, status.HTTP_409_CONFLICT, "insufficient_stock"),
    (StockError, status.HTTP_409_CONFLICT, "stock_refused"),
    (EditRefused, status.HTTP_409_CONFLICT, "edit_refused"),
    (TrackingNumberTaken, status.HTTP_409_CONFLICT, "tracking_number_taken"),
    (ShipRefused, status.HTTP_409_CONFLICT, "ship_refused"),
]

# DRF's own codes renamed where theirs are less plain; anything else keeps DRF's code.
CODE_NAMES = {"throttled": "rate_limited"}


class ApiError(exceptions.APIException):
    """A refusal a view or action raises with its own code, message, field and details."""

    def __init__(self, *, status_code: int, code: str, message: str, field=None, details=None):
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.error = {"code": code, "message": str(message), "field": field, "details": details or []}


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `illegal_transition`.")
    message = serializers.CharField(help_text="For a person, in the request's language (ja or en).")
    field = serializers.CharField(allow_null=True, help_text="The offending input, or null.")
    details = serializers.ListField(
        child=serializers.JSONField(),
        help_text="Every problem (validation: objects with field, code, message) or facts about the refusal.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


def _flatten(detail, path: str = "") -> list[dict]:
    """ValidationError detail (nested dicts and lists) → [{"field": "0.on_hand", "code", "message"}]."""
    if isinstance(detail, dict):
        return [
            problem
            for key, value in detail.items()
            for problem in _flatten(
                value, path if key == "non_field_errors" else (f"{path}.{key}" if path else str(key))
            )
        ]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [problem for item in detail for problem in _flatten(item, path)]
        return [
            problem
            for index, item in enumerate(detail)
            for problem in _flatten(item, f"{path}.{index}" if path else str(index))
        ]
    return [{"field": path or None, "code": getattr(detail, "code", "invalid"), "message": str(detail)}]


def error_body(exc: exceptions.APIException) -> dict:
    if isinstance(exc, ApiError):
        return exc.error
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail) or [{"field": None, "code": "invalid", "message": _("Invalid input.")}]
        first = details[0]
        return {
            "code": "validation_error",
            "message": first["message"],
            "field": first["field"],
            "details": details,
        }
    code = exc.get_codes()
    code = code if isinstance(code, str) else exc.default_code
    message, details = str(exc.detail), []
    if isinstance(
        exc, exceptions.Throttled
    ):  # DRF's own text is half translated ("… Expected available in …")
        wait = math.ceil(exc.wait or 0)
        message = (
            ngettext(
                "Too many requests; try again in %(wait)d second.",
                "Too many requests; try again in %(wait)d seconds.",
                wait,
            )
            % {"wait": wait}
            if wait
            else _("Too many requests; try again later.")
        )
    elif isinstance(exc, exceptions.ParseError):  # the parser's own words (Python's, in English) as a detail
        message, details = _("The request body could not be read as JSON."), [{"message": str(exc.detail)}]
    return {"code": CODE_NAMES.get(code, code), "message": message, "field": None, "details": details}


def api_exception_handler(exc, context):
    """DRF's handler (headers such as Retry-After, WWW-Authenticate and Allow, rollback), then our shape."""
    for exc_class, status_code, code in DOMAIN_ERRORS:
        if isinstance(exc, exc_class):
            details = []
            if isinstance(exc, IllegalStatusTransition):
                details = [{"from": exc.from_status, "to": exc.to_status}]
            elif isinstance(exc, CountsRefused):
                details = [
                    {"field": f"{index}.on_hand", "code": "negative_stock", "message": message}
                    for index, message in exc.errors
                ]
            field = details[0].get("field") if details else None
            exc = ApiError(status_code=status_code, code=code, message=str(exc), field=field, details=details)
            break
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, Exception) and not isinstance(exc, exceptions.APIException):
        exc = exceptions.NotFound() if response.status_code == 404 else exceptions.PermissionDenied()
    response.data = {"error": error_body(exc)}
    return response
