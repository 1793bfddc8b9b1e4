"""Reads on the taxonomy, on cases' suggestions, on spikes and on candidates."""

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from apps.accounts.models import AgentProfile, role_of
from apps.accounts.types import AnyUser
from apps.cases.models import Case, Interaction
from apps.core import rollups as core_rollups

from . import rollups, suggest
from .models import (
    RootCause,
    RootCauseCandidate,
    RootCauseCandidateCase,
    RootCauseSpike,
    RootCauseSuggestion,
)

# Ended spikes stay in the API's list and on the spikes page this long.
RECENT_SPIKE_DAYS = 30

# The newest tagged cases a model is trained from (a bound on the trainer's memory and time).
MAX_TRAINING_CASES = 50_000


def root_cause_choices() -> list[tuple[int, str]]:
    """(id, path) of every current node, by path: what a case may be given (one query)."""
    return list(RootCause.objects.active().order_by("path", "id").values_list("pk", "path"))


def root_cause_nodes() -> list[tuple[int, str, bool]]:
    """(id, path, retired) of every node, by path: what cases may be filtered by (one query)."""
    return [
        (pk, path, retired is not None)
        for pk, path, retired in RootCause.objects.order_by("path", "id").values_list(
            "pk", "path", "retired_at"
        )
    ]


def _first_message() -> Subquery:
    """The body of a case's first public message from the customer."""
    return Subquery(
        Interaction.objects.filter(
            case=OuterRef("pk"), direction=Interaction.Direction.INBOUND, is_public=True
        )
        .order_by("occurred_at", "pk")
        .values("body_text")[:1]
    )


def training_cases(*, limit: int = MAX_TRAINING_CASES) -> tuple[list[str], list[int]]:
    """(texts, root-cause ids) of the newest cases tagged with a current root cause (one
    query; merged cases are left out: their target carries the story)."""
    rows = (
        Case.objects.filter(root_cause__retired_at__isnull=True, merged_into__isnull=True)
        .exclude(root_cause__isnull=True)
        .annotate(first_message=_first_message())
        .order_by("-created_at", "-id")
        .values_list("subject", "first_message", "root_cause_id")[:limit]
    )
    texts, labels = [], []
    for subject, message, root_cause_id in rows:
        texts.append(suggest.case_text(subject, message or ""))
        labels.append(root_cause_id)
    return texts, labels


def case_text(*, case_id: int) -> str | None:
    """What the model reads of one case, or None when there is no such case (one query)."""
    row = (
        Case.objects.filter(pk=case_id)
        .annotate(first_message=_first_message())
        .values_list("subject", "first_message")
        .first()
    )
    if row is None:
        return None
    return suggest.case_text(row[0], row[1] or "")


def case_suggestions(*, case: Case) -> QuerySet[RootCauseSuggestion]:
    """The case's stored suggestions of current root causes, best first, with their paths."""
    return (
        RootCauseSuggestion.objects.filter(case=case, root_cause__retired_at__isnull=True)
        .select_related("root_cause")
        .order_by("rank")
    )


def suggestions_prefetch() -> "Prefetch[str, QuerySet[RootCauseSuggestion], str]":
    """Cases' current suggestions as `case.current_suggestions` (one query for a page)."""
    return Prefetch(
        "root_cause_suggestions",
        queryset=RootCauseSuggestion.objects.filter(root_cause__retired_at__isnull=True)
        .select_related("root_cause")
        .order_by("rank"),
        to_attr="current_suggestions",
    )


# --- Spikes ---------------------------------------------------------------------------------


