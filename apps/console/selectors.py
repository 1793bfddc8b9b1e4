"""The supervisor console, the reads: the live SLA monitor and the workload of agents and teams.

Everything is over the OPEN cases (new, open, pending, on hold) of the supervisor's teams —
every team for an admin, or the one team asked for — so each figure costs what the open
backlog costs, never the history: the counts are GROUP BY aggregates the partial indexes on
open cases serve (apps/cases/models.py: case_open_team_breach_idx and its siblings), the
lists are the first rows of an index order, and "today" figures are index ranges of one day.

Definitions (also in docs/architecture.md, "Supervisor console"):

- **breached**: an open case whose next SLA due instant (`Case.next_breach_at`, the soonest
  due time of its clocks not yet fulfilled, a breached one included) has passed;
- **at risk**: one whose next due instant is within `AT_RISK_WITHIN` (the hour the agent's
  "breaching soon" view uses) and not yet passed;
- **unassigned**: an open case of a team with no assignee;
- **longest waiting**: the cases waiting on us (new or open — pending and on hold wait on the
  customer or a third party) whose last activity is oldest;
- workload, per agent: **open** cases assigned to them, **due within the hour** (breached
  included: their time is up), **replies today** (public outbound messages they wrote since
  midnight in the viewer's time zone) and **handled today** (the distinct cases those were
  on), **chats** (active chat sessions on cases assigned to them), **calls** (their calls
  ringing or in progress); **capacity** is the agent's own maximum of open cases
  (`AgentProfile.max_open_cases`; none set, none shown) and **over capacity** open > capacity.
  A team's row counts the team's cases (an agent of two teams counts in each for their cases
  of each), so the teams' rows add up to the center's.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import AgentProfile, Team, role_of
from apps.accounts.types import AnyUser
from apps.cases.models import OPEN_STATUSES, Case, Channel, Interaction
from apps.cases.queues import BREACHING_WITHIN
from apps.chat.models import ChatSession
from apps.core.errors import DomainError
from apps.phone.models import Call

AT_RISK_WITHIN = BREACHING_WITHIN
LIST_SIZE = 15
WAITING_STATUSES = (Case.Status.NEW, Case.Status.OPEN)
LIVE_CALL_STATUSES = (Call.Status.RINGING, Call.Status.IN_PROGRESS)

_PRIORITY_ORDER = {value: rank for rank, value in enumerate(reversed(Case.Priority.values))}


class NotAllowed(DomainError):
    """The user may not use the console (agents, stakeholders), or not for that team."""

    code = "console_not_allowed"
    status = 403


@dataclass(frozen=True)
class ConsoleScope:
    """Whose cases the console shows: the supervisor's teams (all for an admin), or one."""

    user: AnyUser
    is_admin: bool
    teams: tuple[tuple[int, str], ...]  # (id, name) the user may choose from, by name
    team_id: int | None = None  # the one team chosen, or None for all of `teams`

    @classmethod
    def of(cls, user: AnyUser, *, team_id: int | None = None) -> "ConsoleScope":
        role = role_of(user)
        if role not in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN):
            raise NotAllowed("the console is for supervisors and admins")
        is_admin = role == AgentProfile.Role.ADMIN
        teams_qs = Team.objects.all() if is_admin else Team.objects.filter(members=user.pk)
        teams = tuple(teams_qs.order_by("name", "pk").values_list("pk", "name"))
        if team_id is not None and team_id not in {pk for pk, _ in teams}:
            raise NotAllowed("that team is not one of yours")
        return cls(user=user, is_admin=is_admin, teams=teams, team_id=team_id)

    @property
    def team_ids(self) -> tuple[int, ...]:
        if self.team_id is not None:
            return (self.team_id,)
        return tuple(pk for pk, _ in self.teams)

    @property
    def team_names(self) -> dict[int, str]:
        return dict(self.teams)

    def cases(self) -> QuerySet[Case]:
        """Every case of the scope's teams (an admin looking at all teams: every case)."""
        if self.is_admin and self.team_id is None:
            return Case.objects.all()
        return Case.objects.filter(team_id__in=self.team_ids)

    def open_cases(self) -> QuerySet[Case]:
        return self.cases().filter(status__in=OPEN_STATUSES)


def _clock_counts(now: datetime) -> dict[str, Count]:
    soon = now + AT_RISK_WITHIN
    return {
        "open": Count("pk"),
        "breached": Count("pk", filter=Q(next_breach_at__lt=now)),
        "at_risk": Count("pk", filter=Q(next_breach_at__gte=now, next_breach_at__lt=soon)),
        "unassigned": Count("pk", filter=Q(assignee__isnull=True)),
    }


@dataclass
class Tally:
    key: Any
    label: str
    open: int = 0
    breached: int = 0
    at_risk: int = 0
    unassigned: int = 0


@dataclass
class Monitor:
    now: datetime
    totals: Tally
    by_team: list[Tally]
    by_agent: list[Tally]
    by_channel: list[Tally]
    by_priority: list[Tally]
    soonest: list[Case]
    unassigned: list[Case]
    waiting: list[Case]


