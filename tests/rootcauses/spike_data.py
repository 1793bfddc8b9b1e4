"""Cases by day for the spike tests: root causes old enough to be tested, and their history."""

from datetime import UTC, date, datetime, timedelta

import time_machine

from apps.cases.models import Case, Channel
from apps.rootcauses import services
from tests.factories import ContactFactory

NOW = datetime(2026, 3, 18, 15, 0, tzinfo=UTC)  # a Wednesday afternoon (TIME_ZONE is UTC)
TODAY = NOW.date()


def aged_cause(name: str, owner_team, *, days_old: int = 90, parent=None):
    """A root cause made `days_old` days before NOW: old enough for a whole baseline."""
    with time_machine.travel(NOW - timedelta(days=days_old), tick=False):
        return services.root_cause_create(name=name, owner_team=owner_team, parent=parent)


def add_cases(cause, day: date, count: int, *, hour: int = 9) -> None:
    """`count` cases tagged with `cause`, created on `day` from `hour` o'clock, a minute apart."""
    contact = ContactFactory()
    start = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    Case.objects.bulk_create(
        Case(
            subject=f"Case {i} of {cause.name}",
            channel=Channel.EMAIL,
            requester=contact,
            root_cause=cause,
            created_at=start + timedelta(minutes=i),
        )
        for i in range(count)
    )


def steady_history(cause, *, per_day: int = 2, days: int = 28, before: date = TODAY) -> None:
    """`per_day` cases a day on each of the `days` days before `before`."""
    for back in range(1, days + 1):
        add_cases(cause, before - timedelta(days=back), per_day)
