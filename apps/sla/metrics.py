"""A case's metrics as a pure function of its history: no database, no clock of its own.

`compute(history, calendar=…, facts=…, fcr_window=…, now=…)` returns the figures of one case
at instant `now`. Like `clocks.replay` it is deterministic: the recompute
(apps/sla/services.py `case_sla_recompute`) stores its result beside the clocks, from the
same load of the history, and running it twice or late stores the same thing.

What each figure means (Zendesk's ticket metrics are the model; ../shared/BRIEF.md binds):

- **first response** — from the case's creation to its first public agent response on any
  channel (a reply, an answered or placed call, an agent's chat message; notes never count),
  whenever it came. None until there is one.
- **next responses** — each public customer message that follows an agent response, while
  no next response is awaited, waits for the next public agent response: one entry per
  answered wait, the same spans as the next-response SLA clocks (`clocks._spans`). A wait
  ended by solving the case without an answer is no response and is not listed.
- **resolution** — from creation to the latest solve, while the case is solved (or closed
  after a solve); **first resolution** — from creation to the first solve, kept after a
  reopen. Neither counts pauses: they are elapsed times, not SLA budgets.
- **requester wait** — time in new, open and on hold; **agent work** — time in new and open;
  **on hold** — time in on hold. Counted from creation to `now` (nothing counts while solved,
  closed or pending, so a solved case's figures no longer move).
- **reopen count** — reopens (solved or closed → another status) in the history.
- **agent replies** — public agent responses, each message on its own (Zendesk's count).
- **agent responses** — the same for first-contact resolution, where all the replies inside
  one chat session count as one contact: `Facts.agent_contacts`, counted by
  `apps.chat.selectors.agent_contact_count` (the one place that rule lives). One chat session
  is one `ChatSession` row, from the visitor's first message in the widget to its end (by
  the customer, an agent or the idle sweep); a chat reply outside any session counts one.
- **handle time** — the talk time of the case's calls an agent took (`Call.duration_seconds`,
  answer to hang-up) plus the length of its chats an agent answered (`ChatSession`, start to
  end, ended ones only). Nothing in cxdesk records time spent in the workspace, so that part
  of the BRIEF's handle time is not counted.

Business time uses the calendar of the SLA policy that applies to the case (`calendar`); a
policy without a calendar counts around the clock, as its clocks do. With no policy at all
(`calendar=None`) every business figure is None: there are no business hours to count in.

First-contact resolution (FCR), exactly as the BRIEF defines it:

- a case that is not solved now (new, open, pending, on hold, or reopened) has FCR None, and
  so has a case merged into another (its interactions, and its FCR, are the other case's);
- a solved case is FCR when it has at most one agent response, was never reopened, and its
  requester opened no other case, on any channel, after this one was opened and no later
  than `fcr_window` after its (latest) solve — the repeat contact (`Facts.later_case`, the
  requester's first case opened after this one). A duplicate opened before the solve and
  merged into this case is part of this contact, not a repeat (its messages and responses
  are in this history now); one opened after the solve and merged in is the customer coming
  back about the same problem: a repeat contact like any other;
- the first reason that applies is kept, in this order: ``reopened``,
  ``several_agent_responses``, ``repeat_contact`` (with the repeat case's id);
- it is **provisional** until `fcr_window` has passed since the solve, then **final**.

Two variants, for comparing with other products, on solved cases (None otherwise):
``one_touch`` — at most one public agent reply (Zendesk's one-touch, each chat message
counting); ``no_customer_follow_up`` — no public customer message after the first agent
response (a chat conversation, being a back-and-forth, rarely is one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import business_time
from .business_time import Calendar
from .clocks import NEXT_RESPONSE, STOP_STATUSES, History
from .clocks import _spans as response_spans
from .clocks import _status_intervals as status_intervals

SOLVED = "solved"
REQUESTER_WAIT_STATUSES = frozenset({"new", "open", "on_hold"})
AGENT_WORK_STATUSES = frozenset({"new", "open"})
ON_HOLD_STATUSES = frozenset({"on_hold"})

UNKNOWN, PROVISIONAL, FINAL = "unknown", "provisional", "final"
REOPENED = "reopened"
SEVERAL_AGENT_RESPONSES = "several_agent_responses"
REPEAT_CONTACT = "repeat_contact"


@dataclass(frozen=True)
class LaterCase:
    """The requester's first case opened after this one."""

    case_id: int
    created_at: datetime


@dataclass(frozen=True)
class Facts:
    """What the metrics need beyond the history (read by the recompute with it)."""

    agent_contacts: int = 0  # agent responses, a chat session counting one
    call_seconds: int = 0  # talk time of the calls an agent took
    chat_seconds: int = 0  # length of the ended chats an agent answered
    later_case: LaterCase | None = None  # not counting duplicates merged in before the solve
    merged: bool = False  # this case was merged into another


@dataclass(frozen=True)
class Duration:
    seconds: int
    business_seconds: int | None  # None: no policy, so no business hours


@dataclass(frozen=True)
class Response:
    """One answered wait: a customer message (or the creation) and the agent response to it."""

    started_at: datetime
    responded_at: datetime
    seconds: int
    business_seconds: int | None


