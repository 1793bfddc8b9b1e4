"""The supervisors' report over a period, compared with the period of equal length just
before: one selector (`center_report`) for the page (/console/reports/), its CSV and the
API (`GET /api/v1/reports/summary/`).

What it holds, and where each figure comes from (each is the figure its own module defines;
nothing is recounted here):

- **volume** — cases opened in the period (not merged into another), by channel and by local
  day (TIME_ZONE's days, as the rollups'), their reopen rate (% reopened at least once) and
  mean handle time (over the cases with any): the volume rollups (apps/console/rollups.py);
- **sla** — attainment per target metric; first-response, next-response and resolution
  times (median and p90), each in business and in calendar time; FCR final and
  provisional, one-touch: `apps.sla.summary.sla_summary` (its docstring says which rows a
  period holds: cases opened, responses given, cases solved in it);
- **csat** — sent, responses, CSAT % and response rate, mean effort (CES) with its own
  answers and response rate (the effort question is optional):
  `apps.feedback.selectors.csat_figures`; **nps** — sent, responses, promoters, passives,
  detractors, NPS (% promoters − % detractors) and response rate: `nps_figures`;
- **root causes** — the top ten by cases with their trend and active spikes:
  `apps.rootcauses.selectors.top_root_causes`;
- **follow-ups** open and **at-risk customers** now (not of the period: they are states);
  the follow-ups resolved in the period with the median time it took to close the loop
  (opened → resolved).

Filters: team (the supervisor's own; any for an admin), channel, priority — the case's
current values, as every rollup keys them. Root causes have no priority key and CSAT is
filtered by the values the case had when the survey went out (apps/feedback/models.py):
the report says so beside those tables. A period is a pair of instants: the same period
gives the same figures whichever zone the viewer is in; only the days of the "by day" table
are TIME_ZONE's days (documented in docs/architecture.md).
"""

import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from apps.cases.models import Case, Channel
from apps.contacts.models import Contact
from apps.core import rollups as core_rollups
from apps.feedback import selectors as feedback_selectors
from apps.feedback.models import ContactRisk, FollowUp
from apps.rootcauses import selectors as rc_selectors
from apps.rootcauses.models import RootCauseSpike
from apps.rootcauses.report import ReportInput as _PeriodInput
from apps.sla.summary import Period, sla_summary

from . import rollups

TOP_ROOT_CAUSES = 10


class ReportInput(_PeriodInput):
    """`from` / `to` (days, `to` included, or instants; default the last 30 days), `team`
    (one of the user's; any for an admin), `channel`, `priority`."""

    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None
    channel: str | None = None
    priority: str | None = None

    def cases(self, teams: Any) -> Q:
        q = Q()
        if self.team_id is not None:
            q &= Q(team_id=self.team_id)
        if self.channel:
            q &= Q(channel=self.channel)
        if self.priority:
            q &= Q(priority=self.priority)
        if teams is not None:
            q &= Q(team_id__in=teams)
        return q


def _percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 2) if whole else None


def change(now: float | None, before: float | None) -> float | None:
    """The relative change, %, from `before` to `now` (None when either is unknown or 0)."""
    if now is None or before is None or before == 0:
        return None
    return round(100 * (now - before) / before, 1)


def _volume_totals(figures: dict[str, int]) -> dict[str, Any]:
    return {
        "cases": figures["cases"],
        "reopened_cases": figures["reopened_cases"],
        "reopen_rate": _percent(figures["reopened_cases"], figures["cases"]),
        "handle_seconds": figures["handle_seconds"],
        "handled_cases": figures["handled_cases"],
        "mean_handle_seconds": (
            round(figures["handle_seconds"] / figures["handled_cases"])
            if figures["handled_cases"]
            else None
        ),
    }