def _tallies(rows: list[dict[str, Any]], key: str, labels: dict[Any, str]) -> list[Tally]:
    return [
        Tally(
            key=row[key],
            label=labels.get(row[key], "—"),
            **{k: row[k] for k in ("open", "breached", "at_risk", "unassigned")},
        )
        for row in rows
    ]


def _names(user_ids: set[int]) -> dict[int, str]:
    """Display names of users, one query."""
    rows = get_user_model().objects.filter(pk__in=user_ids)
    rows = rows.select_related("profile").only(
        "pk", "username", "first_name", "last_name", "profile__display_name"
    )
    return {user.pk: _name_of(user) for user in rows}


def _name_of(user: Any) -> str:
    profile = getattr(user, "profile", None)
    return (profile.display_name if profile else "") or user.get_full_name() or user.get_username()


def _team_members(team_ids: set[int]) -> dict[int, list[tuple[int, str]]]:
    """Active members of each team, by name: team id → [(user id, name)], one query."""
    through = Team.members.through
    rows = (
        through.objects.filter(team_id__in=team_ids, user__is_active=True)
        .select_related("user", "user__profile")
        .order_by("team_id", "user__first_name", "user__username")
    )
    members: dict[int, list[tuple[int, str]]] = {pk: [] for pk in team_ids}
    for row in rows:
        members[row.team_id].append((row.user_id, _name_of(row.user)))
    for entries in members.values():
        entries.sort(key=lambda entry: entry[1].lower())
    return members


def _listed(cases: QuerySet[Case]) -> list[Case]:
    return list(
        cases.select_related("requester", "assignee", "assignee__profile", "team").only(
            "pk",
            "subject",
            "status",
            "priority",
            "channel",
            "created_at",
            "updated_at",
            "next_breach_at",
            "team_id",
            "team__name",
            "assignee_id",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
            "assignee__profile__display_name",
            "requester_id",
            "requester__name",
        )[:LIST_SIZE]
    )


def monitor(scope: ConsoleScope, *, now: datetime | None = None) -> Monitor:
    """The live monitor's figures and lists, in a number of queries that does not grow with
    the backlog, the teams or the agents."""
    now = now or timezone.now()
    open_cases = scope.open_cases()
    counts = _clock_counts(now)
    totals = open_cases.aggregate(**counts)
    by_team = list(open_cases.values("team_id").annotate(**counts).order_by("team_id"))
    by_agent = list(
        open_cases.filter(assignee__isnull=False)
        .values("assignee_id")
        .annotate(**counts)
        .order_by("assignee_id")
    )
    by_channel = list(open_cases.values("channel").annotate(**counts).order_by("channel"))
    by_priority = list(open_cases.values("priority").annotate(**counts).order_by("priority"))

    soonest = _listed(
        open_cases.filter(next_breach_at__isnull=False).order_by("next_breach_at", "pk")
    )
    unassigned = _listed(
        open_cases.filter(assignee__isnull=True).order_by(
            F("next_breach_at").asc(nulls_last=True), "created_at", "pk"
        )
    )
    waiting = _listed(open_cases.filter(status__in=WAITING_STATUSES).order_by("updated_at", "pk"))

    team_names = scope.team_names
    agent_names = _names({row["assignee_id"] for row in by_agent})
    teams = _tallies(by_team, "team_id", team_names)
    teams.sort(key=lambda t: (t.key is None, t.label.lower()))
    agents = _tallies(by_agent, "assignee_id", agent_names)
    agents.sort(key=lambda t: (-t.breached, -t.at_risk, t.label.lower()))
    channels = _tallies(by_channel, "channel", dict(Channel.choices))
    priorities = _tallies(by_priority, "priority", dict(Case.Priority.choices))
    priorities.sort(key=lambda t: _PRIORITY_ORDER.get(t.key, 99))
    return Monitor(
        now=now,
        totals=Tally(key=None, label="All", **totals),
        by_team=teams,
        by_agent=agents,
        by_channel=channels,
        by_priority=priorities,
        soonest=soonest,
        unassigned=unassigned,
        waiting=waiting,
    )


@dataclass
class Load:
    key: int | None
    label: str
    open: int = 0
    due_within_hour: int = 0
    replies_today: int = 0
    handled_today: int = 0
    chats: int = 0
    calls: int = 0
    capacity: int | None = None

    @property
    def over_capacity(self) -> bool:
        return self.capacity is not None and self.open > self.capacity

    @property
    def room(self) -> int | None:
        """Open cases the agent can still take (negative when over capacity)."""
        return None if self.capacity is None else self.capacity - self.open


@dataclass
class Workload:
    now: datetime
    since: datetime  # the start of "today", in the viewer's time zone
    agents: list[Load]
    teams: list[Load]
    totals: Load


