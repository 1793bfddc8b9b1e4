"""The SLA summary over a period: attainment, response-time percentiles, FCR — all in SQL.

`sla_summary(period=…, …)` answers `GET /api/v1/sla/summary/`. Every figure is an aggregate
the database computes; no case or clock row is loaded into Python. Which rows a period holds:

- **attainment** per target metric — the SLA clocks *started* in ``[from, to)`` that have a
  verdict: met, or breached (a breach stays one when fulfilled late); a clock still running
  within its target has none yet and is not counted. ``percent`` = met ÷ (met + breached),
  null when there are none.
- **first response** — the cases *opened* in ``[from, to)`` that have had a first response,
  by its business time (the first-response clock starts at the opening, as above).
- **resolution** — the cases *solved* in ``[from, to)`` (latest solve, still solved or
  closed), by the business time from opening to that solve.
- **FCR** — the same solved cases with a verdict (a case merged into another has none),
  final and provisional apart: how many, how many FCR, the rate; and the one-touch and
  no-customer-follow-up rates of those cases, for comparing with other products.

Business times are those of each case's policy calendar: a case no policy covers has none
and is left out of the percentiles (its calendar times are on the case's metrics). Median
and p90 are PostgreSQL's ``percentile_cont`` (linear interpolation between the two nearest
ranks); on SQLite the same value is read from at most two rows, ``ORDER BY … LIMIT 2 OFFSET
⌊p·(n−1)⌋``, n from the aggregate's COUNT. Filters (``team``, ``channel``, ``priority``) are
the case's current values; ``teams`` (ids, or a query of them) limits everything to those
teams' cases (an agent's).

No query joins the cases: the case's opening (``CaseMetrics.opened_at``, its created_at) and
its team, channel and priority are copied onto its metrics and clocks by the recompute,
which runs after every change of the case (the "case changed" seam; a lost one is the
sweep's, the case being dirty until then), so they are the case's current values.

Indexes, each figure an index-only range scan of one of three per query, chosen by the
filters asked for — none (the period column alone), a team (or an agent's teams) first, or
channel and priority first — with the other filters' columns included:

- attainment: the clocks with a verdict (partial) by (metric, started_at), state included —
  the metrics are named in the query so the index serves the range, and the counts are of a
  not-null column in the index (not of the id), so the index alone answers;
- first response: the responded metrics (partial: a business first-response time) by
  opened_at, that time included;
- solved: the solved metrics (partial) by solved_at, the solved figures' columns included.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Aggregate, Count, FloatField, Q, QuerySet

from .models import CaseMetrics, Metric, SlaClock

PERCENTILES = (("median", 0.5), ("p90", 0.9))


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: str, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError(f"a fraction between 0 and 1, not {fraction!r}")
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


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
    """The summary's figures (3 queries on PostgreSQL; on SQLite up to 4 more, one per
    percentile of a non-empty set)."""

    # The case's values as copied onto its metrics and clocks (no join to the cases).
    cases = Q()
    if team_id is not None:
        cases &= Q(team_id=team_id)
    if channel:
        cases &= Q(channel=channel)
    if priority:
        cases &= Q(priority=priority)
    if teams is not None:
        cases &= Q(team_id__in=teams)

    return {
        "period": {"from": period.start, "to": period.end},
        "attainment": _attainment(period, cases),
        "first_response": _times(
            CaseMetrics.objects.filter(
                cases, opened_at__gte=period.start, opened_at__lt=period.end
            ),
            "first_response_business_seconds",
        ),
        **_solved(period, cases),
    }


def _attainment(period: Period, cases: Q) -> list[dict[str, Any]]:
    rows = (
        SlaClock.objects.filter(
            cases,
            metric__in=Metric.values,
            started_at__gte=period.start,
            started_at__lt=period.end,
            state__in=[SlaClock.State.MET, SlaClock.State.BREACHED],
        )
        .values("metric")
        .annotate(
            met=Count("state", filter=Q(state=SlaClock.State.MET)),
            breached=Count("state", filter=Q(state=SlaClock.State.BREACHED)),
        )
        .order_by()
    )
    counts = {row["metric"]: (row["met"], row["breached"]) for row in rows}
    result = []
    for metric in Metric.values:
        met, breached = counts.get(metric, (0, 0))
        result.append(
            {"metric": metric, "met": met, "breached": breached, "percent": _rate(met, breached)}
        )
    return result


def _times(rows: QuerySet[CaseMetrics], column: str) -> dict[str, Any]:
    """Count, median and p90 of `column` over `rows` (its nulls left out)."""
    rows = rows.filter(**{f"{column}__isnull": False})
    if connection.vendor == "postgresql":
        figures = rows.aggregate(
            count=Count("*"),
            **{name: PercentileCont(column, fraction) for name, fraction in PERCENTILES},
        )
        return {
            "count": figures["count"],
            **{name: _round(figures[name]) for name, _ in PERCENTILES},
        }
    count = rows.aggregate(count=Count("*"))["count"]
    return {"count": count, **_percentiles(rows, column, count)}


def _solved(period: Period, cases: Q) -> dict[str, Any]:
    rows = CaseMetrics.objects.filter(cases, solved_at__gte=period.start, solved_at__lt=period.end)
    column = "resolution_business_seconds"
    timed = Q(**{f"{column}__isnull": False})
    final = Q(fcr_state=CaseMetrics.FcrState.FINAL)
    provisional = Q(fcr_state=CaseMetrics.FcrState.PROVISIONAL)
    judged = Q(fcr__isnull=False)
    aggregates: dict[str, Aggregate] = {
        "resolution_count": Count("fcr_state", filter=timed),
        "final": Count("fcr_state", filter=final),
        "final_fcr": Count("fcr_state", filter=final & Q(fcr=True)),
        "provisional": Count("fcr_state", filter=provisional),
        "provisional_fcr": Count("fcr_state", filter=provisional & Q(fcr=True)),
        "judged": Count("fcr_state", filter=judged),
        "one_touch": Count("fcr_state", filter=judged & Q(one_touch=True)),
        "no_follow_up": Count("fcr_state", filter=judged & Q(no_customer_follow_up=True)),
    }
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # percentile_cont leaves nulls out by itself
        aggregates |= {name: PercentileCont(column, fraction) for name, fraction in PERCENTILES}
    figures = rows.aggregate(**aggregates)
    count = figures["resolution_count"]
    if postgresql:
        percentiles = {name: _round(figures[name]) for name, _ in PERCENTILES}
    else:
        percentiles = _percentiles(rows.filter(timed), column, count)
    judged_count = figures["judged"]
    return {
        "resolution": {"count": count, **percentiles},
        "fcr": {
            "final": _fcr(figures["final"], figures["final_fcr"]),
            "provisional": _fcr(figures["provisional"], figures["provisional_fcr"]),
        },
        "one_touch": _share(judged_count, figures["one_touch"]),
        "no_customer_follow_up": _share(judged_count, figures["no_follow_up"]),
    }


def _percentiles(rows: QuerySet[CaseMetrics], column: str, count: int) -> dict[str, Any]:
    """percentile_cont's values without it (SQLite): the one or two rows around each rank."""
    result: dict[str, Any] = {}
    ordered = rows.order_by(column).values_list(column, flat=True)
    for name, fraction in PERCENTILES:
        if count == 0:
            result[name] = None
            continue
        rank = fraction * (count - 1)
        low = math.floor(rank)
        values = list(ordered[low : low + 2])
        value = float(values[0])
        if len(values) == 2:
            value += (rank - low) * (values[1] - values[0])
        result[name] = _round(value)
    return result


def _fcr(cases: int, fcr: int) -> dict[str, Any]:
    return {"cases": cases, "fcr": fcr, "percent": _rate(fcr, cases - fcr)}


def _share(cases: int, count: int) -> dict[str, Any]:
    return {"cases": cases, "count": count, "percent": _rate(count, cases - count)}


def _rate(yes: int, no: int) -> float | None:
    return round(100 * yes / (yes + no), 2) if yes + no else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
