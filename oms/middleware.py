"""Request id middleware: every request gets an id (the proxy's X-Request-ID when it sent a sane one), set
for the log lines written while it runs (oms.logs) and returned in the X-Request-ID response header."""

import re
import uuid

from django.core.signals import request_finished

from oms.logs import request_id_var

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _SANE.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        # Not reset on the way out: Django logs 4xx and 5xx responses after the middleware chain has
        # returned. request_finished, sent once the response is closed, clears it.
        request_id_var.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _clear_request_id(**_kwargs) -> None:
    request_id_var.set("")


request_finished.connect(_clear_request_id, dispatch_uid="oms.middleware.clear_request_id")