def _volume(period: Period, cases: Q) -> dict[str, Any]:
    coverage = rollups.covered_days(period.start, period.end)
    total = rollups.period_figures(coverage, cases).get((), dict.fromkeys(rollups.FIGURES, 0))
    channels = rollups.period_figures(coverage, cases, by=("channel",))
    days = rollups.period_figures(coverage, cases, by=("day",))
    zone = timezone.get_default_timezone()
    labels = dict(Channel.choices)
    return {
        **_volume_totals(total),
        "by_channel": [
            {"channel": key, "label": labels.get(key, key), **_volume_totals(figures)}
            for (key,), figures in sorted(channels.items(), key=lambda kv: -kv[1]["cases"])
        ],
        # Every local day of the period, those without a case as 0 (a chart's time axis).
        "by_day": [
            {"day": day, "cases": days.get((day,), {}).get("cases", 0)}
            for day in core_rollups.days_between(period.start, period.end, zone)
            if core_rollups.local_day(day, zone)[0] < period.end
        ],
    }


def _csat(user: Any, period: Period, filters: Filters) -> dict[str, Any]:
    wanted = {"team": filters.team_id, "channel": filters.channel, "priority": filters.priority}
    (row,) = feedback_selectors.csat_figures(
        user=user, start=period.start, end=period.end, filters=wanted
    )
    return {
        "sent": row.sent,
        "responses": row.responses,
        "satisfied": row.satisfied,
        "csat": _percent(row.satisfied, row.responses),
        "response_rate": _percent(row.responses, row.sent),
        "effort": None if row.effort is None else round(row.effort, 2),
        # CES: the effort question is optional, so its answers have a rate of their own
        "effort_responses": row.effort_responses,
        "effort_response_rate": _percent(row.effort_responses, row.sent),
    }


def _nps(user: Any, period: Period, filters: Filters) -> dict[str, Any]:
    wanted = {"team": filters.team_id, "channel": filters.channel, "priority": filters.priority}
    (row,) = feedback_selectors.nps_figures(
        user=user, start=period.start, end=period.end, filters=wanted
    )
    return {
        "sent": row.sent,
        "responses": row.responses,
        "promoters": row.promoters,
        "passives": row.passives,
        "detractors": row.detractors,
        "nps": row.nps,
        "response_rate": row.response_rate,
    }


def _loop_closing(user: Any, period: Period) -> dict[str, Any]:
    """The follow-ups of bad ratings resolved in the period: how many, and the median and
    longest time from the rating's follow-up opening to resolved (hours). Their rows are
    the period's resolutions, never the history."""
    rows = feedback_selectors.follow_ups_for(user=user, state=FollowUp.State.RESOLVED).filter(
        resolved_at__gte=period.start, resolved_at__lt=period.end
    )
    hours = sorted(
        (resolved - opened).total_seconds() / 3600
        for opened, resolved in rows.order_by().values_list("opened_at", "resolved_at")
        if resolved is not None  # the filter says so; the type does not
    )
    return {
        "resolved": len(hours),
        "median_hours": round(statistics.median(hours), 1) if hours else None,
        "max_hours": round(hours[-1], 1) if hours else None,
    }


def volume_chart(report: dict[str, Any]) -> dict[str, Any]:
    """The cases-by-day chart's spec (static/cxdesk/charts.js draws it; the table beside it
    holds the same numbers)."""
    days = report["volume"]["by_day"]
    return {
        "type": "bar",
        "labels": [row["day"].strftime("%-d %b") for row in days],
        "datasets": [{"label": "Cases opened", "data": [row["cases"] for row in days]}],
        "y": {"min": 0, "label": "cases"},
    }


# The time figures of the summary, as the report shows them (label, which rows a period holds).
TIME_FIGURES = (
    ("first_response", "First response", "cases opened in the period"),
    ("next_response", "Next response", "responses given in the period"),
    ("resolution", "Resolution", "cases solved in the period"),
)
TIME_KINDS = (("business", "business time"), ("calendar", "calendar time"))


def _time_figures(sla: dict[str, Any], name: str, kind: str) -> dict[str, Any]:
    figures = sla[name]
    return figures["calendar"] if kind == "calendar" else figures


