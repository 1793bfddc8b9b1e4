"""SLA writes: which policy applies, clocks recomputed from history, the breach sweep.

- `case_sla_recompute(case_id)` replays one case's history (apps/sla/clocks.py) under the
  policy that applies to it now and stores the result: the clocks (upserted, so the
  side-effect stamps `warning_sent_at` / `breach_fired_at` survive), their events, and the
  case's `next_breach_at` and `sla_computed_at`. Deterministic: run twice, late or out of
  order, it stores the same thing. A constant number of queries, whatever the history.
  The same replay stores the case's metrics and first-contact resolution (apps/sla/metrics.py,
  one `CaseMetrics` row a case), written only when a figure differs from the stored row's
  (its `computed_at` is then when the figures last changed).
- `repeat_contact_case_ids(opened)`: for the cases a transaction opened (or gave a new
  requester), that requester's cases solved within the FCR window before them — their FCR
  depends on it (a repeat contact); the seam's subscriber (apps/sla/case_events.py)
  recomputes them with the changed cases.
- `fcr_finalise()` (beat, hourly) recomputes the cases whose FCR is provisional and whose
  window has passed: the recompute is what makes it final.
- `sla_sweep()` (beat, every CXDESK_SLA_SWEEP_SECONDS) recomputes cases written since their
  last recompute (a lost task), marks running clocks whose due instant passed as breached
  in one UPDATE, and fires warnings and breaches: each claimed once per clock by an
  ``UPDATE … WHERE <stamp> IS NULL RETURNING id``, so two sweeps at the same time fire it once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Count,
    Exists,
    F,
    JSONField,
    Max,
    OuterRef,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Cast, Coalesce, JSONObject
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.accounts.models import AgentProfile, Team
from apps.cases.events import CaseChange
from apps.cases.models import Case, CaseEvent, Channel, Interaction
from apps.chat.models import ChatSession
from apps.chat.selectors import agent_contact_count
from apps.contacts.models import Organization
from apps.core.db import JSONArrayAgg
from apps.core.errors import DomainError
from apps.core.queue import enqueue_each

from . import clocks, metrics, rollups
from .business_time import Calendar
from .models import (
    PAUSABLE_STATUSES,
    BusinessCalendar,
    CaseMetrics,
    Metric,
    SlaClock,
    SlaClockEvent,
    SlaNextResponse,
    SlaPolicy,
    SlaRollupMark,
    SlaTarget,
)

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "apps.sla.tasks.recompute_case"
RECOMPUTE_OPENED_TASK = "apps.sla.tasks.recompute_opened_case"
PRIORITY_RANK: dict[str, int] = {
    Case.Priority.LOW: 0,
    Case.Priority.NORMAL: 1,
    Case.Priority.HIGH: 2,
    Case.Priority.URGENT: 3,
}
_calendars: dict[tuple[int, datetime], Calendar] = {}


# --- which policy applies -------------------------------------------------------------------


_policies_cache: dict[str, Any] = {}


# What changes whenever a policy, its targets or conditions, or a calendar changes: every save
# of a policy (the API, the admin and the services save the policy with its targets) moves its
# updated_at, a deletion its count. One JSON value (NULL without policies), read on its own by
# `policies_version()` or as a subquery with a case by the recompute: the same SQL both ways,
# so the two readings compare equal.
_policies_version = (
    SlaPolicy.objects.order_by()
    .annotate(all_policies=Value(1))
    .values("all_policies")
    .annotate(
        version=JSONObject(
            n=Count("id"),
            last=Max("id"),
            at=Max("updated_at"),
            calendar=Max("calendar__updated_at"),
        )
    )
    .values("version")
)


def policies_version() -> Any:
    """The policies' version now (one query): see `_policies_version`."""
    return next(iter(_policies_version.values_list("version", flat=True)), None)


_NOT_READ = object()


def active_policies(*, version: Any = _NOT_READ) -> list[SlaPolicy]:
    """The active policies in the order they are tried, with what matching needs.

    Kept per process while `policies_version()` holds (1 query, or none when the caller read
    the `version` with its own query); read again (4 more) when it moved, or when this
    process saved one (signals.py clears the cache).
    """
    if version is _NOT_READ:
        version = policies_version()
    if _policies_cache.get("version") != version:
        _policies_cache["policies"] = list(
            SlaPolicy.objects.filter(is_active=True)
            .select_related("calendar")
            .prefetch_related("targets", "match_teams", "match_organizations")
        )
        _policies_cache["version"] = version
    policies: list[SlaPolicy] = _policies_cache["policies"]
    return policies


def forget_policies() -> None:
    _policies_cache.clear()


def policy_matches(
    policy: SlaPolicy, *, case: Case, organization_id: int | None, tags: Iterable[str]
) -> bool:
    """Every condition the policy sets holds for the case (an empty one matches all)."""
    if policy.match_priorities and case.priority not in policy.match_priorities:
        return False
    if policy.match_channels and case.channel not in policy.match_channels:
        return False
    teams = {team.pk for team in policy.match_teams.all()}
    if teams and case.team_id not in teams:
        return False
    organizations = {org.pk for org in policy.match_organizations.all()}
    if organizations and organization_id not in organizations:
        return False
    wanted = {name.lower() for name in policy.match_tags or []}
    return not wanted or bool(wanted & {name.lower() for name in tags})


def policy_for(
    policies: Sequence[SlaPolicy], *, case: Case, organization_id: int | None, tags: Iterable[str]
) -> SlaPolicy | None:
    tags = list(tags)
    for policy in policies:
        if policy_matches(policy, case=case, organization_id=organization_id, tags=tags):
            return policy
    return None


