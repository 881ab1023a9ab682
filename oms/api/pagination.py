"""Cursor pagination: stable pages while orders keep arriving, and no COUNT(*) over a big table."""

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    """`?cursor=` from the previous page's `next`; `?page_size=` up to 200. A malformed cursor is a 400."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    invalid_cursor_message = _("Invalid cursor.")

    def position_is_valid(self, position: str) -> bool:
        return True

    def get_page_size(self, request) -> int:
        """`page_size` from 1 to 200; anything else is a 400 rather than a silent default."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        _("A whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return int(raw)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size, default=self.page_size)
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "The `next` or `previous` link of the page before carries it."
        return parameters

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            cursor = None
            valid = False
        else:
            valid = cursor is None or cursor.position is None or self.position_is_valid(cursor.position)
        if not valid:
            raise exceptions.ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        return cursor


class OrderCursorPagination(ApiCursorPagination):
    """Newest orders first; ties on ordered_at are broken by id."""

    ordering = ("-ordered_at", "-pk")

    def position_is_valid(self, position: str) -> bool:
        try:
            return parse_datetime(position) is not None
        except ValueError:
            return False


class CodeCursorPagination(ApiCursorPagination):
    """Catalogue and stock in code order."""

    ordering = ("code",)


class NameCursorPagination(ApiCursorPagination):
    ordering = ("name",)
