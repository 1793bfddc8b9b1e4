"""SLA what-if: the cases of a period replayed under a proposed policy, beside what is stored.

Clocks are a pure replay of a case's history (apps/sla/clocks.py), so a proposed policy and
calendar can be tried on past cases without touching them: `whatif_period` reads the cases
created in a period (in batches of `BATCH_SIZE`, five queries a batch whatever its histories)
and replays each under the proposal. Nothing is written: no clock, no event, no case.

Side by side, for each metric (first response, next response, resolution):

- **today** — the stored clocks (the SlaClock rows: what the policies that applied when each
  case was last recomputed made of it). A running clock whose due instant has passed counts
  as breached, as the sweep's next pass will mark it (`services.clocks_breach`).
- **proposal** — the clocks `clocks.replay` gives each case's history under the proposal,
  as of now.

Figures: *attainment* = met ÷ (met + breached) (running clocks are in neither), *breaches*,
*running* clocks, cases with at least one clock, and the *median first response* in business
time: over first-response clocks stopped by an agent's response (a case solved without a reply
has none), each side in its own calendar. Clocks whose outcome differs — met today and breached
under the proposal, or the reverse — are counted per metric (matched by metric and instance).

The proposal file
-----------------
One JSON object in the shape of the API's policy (apps/sla/api.py `PolicyInput`, POST
/api/v1/sla/policies/), with the calendar inline::

    {
      "name": "Faster first replies",                       optional ("proposal")
      "targets": [                                          at least one
        {"priority": "normal", "metric": "first_response", "minutes": 60,
         "business_hours": true},                           optional (true)
        {"priority": "normal", "metric": "resolution", "minutes": 960}
      ],
      "pause_statuses": {"resolution": ["pending"]},        optional: as a new policy's
      "warning_percent": 75,                                optional
      "match_priorities": ["normal", "high"],               optional conditions, as the API's:
      "match_channels": ["email"],                          an empty or missing one matches
      "match_teams": [3], "match_organizations": [7],       every case (team and organization
      "match_tags": ["vip"],                                ids must exist)
      "calendar": {                                         optional: null or missing is 24/7;
        "timezone": "Europe/London",                        a number is a stored calendar's id
        "weekly_hours": {"mon": [["09:00", "17:00"]], "tue": [["09:00", "17:00"]]},
        "holidays": ["2026-12-25"],
        "holiday_country": "GB", "holiday_subdivision": "ENG"
      }
    }

The policy's other API fields (description, position, is_active, escalate_priority,
escalate_team) are accepted and ignored: they change nothing a clock counts. The calendar
takes the API calendar's fields (`CalendarInput`; its name is optional here, and
`holidays_ics` is allowed). Every field is checked as the API checks it, then as
`services.policy_check` / `services.calendar_check` do; a mistake is a `ProposalError` naming
the field (``targets[0].minutes: …``, ``calendar.timezone: unknown time zone 'Mars/Olympus'``).

Which cases the proposal covers: by default it **replaces every policy** — a case it does not
match gets no clocks on the proposal's side (the question "what if this were our policy").
With `then_current=True` it is tried **first, then today's active policies** in their order,
as if it had been added at the top (the question "what if we added this policy").
"""

from __future__ import annotations

import json
import logging
import statistics
import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.cases.models import Case, CaseEvent, Interaction
from apps.core.errors import DomainError

