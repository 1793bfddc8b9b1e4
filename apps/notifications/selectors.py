"""Notification reads: a user's inbox and their unread count."""

from django.db.models import QuerySet

from apps.accounts.types import User

from .models import Notification


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first, with the case each names."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related("case")
        .order_by("-created_at", "-id")
    )


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread (the partial index counts them)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
