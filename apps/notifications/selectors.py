"""Notification reads: a user's inbox and their unread count."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from apps.accounts.types import User
from apps.core.ids import MAX_DB_ID

from .models import Notification


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, unread first, each group newest first, with their cases.

    The filter is the (recipient, -created_at) index; the unread-first order sorts one
    user's notices, not the table."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        Notification.objects.filter(recipient=user)
        .select_related("case")
        .alias(unread_first=unread_first)
        .order_by("unread_first", "-created_at", "-id")
    )


def notification_of(*, user: User, notification_id: int) -> Notification:
    """One of the user's notifications; Notification.DoesNotExist for anyone else's."""
    if not 1 <= int(notification_id) <= MAX_DB_ID:
        raise Notification.DoesNotExist
    return Notification.objects.get(recipient=user, pk=notification_id)


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread (the partial index counts them)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
