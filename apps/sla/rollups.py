"""The SLA summary's daily rollups: what a day's cases and clocks add up to, kept exact.

A summary over a million cases would count hundreds of thousands of rows and sort their
times for each request (apps/sla/summary.py). Instead, for each day (of TIME_ZONE) and each
team, channel and priority, the build stores:

- a cell (`SlaRollupCell`): the clocks *started* that day with a verdict, met and breached
  per target metric, and the FCR counts of the cases *solved* that day;
- histograms (`SlaRollupHistogram`): how many first-response times of the cases *opened*
  that day, next-response times of the responses *given* that day (`SlaNextResponse`) and
  resolution times of the cases *solved* that day fell in each bucket (`bucket`: 16 a
  doubling, so a bucket is at most 1/16 of its values wide) — each in business and in
  calendar time (`TIMES`: one figure each).

Exact, never approximate, by three rules (the mechanism — marks, covered days, the build's
loop — is apps/core/rollups.py's, shared with the root-cause rollups):

1. **A change marks its days.** Whatever changes a figure a rollup holds writes, in its own
   transaction, a mark (`SlaRollupMark`: the instants whose days changed): the recompute
   (`services._clocks_store`, `services._metrics_store` — with the case's next-response
   rows — only when a rolled-up value moved)
   and the sweep's set-based breach (`services.clocks_breach`, one mark over the breached
   clocks' starts). No other code writes clocks or metrics.
2. **A marked day is read from the rows.** The summary (`covered_days`) takes from the
   rollups only the built days inside its period that no mark touches; the rest of the
   period — its edges, today, marked days, days not built — is read from the cases' rows as
   before, through the same indexes. On PostgreSQL it reads in one REPEATABLE READ snapshot,
   so a build or a change committing meanwhile is seen entirely or not at all.
3. **A build deletes only the marks it read.** `rollups_build` reads the committed marks,
   rebuilds their days from the rows (a later statement: it sees every change whose mark it
   read), and deletes those marks by id. A change still in flight has its mark uncommitted:
   not read, not deleted, so its day stays marked until the next build.

Percentiles stay exact: the histograms give the bucket that holds the rank asked for and
how many values lie below it; the one or two values at that rank are then read from the
rows of that bucket in the period (an index on the bucket and the period's column), so the
figure is the one `percentile_cont` computes over every row.

The build runs from beat (`tasks.build_rollups`) and `manage.py sla_rollups`; days up to
yesterday are built (today changes by the minute: it is read from the rows). A TIME_ZONE
change leaves days that are no longer local days: the next build drops and rebuilds them;
until then the summary, which uses a built day only when it lies wholly inside its period,
reads the period's edges from the rows and stays exact.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import reduce
from typing import Any

from django.db import connection, models
from django.db.models import Count, Min, Q, Sum

from apps.cases.models import Case
from apps.core.rollups import Coverage, DailyRollups, local_day

from .models import (
    CaseMetrics,
    Metric,
    SlaClock,
    SlaNextResponse,
    SlaRollupCell,
    SlaRollupDay,
    SlaRollupHistogram,
    SlaRollupMark,
)

SUB_BUCKETS = 16  # buckets a doubling: a bucket spans at most 1/16 of its values
_EXACT = 2 * SUB_BUCKETS  # values below this have a bucket each
MAX_VALUE = 2**31 - 1  # PositiveIntegerField

# The counts a cell holds, as aggregates of the rows of one day (and of the summary's
# uncovered ranges: the same definitions, apps/sla/summary.py).
VERDICT_STATES = (SlaClock.State.MET, SlaClock.State.BREACHED)
_FINAL = Q(fcr_state=CaseMetrics.FcrState.FINAL)
_PROVISIONAL = Q(fcr_state=CaseMetrics.FcrState.PROVISIONAL)
_JUDGED = Q(fcr__isnull=False)
FCR_COUNTS: dict[str, Q] = {
    "final": _FINAL,
    "final_fcr": _FINAL & Q(fcr=True),
    "provisional": _PROVISIONAL,
    "provisional_fcr": _PROVISIONAL & Q(fcr=True),
    "judged": _JUDGED,
    "one_touch": _JUDGED & Q(one_touch=True),
    "no_follow_up": _JUDGED & Q(no_customer_follow_up=True),
}
KEY = ("team_id", "channel", "priority")
ROLLUPS = DailyRollups(day_model=SlaRollupDay, mark_model=SlaRollupMark, lock="cxdesk.sla.rollups")
__all__ = ["Coverage", "local_day"]  # re-exported: the summary reads them from here


def bucket(value: int | None) -> int | None:
    """The histogram bucket of a business time in seconds (None: none). Monotonic: a
    larger value never has a smaller bucket. Below 32 each value is its own bucket; above,
    16 buckets a doubling (v >> e keeps its five leading bits)."""
    if value is None:
        return None
    if value < 0:
        raise ValueError(f"a time is not negative: {value!r}")
    if value < _EXACT:
        return value
    shift = value.bit_length() - 5
    return SUB_BUCKETS * shift + (value >> shift)


def bucket_sql(column: str) -> str:
    """`bucket` as an SQL expression of an integer column (PostgreSQL and SQLite alike):
    for backfills and set-based seeds."""
    branches = [f"WHEN {column} < {_EXACT} THEN {column}"]
    for shift in range(1, MAX_VALUE.bit_length() - 4):
        branches.append(
            f"WHEN {column} < {1 << (shift + 5)} THEN {SUB_BUCKETS * shift} + ({column} >> {shift})"
        )
    return f"(CASE WHEN {column} IS NULL THEN NULL {' '.join(branches)} END)"


# --- marks: written by every change of a rolled-up figure ---------------------------------


def mark(instants: Iterable[datetime | None]) -> None:
    """The days holding these instants have changed (call in the change's transaction)."""
    ROLLUPS.mark(instants)


def mark_span(start: datetime, end: datetime) -> None:
    """Every day from `start`'s to `end`'s has changed."""
    ROLLUPS.mark_span(start, end)


def clock_rollup_values(clock: Any) -> tuple[Any, ...] | None:
    """What a clock adds to a cell: nothing until it has a verdict."""
    if clock.state not in VERDICT_STATES:
        return None
    return (
        clock.metric,
        clock.started_at,
        clock.state,
        clock.team_id,
        clock.channel,
        clock.priority,
    )


_METRICS_ROLLED_UP = (
    "opened_at",
    "first_response_business_seconds",
    "first_response_seconds",
    "next_responses",  # its rows' (SlaNextResponse) times and instants
    "solved_at",
    "resolution_business_seconds",
    "resolution_seconds",
    "fcr",
    "fcr_state",
    "one_touch",
    "no_customer_follow_up",
    *KEY,
)


def metrics_rollup_values(row: CaseMetrics) -> tuple[Any, ...]:
    return tuple(getattr(row, name) for name in _METRICS_ROLLED_UP)


def next_response_rows_values(row: CaseMetrics) -> tuple[Any, ...]:
    """What a case's SlaNextResponse rows hold: its next responses and the case's copies."""
    return (row.next_responses, *(getattr(row, name) for name in KEY))


# --- days (the mechanism is apps/core/rollups.py's) ------------------------------------------


def covered_days(start: datetime, end: datetime) -> Coverage:
    """The built, unmarked days wholly inside [start, end), and the ranges left over."""
    return ROLLUPS.covered_days(start, end)


# --- the build -----------------------------------------------------------------------------


def rollups_build(
    *, now: datetime | None = None, max_days: int | None = 31, rebuild: bool = False
) -> dict[str, int]:
    """Build the days up to yesterday that are missing, marked or of another TIME_ZONE
    (`rebuild`: every one), at most `max_days` a call (newest first; the rest next time;
    None: all).
    Idempotent; two at once on PostgreSQL: the second returns at once."""
    return ROLLUPS.build(
        # Looked up at each call (a test wraps them).
        build_day=lambda day, zone, at: _build_day(day, zone, at),
        lock=lambda: _build_lock(),
        earliest=lambda: Case.objects.aggregate(first=Min("created_at"))["first"],
        now=now,
        max_days=max_days,
        rebuild=rebuild,
    )


def _build_lock() -> bool:
    """One build at a time (PostgreSQL: a transaction advisory lock)."""
    return ROLLUPS.build_lock()


def _build_day(day: date, zone: Any, now: datetime) -> None:
    row = ROLLUPS.build_day_row(day, zone, now)
    start, end = row.start, row.end
    SlaRollupCell.objects.filter(day=row).delete()
    SlaRollupHistogram.objects.filter(day=row).delete()
    cells: dict[tuple[Any, ...], SlaRollupCell] = {}

    def cell(values: dict[str, Any]) -> SlaRollupCell:
        key = tuple(values[name] for name in KEY)
        if key not in cells:
            cells[key] = SlaRollupCell(day=row, **dict(zip(KEY, key, strict=True)))
        return cells[key]

    clocks = (
        SlaClock.objects.filter(
            metric__in=Metric.values,
            started_at__gte=start,
            started_at__lt=end,
            state__in=VERDICT_STATES,
        )
        .values(*KEY, "metric", "state")
        .annotate(n=Count("state"))
        .order_by()
    )
    for values in clocks:
        setattr(cell(values), f"{values['metric']}_{values['state']}", values["n"])
    solved = (
        CaseMetrics.objects.filter(solved_at__gte=start, solved_at__lt=end)
        .values(*KEY)
        .annotate(**{name: Count("fcr_state", filter=q) for name, q in FCR_COUNTS.items()})
        .order_by()
    )
    for values in solved:
        target = cell(values)
        for name in FCR_COUNTS:
            setattr(target, name, values[name])
    SlaRollupCell.objects.bulk_create(cells.values())
    for times in TIMES:
        _histogram_insert(row.pk, times, start, end)


@dataclass(frozen=True)
class Times:
    """One time figure the summary gives percentiles of: which rows hold it (`model`,
    `rows`: their condition, that of a partial index), its seconds and bucket columns, and
    the column whose instant puts a row in a period."""

    figure: str  # SlaRollupHistogram.Figure
    model: type[models.Model]
    column: str
    bucket: str
    period: str
    rows: Q

    def in_period(self, start: datetime, end: datetime) -> Q:
        return self.rows & Q(**{f"{self.period}__gte": start, f"{self.period}__lt": end})


_Figure = SlaRollupHistogram.Figure
_FIRST = Q(first_response_seconds__isnull=False)  # a business time never comes without it
_SOLVED = Q(solved_at__isnull=False)
TIMES = (
    Times(
        _Figure.FIRST_RESPONSE,
        CaseMetrics,
        "first_response_business_seconds",
        "first_response_bucket",
        "opened_at",
        _FIRST & Q(first_response_business_seconds__isnull=False),
    ),
    Times(
        _Figure.FIRST_RESPONSE_CALENDAR,
        CaseMetrics,
        "first_response_seconds",
        "first_response_calendar_bucket",
        "opened_at",
        _FIRST,
    ),
    Times(
        _Figure.NEXT_RESPONSE,
        SlaNextResponse,
        "business_seconds",
        "business_bucket",
        "responded_at",
        Q(business_seconds__isnull=False),
    ),
    Times(
        _Figure.NEXT_RESPONSE_CALENDAR,
        SlaNextResponse,
        "seconds",
        "calendar_bucket",
        "responded_at",
        Q(),
    ),
    Times(
        _Figure.RESOLUTION,
        CaseMetrics,
        "resolution_business_seconds",
        "resolution_bucket",
        "solved_at",
        _SOLVED & Q(resolution_business_seconds__isnull=False),
    ),
    Times(
        _Figure.RESOLUTION_CALENDAR,
        CaseMetrics,
        "resolution_seconds",
        "resolution_calendar_bucket",
        "solved_at",
        _SOLVED & Q(resolution_seconds__isnull=False),
    ),
)
TIMES_BY_FIGURE = {times.figure: times for times in TIMES}


# The histograms' groupings: the key columns each keeps (the others empty) and which rows.
GROUPINGS: dict[str, tuple[tuple[str, ...], Q]] = {
    SlaRollupHistogram.Grouping.ALL: ((), Q()),
    SlaRollupHistogram.Grouping.TEAM: (("team_id",), Q(team_id__isnull=False)),
    SlaRollupHistogram.Grouping.CHANNEL_PRIORITY: (("channel", "priority"), Q()),
}


def _histogram_insert(day_id: int, times: Times, start: datetime, end: datetime) -> None:
    """One INSERT … SELECT … GROUP BY a grouping: the day's values per key and bucket (the
    SELECT is the ORM's, so its rows are exactly those the summary reads for a day)."""
    quote = connection.ops.quote_name
    histogram = quote(SlaRollupHistogram._meta.db_table)
    for grouping, (keys, extra) in GROUPINGS.items():
        grouped = (
            times.model._default_manager.filter(times.in_period(start, end), extra)
            .values(*keys, times.bucket)
            .annotate(n=Count("*"))
            .order_by()
        )
        select, params = grouped.query.sql_with_params()
        chosen = {"team_id": "NULL", "channel": "''", "priority": "''"}
        chosen.update({k: f"grouped.{quote(k)}" for k in keys})
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {histogram} (day_id, figure, {quote('grouping')}, team_id, channel, "
                "priority, bucket, count) "
                f"SELECT %s, %s, %s, {chosen['team_id']}, {chosen['channel']}, "
                f"{chosen['priority']}, grouped.{quote(times.bucket)}, grouped.n "
                f"FROM ({select}) grouped",
                [day_id, times.figure, grouping, *params],
            )


# --- reading (apps/sla/summary.py) ---------------------------------------------------------


def cell_sums(coverage: Coverage, cases: Q, names: Sequence[str]) -> dict[str, int]:
    """The covered days' cells summed (zeros when none)."""
    if not coverage.days:
        return dict.fromkeys(names, 0)
    sums = SlaRollupCell.objects.filter(cases, day_id__in=coverage.days).aggregate(
        **{name: Sum(name) for name in names}
    )
    return {name: sums[name] or 0 for name in names}


def grouping_for(*, team: bool, channel: bool, priority: bool) -> str | None:
    """The histograms that answer a summary filtered so (None: its rows are counted)."""
    if team:
        return None if channel or priority else SlaRollupHistogram.Grouping.TEAM
    if channel or priority:
        return SlaRollupHistogram.Grouping.CHANNEL_PRIORITY
    return SlaRollupHistogram.Grouping.ALL


_EMPTY = {"team_id__isnull": True, "channel": "", "priority": ""}


def histograms(
    coverage: Coverage, cases: Q, *, grouping: str, figures: Sequence[str]
) -> dict[str, dict[int, int]]:
    """Values per bucket over the whole period, per figure: the covered days' histograms
    of `grouping` (filtered by `cases`, on the grouping's columns; one query for every
    figure) and the uncovered ranges' rows (one query per table and period column: the
    figures of one row — business and calendar — are counted together)."""
    counts: dict[str, dict[int, int]] = {figure: {} for figure in figures}
    if coverage.days:
        keys = GROUPINGS[grouping][0]
        empty = Q(
            **{name: value for name, value in _EMPTY.items() if name.split("__")[0] not in keys}
        )
        rows = (
            SlaRollupHistogram.objects.filter(
                cases, empty, figure__in=figures, grouping=grouping, day_id__in=coverage.days
            )
            .values("figure", "bucket")
            .annotate(n=Sum("count"))
            .order_by()
        )
        for values in rows:
            of = counts[values["figure"]]
            of[values["bucket"]] = of.get(values["bucket"], 0) + values["n"]
    if coverage.ranges:
        together: dict[tuple[Any, str], list[Times]] = {}
        for figure in figures:
            times = TIMES_BY_FIGURE[figure]
            together.setdefault((times.model, times.period), []).append(times)
        for (model, period), alike in together.items():
            # The rows holding any of these figures; each figure's bucket is null exactly
            # when its value is (`bucket`), so a null bucket is a row without that figure.
            conditions = [times.rows for times in alike]
            # (An empty Q is every row: OR-ing it in would drop it, as Q's `|` does.)
            holding = reduce(operator.or_, conditions) if all(conditions) else Q()
            buckets = [times.bucket for times in alike]
            rows = (
                model._default_manager.filter(cases, coverage.rows(period), holding)
                .values(*buckets)
                .annotate(n=Count("*"))
                .order_by()
            )
            for values in rows:
                for times in alike:
                    b = values[times.bucket]
                    if b is not None:
                        of = counts[times.figure]
                        of[b] = of.get(b, 0) + values["n"]
    return counts