def day_start(day: date) -> datetime:
    """The instant `day` begins in TIME_ZONE (aware; a DST change is the zone's business)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def daily_counts(
    *, root_cause_ids: Collection[int], first_day: date, last_day: date
) -> dict[int, dict[date, int]]:
    """Cases per root cause per day (TIME_ZONE), from `first_day` to `last_day` included:
    {root cause id: {day: cases}}, days without cases left out (one query).

    A case counts on the day it was created, under the root cause it has now (merged cases
    too: each was a contact). The one place the spike test reads volume from: the
    (root_cause, created_at) index makes it a range per cause over these days only, whatever
    the history — and a rollup table can later answer the same question here.
    """
    if not root_cause_ids:
        return {}
    rows = (
        Case.objects.filter(
            root_cause_id__in=sorted(root_cause_ids),
            created_at__gte=day_start(first_day),
            created_at__lt=day_start(last_day + timedelta(days=1)),
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_default_timezone()))
        .values("root_cause_id", "day")
        .annotate(cases=Count("*"))  # no column beyond the index: an index-only scan
        .order_by()
    )
    counts: dict[int, dict[date, int]] = {}
    for row in rows:
        counts.setdefault(row["root_cause_id"], {})[row["day"]] = row["cases"]
    return counts


def spikes_recent(*, now: datetime | None = None) -> QuerySet[RootCauseSpike]:
    """Active spikes and those ended in the last RECENT_SPIKE_DAYS, newest first, with their
    root causes and owner teams (one query)."""
    since = (now or timezone.now()) - timedelta(days=RECENT_SPIKE_DAYS)
    return (
        RootCauseSpike.objects.filter(Q(state=RootCauseSpike.State.ACTIVE) | Q(ended_at__gte=since))
        .select_related("root_cause", "root_cause__owner_team")
        .order_by("-first_seen_at", "-id")
    )


# --- Candidates -----------------------------------------------------------------------------


def candidate_pool(*, since: datetime, max_score: float, limit: int) -> list[tuple[int, str, str]]:
    """(case id, text, subject) of the newest `limit` cases created since `since` that the
    taxonomy does not explain: no root cause, not merged, a best current suggestion scoring
    under `max_score` or none at all, and in no candidate already decided (a dismissed
    group does not come back; an accepted one's cases are tagged). By id (one query)."""
    best = Subquery(
        RootCauseSuggestion.objects.filter(case=OuterRef("pk"), root_cause__retired_at__isnull=True)
        .order_by("rank")
        .values("score")[:1]
    )
    decided = RootCauseCandidateCase.objects.exclude(
        candidate__state=RootCauseCandidate.State.OPEN
    ).values("case_id")
    rows = (
        Case.objects.filter(
            root_cause__isnull=True, merged_into__isnull=True, created_at__gte=since
        )
        .exclude(pk__in=decided)
        .annotate(best=best)
        .filter(Q(best__isnull=True) | Q(best__lt=max_score))
        .annotate(first_message=_first_message())
        .order_by("-created_at", "-id")
        .values_list("pk", "subject", "first_message")[:limit]
    )
    found = [
        (pk, suggest.case_text(subject, message or ""), subject) for pk, subject, message in rows
    ]
    return sorted(found)


def candidates_visible_to(user: AnyUser) -> QuerySet[RootCauseCandidate]:
    """The candidates whose every case `user` may see (so its terms, subjects and size tell
    them nothing about cases they may not see): all of them for admins."""
    candidates = RootCauseCandidate.objects.all()
    if not user.is_authenticated or not user.is_active:
        return candidates.none()
    if role_of(user) == AgentProfile.Role.ADMIN:
        return candidates
    hidden = Case.objects.exclude(pk__in=Case.objects.visible_to(user).values("pk"))
    return candidates.exclude(
        pk__in=RootCauseCandidateCase.objects.filter(case__in=hidden).values("candidate_id")
    )


def candidate_list_for(
    user: AnyUser, *, state: str | None = RootCauseCandidate.State.OPEN
) -> QuerySet[RootCauseCandidate]:
    """Candidates `user` may see, largest first, with their cases' ids and their node."""
    candidates = candidates_visible_to(user)
    if state:
        candidates = candidates.filter(state=state)
    return (
        candidates.select_related("root_cause")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=RootCauseCandidateCase.objects.order_by("-similarity", "case_id"),
            )
        )
        .order_by("-size", "-id")
    )


# --- the root-cause report ("owners see their problems") ----------------------------------


@dataclass(frozen=True)
class ReportPeriod:
    """[start, end): the cases opened in it count."""

    start: datetime
    end: datetime

    def previous(self) -> "ReportPeriod":
        """The period of the same length just before (the trend's baseline)."""
        return ReportPeriod(start=self.start - (self.end - self.start), end=self.start)


@dataclass(frozen=True)
class ReportFilters:
    team_id: int | None = None  # the case's current team
    channel: str | None = None  # the case's channel
    # The root causes owned by these teams only (the owners' dashboard); None: every cause.
    owner_team_ids: tuple[int, ...] | None = None


