"""The SLA summary over a period: attainment, response-time percentiles, FCR — all in SQL.

`sla_summary(period=…, …)` answers `GET /api/v1/sla/summary/`. Every figure is an aggregate
the database computes; no case or clock row is loaded into Python. Which rows a period holds:

- **attainment** per target metric — the SLA clocks *started* in ``[from, to)`` that have a
  verdict: met, or breached (a breach stays one when fulfilled late); a clock still running
  within its target has none yet and is not counted. ``percent`` = met ÷ (met + breached),
  null when there are none.
- **first response** — the cases *opened* in ``[from, to)`` that have had a first response,
  by its time (the first-response clock starts at the opening, as above).
- **next response** — the next responses *given* in ``[from, to)`` (`SlaNextResponse`: a
  customer's message after an agent response, to the next agent response; a wait still
  unanswered is none yet), by their time.
- **resolution** — the cases *solved* in ``[from, to)`` (latest solve, still solved or
  closed), by the time from opening to that solve.

Each time figure is given in business time (``count``, ``median``, ``p90``) and, beside it,
in calendar time (``calendar``: the same three).
- **FCR** — the same solved cases with a verdict (a case merged into another has none),
  final and provisional apart: how many, how many FCR, the rate; and the one-touch and
  no-customer-follow-up rates of those cases, for comparing with other products.

Business times are those of each case's policy calendar: a case no policy covers has none
and is left out of the business percentiles; its calendar times count. Median and p90
are ``percentile_cont``'s (linear interpolation between the two nearest ranks, ⌊p·(n−1)⌋
and the next): the histograms say which bucket holds that rank and how many values lie
below it, and the one or two values are read from that bucket's rows, ``ORDER BY … LIMIT 2
OFFSET k`` — every figure's reads in one query (a UNION ALL of those scans). Filters
(``team``, ``channel``, ``priority``) are the case's current values; ``teams`` (ids, or a
query of them) limits everything to those teams' cases (an agent's).

Most of a period comes from the daily rollups (apps/sla/rollups.py says how they stay
exact): the built days wholly inside it that no change has marked since. The rest — the
period's edges, today, marked days — is counted from the rows, as below.

No query joins the cases: the case's opening (``CaseMetrics.opened_at``, its created_at) and
its team, channel and priority are copied onto its metrics, next responses and clocks by
the recompute,
which runs after every change of the case (the "case changed" seam; a lost one is the
sweep's, the case being dirty until then), so they are the case's current values.

Indexes for the rows, each figure an index-only range scan of one of three per query, chosen by the
filters asked for — none (the period column alone), a team (or an agent's teams) first, or
channel and priority first — with the other filters' columns included:

- attainment: the clocks with a verdict (partial) by (metric, started_at), state included —
  the metrics are named in the query so the index serves the range, and the counts are of a
  not-null column in the index (not of the id), so the index alone answers;
- first response: the responded metrics (partial: a calendar first-response time, which
  every business one has beside it) by opened_at, both times and buckets included;
- next response: every SlaNextResponse row by responded_at, both times and buckets included;
- solved: the solved metrics (partial) by solved_at, the solved figures' columns included;
- the percentiles: per time figure, (bucket, period column), its time included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from apps.core import rollups as core_rollups

from . import rollups
from .models import CaseMetrics, Metric, SlaClock

PERCENTILES = (("median", 0.5), ("p90", 0.9))


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive


def sla_summary(
    *,
    period: Period,
    team_id: int | None = None,
    channel: str | None = None,
    priority: str | None = None,
    teams: QuerySet[Any] | Sequence[int] | None = None,
) -> dict[str, Any]:
    """The summary's figures, in a number of queries that does not grow with the period
    (at most 10: which days are rolled up; attainment and FCR, their cells and rows left
    over; the times' buckets, one query of the rollups and one per table of the rows left
    over; every percentile's values)."""

    # The case's values as copied onto its metrics, clocks and rollups (no join to cases).
    cases = Q()
    if team_id is not None:
        cases &= Q(team_id=team_id)
    if channel:
        cases &= Q(channel=channel)
    if priority:
        cases &= Q(priority=priority)
    if teams is not None:
        cases &= Q(team_id__in=teams)

    # Which histograms answer these filters (none: a team and a channel or priority — few
    # enough rows to count them all; the cells, per team, channel and priority, still do).
    grouping = rollups.grouping_for(
        team=team_id is not None or teams is not None,
        channel=bool(channel),
        priority=bool(priority),
    )
    with _snapshot():
        coverage = rollups.covered_days(period.start, period.end)
        times = coverage if grouping else rollups.Coverage([], [(period.start, period.end)])
        return {
            "period": {"from": period.start, "to": period.end},
            "attainment": _attainment(period, coverage, cases),
            **_times(period, times, cases, grouping=grouping),
            **_solved(coverage, cases),
        }


_snapshot = core_rollups.snapshot  # one state of the database (apps/core/rollups.py)


def _attainment(period: Period, coverage: rollups.Coverage, cases: Q) -> list[dict[str, Any]]:
    names = [f"{metric}_{state}" for metric in Metric.values for state in rollups.VERDICT_STATES]
    counts = rollups.cell_sums(coverage, cases, names)
    if coverage.ranges:
        rows = (
            SlaClock.objects.filter(
                cases,
                coverage.rows("started_at"),
                metric__in=Metric.values,
                state__in=rollups.VERDICT_STATES,
            )
            .values("metric")
            .annotate(
                met=Count("state", filter=Q(state=SlaClock.State.MET)),
                breached=Count("state", filter=Q(state=SlaClock.State.BREACHED)),
            )
            .order_by()
        )
        for row in rows:
            counts[f"{row['metric']}_met"] += row["met"]
            counts[f"{row['metric']}_breached"] += row["breached"]
    result = []
    for metric in Metric.values:
        met, breached = counts[f"{metric}_met"], counts[f"{metric}_breached"]
        result.append(
            {"metric": metric, "met": met, "breached": breached, "percent": _rate(met, breached)}
        )
    return result


# The time figures: (name, business figure, calendar figure) of rollups.TIMES.
_Figure = rollups.SlaRollupHistogram.Figure
TIME_FIGURES = (
    ("first_response", _Figure.FIRST_RESPONSE, _Figure.FIRST_RESPONSE_CALENDAR),
    ("next_response", _Figure.NEXT_RESPONSE, _Figure.NEXT_RESPONSE_CALENDAR),
    ("resolution", _Figure.RESOLUTION, _Figure.RESOLUTION_CALENDAR),
)


def _times(
    period: Period, coverage: rollups.Coverage, cases: Q, *, grouping: str | None
) -> dict[str, Any]:
    """Count, median and p90 of each time figure over the rows in the period, in business
    time with its calendar-time twin beside it: the buckets of every figure at once (one
    query of the rollups, one of each table's rows left over), then each percentile's
    values."""
    figures = [figure for _, *both in TIME_FIGURES for figure in both]
    counts = rollups.histograms(
        coverage,
        cases,
        grouping=grouping or rollups.SlaRollupHistogram.Grouping.ALL,
        figures=figures,
    )

    reads: list[_Read] = []
    result: dict[str, Any] = {}
    for name, business, calendar in TIME_FIGURES:
        result[name] = {}
        calendar_figures: dict[str, Any] = {}
        for figure, into in ((business, result[name]), (calendar, calendar_figures)):
            times = rollups.TIMES_BY_FIGURE[figure]
            total = sum(counts[figure].values())
            rows = times.model._default_manager.filter(
                cases, times.in_period(period.start, period.end)
            )
            into["count"] = total
            reads += _ranks(rows, times, counts[figure], total, into)
            if figure == calendar:
                result[name]["calendar"] = into
    _read_values(reads)
    return result


def _solved(coverage: rollups.Coverage, cases: Q) -> dict[str, Any]:
    figures = rollups.cell_sums(coverage, cases, list(rollups.FCR_COUNTS))
    if coverage.ranges:
        direct = CaseMetrics.objects.filter(cases, coverage.rows("solved_at")).aggregate(
            **{name: Count("fcr_state", filter=q) for name, q in rollups.FCR_COUNTS.items()}
        )
        for name in rollups.FCR_COUNTS:
            figures[name] += direct[name]
    judged = figures["judged"]
    return {
        "fcr": {
            "final": _fcr(figures["final"], figures["final_fcr"]),
            "provisional": _fcr(figures["provisional"], figures["provisional_fcr"]),
        },
        "one_touch": _share(judged, figures["one_touch"]),
        "no_customer_follow_up": _share(judged, figures["no_follow_up"]),
    }


@dataclass
class _Read:
    """The values a percentile needs: `query` gives (at most) the two values at ranks
    ⌊rank⌋ and the next; the figure goes into `into[name]`."""

    query: QuerySet[Any]
    rank: float
    into: dict[str, Any]
    name: str


def _ranks(
    rows: QuerySet[Any],
    times: rollups.Times,
    counts: dict[int, int],
    total: int,
    into: dict[str, Any],
) -> list[_Read]:
    """percentile_cont's reads: the values at ranks ⌊p·(n−1)⌋ and the next, from the
    bucket holding the first (and the next non-empty one, where the second may lie)."""
    reads = []
    buckets = sorted(counts)
    for name, fraction in PERCENTILES:
        if total == 0:
            into[name] = None
            continue
        rank = fraction * (total - 1)
        low = math.floor(rank)
        below, position = 0, 0
        while below + counts[buckets[position]] <= low:
            below += counts[buckets[position]]
            position += 1
        wanted = buckets[position : position + 2]
        query = (
            rows.filter(**{f"{times.bucket}__in": wanted})
            .order_by(times.column)
            .annotate(value=F(times.column))
            .values_list("value", flat=True)[low - below : low - below + 2]
        )
        reads.append(_Read(query, rank, into, name))
    return reads


def _read_values(reads: list[_Read]) -> None:
    """Every read in one query: each its own index range scan (ORDER BY … LIMIT 2 OFFSET
    k, as a derived table), UNION ALL — one round trip for all the summary's percentiles."""
    if not reads:
        return
    parts: list[str] = []
    params: list[Any] = []
    for number, read in enumerate(reads):
        sql, prepared = read.query.query.sql_with_params()
        parts.append(f"SELECT {number} AS part, part{number}.value FROM ({sql}) part{number}")
        params += prepared
    found: dict[int, list[int]] = {number: [] for number in range(len(reads))}
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        for number, value in cursor.fetchall():
            found[number].append(value)
    for number, read in enumerate(reads):
        values = sorted(found[number])  # the derived table's order: UNION ALL keeps none
        low = math.floor(read.rank)
        value = float(values[0])
        if len(values) == 2:
            value += (read.rank - low) * (values[1] - values[0])
        read.into[read.name] = _round(value)


def _fcr(cases: int, fcr: int) -> dict[str, Any]:
    return {"cases": cases, "fcr": fcr, "percent": _rate(fcr, cases - fcr)}


def _share(cases: int, count: int) -> dict[str, Any]:
    return {"cases": cases, "count": count, "percent": _rate(count, cases - count)}


def _rate(yes: int, no: int) -> float | None:
    return round(100 * yes / (yes + no), 2) if yes + no else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
