"""The root-cause rollups: per root cause × day × team × channel, what the cases add up to.

A case counts on the day (of TIME_ZONE) it was opened (`Case.created_at`), with its current
root cause, team and channel; a case without a root cause, or merged into another (its
contact is the other case's), does not count. A cell (`RootCauseRollupCell`) holds:

- ``cases``; ``reopened_cases`` (reopened at least once) and ``reopens`` (`Case.reopen_count`);
- ``handle_seconds`` — the cases' handle time (`CaseMetrics.handle_seconds`: talk time of
  calls and length of chats, apps/sla/metrics.py), 0 for a case with no metrics yet;
- ``fcr_judged`` / ``fcr`` — the cases with an FCR verdict (solved; final or provisional)
  and how many of them are first-contact resolutions (`CaseMetrics.fcr`).

Distinct contacts do not add up across days (a customer writing on Monday and Tuesday is
one contact of the week), so they are not a count in the cell: each day keeps its set of
contacts per cell (`RootCauseRollupContact`, one row per contact), and a period's are
counted as the size of the union — those rows for the covered days and the case rows of the
uncovered ranges, in one `SELECT … UNION ALL` counted `COUNT(DISTINCT contact)` per root
cause.

Exact at all times by the rules of apps/core/rollups.py (the SLA rollups' mechanism):

1. **A change marks its days**, in its own transaction: the "case changed" seam's
   in-transaction subscriber (`case_changes_mark`: a case opened, or its root cause, team,
   channel, requester, merge or reopen count changed), the SLA recompute when it stores a
   case's handle time or FCR anew (`metrics_changed_mark`, subscribed to
   `apps.sla.services.metrics_subscribe`), and a case's deletion (`case_deleted_mark`,
   the admin's: the case's day and those of the cases merged into it, which count again).
   Each marks the case's opening instant — a constant number of queries a call.
2. **A marked day is read from the rows**: readers (`period_figures`, `period_contacts`)
   take only the built unmarked days wholly inside the period; its edges, today and the
   rest are counted from the cases (the same aggregates, `FIGURES`).
3. **A build deletes only the marks it read** (`rollups_build`, beat and
   `manage.py rootcause_rollups`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Min, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from apps.cases import events
from apps.cases.events import CaseChange
from apps.cases.models import Case
from apps.core.rollups import Coverage, DailyRollups
from apps.sla.models import CaseMetrics

from .models import (
    RootCauseRollupCell,
    RootCauseRollupContact,
    RootCauseRollupDay,
    RootCauseRollupMark,
)

ROLLUPS = DailyRollups(
    day_model=RootCauseRollupDay, mark_model=RootCauseRollupMark, lock="cxdesk.rootcauses.rollups"
)
KEY = ("root_cause_id", "team_id", "channel")
# The cases counted, and what a cell holds, as aggregates of case rows (build and readers).
COUNTED = Q(root_cause__isnull=False, merged_into__isnull=True)
FIGURES: dict[str, Any] = {
    "cases": Count("id"),
    "reopened_cases": Count("id", filter=Q(reopen_count__gt=0)),
    "reopens": Coalesce(Sum("reopen_count"), 0),
    "handle_seconds": Coalesce(Sum("metrics__handle_seconds"), 0),
    "fcr_judged": Count("metrics__fcr"),
    "fcr": Count("metrics__fcr", filter=Q(metrics__fcr=True)),
}
# Case fields whose change moves a figure (besides the opening).
ROLLED_UP_FIELDS = frozenset(
    {"root_cause", "team", "channel", "requester", "merged_into", "reopen_count", "created_at"}
)


# --- marks ---------------------------------------------------------------------------------


def case_changes_mark(changes: Sequence[CaseChange]) -> None:
    """The seam's in-transaction subscriber: mark the opening day of each case whose figures
    may have moved (≤ 2 queries: the openings not carried, the marks)."""
    ROLLUPS.mark_buildable(events.openings_of(changes, ROLLED_UP_FIELDS))


def metrics_changed_mark(stored: CaseMetrics | None, row: CaseMetrics) -> None:
    """The SLA recompute stored other metrics: mark the case's day when its handle time or
    FCR moved (whatever its root cause: one set meanwhile marks too, but this must not rely
    on having read it)."""
    # No metrics count as no handle time and no verdict (FIGURES): a first row of those
    # changes nothing.
    before = (0, None) if stored is None else (stored.handle_seconds, stored.fcr)
    if before == (row.handle_seconds, row.fcr):
        return
    ROLLUPS.mark([row.opened_at])


def case_deleted_mark(sender: Any, instance: Case, **kwargs: Any) -> None:
    """pre_delete of a case (the admin's delete, in its transaction): its day, and the days
    of the cases merged into it (their merged_into is set null: they count again)."""
    merged = Case.objects.filter(merged_into=instance).values_list("created_at", flat=True)
    ROLLUPS.mark([instance.created_at, *merged])


# --- the build -----------------------------------------------------------------------------


def rollups_build(
    *, now: datetime | None = None, max_days: int | None = 31, rebuild: bool = False
) -> dict[str, int]:
    """Build the days up to yesterday that are missing, marked or of another TIME_ZONE
    (`rebuild`: every one), at most `max_days` a call (newest first; None: all).
    Idempotent; two at once on PostgreSQL: the second returns at once."""
    return ROLLUPS.build(
        build_day=lambda day, zone, at: _build_day(day, zone, at),
        earliest=lambda: Case.objects.filter(COUNTED).aggregate(first=Min("created_at"))["first"],
        now=now,
        max_days=max_days,
        rebuild=rebuild,
    )


def _build_day(day: date, zone: Any, now: datetime) -> None:
    """Replace the day's cells and contact sets: two INSERT … SELECT of its cases."""
    row = ROLLUPS.build_day_row(day, zone, now)
    RootCauseRollupCell.objects.filter(day=row).delete()
    RootCauseRollupContact.objects.filter(day=row).delete()
    cases = Case.objects.filter(COUNTED, created_at__gte=row.start, created_at__lt=row.end)
    cells = cases.values(*KEY).annotate(**FIGURES).values_list(*KEY, *FIGURES).order_by()
    contacts = cases.values_list(*KEY, "requester_id").distinct().order_by()
    quote = connection.ops.quote_name
    for model, columns, query in (
        (RootCauseRollupCell, [*KEY, *FIGURES], cells),
        (RootCauseRollupContact, [*KEY, "contact_id"], contacts),
    ):
        sql, params = query.query.sql_with_params()
        names = ", ".join(quote(c) for c in ["day_id", *columns])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(model._meta.db_table)} ({names}) "
                f"SELECT %s, d.* FROM ({sql}) AS d",
                [row.pk, *params],
            )