@dataclass
class ReportRow:
    """One root cause's figures over the period (rates None when there is nothing to rate)."""

    root_cause_id: int
    path: str
    owner_team: str
    retired: bool
    cases: int
    contacts: int  # distinct requesters
    handle_seconds: int
    reopened_cases: int
    reopens: int
    fcr_judged: int
    fcr: int
    previous_cases: int
    active_spike: bool
    # Columns other apps add (REPORT_COLUMNS), by name.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def handle_hours(self) -> float:
        return round(self.handle_seconds / 3600, 1)

    @property
    def reopen_rate(self) -> float | None:
        return _percent(self.reopened_cases, self.cases)

    @property
    def fcr_rate(self) -> float | None:
        return _percent(self.fcr, self.fcr_judged)

    @property
    def trend_percent(self) -> float | None:
        """Cases against the previous period: +50.0 is half as many again (None: none then)."""
        if not self.previous_cases:
            return None
        return round(100 * (self.cases - self.previous_cases) / self.previous_cases, 1)


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# A column another app adds to the report (apps/problems: open problems): called once per
# report with every row, it sets `row.extra[name]` in a constant number of queries.
ReportColumn = Callable[[Sequence[ReportRow], ReportPeriod, ReportFilters, Any], None]
REPORT_COLUMNS: dict[str, ReportColumn] = {}


def report_column(name: str, column: ReportColumn) -> None:
    """Add a column to the report (from the app's AppConfig.ready)."""
    REPORT_COLUMNS[name] = column


def report_teams(user: Any) -> QuerySet[Any] | None:
    """The teams whose cases a user's report counts (None: every case). As
    CaseQuerySet.visible_to: admins every case, others their teams' (the cases assigned to
    them in other teams are not in the rollups' keys, so not in the report)."""
    if role_of(user) == "admin":
        return None
    return user.teams.values("pk")  # type: ignore[no-any-return]


def top_root_causes(
    *,
    period: ReportPeriod,
    filters: ReportFilters,
    user: Any,
    limit: int | None = None,
    every_case: bool = False,
) -> list[ReportRow]:
    """Per root cause with cases in the period or the one before, by cases (most first):
    cases, contacts affected, handle-time cost, reopen and FCR rates, the trend and whether
    a spike is active. A constant number of queries (≤ 10, plus the extra columns'),
    whatever the period: the daily rollups answer the built days (apps/rootcauses/rollups.py),
    the rows the rest.

    The cases counted are those the user may see (report_teams), or — `every_case`, for the
    owners' dashboard (apps/rootcauses/dashboard.py), whose figures name no customer —
    every team's: an owner team's causes are worked by other teams' agents."""
    if not user.is_authenticated or not user.is_active:
        return []
    cases = Q()
    if filters.team_id is not None:
        cases &= Q(team_id=filters.team_id)
    if filters.channel:
        cases &= Q(channel=filters.channel)
    if filters.owner_team_ids is not None:
        cases &= Q(
            root_cause_id__in=RootCause.objects.filter(
                owner_team_id__in=filters.owner_team_ids
            ).values("pk")
        )
    teams = None if every_case else report_teams(user)
    if teams is not None:
        cases &= Q(team_id__in=teams)
    before = period.previous()
    with core_rollups.snapshot():
        coverage = rollups.covered_days(period.start, period.end)
        figures = rollups.period_figures(coverage, cases)
        contacts = rollups.period_contacts(coverage, cases)
        previous = rollups.period_figures(
            rollups.covered_days(before.start, before.end), cases, names=["cases"]
        )
        ids = set(figures) | set(previous)
        if not ids:
            return []
        causes = {
            pk: (path, owner, retired)
            for pk, path, owner, retired in RootCause.objects.filter(pk__in=ids).values_list(
                "pk", "path", "owner_team__name", "retired_at"
            )
        }
        spiking = set(
            RootCauseSpike.objects.filter(
                state=RootCauseSpike.State.ACTIVE, root_cause_id__in=ids
            ).values_list("root_cause_id", flat=True)
        )
    empty = dict.fromkeys(rollups.FIGURES, 0)
    rows = []
    for pk in ids:
        got = figures.get(pk, empty)
        path, owner, retired = causes[pk]
        rows.append(
            ReportRow(
                root_cause_id=pk,
                path=path,
                owner_team=owner,
                retired=retired is not None,
                cases=got["cases"],
                contacts=contacts.get(pk, 0),
                handle_seconds=got["handle_seconds"],
                reopened_cases=got["reopened_cases"],
                reopens=got["reopens"],
                fcr_judged=got["fcr_judged"],
                fcr=got["fcr"],
                previous_cases=previous.get(pk, {}).get("cases", 0),
                active_spike=pk in spiking,
            )
        )
    rows.sort(key=lambda r: (-r.cases, -r.contacts, r.path, r.root_cause_id))
    if limit is not None:
        rows = rows[:limit]
    for column in REPORT_COLUMNS.values():
        column(rows, period, filters, user)
    return rows
