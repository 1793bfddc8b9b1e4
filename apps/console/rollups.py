"""The volume rollups: per day × team × channel × priority, the cases opened and what they
add up to — what the supervisors' reports read over long periods at a million cases.

A case counts on the day (of TIME_ZONE) it was opened (`Case.created_at`), with its current
team, channel and priority; a case merged into another does not count (its conversation is
the other case's). A cell (`VolumeRollupCell`) holds ``cases``; ``reopened_cases`` (reopened
at least once) and ``reopens`` (`Case.reopen_count`); ``handle_seconds`` and
``handled_cases`` — the talk time of calls and length of chats (`CaseMetrics.handle_seconds`,
apps/sla/metrics.py) and how many of the cases have any.

Exact at all times by the rules of apps/core/rollups.py, as the SLA and root-cause rollups:
a change marks its days in its own transaction (the seam's in-transaction subscriber, the
SLA metrics writer, the admin's delete); readers take only built unmarked days wholly
inside the period and count the rest from the cases with the same aggregates (`FIGURES`);
a build deletes only the marks it read (`rollups_build`: beat and `manage.py
console_rollups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from apps.cases import events
from apps.cases.events import CaseChange
from apps.cases.models import Case
from apps.core.rollups import Coverage, DailyRollups
from apps.sla.models import CaseMetrics

from .models import VolumeRollupCell, VolumeRollupDay, VolumeRollupMark

ROLLUPS = DailyRollups(
    day_model=VolumeRollupDay, mark_model=VolumeRollupMark, lock="cxdesk.console.rollups"
)
KEY = ("team_id", "channel", "priority")
COUNTED = Q(merged_into__isnull=True)
FIGURES: dict[str, Any] = {
    "cases": Count("id"),
    "reopened_cases": Count("id", filter=Q(reopen_count__gt=0)),
    "reopens": Coalesce(Sum("reopen_count"), 0),
    "handle_seconds": Coalesce(Sum("metrics__handle_seconds"), 0),
    "handled_cases": Count("id", filter=Q(metrics__handle_seconds__gt=0)),
}
ROLLED_UP_FIELDS = frozenset(
    {"team", "channel", "priority", "merged_into", "reopen_count", "created_at"}
)


# --- marks ---------------------------------------------------------------------------------


def case_changes_mark(changes: Sequence[CaseChange]) -> None:
    """The seam's in-transaction subscriber: mark the opening day of each case whose figures
    may have moved (≤ 2 queries). A case opened now needs no mark (its day is not built
    before it commits: apps/core/rollups.py, MARK_MARGIN)."""
    ROLLUPS.mark_buildable(events.openings_of(changes, ROLLED_UP_FIELDS))


def metrics_changed_mark(stored: CaseMetrics | None, row: CaseMetrics) -> None:
    """The SLA recompute stored other metrics: mark the case's day when its handle time moved."""
    before = 0 if stored is None else stored.handle_seconds
    if before != row.handle_seconds:
        ROLLUPS.mark([row.opened_at])


def case_deleted_mark(sender: Any, instance: Case, **kwargs: Any) -> None:
    """pre_delete of a case: its day, and the days of the cases merged into it (they count
    again once their merged_into is set null)."""
    merged = Case.objects.filter(merged_into=instance).values_list("created_at", flat=True)
    ROLLUPS.mark([instance.created_at, *merged])


# --- the build -----------------------------------------------------------------------------


def rollups_build(
    *, now: datetime | None = None, max_days: int | None = 31, rebuild: bool = False
) -> dict[str, int]:
    """Build the days up to yesterday that are missing, marked or of another TIME_ZONE
    (`rebuild`: every one), at most `max_days` a call (newest first; None: all)."""
    return ROLLUPS.build(
        build_day=_build_day,
        earliest=lambda: Case.objects.filter(COUNTED).aggregate(first=Min("created_at"))["first"],
        now=now,
        max_days=max_days,
        rebuild=rebuild,
    )


def _build_day(day: date, zone: Any, now: datetime) -> None:
    """Replace the day's cells: one INSERT … SELECT of its cases."""
    row = ROLLUPS.build_day_row(day, zone, now)
    VolumeRollupCell.objects.filter(day=row).delete()
    cases = Case.objects.filter(COUNTED, created_at__gte=row.start, created_at__lt=row.end)
    cells = cases.values(*KEY).annotate(**FIGURES).values_list(*KEY, *FIGURES).order_by()
    sql, params = cells.query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in ["day_id", *KEY, *FIGURES])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(VolumeRollupCell._meta.db_table)} ({names}) "
            f"SELECT %s, d.* FROM ({sql}) AS d",
            [row.pk, *params],
        )


# --- reading -------------------------------------------------------------------------------


def covered_days(start: datetime, end: datetime) -> Coverage:
    return ROLLUPS.covered_days(start, end)


def period_figures(
    coverage: Coverage, cases: Q, by: Iterable[str] = ()
) -> dict[tuple[Any, ...], dict[str, int]]:
    """The figures of the period's cases `cases` (a Q on team_id, channel, priority), grouped
    by `by` — any of team_id, channel, priority and "day" (the local date of TIME_ZONE the
    case was opened on) — in ≤ 2 queries: the covered days' cells and the rest's rows."""
    by = list(by)
    names = list(FIGURES)
    result: dict[tuple[Any, ...], dict[str, int]] = {}

    def add(rows: Iterable[dict[str, Any]]) -> None:
        for values in rows:
            if not values["cases"]:  # an aggregate over no rows
                continue
            key = tuple(values[k] for k in by)
            into = result.setdefault(key, dict.fromkeys(names, 0))
            for name in names:
                into[name] += values[name] or 0

    # With no grouping, an aggregate: `.values()` without fields would group by every
    # column, one row per cell or case.
    if coverage.days:
        cells = VolumeRollupCell.objects.filter(cases, day_id__in=coverage.days)
        sums = {name: Sum(name) for name in names}
        if by:
            cell_by = ["day__day" if k == "day" else k for k in by]
            rows = cells.values(*cell_by).annotate(**sums).order_by()
            add({**r, "day": r.get("day__day")} for r in rows)
        else:
            add([cells.aggregate(**sums)])
    if coverage.ranges:
        zone = timezone.get_default_timezone()
        row_cases = Case.objects.filter(COUNTED, cases, coverage.rows("created_at"))
        if "day" in by:
            row_cases = row_cases.annotate(day=TruncDate("created_at", tzinfo=zone))
        if by:
            add(row_cases.values(*by).annotate(**FIGURES).order_by())
        else:
            add([row_cases.aggregate(**FIGURES)])
    return result