# --- reading -------------------------------------------------------------------------------


def covered_days(start: datetime, end: datetime) -> Coverage:
    return ROLLUPS.covered_days(start, end)


def _rows(coverage: Coverage, cases: Q) -> QuerySet[Case]:
    return Case.objects.filter(COUNTED, cases, coverage.rows("created_at"))


def period_figures(
    coverage: Coverage, cases: Q, names: Iterable[str] = tuple(FIGURES)
) -> dict[int, dict[str, int]]:
    """Per root cause, the figures `names` of the cases `cases` (a Q on the columns cells and
    cases share: team_id, channel, root_cause_id) in the period: ≤ 2 queries."""
    names = list(names)
    result: dict[int, dict[str, int]] = {}

    def add(rows: Iterable[dict[str, Any]]) -> None:
        for values in rows:
            into = result.setdefault(values["root_cause_id"], dict.fromkeys(names, 0))
            for name in names:
                into[name] += values[name] or 0

    if coverage.days:
        add(
            RootCauseRollupCell.objects.filter(cases, day_id__in=coverage.days)
            .values("root_cause_id")
            .annotate(**{name: Sum(name) for name in names})
            .order_by()
        )
    if coverage.ranges:
        add(
            _rows(coverage, cases)
            .values("root_cause_id")
            .annotate(**{name: FIGURES[name] for name in names})
            .order_by()
        )
    return result


def period_contacts(coverage: Coverage, cases: Q) -> dict[int, int]:
    """Per root cause, the distinct contacts of the period's cases: the size of the union of
    the covered days' contact sets and the uncovered ranges' requesters (1 query).
    Both parts name their columns root_cause_id, contact_id."""
    parts: list[QuerySet[Any, Any]] = []
    if coverage.days:
        parts.append(
            RootCauseRollupContact.objects.filter(cases, day_id__in=coverage.days)
            .values_list("root_cause_id", "contact_id")
            .order_by()
        )
    if coverage.ranges:
        parts.append(
            _rows(coverage, cases)
            .annotate(contact_id=F("requester_id"))
            .values_list("root_cause_id", "contact_id")
            .order_by()
        )
    if not parts:
        return {}
    compiled = [part.query.sql_with_params() for part in parts]
    # UNION ALL and COUNT(DISTINCT): PostgreSQL sorts the pairs per cause, several times
    # faster than a UNION's hashing of them all (bench/rootcauses.py: 0.3 s against 0.9 s
    # for 190,000 pairs on a loaded machine).
    union = " UNION ALL ".join(
        f"SELECT * FROM ({sql}) AS p{n}" for n, (sql, _) in enumerate(compiled)
    )
    params = [p for _, ps in compiled for p in ps]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT u.root_cause_id, COUNT(DISTINCT u.contact_id) "
            f"FROM ({union}) AS u GROUP BY u.root_cause_id",
            params,
        )
        return {root_cause: n for root_cause, n in cursor.fetchall()}
