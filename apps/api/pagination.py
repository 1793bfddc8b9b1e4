from datetime import UTC

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import Cursor, CursorPagination


class CxCursorPagination(CursorPagination):
    """Opaque cursors: stable and fast however deep a client pages (no OFFSET, no COUNT).

    A cursor carries the last row's ordering value, which a client can forge. A datetime
    position is read and converted to UTC here (PostgreSQL refuses offsets beyond ±15:59, and
    nothing stores a NUL): anything else is the "Invalid cursor" 404 a garbled cursor gets.
    """

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"

    def paginate_queryset(self, queryset, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is None or cursor.position is None:
            return cursor
        if "\x00" in cursor.position:
            raise NotFound(self.invalid_cursor_message)
        if self._orders_by_datetime():
            position = self._utc_position(cursor.position)
            cursor = Cursor(offset=cursor.offset, reverse=cursor.reverse, position=position)
        return cursor

    def _orders_by_datetime(self) -> bool:
        name = self.ordering[0].lstrip("-")
        try:
            field = self._model._meta.get_field(name)
        except FieldDoesNotExist:
            return False
        return isinstance(field, models.DateTimeField)

    def _utc_position(self, position: str) -> str:
        try:
            value = parse_datetime(position)
            if value is None:
                raise ValueError(position)
            if timezone.is_naive(value):
                value = timezone.make_aware(value)
            return str(value.astimezone(UTC))
        except (ValueError, OverflowError):
            raise NotFound(self.invalid_cursor_message) from None
