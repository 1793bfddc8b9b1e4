"""SLA clocks as a pure replay of one case's history: no database, no clock of its own.

`replay(history, plan, now)` returns every clock the case has under `plan` at instant `now`.
It is a deterministic function of its arguments: a recompute that runs twice, late, or out of
order stores the same clocks (apps/sla/services.py), and a proposed policy can be replayed
over past cases without touching them (the SLA what-if).

The metrics (Zendesk's Ticket Metric Events are the model; ../shared/BRIEF.md binds):

- **first response** — from the case's creation to its first public agent response on any
  channel: an agent's reply, an inbound call an agent answered (the phone app records it as
  a public outbound interaction by the agent), an agent's chat message. Internal notes and
  the system's messages never count.
- **next response** — each public inbound customer message that arrives after an agent
  response, while no next-response clock is running, starts one (instance 1, 2 …); the next
  public agent response fulfils it. Messages before the first response are covered by the
  first-response clock.
- **resolution** — from creation to solved; a reopen starts a new instance (the old one stays
  as it ended).

Solving (or closing) a case stops every running clock: each is fulfilled at that instant
(a case solved without a reply does not breach its reply targets afterwards). A clock is
*met* when fulfilled no later than its due instant, *breached* once its due instant has
passed unfulfilled (it stays breached when fulfilled late), *paused* while the case is in a
status its target pauses for (the due instant is then unknown), else *active*.

Due instants follow apps/sla/business_time.py: the earliest instant at which the budget is
used up, counting business time of the policy's calendar (or all time, for a target in
calendar time) outside the pauses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import business_time
from .business_time import Calendar

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"
METRICS = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)
STOP_STATUSES = frozenset({"solved", "closed"})

# Around the clock: targets counted in calendar time use the same arithmetic.
ALWAYS_OPEN = Calendar(
    timezone="UTC",
    weekly_hours={
        day: [("00:00", "24:00")] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    },
    holidays=[],
)

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Message:
    """An interaction, as the clocks see it."""

    at: datetime
    customer: bool = False  # a public inbound message from the customer
    agent_response: bool = False  # a public outbound interaction by an agent


@dataclass(frozen=True)
class StatusChange:
    at: datetime
    to: str


@dataclass(frozen=True)
class History:
    created_at: datetime
    initial_status: str = "new"
    messages: Sequence[Message] = ()
    statuses: Sequence[StatusChange] = ()


@dataclass(frozen=True)
class Target:
    metric: str
    minutes: int
    business_hours: bool = True
    pause_statuses: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Plan:
    """What the applicable policy promises this case (its targets for the case's priority)."""

    policy_id: int | None
    policy_name: str
    targets: Sequence[Target]
    calendar: Calendar | None = None  # None: business-time targets count around the clock
    warning_percent: int = 75


@dataclass
class ClockEvent:
    kind: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Clock:
    metric: str
    instance: int
    target: Target
    state: str
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    paused_seconds: int
    met_at: datetime | None
    breached_at: datetime | None
    business_seconds: int
    calendar_seconds: int
    events: list[ClockEvent]


@dataclass
class _Span:
    """A clock's running span in the history: [start, stop) with how it stopped."""

    metric: str
    instance: int
    start: datetime
    stop: datetime | None = None
    stopped_by: str = ""


def replay(history: History, plan: Plan | None, now: datetime) -> list[Clock]:
    """Every clock of the case under `plan` as of `now` (none without a plan)."""
    if plan is None:
        return []
    targets = {target.metric: target for target in plan.targets}
    if not targets:
        return []
    spans = _spans(history, now)
    statuses = _status_intervals(history, now)
    clocks = []
    for span in spans:
        target = targets.get(span.metric)
        if target is not None:
            clocks.append(_clock(span, target, plan, statuses, now))
    return clocks


def _timeline(history: History, now: datetime) -> list[tuple[datetime, int, Any]]:
    """Messages and status changes up to `now`, in order; a message before a status change
    at the same instant (a reply that sets pending is written before the status)."""
    points: list[tuple[datetime, int, Any]] = []
    points += [(max(m.at, history.created_at), 0, m) for m in history.messages if m.at <= now]
    points += [(max(s.at, history.created_at), 1, s) for s in history.statuses if s.at <= now]
    points.sort(key=lambda point: (point[0], point[1]))
    return points


def _spans(history: History, now: datetime) -> list[_Span]:
    first = _Span(FIRST_RESPONSE, 1, history.created_at)
    resolution = _Span(RESOLUTION, 1, history.created_at)
    spans = [first, resolution]
    running: dict[str, _Span] = {FIRST_RESPONSE: first, RESOLUTION: resolution}
    responded = False
    status = history.initial_status
    next_instance = 0
    resolution_instance = 1
    if status in STOP_STATUSES:  # opened already solved (an import): nothing runs
        for span in spans:
            span.stop, span.stopped_by = history.created_at, status
        running.clear()
    for at, _, point in _timeline(history, now):
        if isinstance(point, Message):
            if point.agent_response:
                responded = True
                for metric in (FIRST_RESPONSE, NEXT_RESPONSE):
                    if metric in running:
                        answered = running.pop(metric)
                        answered.stop, answered.stopped_by = at, "agent_response"
            elif point.customer and responded and NEXT_RESPONSE not in running:
                next_instance += 1
                span = _Span(NEXT_RESPONSE, next_instance, at)
                spans.append(span)
                running[NEXT_RESPONSE] = span
            continue
        before, status = status, point.to
        if status in STOP_STATUSES and before not in STOP_STATUSES:
            for span in running.values():
                span.stop, span.stopped_by = at, status
            running.clear()
        elif before in STOP_STATUSES and status not in STOP_STATUSES:  # reopened
            resolution_instance += 1
            span = _Span(RESOLUTION, resolution_instance, at)
            spans.append(span)
            running[RESOLUTION] = span
    return spans


def _status_intervals(history: History, now: datetime) -> list[tuple[datetime, datetime, str]]:
    """The case's status over time: (from, to, status) covering [created_at, now)."""
    intervals = []
    status, since = history.initial_status, history.created_at
    for at, _, point in _timeline(history, now):
        if isinstance(point, StatusChange):
            if at > since:
                intervals.append((since, at, status))
            status, since = point.to, max(since, at)
    if now > since:
        intervals.append((since, now, status))
    return intervals


def _pauses(
    statuses: Iterable[tuple[datetime, datetime, str]],
    paused_by: frozenset[str],
    start: datetime,
    end: datetime,
) -> list[Interval]:
    """The merged intervals within [start, end) when the case was in a pausing status."""
    pauses: list[Interval] = []
    for since, until, status in statuses:
        if status not in paused_by:
            continue
        since, until = max(since, start), min(until, end)
        if since >= until:
            continue
        if pauses and pauses[-1][1] >= since:
            pauses[-1] = (pauses[-1][0], max(pauses[-1][1], until))
        else:
            pauses.append((since, until))
    return pauses


def _clock(
    span: _Span,
    target: Target,
    plan: Plan,
    statuses: list[tuple[datetime, datetime, str]],
    now: datetime,
) -> Clock:
    calendar = (plan.calendar or ALWAYS_OPEN) if target.business_hours else ALWAYS_OPEN
    end = span.stop if span.stop is not None else now
    pauses = _pauses(statuses, target.pause_statuses, span.start, end)
    paused_now = span.stop is None and bool(pauses) and pauses[-1][1] >= now
    counted = pauses[:-1] if paused_now else pauses

    def used_up(budget: timedelta) -> datetime:
        return business_time.add_business_time(calendar, span.start, budget, counted)

    due: datetime | None = used_up(timedelta(minutes=target.minutes))
    warn: datetime | None = used_up(timedelta(minutes=target.minutes) * plan.warning_percent / 100)
    if paused_now and due is not None and due > pauses[-1][0]:
        # Paused before the budget ran out: when it will is not known until it resumes.
        due = warn = None
    paused_seconds = int(sum((until - since).total_seconds() for since, until in pauses))
    business = business_time.business_time_between(calendar, span.start, end, pauses)
    calendar_seconds = int((end - span.start).total_seconds()) - paused_seconds

    breached_at = None
    if due is not None and (due < span.stop if span.stop is not None else due <= now):
        breached_at = due
    if breached_at is not None:
        state = "breached"
    elif span.stop is not None:
        state = "met"
    elif paused_now:
        state = "paused"
    else:
        state = "active"
    return Clock(
        metric=span.metric,
        instance=span.instance,
        target=target,
        state=state,
        started_at=span.start,
        due_at=due,
        warn_at=warn if state == "active" else None,
        paused_seconds=max(paused_seconds, 0),
        met_at=span.stop,
        breached_at=breached_at,
        business_seconds=max(int(business.total_seconds()), 0),
        calendar_seconds=max(calendar_seconds, 0),
        events=_events(span, plan, pauses, breached_at, now),
    )


def _events(
    span: _Span,
    plan: Plan,
    pauses: list[Interval],
    breached_at: datetime | None,
    now: datetime,
) -> list[ClockEvent]:
    events = [
        ClockEvent("policy_applied", span.start, {"policy": plan.policy_name}),
        ClockEvent("activated", span.start),
    ]
    for since, until in pauses:
        events.append(ClockEvent("paused", since))
        if until < now and (span.stop is None or until < span.stop):
            events.append(ClockEvent("resumed", until))
    if breached_at is not None:
        events.append(ClockEvent("breached", breached_at))
    if span.stop is not None:
        events.append(ClockEvent("fulfilled", span.stop, {"by": span.stopped_by}))
    order = {"policy_applied": 0, "activated": 1}
    events.sort(key=lambda event: (event.at, order.get(event.kind, 2)))
    return events
