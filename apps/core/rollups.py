"""Daily rollups kept exact by marks: the mechanism the SLA summary's rollups
(apps/sla/rollups.py) and the root-cause rollups (apps/rootcauses/rollups.py) share.

A rollup stores, per day of TIME_ZONE, what that day's rows add up to. Three rules keep a
reader exact at all times, whatever the builds' schedule:

1. **A change marks its days.** Every writer of a rolled-up figure writes, in its own
   transaction, a mark (a row of `mark_model`: the instants [start, end] whose days changed).
2. **A marked day is read from the rows.** `covered_days` gives a reader the built days
   inside its period that no mark touches; the rest — the period's edges, today, marked or
   unbuilt days — is read from the rows (`Coverage.rows`).
3. **A build deletes only the marks it read.** `build` reads the committed marks, rebuilds
   their days from the rows (later statements: they see every change whose mark they read)
   and deletes those marks by id. A change still in flight has its mark uncommitted: not
   read, not deleted, so its day stays marked until the next build.

What a day holds is the caller's (`build_day`); the days' and marks' tables have the same
shape in each app: a day (`day`, `start` unique, `end`, `built_at`) and a mark (`start`,
`end`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone


@contextmanager
def snapshot() -> Iterator[None]:
    """A reader's queries see one state of the database: on PostgreSQL a REPEATABLE READ
    transaction (when not inside one already), so a build or a change committing meanwhile
    is seen whole or not at all. SQLite's transactions are serialisable."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def local_day(day: date, zone: Any) -> tuple[datetime, datetime]:
    """The instants [start, end) of a local day (23 or 25 hours on a DST change)."""
    start = datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone).astimezone(UTC)
    return start, end


def days_between(start: datetime, end: datetime, zone: Any) -> list[date]:
    """The local days from `start`'s to `end`'s, both included."""
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# A day is built only once it has ended (builds go up to yesterday), from a snapshot taken
# then. A change to a day that ends more than this after now commits long before any build
# of it can start, so it needs no mark: a case opened now (every API create, every new
# email) costs no INSERT. A transaction open longer than this is not one of ours.
MARK_MARGIN = timedelta(hours=1)


def may_be_built_soon(instant: datetime) -> bool:
    """False when the local day (TIME_ZONE) of `instant` ends more than MARK_MARGIN from now."""
    zone = timezone.get_default_timezone()
    day = timezone.localtime(instant, zone).date()
    return local_day(day, zone)[1] - timezone.now() <= MARK_MARGIN


@dataclass(frozen=True)
class Coverage:
    """Which part of a period the rollups answer (`days`, ids) and which the rows do."""

    days: list[int]
    ranges: list[tuple[datetime, datetime]]  # half-open, in order

    def rows(self, column: str) -> Q:
        """The rows whose `column` lies in the uncovered ranges (none: matches nothing)."""
        q = Q(pk__in=[])
        for start, end in self.ranges:
            q |= Q(**{f"{column}__gte": start, f"{column}__lt": end})
        return q


