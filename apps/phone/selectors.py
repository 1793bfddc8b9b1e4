"""Reads on calls, with the joins their pages need (a fixed number of queries)."""

from django.db.models import QuerySet

from apps.accounts.types import User

from .models import Call


def call_list_for(*, user: User) -> QuerySet[Call]:
    """Every call on a case the user may see, newest first."""
    return (
        Call.objects.visible_to(user)
        .select_related("agent", "contact", "case")
        .order_by("-created_at", "-id")
    )