def calendar_of(calendar: BusinessCalendar | None) -> Calendar | None:
    """The business-time value of a calendar row, built once per version of the row."""
    if calendar is None:
        return None
    key = (calendar.pk, calendar.updated_at)
    value = _calendars.get(key)
    if value is None:
        if len(_calendars) > 256:
            _calendars.clear()
        value = _calendars[key] = calendar.to_calendar()
    return value


def plan_for(policy: SlaPolicy | None, priority: str) -> clocks.Plan | None:
    """What `policy` promises a case of `priority` (its targets read from the prefetch)."""
    if policy is None:
        return None
    targets = [
        clocks.Target(
            metric=target.metric,
            minutes=target.minutes,
            business_hours=target.business_hours,
            pause_statuses=policy.pauses_for(target.metric),
        )
        for target in policy.targets.all()
        if target.priority == priority
    ]
    return clocks.Plan(
        policy_id=policy.pk,
        policy_name=policy.name,
        targets=targets,
        calendar=calendar_of(policy.calendar),
        warning_percent=policy.warning_percent,
    )


# --- history --------------------------------------------------------------------------------


def history_of(case: Case) -> clocks.History:
    """The case's interactions and status changes as the clocks read them (2 queries)."""
    events = (
        Case.objects.filter(pk=case.pk)
        .annotate(status_events=Subquery(_status_events))
        .values_list("status_events", flat=True)
        .first()
    )
    return _history(case, _interaction_rows(case), events)


# A case's creation and status events as a JSON array of {"id", "kind", "at", "after"} (NULL
# without any; `after` as its JSON text, the same on every database), in no particular order:
# a subquery that brings them with the case. `_history` puts them in order.
_status_events = (
    CaseEvent.objects.filter(
        case_id=OuterRef("pk"), kind__in=[CaseEvent.Kind.CREATED, CaseEvent.Kind.STATUS]
    )
    .values("case_id")
    .annotate(
        events=JSONArrayAgg(
            JSONObject(id="id", kind="kind", at="at", after=Cast("after", TextField()))
        )
    )
    .values("events")
)


def _interaction_rows(case: Case) -> Sequence[Mapping[str, Any]]:
    """The case's interactions, oldest first, with the call each one shows (if any)."""
    return list(
        Interaction.objects.filter(case_id=case.pk)
        .order_by("occurred_at", "id")
        .values(
            "occurred_at",
            "channel",
            "direction",
            "is_public",
            "author_agent_id",
            "call__duration_seconds",
            "call__agent_id",
        )
    )


def _is_agent_response(row: Mapping[str, Any]) -> bool:
    """A public outbound interaction by an agent (a reply, an answered or placed call …)."""
    return bool(
        row["direction"] == Interaction.Direction.OUTBOUND
        and row["is_public"]
        and row["author_agent_id"] is not None
    )


def _history(
    case: Case, rows: Iterable[Mapping[str, Any]], events: Sequence[Mapping[str, Any]] | None
) -> clocks.History:
    """`rows` of `_interaction_rows` and `events` of `_status_events` as a History."""
    messages = [
        clocks.Message(
            at=row["occurred_at"],
            customer=row["direction"] == Interaction.Direction.INBOUND and row["is_public"],
            agent_response=_is_agent_response(row),
        )
        for row in rows
    ]
    initial = Case.Status.NEW
    statuses = []
    for at, _, kind, after in sorted(
        # Read from JSON: the instant is text (ISO 8601 with its offset on PostgreSQL, UTC
        # without one on SQLite), `after` JSON text. In order of instant, then of writing.
        (_aware(event["at"]), event["id"], event["kind"], event["after"])
        for event in events or ()
    ):
        after = None if after is None else json.loads(after)
        if kind == CaseEvent.Kind.CREATED:
            after = after if isinstance(after, dict) else {}
            initial = after.get("status", initial)
        elif isinstance(after, str):
            statuses.append(clocks.StatusChange(at=at, to=after))
    return clocks.History(
        created_at=case.created_at,
        initial_status=initial,
        messages=messages,
        statuses=statuses,
    )


def _aware(text: str) -> datetime:
    """An instant a database wrote as JSON text; UTC when it names no offset (SQLite)."""
    instant = parse_datetime(text)
    if instant is None:
        raise ValueError(f"not an instant: {text!r}")
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def fcr_window() -> timedelta:
    """How long after a solve a new case of the same requester makes it no FCR."""
    return timedelta(days=settings.CXDESK_FCR_WINDOW_DAYS)


def _merged_duplicate(case: Case) -> Q:
    if case.solved_at is None:  # not solved: FCR is unknown, whatever a merge brought
        return Q(merged_into_id=case.pk)
    return Q(merged_into_id=case.pk, created_at__lte=case.solved_at)


def _metrics_facts(case: Case, rows: Sequence[Mapping[str, Any]]) -> metrics.Facts:
    """What the metrics need beside the history: the requester's next case (read with the
    case by the recompute, `_later_case`; otherwise 1 query); and
    for a case with chat messages (2 queries more), agent responses counted the chat way and
    the length of its chats an agent answered. Without chat messages there is no chat rule
    to apply — each agent response counts one — and no chat of this case (a chat's messages
    are on the case it belongs to, merges move them), so nothing more is read."""
    if hasattr(case, "later_case"):  # read with the case (`_later_case`)
        found = case.later_case
        later = (found["id"], _aware(found["created_at"])) if found else None
    else:
        later = (
            Case.objects.filter(requester_id=case.requester_id, created_at__gte=case.created_at)
            .filter(
                Q(created_at__gt=case.created_at) | Q(created_at=case.created_at, pk__gt=case.pk)
            )
            # A duplicate opened before the solve and merged into this case is part of this
            # contact; one opened after the solve is the customer coming back: a repeat.
            .exclude(_merged_duplicate(case))
            .order_by("created_at", "pk")
            .values_list("pk", "created_at")
            .first()
        )
    agent_contacts = sum(1 for row in rows if _is_agent_response(row))
    chat_seconds = 0
    if any(row["channel"] == Channel.CHAT for row in rows):
        agent_contacts = agent_contact_count(case=case.pk)
        chats = ChatSession.objects.filter(
            case_id__in=Case.objects.filter(Q(pk=case.pk) | Q(merged_into_id=case.pk)).values("pk"),
            answered=True,
            ended_at__isnull=False,
        ).values_list("started_at", "ended_at")
        chat_seconds = sum(
            max(int((end - start).total_seconds()), 0) for start, end in chats if end is not None
        )
    return metrics.Facts(
        agent_contacts=agent_contacts,
        call_seconds=sum(
            row["call__duration_seconds"] or 0 for row in rows if row["call__agent_id"] is not None
        ),
        chat_seconds=chat_seconds,
        later_case=metrics.LaterCase(case_id=later[0], created_at=later[1]) if later else None,
        merged=case.merged_into_id is not None,
    )