def start_of_day(now: datetime) -> datetime:
    """Midnight of `now`'s day in the current time zone (the viewer's), as an aware instant."""
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def workload(scope: ConsoleScope, *, now: datetime | None = None) -> Workload:
    """Per agent of the scope's teams and per team: open cases, due within the hour, replies
    and cases handled today, live chats and calls, capacity — eight queries in all."""
    now = now or timezone.now()
    since = start_of_day(now)
    soon = now + AT_RISK_WITHIN
    open_cases = scope.open_cases()

    agents = list(
        get_user_model()
        .objects.filter(teams__in=scope.team_ids, is_active=True)
        .distinct()
        .select_related("profile")
        .only(
            "pk",
            "username",
            "first_name",
            "last_name",
            "profile__display_name",
            "profile__max_open_cases",
            "profile__role",
        )
    )
    agent_ids = [agent.pk for agent in agents]
    # An agent's own open cases count wherever they are (their load), not only the scope's.
    per_agent = {
        row["assignee_id"]: row
        for row in Case.objects.filter(assignee_id__in=agent_ids, status__in=OPEN_STATUSES)
        .values("assignee_id")
        .annotate(open=Count("pk"), due=Count("pk", filter=Q(next_breach_at__lt=soon)))
        .order_by()
    }
    replies = Interaction.objects.filter(
        direction=Interaction.Direction.OUTBOUND,
        is_public=True,
        occurred_at__gte=since,
        occurred_at__lte=now,
    )
    per_agent_replies = {
        row["author_agent_id"]: row
        for row in replies.filter(author_agent_id__in=agent_ids)
        .values("author_agent_id")
        .annotate(replies=Count("pk"), handled=Count("case_id", distinct=True))
        .order_by()
    }
    chats = ChatSession.objects.filter(status=ChatSession.Status.ACTIVE)
    per_agent_chats = dict(
        chats.filter(case__assignee_id__in=agent_ids)
        .values("case__assignee_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("case__assignee_id", "n")
    )
    calls = Call.objects.filter(status__in=LIVE_CALL_STATUSES)
    per_agent_calls = dict(
        calls.filter(agent_id__in=agent_ids)
        .values("agent_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("agent_id", "n")
    )
    rows = []
    for agent in agents:
        own = per_agent.get(agent.pk, {})
        wrote = per_agent_replies.get(agent.pk, {})
        profile = getattr(agent, "profile", None)
        rows.append(
            Load(
                key=agent.pk,
                label=_name_of(agent),
                open=own.get("open", 0),
                due_within_hour=own.get("due", 0),
                replies_today=wrote.get("replies", 0),
                handled_today=wrote.get("handled", 0),
                chats=per_agent_chats.get(agent.pk, 0),
                calls=per_agent_calls.get(agent.pk, 0),
                capacity=profile.max_open_cases if profile else None,
            )
        )
    rows.sort(key=lambda load: (not load.over_capacity, -load.open, load.label.lower()))

    # The teams: the same figures over each team's cases.
    per_team = {
        row["team_id"]: row
        for row in open_cases.values("team_id")
        .annotate(open=Count("pk"), due=Count("pk", filter=Q(next_breach_at__lt=soon)))
        .order_by()
    }
    everything = scope.is_admin and scope.team_id is None
    on_teams = Q() if everything else Q(case__team_id__in=scope.team_ids)
    per_team_replies = {
        row["case__team_id"]: row
        for row in replies.filter(on_teams)
        .values("case__team_id")
        .annotate(replies=Count("pk"), handled=Count("case_id", distinct=True))
        .order_by()
    }
    per_team_chats = dict(
        chats.filter(on_teams)
        .values("case__team_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("case__team_id", "n")
    )
    per_team_calls = dict(
        calls.filter(on_teams)
        .values("case__team_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("case__team_id", "n")
    )
    teams = []
    for team_id in scope.team_ids:
        own = per_team.get(team_id, {})
        wrote = per_team_replies.get(team_id, {})
        teams.append(
            Load(
                key=team_id,
                label=scope.team_names.get(team_id, "—"),
                open=own.get("open", 0),
                due_within_hour=own.get("due", 0),
                replies_today=wrote.get("replies", 0),
                handled_today=wrote.get("handled", 0),
                chats=per_team_chats.get(team_id, 0),
                calls=per_team_calls.get(team_id, 0),
            )
        )
    totals = Load(
        key=None,
        label="All",
        **{
            name: sum(getattr(team, name) for team in teams)
            for name in (
                "open",
                "due_within_hour",
                "replies_today",
                "handled_today",
                "chats",
                "calls",
            )
        },
    )
    return Workload(now=now, since=since, agents=rows, teams=teams, totals=totals)


def can_act_on(scope: ConsoleScope, case_id: int) -> Case | None:
    """The case, if it is one of the scope's teams' (an admin: any); else None."""
    return scope.cases().filter(pk=case_id).select_related("team").first()


def reassign_choices(case: Case) -> list[tuple[int, str]]:
    """Whom the console offers to assign `case` to: the active members of its team."""
    if case.team_id is None:
        return []
    return _team_members({case.team_id}).get(case.team_id, [])
