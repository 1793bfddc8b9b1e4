"""Reads on the taxonomy and on cases' suggestions."""

from .models import RootCause


def root_cause_choices() -> list[tuple[int, str]]:
    """(id, path) of every current node, by path: what a case may be given (one query)."""
    return list(RootCause.objects.active().order_by("path", "id").values_list("pk", "path"))
