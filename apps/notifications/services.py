"""Notifications: written in the transaction of what they announce, read in the app."""

from collections.abc import Iterable

from django.utils import timezone

from apps.accounts.types import User
from apps.cases.models import Case

from .models import Notification

Kind = Notification.Kind


def notify_many(items: Iterable[tuple[User, str, Case | None, str]]) -> list[Notification]:
    """One notification per (recipient, kind, case, text), in one INSERT."""
    rows = [
        Notification(recipient=user, kind=kind, case=case, text=text[:500])
        for user, kind, case, text in items
    ]
    return Notification.objects.bulk_create(rows) if rows else []


def notifications_mark_read(*, user: User, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications read (all unread ones, or only `ids`)."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