from . import clocks, services
from .business_time import Calendar
from .models import (
    BusinessCalendar,
    Metric,
    SlaClock,
    SlaPolicy,
    SlaTarget,
    default_pause_statuses,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 500
PROPOSAL_NAME = "proposal"
MET, BREACHED, RUNNING = "met", "breached", "running"


# --- the proposal ---------------------------------------------------------------------------


class ProposalError(DomainError):
    """A mistake in a proposal file: `errors` is [(field, message), …], the field as a path
    (``targets[0].minutes``); `fields` has them as a serializer's errors would."""

    code = "invalid_sla_proposal"

    def __init__(self, errors: Sequence[tuple[str, str]] | str):
        self.errors = [("file", errors)] if isinstance(errors, str) else list(errors)
        fields: dict[str, list[str]] = {}
        for name, message in self.errors:
            fields.setdefault(name, []).append(message)
        super().__init__(
            "; ".join(f"{name}: {message}" for name, message in self.errors), fields=fields
        )


@dataclass(frozen=True)
class Proposal:
    """A proposed policy, held in memory only.

    `policy` is an unsaved SlaPolicy whose targets and match conditions sit in its prefetch
    cache, so that `services.policy_matches` and `services.plan_for` read it exactly as they
    read a stored policy (one matching rule, not a copy of it) without a query. It is never
    saved: its pk is a placeholder no row has.
    """

    policy: SlaPolicy
    calendar: Calendar | None
    plans: Mapping[str, clocks.Plan]  # per priority (one Calendar value shared: its day cache)

    def plan_for(self, priority: str) -> clocks.Plan:
        return self.plans[priority]


def proposal_from_json(text: str | bytes) -> Proposal:
    """Parse and check a proposal file (the module docstring); ProposalError naming the field."""
    try:
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProposalError([("file", f"not JSON ({error})")]) from None
    return proposal_from_data(data)


def proposal_from_data(data: Any) -> Proposal:
    from .api import PolicyInput

    if not isinstance(data, dict):
        raise ProposalError([("file", f"a JSON object (one policy), got {type(data).__name__}")])
    values = dict(data)
    calendar_value = values.pop("calendar", None)
    values.setdefault("name", PROPOSAL_NAME)
    checked = PolicyInput(data=values)
    if not checked.is_valid():
        raise ProposalError(_flatten(checked.errors))
    valid = checked.validated_data
    targets = valid.get("targets") or []
    if not targets:
        raise ProposalError([("targets", "at least one target (priority, metric, minutes)")])
    pairs = [(target["priority"], target["metric"]) for target in targets]
    if len(set(pairs)) != len(pairs):
        raise ProposalError([("targets", "one target per priority and metric")])
    policy = SlaPolicy(
        pk=0,  # a placeholder: the policy is never saved (pks start at 1)
        name=valid["name"],
        calendar=None,  # the proposal's calendar goes into its plans directly
        match_priorities=valid.get("match_priorities") or [],
        match_channels=valid.get("match_channels") or [],
        match_tags=valid.get("match_tags") or [],
        warning_percent=valid.get("warning_percent", 75),
        pause_statuses=valid.get("pause_statuses", default_pause_statuses()),
    )
    try:
        services.policy_check(policy)
    except services.SlaConfigError as error:
        raise ProposalError(_config_errors(error)) from None
    policy._prefetched_objects_cache = {  # type: ignore[attr-defined]
        "targets": [
            SlaTarget(
                priority=target["priority"],
                metric=target["metric"],
                minutes=target["minutes"],
                business_hours=target.get("business_hours", True),
            )
            for target in targets
        ],
        "match_teams": list(valid.get("match_teams") or []),
        "match_organizations": list(valid.get("match_organizations") or []),
    }
    calendar = _calendar(calendar_value)
    plans = {}
    for priority in Case.Priority.values:
        plan = services.plan_for(policy, priority)
        if plan is None:  # only a missing policy has no plan
            raise AssertionError("services.plan_for gave no plan for a policy")
        plans[priority] = replace(plan, policy_id=None, calendar=calendar)
    return Proposal(policy=policy, calendar=calendar, plans=plans)


def _calendar(value: Any) -> Calendar | None:
    from .api import CalendarInput

    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        stored = BusinessCalendar.objects.filter(pk=value).first()
        if stored is None:
            raise ProposalError([("calendar", f"no calendar has the id {value}")])
        try:
            return services.calendar_of(stored)
        except ValueError as error:  # a stored calendar the checks did not see (an import)
            raise ProposalError([("calendar", f"calendar {value}: {error}")]) from None
    if not isinstance(value, dict):
        raise ProposalError(
            [("calendar", "an object (timezone, weekly_hours, …), a calendar's id, or null")]
        )
    checked = CalendarInput(data={"name": PROPOSAL_NAME, **value})
    if not checked.is_valid():
        raise ProposalError(_flatten(checked.errors, "calendar"))
    calendar = BusinessCalendar(**checked.validated_data)
    try:
        services.calendar_check(calendar)
    except services.SlaConfigError as error:
        raise ProposalError(_config_errors(error, "calendar")) from None
    return calendar.to_calendar()


def _flatten(errors: Any, path: str = "") -> list[tuple[str, str]]:
    """A serializer's nested errors as (field path, message) pairs: targets[0].minutes."""
    if isinstance(errors, Mapping):
        found = []
        for key, value in errors.items():
            if isinstance(key, int):
                inner = f"{path}[{key}]"
            elif key == "non_field_errors":
                inner = path or "file"
            else:
                inner = f"{path}.{key}" if path else str(key)
            found += _flatten(value, inner)
        return found
    if isinstance(errors, list | tuple):
        if any(isinstance(item, Mapping | list | tuple) for item in errors):
            return [pair for item in errors for pair in _flatten(item, path)]
        return [(path or "file", str(message)) for message in errors]
    return [(path or "file", str(errors))]


def _config_errors(error: services.SlaConfigError, prefix: str = "") -> list[tuple[str, str]]:
    return _flatten(error.fields or {"non_field_errors": [error.message]}, prefix)


# --- what the replay reads ------------------------------------------------------------------


@dataclass(frozen=True)
class StoredClock:
    """A stored SlaClock row, as far as the report reads it."""

    metric: str
    instance: int
    state: str
    due_at: datetime | None
    met_at: datetime | None
    business_seconds: int


@dataclass(frozen=True)
class CaseRecord:
    """One case, everything the what-if needs of it (no query is made through `case`)."""

    case: Case  # priority, channel, team_id: what policy conditions read
    organization_id: int | None
    tags: tuple[str, ...]
    history: clocks.History
    stored: tuple[StoredClock, ...] = ()


PlanFor = Callable[[CaseRecord], clocks.Plan | None]


def proposed_plans(proposal: Proposal, *, then_current: bool = False) -> PlanFor:
    """What the proposal promises each case: alone (a case it does not match has no clocks),
    or tried first and then today's active policies (4 queries, once)."""
    policies = [proposal.policy, *(services.active_policies() if then_current else [])]

    def plan_for(record: CaseRecord) -> clocks.Plan | None:
        policy = services.policy_for(
            policies, case=record.case, organization_id=record.organization_id, tags=record.tags
        )
        if policy is proposal.policy:
            return proposal.plan_for(record.case.priority)
        return services.plan_for(policy, record.case.priority)

    return plan_for


def period_of(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) from the first to the last day inclusive, in the current time zone."""
    if last < first:
        raise ValueError(f"the period ends ({last}) before it begins ({first})")
    zone = timezone.get_current_timezone()
    start = datetime.combine(first, time.min, tzinfo=zone)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def period_cases(start: datetime, end: datetime) -> QuerySet[Case]:
    """The cases created in [start, end)."""
    return Case.objects.filter(created_at__gte=start, created_at__lt=end)


def case_batches(
    start: datetime, end: datetime, *, batch_size: int = BATCH_SIZE
) -> Iterator[list[CaseRecord]]:
    """The cases created in [start, end), oldest first, `batch_size` at a time: five queries
    a batch (cases, tags, interactions, status events, stored clocks), whatever the
    histories; only one batch is in memory at a time."""
    after: tuple[datetime, int] | None = None
    while True:
        cases = period_cases(start, end)
        if after is not None:
            cases = cases.filter(
                Q(created_at__gt=after[0]) | Q(created_at=after[0], pk__gt=after[1])
            )
        batch = list(
            cases.order_by("created_at", "pk")
            .only("id", "created_at", "priority", "channel", "team_id")
            .annotate(organization_id=F("requester__organization_id"))[:batch_size]
        )
        if not batch:
            return
        yield records_of(batch)
        if len(batch) < batch_size:
            return
        after = (batch[-1].created_at, batch[-1].pk)


def records_of(cases: Sequence[Case]) -> list[CaseRecord]:
    """Histories, tags and stored clocks of `cases` (4 queries). Each case needs
    `organization_id` annotated (its requester's organization)."""
    ids = [case.pk for case in cases]
    histories = histories_of(cases)
    tags: dict[int, list[str]] = {}
    for case_id, name in Case.tags.through.objects.filter(case_id__in=ids).values_list(
        "case_id", "tag__name"
    ):
        tags.setdefault(case_id, []).append(name)
    stored: dict[int, list[StoredClock]] = {}
    for row in (
        SlaClock.objects.filter(case_id__in=ids)
        .order_by("case_id", "started_at", "metric", "instance")
        .values_list(
            "case_id", "metric", "instance", "state", "due_at", "met_at", "business_seconds"
        )
    ):
        stored.setdefault(row[0], []).append(StoredClock(*row[1:]))
    return [
        CaseRecord(
            case=case,
            organization_id=getattr(case, "organization_id", None),
            tags=tuple(tags.get(case.pk, ())),
            history=histories[case.pk],
            stored=tuple(stored.get(case.pk, ())),
        )
        for case in cases
    ]


def histories_of(cases: Sequence[Case]) -> dict[int, clocks.History]:
    """`services.history_of` for many cases in 2 queries (interactions, status events): the
    same History for each case, read by the same rules."""
    messages: dict[int, list[clocks.Message]] = {case.pk: [] for case in cases}
    for row in (
        Interaction.objects.filter(case_id__in=list(messages))
        .order_by("case_id", "occurred_at", "id")
        .values("case_id", "occurred_at", "direction", "is_public", "author_agent_id")
    ):
        messages[row["case_id"]].append(
            clocks.Message(
                at=row["occurred_at"],
                customer=row["direction"] == Interaction.Direction.INBOUND and row["is_public"],
                agent_response=(
                    row["direction"] == Interaction.Direction.OUTBOUND
                    and row["is_public"]
                    and row["author_agent_id"] is not None
                ),
            )
        )
    initial: dict[int, str] = {}
    statuses: dict[int, list[clocks.StatusChange]] = {pk: [] for pk in messages}
    for event in (
        CaseEvent.objects.filter(
            case_id__in=list(messages), kind__in=[CaseEvent.Kind.CREATED, CaseEvent.Kind.STATUS]
        )
        .order_by("case_id", "at", "id")
        .values("case_id", "kind", "at", "after")
    ):
        if event["kind"] == CaseEvent.Kind.CREATED:
            after = event["after"] if isinstance(event["after"], dict) else {}
            initial[event["case_id"]] = after.get("status", initial.get(event["case_id"], "new"))
        elif isinstance(event["after"], str):
            statuses[event["case_id"]].append(
                clocks.StatusChange(at=event["at"], to=event["after"])
            )
    return {
        case.pk: clocks.History(
            created_at=case.created_at,
            initial_status=initial.get(case.pk, Case.Status.NEW),
            messages=messages[case.pk],
            statuses=statuses[case.pk],
        )
        for case in cases
    }


# --- the report -----------------------------------------------------------------------------


@dataclass
class Tally:
    met: int = 0
    breached: int = 0
    running: int = 0

    @property
    def attainment(self) -> float | None:
        """met ÷ (met + breached); None when no clock has an outcome yet."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


@dataclass
class Side:
    """One column of the report: the clocks of every case, today's or the proposal's."""

    tallies: dict[str, Tally] = field(default_factory=lambda: {m: Tally() for m in clocks.METRICS})
    cases_with_clocks: int = 0
    # Business seconds to each first response: 8 bytes a case, the only per-case memory kept.
    first_responses: array[int] = field(default_factory=lambda: array("q"))

    @property
    def breaches(self) -> int:
        return sum(tally.breached for tally in self.tallies.values())

    @property
    def median_first_response(self) -> float | None:
        return statistics.median(self.first_responses) if self.first_responses else None

    def add(self, outcomes: Sequence[_Outcome], responded_at: datetime | None) -> None:
        if outcomes:
            self.cases_with_clocks += 1
        for outcome in outcomes:
            tally = self.tallies[outcome.metric]
            setattr(tally, outcome.outcome, getattr(tally, outcome.outcome) + 1)
            if (
                outcome.metric == clocks.FIRST_RESPONSE
                and outcome.met_at is not None
                and responded_at is not None
                and responded_at <= outcome.met_at
            ):
                self.first_responses.append(outcome.business_seconds)


@dataclass
class Report:
    cases: int = 0
    actual: Side = field(default_factory=Side)
    proposed: Side = field(default_factory=Side)
    # Per metric: clocks met today that the proposal breaches, and the reverse.
    newly_breached: Counter[str] = field(default_factory=Counter)
    newly_met: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-able data (what the command's --json prints, the admin shows)."""

        def side(s: Side) -> dict[str, Any]:
            return {
                "cases_with_clocks": s.cases_with_clocks,
                "breaches": s.breaches,
                "median_first_response_business_seconds": s.median_first_response,
                "metrics": {
                    metric: {
                        "met": t.met,
                        "breached": t.breached,
                        "running": t.running,
                        "attainment": t.attainment,
                    }
                    for metric, t in s.tallies.items()
                },
            }

        return {
            "cases": self.cases,
            "actual": side(self.actual),
            "proposed": side(self.proposed),
            "newly_breached": {m: self.newly_breached[m] for m in clocks.METRICS},
            "newly_met": {m: self.newly_met[m] for m in clocks.METRICS},
        }


@dataclass(frozen=True)
class _Outcome:
    metric: str
    instance: int
    outcome: str  # MET, BREACHED or RUNNING
    met_at: datetime | None
    business_seconds: int


def _stored_outcome(clock: StoredClock, now: datetime) -> str:
    if clock.state == SlaClock.State.BREACHED:
        return BREACHED
    if clock.state == SlaClock.State.MET:
        return MET
    if clock.state == SlaClock.State.ACTIVE and clock.due_at is not None and clock.due_at <= now:
        return BREACHED  # the sweep's next pass marks it (services.clocks_breach)
    return RUNNING


def _replayed_outcome(clock: clocks.Clock) -> str:
    return {"met": MET, "breached": BREACHED}.get(clock.state, RUNNING)


def first_agent_response(history: clocks.History, now: datetime) -> datetime | None:
    """When an agent first responded publicly (as the replay places it), if by `now`."""
    answers = [
        max(message.at, history.created_at)
        for message in history.messages
        if message.agent_response and message.at <= now
    ]
    return min(answers) if answers else None


def whatif(cases: Iterable[CaseRecord], proposed_plan_for: PlanFor, now: datetime) -> Report:
    """The report over `cases`: their stored clocks beside their replay under
    `proposed_plan_for` as of `now`. Pure: reads only its arguments."""
    report = Report()
    for record in cases:
        report.cases += 1
        actual = [
            _Outcome(c.metric, c.instance, _stored_outcome(c, now), c.met_at, c.business_seconds)
            for c in record.stored
        ]
        proposed = [
            _Outcome(c.metric, c.instance, _replayed_outcome(c), c.met_at, c.business_seconds)
            for c in clocks.replay(record.history, proposed_plan_for(record), now)
        ]
        responded_at = first_agent_response(record.history, now)
        report.actual.add(actual, responded_at)
        report.proposed.add(proposed, responded_at)
        today = {(o.metric, o.instance): o.outcome for o in actual}
        for outcome in proposed:
            before = today.get((outcome.metric, outcome.instance))
            if before == MET and outcome.outcome == BREACHED:
                report.newly_breached[outcome.metric] += 1
            elif before == BREACHED and outcome.outcome == MET:
                report.newly_met[outcome.metric] += 1
    return report


def whatif_period(
    proposal: Proposal,
    *,
    start: datetime,
    end: datetime,
    then_current: bool = False,
    now: datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """The report over the cases created in [start, end); `progress(done, total)` is called
    before the first batch and after each. Reads only."""
    now = now or timezone.now()
    total = period_cases(start, end).count()
    plan_for = proposed_plans(proposal, then_current=then_current)

    def records() -> Iterator[CaseRecord]:
        done = 0
        if progress:
            progress(done, total)
        for batch in case_batches(start, end, batch_size=batch_size):
            yield from batch
            done += len(batch)
            if progress:
                progress(done, total)

    return whatif(records(), plan_for, now)


# --- showing it -----------------------------------------------------------------------------


def _percent(tally: Mapping[str, Any]) -> str:
    share = tally["attainment"]
    if share is None:
        return "—"
    return f"{share * 100:.1f}% ({tally['met']}/{tally['met'] + tally['breached']})"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{round(seconds)}s"
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"


def report_rows(data: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The report (`Report.as_dict()`) as (label, today, proposal) rows, for the command and
    the admin alike."""
    actual, proposed = data["actual"], data["proposed"]
    rows = [
        ("cases created in the period", str(data["cases"]), str(data["cases"])),
        (
            "cases with clocks",
            str(actual["cases_with_clocks"]),
            str(proposed["cases_with_clocks"]),
        ),
    ]
    for metric in clocks.METRICS:
        label = Metric(metric).label.lower()
        a, p = actual["metrics"][metric], proposed["metrics"][metric]
        rows.append((f"{label}: attainment", _percent(a), _percent(p)))
        rows.append((f"{label}: breaches", str(a["breached"]), str(p["breached"])))
        rows.append((f"{label}: running", str(a["running"]), str(p["running"])))
    rows.append(("breaches, all targets", str(actual["breaches"]), str(proposed["breaches"])))
    rows.append(
        (
            "median first response (business time)",
            _duration(actual["median_first_response_business_seconds"]),
            _duration(proposed["median_first_response_business_seconds"]),
        )
    )
    for metric in clocks.METRICS:
        label = Metric(metric).label.lower()
        rows.append(
            (
                f"{label}: met today, breached by the proposal",
                "",
                str(data["newly_breached"][metric]),
            )
        )
        rows.append(
            (f"{label}: breached today, met by the proposal", "", str(data["newly_met"][metric]))
        )
    return rows


def report_text(data: Mapping[str, Any]) -> str:
    rows = [("", "today (stored clocks)", "proposal"), *report_rows(data)]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}".rstrip()
        for row in rows
    )


# --- runs in the background (the admin) -----------------------------------------------------
#
# A run is started by a web request and executed by a Celery worker
# (apps.sla.tasks_whatif.run_whatif): its input, progress and result are in Django's cache
# under the run's key, for a day. No table holds runs (no migration): the cache must then be
# shared by the web processes and the workers (CACHE_URL=redis://…, as in production), which
# `runs_in_background` checks; without one (the demo's per-process local memory, or Celery
# eager) the admin replays small periods while the admin waits instead.

RUN_TASK = "apps.sla.tasks_whatif.run_whatif"
RUN_TTL_SECONDS = 24 * 3600


def _input_key(run_key: str) -> str:
    return f"sla-whatif:{run_key}:input"


def _state_key(run_key: str) -> str:
    return f"sla-whatif:{run_key}:state"


def runs_in_background() -> bool:
    """Whether a run started by one request can be followed by the next: a worker runs the
    task (Celery is not eager) and the cache is shared between processes."""
    from celery import current_app
    from django.core.cache import caches
    from django.core.cache.backends.dummy import DummyCache
    from django.core.cache.backends.locmem import LocMemCache

    if current_app.conf.task_always_eager:
        return False
    return not isinstance(caches["default"], LocMemCache | DummyCache)


def run_start(*, proposal_text: str, first: date, last: date, then_current: bool) -> str | None:
    """Store a run's input and enqueue it; its key, or None when the broker refused it."""
    from django.core.cache import cache

    from apps.core.queue import enqueue

    run_key = uuid.uuid4().hex
    cache.set(
        _input_key(run_key),
        {
            "proposal": proposal_text,
            "first": first.isoformat(),
            "last": last.isoformat(),
            "then_current": then_current,
        },
        RUN_TTL_SECONDS,
    )
    _run_save(run_key, state="queued", done=0, total=None)
    if not enqueue(RUN_TASK, run_key):
        cache.delete_many([_input_key(run_key), _state_key(run_key)])
        return None
    return run_key


def run_state(run_key: str) -> dict[str, Any] | None:
    """{"state": queued | running | done | failed, "done", "total", "report", "error", …}, or
    None for a key that is unknown or has expired."""
    from django.core.cache import cache

    return cache.get(_state_key(run_key))


def _run_save(run_key: str, **state: Any) -> None:
    from django.core.cache import cache

    cache.set(
        _state_key(run_key),
        {"updated_at": timezone.now().isoformat(), **state},
        RUN_TTL_SECONDS,
    )


def run_execute(run_key: str) -> None:
    """Run a stored run and store its progress and result. Idempotent: a redelivered task
    replays it again and stores the same figures (as of its own now)."""
    from django.core.cache import cache

    given = cache.get(_input_key(run_key))
    if given is None:
        _run_save(run_key, state="failed", error="the run's input has expired; start it again")
        return
    meta = {
        "name": None,
        "first": given["first"],
        "last": given["last"],
        "then_current": given["then_current"],
    }
    try:
        proposal = proposal_from_json(given["proposal"])
        meta["name"] = proposal.policy.name
        start, end = period_of(
            date.fromisoformat(given["first"]), date.fromisoformat(given["last"])
        )
        report = whatif_period(
            proposal,
            start=start,
            end=end,
            then_current=given["then_current"],
            progress=lambda done, total: _run_save(
                run_key, state="running", done=done, total=total, **meta
            ),
        )
    except Exception as error:  # noqa: BLE001 — shown on the run's page, and logged
        logger.exception("SLA what-if run %s failed", run_key)
        _run_save(run_key, state="failed", error=str(error) or type(error).__name__, **meta)
        return
    _run_save(
        run_key,
        state="done",
        done=report.cases,
        total=report.cases,
        report=report.as_dict(),
        **meta,
    )
