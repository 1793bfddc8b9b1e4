"""Notification reads: a user's inbox and their unread count."""

from django.db.models import Case, IntegerField, QuerySet, Value, When

from apps.accounts.models import AgentProfile, role_of
from apps.accounts.types import User
from apps.core.ids import MAX_DB_ID

from .models import Notification

# What a stakeholder is told: notices about no case (they see no customer's name or case,
# apps/accounts/confinement.py). Only spikes are written for them today; this is the second
# wall, should another service ever write them something else.
STAKEHOLDER_KINDS = frozenset({Notification.Kind.ROOT_CAUSE_SPIKE})


def notifications_of(user: User) -> QuerySet[Notification]:
    """Every notification the user may see: their own, and for a stakeholder only the
    kinds about no case."""
    mine = Notification.objects.filter(recipient=user)
    if role_of(user) == AgentProfile.Role.STAKEHOLDER:
        mine = mine.filter(kind__in=STAKEHOLDER_KINDS, case__isnull=True)
    return mine


def notifications_for(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, unread first, each group newest first, with their cases.

    The filter is the (recipient, -created_at) index; the unread-first order sorts one
    user's notices, not the table."""
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        notifications_of(user)
        .select_related("case")
        .alias(unread_first=unread_first)
        .order_by("unread_first", "-created_at", "-id")
    )


def notification_of(*, user: User, notification_id: int) -> Notification:
    """One of the user's notifications; Notification.DoesNotExist for anyone else's."""
    if not 1 <= int(notification_id) <= MAX_DB_ID:
        raise Notification.DoesNotExist
    return notifications_of(user).get(pk=notification_id)


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread (the partial index counts them)."""
    return notifications_of(user).filter(read_at__isnull=True).count()