@dataclass(frozen=True)
class Metrics:
    first_response_at: datetime | None
    first_response: Duration | None
    next_responses: tuple[Response, ...]
    solved_at: datetime | None  # the latest solve, while the case is solved
    first_resolution: Duration | None
    resolution: Duration | None
    requester_wait: Duration
    agent_work: Duration
    on_hold: Duration
    reopen_count: int
    agent_replies: int
    agent_responses: int
    call_seconds: int
    chat_seconds: int
    handle_seconds: int
    fcr: bool | None
    fcr_state: str
    fcr_reason: str  # "" when FCR (or unknown)
    fcr_repeat_case_id: int | None
    one_touch: bool | None
    no_customer_follow_up: bool | None


def compute(
    history: History,
    *,
    calendar: Calendar | None,
    facts: Facts,
    fcr_window: timedelta,
    now: datetime,
) -> Metrics:
    """The case's metrics as of `now`; `calendar` None: no business figures."""

    def span(start: datetime, end: datetime) -> Duration:
        return Duration(_seconds(end - start), _business(calendar, start, end))

    created = history.created_at
    messages = [m for m in history.messages if m.at <= now]
    responses = [max(m.at, created) for m in messages if m.agent_response]
    first_response_at = min(responses) if responses else None

    next_responses = tuple(
        Response(s.start, s.stop, _seconds(s.stop - s.start), _business(calendar, s.start, s.stop))
        for s in response_spans(history, now)
        if s.metric == NEXT_RESPONSE and s.stop is not None and s.stopped_by == "agent_response"
    )

    solves, reopen_count, status = _solves_and_reopens(history, now)
    solved_now = status in STOP_STATUSES and bool(solves)
    solved_at = solves[-1] if solved_now else None

    intervals = status_intervals(history, now)

    def time_in(statuses: frozenset[str]) -> Duration:
        inside = [(since, until) for since, until, status in intervals if status in statuses]
        seconds = _seconds(sum((until - since for since, until in inside), timedelta(0)))
        if calendar is None:
            return Duration(seconds, None)
        business = sum(
            (business_time.business_time_between(calendar, a, b) for a, b in inside),
            timedelta(0),
        )
        return Duration(seconds, _seconds(business))

    agent_replies = len(responses)
    fcr, state, reason, repeat_id = _fcr(
        solved_at=None if facts.merged else solved_at,
        reopen_count=reopen_count,
        agent_contacts=facts.agent_contacts,
        later_case=facts.later_case,
        window=fcr_window,
        now=now,
    )
    follow_up = first_response_at is not None and any(
        m.customer and m.at > first_response_at for m in messages
    )
    solved = solved_at is not None and not facts.merged
    return Metrics(
        first_response_at=first_response_at,
        first_response=span(created, first_response_at) if first_response_at else None,
        next_responses=next_responses,
        solved_at=solved_at,
        first_resolution=span(created, solves[0]) if solves else None,
        resolution=span(created, solved_at) if solved_at else None,
        requester_wait=time_in(REQUESTER_WAIT_STATUSES),
        agent_work=time_in(AGENT_WORK_STATUSES),
        on_hold=time_in(ON_HOLD_STATUSES),
        reopen_count=reopen_count,
        agent_replies=agent_replies,
        agent_responses=facts.agent_contacts,
        call_seconds=facts.call_seconds,
        chat_seconds=facts.chat_seconds,
        handle_seconds=facts.call_seconds + facts.chat_seconds,
        fcr=fcr,
        fcr_state=state,
        fcr_reason=reason,
        fcr_repeat_case_id=repeat_id,
        one_touch=agent_replies <= 1 if solved else None,
        no_customer_follow_up=not follow_up if solved else None,
    )


def fcr_final_after(solved_at: datetime, window: timedelta) -> datetime:
    """The instant a solved case's FCR stops being provisional."""
    return solved_at + window


def _fcr(
    *,
    solved_at: datetime | None,
    reopen_count: int,
    agent_contacts: int,
    later_case: LaterCase | None,
    window: timedelta,
    now: datetime,
) -> tuple[bool | None, str, str, int | None]:
    """(fcr, state, reason, repeat case id) of a case solved at `solved_at` (None: unknown)."""
    if solved_at is None:
        return None, UNKNOWN, "", None
    final_after = fcr_final_after(solved_at, window)
    repeat = later_case if later_case and later_case.created_at <= final_after else None
    reasons = [
        reason
        for reason, applies in (
            (REOPENED, reopen_count > 0),
            (SEVERAL_AGENT_RESPONSES, agent_contacts > 1),
            (REPEAT_CONTACT, repeat is not None),
        )
        if applies
    ]
    state = FINAL if now >= final_after else PROVISIONAL
    return not reasons, state, reasons[0] if reasons else "", repeat.case_id if repeat else None


def _solves_and_reopens(history: History, now: datetime) -> tuple[list[datetime], int, str]:
    """The instants the case was solved, how often it was reopened, and its status at `now`."""
    created = history.created_at
    status = history.initial_status
    solves = [created] if status == SOLVED else []
    reopens = 0
    changes = sorted((s for s in history.statuses if s.at <= now), key=lambda s: max(s.at, created))
    for change in changes:
        before, status = status, change.to
        at = max(change.at, created)
        if status == SOLVED and before != SOLVED:
            solves.append(at)
        elif before in STOP_STATUSES and status not in STOP_STATUSES:
            reopens += 1
    return solves, reopens, status


def _business(calendar: Calendar | None, start: datetime, end: datetime) -> int | None:
    if calendar is None:
        return None
    return _seconds(business_time.business_time_between(calendar, start, end))


def _seconds(delta: timedelta) -> int:
    return max(int(delta.total_seconds()), 0)