def time_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The response and resolution times, one row per figure and kind of time, with the
    previous period's figures beside them."""
    return [
        {
            "figure": name,
            "kind": kind,
            "label": f"{label} ({kind_label})",
            "rows": rows,
            "now": _time_figures(report["sla"], name, kind),
            "before": _time_figures(report["sla_previous"], name, kind),
        }
        for name, label, rows in TIME_FIGURES
        for kind, kind_label in TIME_KINDS
    ]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def times_chart(report: dict[str, Any], kind: str) -> dict[str, Any]:
    """The response-times chart of one kind of time (business, calendar): median and p90
    of each figure, this period beside the one before, in hours (the table beside it holds
    the same figures)."""
    sets = []
    for statistic, label in (("median", "Median"), ("p90", "90th percentile")):
        for which, suffix in (("sla", ""), ("sla_previous", ", previous period")):
            sets.append(
                {
                    "label": f"{label}{suffix}",
                    "data": [
                        _hours(_time_figures(report[which], name, kind)[statistic])
                        for name, _, _ in TIME_FIGURES
                    ],
                }
            )
    return {
        "type": "bar",
        "labels": [label for _, label, _ in TIME_FIGURES],
        "datasets": sets,
        "y": {"min": 0, "label": f"hours ({dict(TIME_KINDS)[kind]})"},
    }


def attainment_chart(report: dict[str, Any]) -> dict[str, Any]:
    """SLA attainment per target, this period beside the one before (%)."""
    rows = attainment_rows(report)
    return {
        "type": "bar",
        "labels": [row["label"] for row in rows],
        "datasets": [
            {"label": "This period", "data": [row["percent"] for row in rows]},
            {"label": "Previous period", "data": [row["previous"] for row in rows]},
        ],
        "y": {"min": 0, "max": 100, "label": "% met"},
    }


def center_report(*, user: Any, start: datetime, end: datetime, filters: Filters) -> dict[str, Any]:
    """The report's figures for the period and the one before; a constant number of queries
    whatever the period's length or the number of cases (the rollups answer built days)."""
    period = Period(start=start, end=end)
    previous = Period(start=start - (end - start), end=start)
    teams = rc_selectors.report_teams(user)
    cases = filters.cases(teams)
    with core_rollups.snapshot():
        volume = _volume(period, cases)
        volume_before = _volume_totals(
            rollups.period_figures(rollups.covered_days(previous.start, previous.end), cases).get(
                (), dict.fromkeys(rollups.FIGURES, 0)
            )
        )

    def summary(of: Period) -> dict[str, Any]:
        return sla_summary(
            period=of,
            team_id=filters.team_id,
            channel=filters.channel or None,
            priority=filters.priority or None,
            teams=teams,
        )

    sla, sla_before = summary(period), summary(previous)
    csat, csat_before = _csat(user, period, filters), _csat(user, previous, filters)
    nps, nps_before = _nps(user, period, filters), _nps(user, previous, filters)
    root_causes = rc_selectors.top_root_causes(
        period=rc_selectors.ReportPeriod(start=start, end=end),
        filters=rc_selectors.ReportFilters(team_id=filters.team_id, channel=filters.channel),
        user=user,
        limit=TOP_ROOT_CAUSES,
    )
    loop_closing = _loop_closing(user, period)
    open_follow_ups = feedback_selectors.follow_up_counts(user=user).get(FollowUp.State.OPEN, 0)
    visible = Contact.objects.visible_to(user)
    at_risk = ContactRisk.objects.filter(
        score__gte=settings.CXDESK_RISK_THRESHOLD, contact__in=visible.values("pk")
    )
    spikes = RootCauseSpike.objects.filter(state=RootCauseSpike.State.ACTIVE)
    return {
        "period": {"from": period.start, "to": period.end},
        "previous_period": {"from": previous.start, "to": previous.end},
        "filters": {
            "team": filters.team_id,
            "channel": filters.channel or None,
            "priority": filters.priority or None,
        },
        "volume": volume,
        "volume_previous": volume_before,
        "volume_change": change(volume["cases"], volume_before["cases"]),
        "sla": sla,
        "sla_previous": sla_before,
        "csat": csat,
        "csat_previous": csat_before,
        "nps": nps,
        "nps_previous": nps_before,
        "root_causes": root_causes,
        "open_follow_ups": open_follow_ups,
        "follow_ups_resolved": loop_closing,
        "at_risk_customers": at_risk.count(),
        "active_spikes": spikes.count(),
    }