# --- recompute ------------------------------------------------------------------------------


_COMPUTED_FIELDS = [
    "policy",
    "target_minutes",
    "business_hours",
    "state",
    "started_at",
    "due_at",
    "warn_at",
    "paused_seconds",
    "met_at",
    "breached_at",
    "business_seconds",
    "calendar_seconds",
    "computed_at",
    "team",
    "channel",
    "priority",
]


# The requester's next case after this one as {"id", "created_at"} (NULL when there is none),
# for a subquery: `_metrics_facts`' query with the case's values as outer references. A
# duplicate merged into the case counts only when it was opened after the solve (an unsolved
# case: never), as `_merged_duplicate` says.
_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)
_later_case = (
    # created_at >= … is the bound an index scan can start from (the OR below is not): on
    # either index the walk covers only the cases opened since this one.
    Case.objects.filter(
        requester_id=OuterRef("requester_id"), created_at__gte=OuterRef("created_at")
    )
    .filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk"))
    )
    .exclude(
        merged_into_id=OuterRef("pk"),
        created_at__lte=Coalesce(OuterRef("solved_at"), Value(_FAR_FUTURE)),
    )
    .order_by("created_at", "pk")
    .values(json=JSONObject(id="id", created_at="created_at"))[:1]
)

# A clock's events as a JSON array of {"id", "kind", "at", "detail"} (NULL without any;
# `detail` as its JSON text), for a subquery: they come with the clocks.
_clock_events = (
    SlaClockEvent.objects.filter(clock_id=OuterRef("pk"))
    .values("clock_id")
    .annotate(
        events=JSONArrayAgg(
            JSONObject(id="id", kind="kind", at="at", detail=Cast("detail", TextField()))
        )
    )
    .values("events")
)

# The names of a case's tags as a JSON array (NULL without tags), for a subquery.
_tag_names = (
    Case.tags.through.objects.filter(case_id=OuterRef("pk"))
    .values("case_id")
    .annotate(names=JSONArrayAgg("tag__name"))
    .values("names")  # type: ignore[misc]  # the stubs do not see the annotation
)


def next_breach(computed: Iterable[clocks.Clock]) -> datetime | None:
    """The soonest due instant among the clocks not yet fulfilled (a breached one included)."""
    dues = [c.due_at for c in computed if c.met_at is None and c.due_at is not None]
    return min(dues) if dues else None


