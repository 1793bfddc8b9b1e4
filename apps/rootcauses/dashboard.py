"""The root-cause owners' dashboard: what the teams that own root causes need to fix them.

For a period (default the last 30 days) and the owner teams it is for: the top root causes
owned by them (cases, distinct contacts affected, handle-time cost, the trend against the
period of the same length just before — selectors.top_root_causes over the rollups, never
a recount), their active spikes, their problems not yet fixed, and a drill-down to the
cases. Shown at /root-causes/dashboard/ (and .csv), and `GET /api/v1/root-causes/dashboard/`
(scope rootcauses:read).

Who sees which teams (`dashboard_teams`):

- a stakeholder (apps/accounts/confinement.py): their own teams — all of them, or the one
  chosen among them; another team is refused (400 naming the field, as the report does);
- supervisors and admins: every owner team, or the one chosen;
- agents: refused (403) — their root-cause view is the report, over their teams' cases.

The figures count the owner team's causes over every case, whatever team works it (a
product team owns causes, the contact center's teams work their cases): they are sums
and counts, and name no customer. The drill-down for stakeholders (`dashboard_cases`) is a
list without customer data — reference, channel, opened, status, root cause; not the
subject, which the customer wrote. Supervisors and admins drill down to the queue instead
(filtered by root cause and period), which shows what their teams may see.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from rest_framework import serializers

from apps.accounts.models import AgentProfile, Team, role_of
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Case
from apps.core.errors import DomainError
from apps.problems.models import Problem
from apps.problems.selectors import problems_visible_to
from apps.sla.serializers import PeriodBoundField

from . import selectors
from .models import RootCauseSpike
from .report import period_between
from .selectors import ReportFilters, ReportPeriod, ReportRow

SHOWN = 100  # spikes and open problems on the dashboard (more: the spikes and problems lists)
OPEN_PROBLEM_STATUSES = [s for s in Problem.Status.values if s not in Problem.FIXED_STATUSES]


class DashboardRefused(DomainError):
    code = "permission_denied"
    status = 403


def dashboard_teams(user: Any) -> tuple[int, ...] | None:
    """The owner teams `user` may see on the dashboard: a tuple (stakeholders: theirs) or
    None (every team: supervisors and admins). Agents: DashboardRefused."""
    role = role_of(user)
    if role == AgentProfile.Role.STAKEHOLDER:
        return tuple(user.teams.order_by("pk").values_list("pk", flat=True))
    if role in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN):
        return None
    raise DashboardRefused("The root-cause dashboard is for owner teams and supervisors.")


class DashboardInput(StrictInputSerializer):
    """`from` / `to` as the report's; `owner_team`: one of the teams the user may see."""

    from_ = PeriodBoundField(
        end=False, required=False, help_text="Start of the period (default: 30 days before to)"
    )
    to = PeriodBoundField(
        end=True, required=False, help_text="End of the period, exclusive; a day includes itself"
    )
    owner_team = serializers.IntegerField(
        min_value=1,
        max_value=2**63 - 1,
        required=False,
        help_text="The owner team (default: all the teams you may see)",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs["period"] = period_between(attrs.get("from"), attrs.get("to"))
        allowed: tuple[int, ...] | None = self.context["teams"]
        chosen = attrs.get("owner_team")
        if chosen is None:
            attrs["owner_team_ids"] = allowed
        elif allowed is None and not Team.objects.filter(pk=chosen).exists():
            raise serializers.ValidationError({"owner_team": [f"No team with id {chosen}."]})
        elif allowed is not None and chosen not in allowed:
            raise serializers.ValidationError({"owner_team": ["Not one of your teams."]})
        else:
            attrs["owner_team_ids"] = (chosen,)
        return attrs


DashboardInput._declared_fields["from"] = DashboardInput._declared_fields.pop("from_")


@dataclass
class Totals:
    cases: int
    handle_seconds: int
    previous_cases: int

    @property
    def handle_hours(self) -> float:
        return round(self.handle_seconds / 3600, 1)

    @property
    def trend_percent(self) -> float | None:
        if not self.previous_cases:
            return None
        return round(100 * (self.cases - self.previous_cases) / self.previous_cases, 1)


@dataclass
class Dashboard:
    period: ReportPeriod
    owner_team_ids: tuple[int, ...] | None  # None: every team
    rows: list[ReportRow]
    totals: Totals
    spikes: list[RootCauseSpike]
    open_problems: list[Problem]


def owners_dashboard(
    *, user: Any, period: ReportPeriod, owner_team_ids: tuple[int, ...] | None
) -> Dashboard:
    """The dashboard of the owner teams `owner_team_ids` (None: every team) — the caller
    has checked them with dashboard_teams. A constant number of queries (top_root_causes's
    and two), whatever the number of causes, cases, spikes or problems."""
    rows = selectors.top_root_causes(
        period=period,
        filters=ReportFilters(owner_team_ids=owner_team_ids),
        user=user,
        every_case=True,
    )
    spikes = RootCauseSpike.objects.filter(state=RootCauseSpike.State.ACTIVE)
    problems = problems_visible_to(user=user, owner_team_ids=owner_team_ids).filter(
        status__in=OPEN_PROBLEM_STATUSES
    )
    if owner_team_ids is not None:
        spikes = spikes.filter(root_cause__owner_team_id__in=owner_team_ids)
    return Dashboard(
        period=period,
        owner_team_ids=owner_team_ids,
        rows=rows,
        totals=Totals(
            cases=sum(r.cases for r in rows),
            handle_seconds=sum(r.handle_seconds for r in rows),
            previous_cases=sum(r.previous_cases for r in rows),
        ),
        spikes=list(
            spikes.select_related("root_cause", "root_cause__owner_team").order_by(
                "-first_seen_at", "-id"
            )[:SHOWN]
        ),
        open_problems=list(problems.annotate(case_count=Count("links"))[:SHOWN]),
    )


def dashboard_cases(
    *, root_cause_id: int, period: ReportPeriod, owner_team_ids: tuple[int, ...] | None
) -> QuerySet[Case]:
    """The cases a dashboard row counts (that node, opened in the period, not merged), for
    a list without customer data: only the reference, channel, opening, status and root
    cause are loaded, newest first (a page: one query)."""
    cases = Case.objects.filter(
        root_cause_id=root_cause_id,
        merged_into__isnull=True,
        created_at__gte=period.start,
        created_at__lt=period.end,
    )
    if owner_team_ids is not None:
        cases = cases.filter(root_cause__owner_team_id__in=owner_team_ids)
    return (
        cases.select_related("root_cause")
        .only("id", "channel", "created_at", "status", "root_cause__path")
        .order_by("-created_at", "-id")
    )


def day_bounds(period: ReportPeriod) -> tuple[str, str]:
    """The period as the first and last local day it covers (the forms' and queue's values)."""
    from django.utils import timezone

    zone = timezone.get_default_timezone()
    last: datetime = period.end.astimezone(zone) - timedelta(microseconds=1)
    return period.start.astimezone(zone).date().isoformat(), last.date().isoformat()
