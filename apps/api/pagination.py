from rest_framework.pagination import CursorPagination


class CxCursorPagination(CursorPagination):
    """Opaque cursors: stable and fast however deep a client pages (no OFFSET, no COUNT)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-created_at"