@transaction.atomic
def case_sla_recompute(
    *, case_id: int, now: datetime | None = None, policies: Sequence[SlaPolicy] | None = None
) -> list[SlaClock]:
    """Replay the case's history under the policy that applies now; store the clocks.

    Locks the case row: recomputes of one case run one after the other and each sees the
    history committed before it. Returns the stored clocks ([] for a case no policy covers,
    or one that no longer exists).
    """
    now = now or timezone.now()
    _commit_without_waiting_for_the_disk()
    case = (
        Case.objects.select_for_update(of=("self",))
        # The stored metrics come with the case (a join, not a query): unchanged, they are
        # not written again. So do its tags' names and its status events (subqueries).
        .select_related("requester", "metrics")
        # And the requester's next case (for FCR) and the policies' version (subqueries).
        .annotate(
            tag_names=Subquery(_tag_names),
            status_events=Subquery(_status_events),
            later_case=Subquery(_later_case, output_field=JSONField()),
            policies_version=Subquery(_policies_version, output_field=JSONField()),
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        return []
    tags: list[str] = case.tag_names or []  # type: ignore[attr-defined]  # annotated
    if policies is None:
        policies = active_policies(version=case.policies_version)  # type: ignore[attr-defined]
    policy = policy_for(
        policies, case=case, organization_id=case.requester.organization_id, tags=tags
    )
    rows = _interaction_rows(case)
    history = _history(case, rows, case.status_events)  # type: ignore[attr-defined]
    plan = plan_for(policy, case.priority)
    computed = clocks.replay(history, plan, now)
    stored, changed_at = _clocks_store(case, policy, computed, now)
    figures = metrics.compute(
        history,
        # The policy's business hours; one without a calendar counts around the clock (as its
        # clocks do); no policy, no business figures.
        calendar=None if plan is None else plan.calendar or clocks.ALWAYS_OPEN,
        facts=_metrics_facts(case, rows),
        fcr_window=fcr_window(),
        now=now,
    )
    changed_at += _metrics_store(case, policy, figures, now)
    rollups.mark(changed_at)
    due = next_breach(computed)
    if (case.next_breach_at, case.sla_computed_at) != (due, case.updated_at):
        Case.objects.filter(pk=case.pk).update(next_breach_at=due, sla_computed_at=case.updated_at)
    return stored


def _commit_without_waiting_for_the_disk() -> None:
    """On PostgreSQL, when the recompute's transaction is its own (a task's, the sweep's, not
    a caller's that may hold other writes), let it commit without waiting for the disk
    (``SET LOCAL synchronous_commit TO OFF``: this transaction only).

    Every recompute's commit flushes the WAL to the disk (the row lock is written to it even
    when nothing else is): on a busy disk the slowest and least predictable part of a
    recompute, waited for by the worker for nothing it needs. What it stores
    is derived from the history and is stored again by the next recompute: should the
    database crash in the moment before the flush, the recompute is lost, not half-kept,
    and the case is left as it was — dirty if it was written since (the sweep recomputes
    it), provisional FCR still due (the finalisation retries), stale figures otherwise until
    the next write. A later transaction that commits waits for this one's WAL too, so no
    claim or notification can outlive what it read.
    """
    if connection.vendor == "postgresql" and len(connection.atomic_blocks) == 1:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _clock_values(clock: SlaClock | clocks.Clock) -> tuple[Any, ...]:
    """What a recompute decides about a clock (not when it decided it), stored or computed."""
    if isinstance(clock, SlaClock):
        target = (clock.target_minutes, clock.business_hours, clock.policy_id)
    else:
        target = (clock.target.minutes, clock.target.business_hours, None)
    return (
        *target[:2],
        clock.state,
        clock.started_at,
        clock.due_at,
        clock.warn_at,
        clock.paused_seconds,
        clock.met_at,
        clock.breached_at,
        clock.business_seconds,
        clock.calendar_seconds,
    )


def _case_copies(row: Case | SlaClock) -> tuple[Any, ...]:
    """The case's columns a clock copies for the SLA summary's filters."""
    return (row.team_id, row.channel, row.priority)


def _clocks_store(
    case: Case, policy: SlaPolicy | None, computed: list[clocks.Clock], now: datetime
) -> tuple[list[SlaClock], list[datetime]]:
    """Write what changed: clocks whose figures differ (or are new) and the events of clocks
    whose events differ. A recompute that finds what it stored last time writes nothing (a
    running clock's elapsed time moves with `now`, so it is rewritten each time). Returns
    the clocks, and the starts of those whose part in the daily rollups changed."""
    existing: dict[tuple[str, int], SlaClock] = {
        (c.metric, c.instance): c
        for c in SlaClock.objects.filter(case=case).annotate(event_rows=Subquery(_clock_events))
    }
    stored_events: dict[int, list[tuple[Any, ...]]] = {
        clock.pk: [
            (kind, at, detail)
            for at, _, kind, detail in sorted(
                # JSON text as in `_history`: in order of instant, then of writing.
                (_aware(e["at"]), e["id"], e["kind"], json.loads(e["detail"]))
                for e in getattr(clock, "event_rows", None) or ()  # annotated above
            )
        ]
        for clock in existing.values()
    }
    # A clock the policy no longer has (the priority changed to one without that target, the
    # policy stopped applying) goes while it runs; a met or breached one stays as the record
    # of what was promised and what happened (a breach escalated to urgent stays a breach).
    keep = {(c.metric, c.instance) for c in computed}
    gone = [
        clock.pk
        for key, clock in existing.items()
        if key not in keep and clock.state in (SlaClock.State.ACTIVE, SlaClock.State.PAUSED)
    ]
    if gone:
        SlaClock.objects.filter(pk__in=gone).delete()
    policy_id = policy.pk if policy else None
    copies = _case_copies(case)
    changed = [
        c
        for c in computed
        if (old := existing.get((c.metric, c.instance))) is None
        or old.policy_id != policy_id
        or _clock_values(old) != _clock_values(c)
        or _case_copies(old) != copies
    ]
    # The clocks kept as a record follow the case's team, channel and priority too.
    moved = [
        clock
        for key, clock in existing.items()
        if key not in keep and clock.pk not in gone and _case_copies(clock) != copies
    ]
    rolled: list[datetime] = []
    if moved:
        SlaClock.objects.filter(pk__in=[clock.pk for clock in moved]).update(
            team_id=case.team_id, channel=case.channel, priority=case.priority
        )
        for clock in moved:
            if clock.state in rollups.VERDICT_STATES:
                rolled.append(clock.started_at)
            clock.team_id, clock.channel, clock.priority = copies
    if changed:
        rows = [
            SlaClock(
                case=case,
                metric=c.metric,
                instance=c.instance,
                policy=policy,
                target_minutes=c.target.minutes,
                business_hours=c.target.business_hours,
                state=c.state,
                started_at=c.started_at,
                due_at=c.due_at,
                warn_at=c.warn_at,
                paused_seconds=c.paused_seconds,
                met_at=c.met_at,
                breached_at=c.breached_at,
                business_seconds=c.business_seconds,
                calendar_seconds=c.calendar_seconds,
                computed_at=now,
                team_id=case.team_id,
                channel=case.channel,
                priority=case.priority,
            )
            for c in changed
        ]
        # PostgreSQL and SQLite return the ids of inserted and updated rows alike.
        SlaClock.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["case", "metric", "instance"],
            update_fields=_COMPUTED_FIELDS,
        )
        for row in rows:
            old = existing.get((row.metric, row.instance))
            before = None if old is None else rollups.clock_rollup_values(old)
            if before != rollups.clock_rollup_values(row):
                rolled += [row.started_at] if old is None else [old.started_at, row.started_at]
            if old is not None:
                row.warning_sent_at, row.breach_fired_at = old.warning_sent_at, old.breach_fired_at
            existing[(row.metric, row.instance)] = row
    stale = [
        c
        for c in computed
        if stored_events.get(existing[(c.metric, c.instance)].pk, [])
        != [(e.kind, e.at, e.detail) for e in c.events]
    ]
    if stale:
        SlaClockEvent.objects.filter(
            clock_id__in=[existing[(c.metric, c.instance)].pk for c in stale]
        ).delete()
        SlaClockEvent.objects.bulk_create(
            SlaClockEvent(
                clock=existing[(c.metric, c.instance)], kind=e.kind, at=e.at, detail=e.detail
            )
            for c in stale
            for e in c.events
        )
    kept = [clock for key, clock in existing.items() if clock.pk not in gone]
    return sorted(kept, key=lambda c: (c.started_at, c.metric, c.instance)), rolled


MetricsSubscriber = Callable[[CaseMetrics | None, CaseMetrics], None]
_metrics_subscribers: list[MetricsSubscriber] = []


def metrics_subscribe(subscriber: MetricsSubscriber) -> MetricsSubscriber:
    """Call `subscriber(stored, row)` in the recompute's transaction whenever it stores a
    case's metrics that differ from those stored (`stored` None: the first): for figures
    kept elsewhere that must change with them in one transaction (the root-cause rollups'
    marks, apps/rootcauses/rollups.py). A constant number of queries a call."""
    if subscriber not in _metrics_subscribers:
        _metrics_subscribers.append(subscriber)
    return subscriber


def _metrics_store(
    case: Case, policy: SlaPolicy | None, figures: metrics.Metrics, now: datetime
) -> list[datetime]:
    """Store the case's metrics unless they are what is stored; returns the instants whose
    days' rollups the change touches (its opening and solves, before and after)."""

    def seconds(duration: metrics.Duration | None) -> tuple[int | None, int | None]:
        return (None, None) if duration is None else (duration.seconds, duration.business_seconds)

    # What the last recompute stored, read with the case (select_related; None: none yet).
    # Read before building the new row: assigning its case makes it `case.metrics`.
    stored = getattr(case, "metrics", None)
    first_response, first_response_business = seconds(figures.first_response)
    first_resolution, first_resolution_business = seconds(figures.first_resolution)
    resolution, resolution_business = seconds(figures.resolution)
    row = CaseMetrics(
        case=case,
        policy=policy,
        first_response_at=figures.first_response_at,
        first_response_seconds=first_response,
        first_response_business_seconds=first_response_business,
        next_responses=[
            {
                "started_at": r.started_at.isoformat(),
                "responded_at": r.responded_at.isoformat(),
                "seconds": r.seconds,
                "business_seconds": r.business_seconds,
            }
            for r in figures.next_responses
        ],
        solved_at=figures.solved_at,
        first_resolution_seconds=first_resolution,
        first_resolution_business_seconds=first_resolution_business,
        resolution_seconds=resolution,
        resolution_business_seconds=resolution_business,
        requester_wait_seconds=figures.requester_wait.seconds,
        requester_wait_business_seconds=figures.requester_wait.business_seconds,
        agent_work_seconds=figures.agent_work.seconds,
        agent_work_business_seconds=figures.agent_work.business_seconds,
        on_hold_seconds=figures.on_hold.seconds,
        on_hold_business_seconds=figures.on_hold.business_seconds,
        reopen_count=figures.reopen_count,
        agent_replies=figures.agent_replies,
        agent_responses=figures.agent_responses,
        call_seconds=figures.call_seconds,
        chat_seconds=figures.chat_seconds,
        handle_seconds=figures.handle_seconds,
        fcr=figures.fcr,
        fcr_state=figures.fcr_state,
        fcr_reason=figures.fcr_reason,
        fcr_repeat_case_id=figures.fcr_repeat_case_id,
        one_touch=figures.one_touch,
        no_customer_follow_up=figures.no_customer_follow_up,
        computed_at=now,
        opened_at=case.created_at,
        team_id=case.team_id,
        channel=case.channel,
        priority=case.priority,
        first_response_bucket=rollups.bucket(first_response_business),
        resolution_bucket=rollups.bucket(resolution_business),
        first_response_calendar_bucket=rollups.bucket(first_response),
        resolution_calendar_bucket=rollups.bucket(resolution),
    )
    if stored is not None and not _metrics_differ(stored, row):
        return []
    touched: list[datetime] = []
    if stored is None or rollups.metrics_rollup_values(stored) != rollups.metrics_rollup_values(
        row
    ):
        for version in (stored, row):
            if version is not None:
                touched += [version.opened_at, *([version.solved_at] if version.solved_at else [])]
                touched += [_aware(r["responded_at"]) for r in version.next_responses]
    CaseMetrics.objects.bulk_create(
        [row],
        update_conflicts=True,
        unique_fields=["case"],
        update_fields=[f.name for f in CaseMetrics._meta.concrete_fields if f.name != "case"],
    )
    _next_responses_store(stored, row, figures)
    for subscriber in tuple(_metrics_subscribers):
        subscriber(stored, row)
    return touched


def _next_responses_store(
    stored: CaseMetrics | None, row: CaseMetrics, figures: metrics.Metrics
) -> None:
    """The case's SlaNextResponse rows, one per next response, replaced when its next
    responses or its copies (team, channel, priority) moved. What the rows hold is what the
    stored metrics say (written together, here), so no query reads them back: a case whose
    next responses are unchanged costs nothing, a changed one a DELETE (when it had rows)
    and an INSERT (when it has some)."""
    if stored is not None and rollups.next_response_rows_values(
        stored
    ) == rollups.next_response_rows_values(row):
        return
    if stored is not None and stored.next_responses:
        SlaNextResponse.objects.filter(case_id=row.case_id).delete()
    SlaNextResponse.objects.bulk_create(
        SlaNextResponse(
            case_id=row.case_id,
            instance=number,
            started_at=r.started_at,
            responded_at=r.responded_at,
            seconds=r.seconds,
            business_seconds=r.business_seconds,
            calendar_bucket=rollups.bucket(r.seconds) or 0,  # a time always has one
            business_bucket=rollups.bucket(r.business_seconds),
            team_id=row.team_id,
            channel=row.channel,
            priority=row.priority,
        )
        for number, r in enumerate(figures.next_responses, start=1)
    )


def _metrics_differ(stored: CaseMetrics, row: CaseMetrics) -> bool:
    """Whether `row` holds other figures than `stored`: every column but the case and the
    instant they were computed, so a column added to CaseMetrics is compared too."""
    return any(
        getattr(stored, field.attname) != getattr(row, field.attname)
        for field in CaseMetrics._meta.concrete_fields
        if field.name not in ("case", "computed_at")
    )


def cases_changed(case_ids: Iterable[int]) -> int:
    """Enqueue a recompute of each case (after the writes committed); the sweep catches up
    on any the broker refused."""
    ids = sorted(set(case_ids))
    return enqueue_each(RECOMPUTE_TASK, ids) if ids else 0


def cases_opened(case_ids: Iterable[int]) -> int:
    """Enqueue the recompute of each opened case together with the cases it may be a repeat
    contact of (looked up by the worker, not by the request that opened it)."""
    ids = sorted(set(case_ids))
    return enqueue_each(RECOMPUTE_OPENED_TASK, ids) if ids else 0


def case_opened_recompute(*, case_id: int) -> int:
    """Recompute an opened case and its requester's cases whose FCR it may end; returns how
    many cases were recomputed."""
    case_sla_recompute(case_id=case_id)
    earlier = repeat_contact_case_ids([case_id])
    for earlier_id in earlier:  # a handful at most: the requester's recent solved cases
        case_sla_recompute(case_id=earlier_id)
    return 1 + len(earlier)


def opened_case_ids(changes: Iterable[CaseChange]) -> set[int]:
    """The cases these changes opened, or gave another requester (a contact merge): each may
    be a repeat contact of that requester's earlier cases."""
    return {c.case_id for c in changes if c.created or "requester" in c.fields}


def repeat_contact_case_ids(opened: Collection[int]) -> list[int]:
    """The cases a repeat contact may have changed the FCR of: for each case in `opened`,
    its requester's other cases solved no earlier than the FCR window before it was opened
    (one query; none for no case)."""
    if not opened:
        return []
    ids = sorted(opened)
    new = Case.objects.filter(pk__in=ids)
    return list(
        Case.objects.filter(requester_id__in=new.values("requester_id"), solved_at__isnull=False)
        .filter(
            Exists(
                new.filter(
                    requester_id=OuterRef("requester_id"),
                    created_at__lte=OuterRef("solved_at") + fcr_window(),
                )
            )
        )
        .exclude(pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def policies_changed() -> int:
    """A policy or calendar changed: every open case is due for a recompute (the sweep does
    it in batches). Returns how many cases were marked."""
    return (
        Case.objects.open()
        .filter(sla_computed_at__isnull=False)
        .update(sla_computed_at=F("updated_at") - timedelta(microseconds=1))
    )


# --- the sweep ------------------------------------------------------------------------------


def dirty_case_ids(*, limit: int) -> list[int]:
    """Cases written since their clocks were computed (or never computed), oldest first."""
    return list(
        Case.objects.filter(
            Q(sla_computed_at__isnull=True) | Q(updated_at__gt=F("sla_computed_at"))
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:limit]
    )


def clocks_breach(*, now: datetime) -> int:
    """Running clocks whose due instant has come are breached (one UPDATE), and the days
    they started on are marked for the rollups in the same statement (PostgreSQL: the
    UPDATE is a data-modifying WITH; SQLite: its RETURNING rows)."""
    quote = connection.ops.quote_name
    clock = quote(SlaClock._meta.db_table)
    update = (
        f"UPDATE {clock} SET state = %s, breached_at = due_at "
        "WHERE state = %s AND due_at <= %s RETURNING started_at"
    )
    params: list[Any] = [str(SlaClock.State.BREACHED), str(SlaClock.State.ACTIVE), now]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            mark = quote(SlaRollupMark._meta.db_table)
            cursor.execute(
                f"WITH breached AS ({update}), "
                f"marked AS (INSERT INTO {mark} (start, {quote('end')}) "
                "SELECT min(started_at), max(started_at) FROM breached HAVING count(*) > 0) "
                "SELECT count(*) FROM breached",
                params,
            )
            return int(cursor.fetchone()[0])
        cursor.execute(update, params)
        starts = [_aware(str(row[0])) for row in cursor.fetchall()]
        if starts:
            rollups.mark_span(min(starts), max(starts))
        return len(starts)


def _claim(stamp: str, candidates: Q, order: str, *, now: datetime, limit: int) -> list[int]:
    """Set `stamp` = now on up to `limit` clocks matching `candidates` whose stamp is unset,
    and return the ids this call set: a clock another sweep stamped first is not among them
    (the outer WHERE is re-checked under the row lock)."""
    inner = (
        SlaClock.objects.filter(candidates, **{f"{stamp}__isnull": True})
        .order_by(order)
        .values("pk")[:limit]
    )
    inner_sql, inner_params = inner.query.sql_with_params()
    table = connection.ops.quote_name(SlaClock._meta.db_table)
    column = connection.ops.quote_name(stamp)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE id IN ({inner_sql}) AND {column} IS NULL "
            "RETURNING id",
            [now, *inner_params],
        )
        return [row[0] for row in cursor.fetchall()]


def fcr_due_case_ids(*, now: datetime, limit: int) -> list[int]:
    """Cases whose FCR is provisional though their window has passed, oldest solve first."""
    return list(
        CaseMetrics.objects.filter(
            fcr_state=CaseMetrics.FcrState.PROVISIONAL, solved_at__lte=now - fcr_window()
        )
        .order_by("solved_at")
        .values_list("case_id", flat=True)[:limit]
    )


def fcr_finalise(
    *, now: datetime | None = None, batch_size: int = 200, max_batches: int = 25
) -> int:
    """Make final the FCR of the cases whose window has passed; returns how many.

    Each due case is recomputed as of `now` (≤ batch_size × max_batches a run): the verdict
    a recompute gives once the window is over *is* the final one, so there is no second
    definition to drift from it. A set-based UPDATE of the state alone would be right only
    if every input were as it was at the last recompute, and two are not announced on the
    seam: a repeat contact whose recompute task was lost, and a chat that ended since (its
    length is handle time). Idempotent and safe on two workers: a finalised case is no
    longer due, and recomputes of one case run one after the other (row lock).
    """
    now = now or timezone.now()
    policies = active_policies()
    finalised = 0
    for _ in range(max_batches):
        ids = fcr_due_case_ids(now=now, limit=batch_size)
        if not ids:
            break
        for case_id in ids:
            case_sla_recompute(case_id=case_id, now=now, policies=policies)
        finalised += len(ids)
    return finalised


def sla_sweep(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """One pass of the SLA sweep. Idempotent; safe to run from two workers at once.

    Cases written since their last recompute are queued for one (their task was lost, or a
    policy changed); then breaches and warnings due by `now` are marked and fired.
    """
    now = now or timezone.now()
    recomputed = cases_changed(dirty_case_ids(limit=limit))
    breached = clocks_breach(now=now)
    warnings = _fire_warnings(now=now, limit=limit)
    escalated = _fire_breaches(now=now, limit=limit)
    return {
        "recomputed": recomputed,
        "breached": breached,
        "warnings": warnings,
        "escalated": escalated,
    }


def _fire_warnings(*, now: datetime, limit: int) -> int:
    with transaction.atomic():
        ids = _claim(
            "warning_sent_at",
            Q(state=SlaClock.State.ACTIVE, warn_at__lte=now, due_at__gt=now),
            "warn_at",
            now=now,
            limit=limit,
        )
        if ids:
            _announce(ids, event="sla.warning", escalate=False)
    return len(ids)


def _fire_breaches(*, now: datetime, limit: int) -> int:
    """Fire each breach once. A breach first seen long after it happened (history imported,
    the engine just switched on) is stamped without notifying anyone."""
    quiet_before = now - timedelta(seconds=settings.CXDESK_SLA_ESCALATION_WINDOW_SECONDS)
    with transaction.atomic():
        ids = _claim(
            "breach_fired_at",
            Q(state=SlaClock.State.BREACHED),
            "breached_at",
            now=now,
            limit=limit,
        )
        loud = list(
            SlaClock.objects.filter(pk__in=ids, breached_at__gte=quiet_before).values_list(
                "pk", flat=True
            )
        )
        if loud:
            _announce(loud, event="sla.breached", escalate=True)
    return len(ids)


def _announce(clock_ids: list[int], *, event: str, escalate: bool) -> None:
    """Tell the case's team supervisors and its assignee (in-app and by e-mail; a
    supervisor who is the assignee once), the webhooks, and escalate a breach."""
    from apps.cases import services as case_services
    from apps.notifications import services as notifications
    from apps.webhooks import services as webhooks
    from apps.webhooks.payloads import case_data

    fired = list(
        SlaClock.objects.filter(pk__in=clock_ids)
        .select_related("case", "case__team", "case__assignee", "policy", "policy__escalate_team")
        .order_by("pk")
    )
    webhooks.events_emit(  # the payloads are built only when someone subscribes
        event=event,
        items=(({"case": case_data(c.case), "clock": clock_data(c)}, c.case) for c in fired),
    )
    supervisors = _supervisors_by_team({c.case.team_id for c in fired if c.case.team_id})
    kind = notifications.Kind.SLA_BREACHED if escalate else notifications.Kind.SLA_WARNING
    notifications.notify_many(
        [
            # The clock is the source: each warning and breach is written once per person.
            notifications.Notice(user, kind, c.case, _notice(c, escalate=escalate), f"clock:{c.pk}")
            for c in fired
            for user in _told_of(c.case, supervisors.get(c.case.team_id or 0, []))
        ],
        email=True,
    )
    if not escalate:
        return
    for clock in fired:
        policy, case = clock.policy, clock.case
        if policy is None or case.status in Case.DONE_STATUSES or clock.met_at is not None:
            continue
        wanted = policy.escalate_priority
        if wanted and PRIORITY_RANK[wanted] > PRIORITY_RANK[case.priority]:
            case_services.case_set_priority(case_id=case.pk, priority=wanted)
        if policy.escalate_team_id and policy.escalate_team_id != case.team_id:
            case_services.case_set_team(case_id=case.pk, team=policy.escalate_team)


def _told_of(case: Case, supervisors: list[Any]) -> list[Any]:
    """Who hears of a case's warning or breach: its team's supervisors and its assignee."""
    assignee = case.assignee
    if assignee is None or not assignee.is_active or assignee in supervisors:
        return supervisors
    return [*supervisors, assignee]


def _supervisors_by_team(team_ids: set[int]) -> dict[int, list[Any]]:
    by_team: dict[int, list[Any]] = {}
    for team in Team.objects.filter(pk__in=team_ids).prefetch_related("members__profile"):
        by_team[team.pk] = [
            member
            for member in team.members.all()
            if member.is_active
            and getattr(getattr(member, "profile", None), "role", None)
            == AgentProfile.Role.SUPERVISOR
        ]
    return by_team


def _notice(clock: SlaClock, *, escalate: bool) -> str:
    label = clock.get_metric_display().lower()
    due = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock.due_at else "?"
    if escalate:
        return f"{clock.case.reference}: {label} target breached (due {due})"
    return f"{clock.case.reference}: {label} target due at {due}"


def clock_data(clock: SlaClock) -> dict[str, Any]:
    """A clock as the API and the webhooks show it."""
    return {
        "id": clock.pk,
        "metric": clock.metric,
        "instance": clock.instance,
        "policy_id": clock.policy_id,
        "target_minutes": clock.target_minutes,
        "business_hours": clock.business_hours,
        "state": clock.state,
        "started_at": clock.started_at,
        "due_at": clock.due_at,
        "warn_at": clock.warn_at,
        "met_at": clock.met_at,
        "breached_at": clock.breached_at,
        "paused_seconds": clock.paused_seconds,
        "business_seconds": clock.business_seconds,
        "calendar_seconds": clock.calendar_seconds,
    }


# --- configuration: calendars and policies --------------------------------------------------


class SlaConfigError(DomainError):
    code = "invalid_sla_configuration"

    def __init__(self, message: str = "", *, field: str = "non_field_errors"):
        super().__init__(message, fields={field: [message]})


def calendar_check(calendar: BusinessCalendar) -> None:
    """Build the business-time value once: every mistake in the definition is a clear 400
    naming the field."""
    from .holidays_import import holidays_from_ics

    for day in calendar.holidays or []:
        try:
            date.fromisoformat(str(day))
        except ValueError:
            raise SlaConfigError(f"{day!r} is not a date (YYYY-MM-DD)", field="holidays") from None
    if calendar.holidays_ics:
        try:
            holidays_from_ics(calendar.holidays_ics)
        except ValueError as error:
            raise SlaConfigError(str(error), field="holidays_ics") from None
    try:
        calendar.to_calendar()
    except ValueError as error:
        text = str(error)
        field = "weekly_hours"
        if text.startswith("holiday_") or "country" in text.lower():
            field = "holiday_country"
        elif "time zone" in text:
            field = "timezone"
        elif text.startswith("holidays"):
            field = "holidays"
        raise SlaConfigError(text, field=field) from None


CALENDAR_FIELDS = (
    "name",
    "timezone",
    "weekly_hours",
    "holidays",
    "holiday_country",
    "holiday_subdivision",
    "holidays_ics",
)


@transaction.atomic
def calendar_save(*, calendar_id: int | None = None, **values: Any) -> BusinessCalendar:
    """Create (no id) or change a business calendar; open cases are recomputed by the sweep."""
    unknown = set(values) - set(CALENDAR_FIELDS)
    if unknown:
        raise TypeError(f"unknown calendar fields {sorted(unknown)}")
    calendar = (
        BusinessCalendar()
        if calendar_id is None
        else BusinessCalendar.objects.select_for_update().get(pk=calendar_id)
    )
    for name, value in values.items():
        setattr(calendar, name, value)
    if BusinessCalendar.objects.filter(name=calendar.name).exclude(pk=calendar.pk).exists():
        raise SlaConfigError(f"a calendar named {calendar.name!r} exists", field="name")
    calendar_check(calendar)
    calendar.save()
    if calendar_id is not None:
        policies_changed()
    return calendar


POLICY_FIELDS = (
    "name",
    "description",
    "position",
    "is_active",
    "calendar",
    "match_priorities",
    "match_channels",
    "match_tags",
    "warning_percent",
    "pause_statuses",
    "escalate_priority",
    "escalate_team",
)


def policy_check(policy: SlaPolicy) -> None:
    if not 1 <= policy.warning_percent <= 99:
        raise SlaConfigError("a share of the target between 1 and 99", field="warning_percent")
    pauses = policy.pause_statuses or {}
    if not isinstance(pauses, dict):
        raise SlaConfigError("an object of metric → statuses", field="pause_statuses")
    for metric, statuses in pauses.items():
        if metric not in Metric.values:
            raise SlaConfigError(f"unknown target {metric!r}", field="pause_statuses")
        wrong = sorted(set(statuses) - set(PAUSABLE_STATUSES))
        if wrong:
            raise SlaConfigError(
                f"{', '.join(wrong)} cannot pause a target (only "
                f"{', '.join(PAUSABLE_STATUSES)}; solved and closed stop it)",
                field="pause_statuses",
            )


@transaction.atomic
def policy_save(
    *,
    policy_id: int | None = None,
    targets: Iterable[Mapping[str, Any]] | None = None,
    match_teams: Iterable[Team] | None = None,
    match_organizations: Iterable[Organization] | None = None,
    **values: Any,
) -> SlaPolicy:
    """Create (no id) or change a policy; `targets` (when given) replaces its targets.

    A change applies to open cases: they are marked for recompute and the sweep replays them.
    """
    unknown = set(values) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"unknown policy fields {sorted(unknown)}")
    policy = SlaPolicy()
    if policy_id is not None:
        policy = SlaPolicy.objects.select_for_update().get(pk=policy_id)
    for name, value in values.items():
        setattr(policy, name, value)
    if SlaPolicy.objects.filter(name=policy.name).exclude(pk=policy.pk).exists():
        raise SlaConfigError(f"a policy named {policy.name!r} exists", field="name")
    policy_check(policy)
    policy.save()
    if targets is not None:
        rows = [SlaTarget(policy=policy, **dict(target)) for target in targets]
        seen = [(row.priority, row.metric) for row in rows]
        if len(set(seen)) != len(seen):
            raise SlaConfigError("one target per priority and metric", field="targets")
        SlaTarget.objects.filter(policy=policy).delete()
        SlaTarget.objects.bulk_create(rows)
    if match_teams is not None:
        policy.match_teams.set(list(match_teams))
    if match_organizations is not None:
        policy.match_organizations.set(list(match_organizations))
    policies_changed()
    return policy


def policy_retire(*, policy_id: int) -> SlaPolicy:
    """Stop applying a policy (its clocks on finished cases stay as they were)."""
    return policy_save(policy_id=policy_id, is_active=False)