def _volume_rows(report: dict[str, Any]) -> list[list[Any]]:
    volume, before = report["volume"], report["volume_previous"]
    rows = [
        ["volume", "all", name, volume[name], before[name]]
        for name in ("cases", "reopened_cases", "reopen_rate", "mean_handle_seconds")
    ]
    rows += [
        ["volume by channel", row["channel"], "cases", row["cases"], None]
        for row in volume["by_channel"]
    ]
    rows += [
        ["volume by day", row["day"].isoformat(), "cases", row["cases"], None]
        for row in volume["by_day"]
    ]
    return rows


def _sla_rows(report: dict[str, Any]) -> list[list[Any]]:
    sla, before = report["sla"], report["sla_previous"]
    previous = {row["metric"]: row for row in before["attainment"]}
    rows = [
        [
            "sla attainment",
            row["metric"],
            name,
            row[name],
            previous.get(row["metric"], {}).get(name),
        ]
        for row in sla["attainment"]
        for name in ("met", "breached", "percent")
    ]
    rows += [
        [
            f"{figure} {kind} seconds",
            "all",
            name,
            _time_figures(sla, figure, kind)[name],
            _time_figures(before, figure, kind)[name],
        ]
        for figure, _, _ in TIME_FIGURES
        for kind, _ in TIME_KINDS
        for name in ("count", "median", "p90")
    ]
    rows += [
        ["fcr", kind, name, sla["fcr"][kind][name], before["fcr"][kind][name]]
        for kind in ("final", "provisional")
        for name in ("cases", "fcr", "percent")
    ]
    rows += [
        ["one touch", "all", name, sla["one_touch"][name], before["one_touch"][name]]
        for name in ("cases", "count", "percent")
    ]
    return rows


def csv_rows(report: dict[str, Any]) -> list[list[Any]]:
    """Every table of the report, flattened: [section, key, figure, period, previous]."""
    csat, csat_before = report["csat"], report["csat_previous"]
    return [
        *_volume_rows(report),
        *_sla_rows(report),
        *(
            ["csat", "all", name, csat[name], csat_before[name]]
            for name in (
                "sent",
                "responses",
                "satisfied",
                "csat",
                "response_rate",
                "effort",
                "effort_responses",
                "effort_response_rate",
            )
        ),
        *(
            ["nps", "all", name, report["nps"][name], report["nps_previous"][name]]
            for name in (
                "sent",
                "responses",
                "promoters",
                "passives",
                "detractors",
                "nps",
                "response_rate",
            )
        ),
        *(
            ["root causes", row.path, "cases", row.cases, row.previous_cases]
            for row in report["root_causes"]
        ),
        *(
            ["now", "all", name, report[name], None]
            for name in ("open_follow_ups", "at_risk_customers", "active_spikes")
        ),
        *(
            ["follow-ups resolved", "all", name, report["follow_ups_resolved"][name], None]
            for name in ("resolved", "median_hours", "max_hours")
        ),
    ]


def attainment_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The attainment per target, with its label and the previous period's percent."""
    from apps.sla.models import Metric

    before = {row["metric"]: row for row in report["sla_previous"]["attainment"]}
    labels = dict(Metric.choices)
    return [
        {
            **row,
            "label": labels.get(row["metric"], row["metric"]),
            "previous": before.get(row["metric"], {}).get("percent"),
        }
        for row in report["sla"]["attainment"]
    ]