@dataclass(frozen=True)
class DailyRollups:
    """One app's days and marks (their models) and the name of its build's lock."""

    day_model: type[models.Model]
    mark_model: type[models.Model]
    lock: str

    # --- marks: written by every change of a rolled-up figure, in its transaction ---

    def mark(self, instants: Iterable[datetime | None]) -> None:
        """The days holding these instants have changed."""
        points = sorted({t for t in instants if t is not None})
        if points:
            self.mark_model._default_manager.bulk_create(
                self.mark_model(start=t, end=t) for t in points
            )

    def mark_buildable(self, instants: Iterable[datetime | None]) -> None:
        """`mark`, for the instants whose day a build may start on before this transaction
        commits (`may_be_built_soon`): a change to a young day needs no mark."""
        self.mark(t for t in instants if t is not None and may_be_built_soon(t))

    def mark_span(self, start: datetime, end: datetime) -> None:
        """Every day from `start`'s to `end`'s has changed."""
        self.mark_model._default_manager.create(start=start, end=end)

    # --- reading ---

    def covered_days(self, start: datetime, end: datetime) -> Coverage:
        """The built, unmarked days wholly inside [start, end), and the ranges left over."""
        touched = self.mark_model._default_manager.filter(
            start__lt=OuterRef("end"), end__gte=OuterRef("start")
        )
        days = (
            self.day_model._default_manager.filter(start__gte=start, end__lte=end)
            .exclude(Exists(touched))
            .order_by("start")
            .values_list("pk", "start", "end")
        )
        ids: list[int] = []
        ranges: list[tuple[datetime, datetime]] = []
        cursor = start
        for pk, day_start, day_end in days:
            if day_start < cursor:  # overlaps one taken (days of an older TIME_ZONE)
                continue
            if day_start > cursor:
                ranges.append((cursor, day_start))
            ids.append(pk)
            cursor = day_end
        if cursor < end:
            ranges.append((cursor, end))
        return Coverage(days=ids, ranges=ranges)

    # --- the build ---

    def build_lock(self) -> bool:
        """One build at a time (PostgreSQL: a transaction advisory lock; SQLite writes one
        at a time anyway)."""
        if connection.vendor != "postgresql":
            return True
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", [self.lock])
            return bool(cursor.fetchone()[0])

    def build(
        self,
        *,
        build_day: Callable[[date, Any, datetime], None],
        earliest: Callable[[], datetime | None],
        lock: Callable[[], bool] | None = None,
        now: datetime | None = None,
        max_days: int | None = 31,
        rebuild: bool = False,
    ) -> dict[str, int]:
        """Build the days up to yesterday that are missing, marked or of another TIME_ZONE
        (`rebuild`: every one) from the first row's (`earliest`), at most `max_days` a call
        (newest first; the rest next time; None: all). `build_day(day, zone, now)` replaces
        one day's figures (and its day row: `build_day_row`). Idempotent; two at once on
        PostgreSQL: the second returns at once."""
        now = now or timezone.now()
        zone = timezone.get_default_timezone()
        with transaction.atomic():
            if not (lock or self.build_lock)():
                return {"built": 0, "dropped": 0, "marks": 0, "busy": 1}
            yesterday = now.astimezone(zone).date() - timedelta(days=1)
            first = earliest()
            if first is None:
                return {"built": 0, "dropped": 0, "marks": 0, "busy": 0}
            built = {
                start: (pk, end)
                for pk, start, end in self.day_model._default_manager.values_list(
                    "pk", "start", "end"
                )
            }
            # Days of another zone (TIME_ZONE changed) go; their instants are rebuilt.
            wanted = {
                local_day(d, zone): d
                for d in days_between(first, local_day(yesterday, zone)[0], zone)
                if d <= yesterday
            }
            stray = [pk for start, (pk, end) in built.items() if (start, end) not in wanted]
            if stray:
                self.day_model._default_manager.filter(pk__in=stray).delete()
            marks = list(
                self.mark_model._default_manager.order_by("pk").values_list("pk", "start", "end")[
                    :10_000
                ]
            )
            marked: set[date] = set()
            for _pk, start, end in marks:
                marked.update(days_between(start, end, zone))
            todo = sorted(
                (d for span, d in wanted.items() if rebuild or span[0] not in built or d in marked),
                reverse=True,
            )[:max_days]
            for d in todo:
                build_day(d, zone, now)
            # A mark goes once every day it touches is built now (or is not a day to build:
            # today, the future, before the first row).
            done, days = set(todo), set(wanted.values())
            finished = [
                pk
                for pk, start, end in marks
                if all(d in done or d not in days for d in days_between(start, end, zone))
            ]
            self.mark_model._default_manager.filter(pk__in=finished).delete()
            return {"built": len(todo), "dropped": len(stray), "marks": len(finished), "busy": 0}

    def build_day_row(self, day: date, zone: Any, now: datetime) -> Any:
        """The day's row, created or refreshed (its figures cascade from it)."""
        start, end = local_day(day, zone)
        row, _ = self.day_model._default_manager.update_or_create(
            start=start, defaults={"day": day, "end": end, "built_at": now}
        )
        return row
