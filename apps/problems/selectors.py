"""Reads on problems: who sees which, a problem's cases, events and progress, the verdict.

Who sees a problem (the one rule, `problems_visible_to`): admins every problem; stakeholders
(apps/accounts/confinement.py) the problems owned by one of their teams, and no other; anyone
else the problems owned by one of their teams, those they created, and those that list a case
they can see (`Case.objects.visible_to`). Another team's problem reads like a missing one.
Who manages them (create, edit, move, answer together) is `can_manage`: supervisors and
admins. Agents link and unlink the cases they can see, to problems they can see.

The list selectors take `owner_team_ids`, so a page for the people of owner teams (a later
stakeholder role) can reuse them with its own teams.
"""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.accounts.models import AgentProfile, role_of
from apps.accounts.types import User
from apps.cases.models import OPEN_STATUSES, Case
from apps.core.ids import MAX_DB_ID
from apps.rootcauses.models import RootCause

from . import verdict as verdict_math
from .models import Problem, ProblemAnswer, ProblemCase, ProblemEvent

Status = Problem.Status
Answer = ProblemAnswer.Status


def can_manage(user: User) -> bool:
    """Supervisors and admins create, edit and move problems, and answer their cases."""
    if not user.is_authenticated or not user.is_active:
        return False
    return role_of(user) in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN)


def problems_visible_to(
    *, user: User, owner_team_ids: Collection[int] | None = None, status: str | None = None
) -> QuerySet[Problem]:
    """The problems `user` may see (see the module docstring), newest activity first, with
    their root cause and owner team; narrowed to `owner_team_ids` and `status` when given."""
    if not user.is_authenticated or not user.is_active:
        return Problem.objects.none()
    problems = Problem.objects.all()
    role = role_of(user)
    if role == AgentProfile.Role.STAKEHOLDER:
        problems = problems.filter(owner_team__in=user.teams.values("pk"))
    elif role != AgentProfile.Role.ADMIN:
        linked = ProblemCase.objects.filter(case__in=Case.objects.visible_to(user)).values(
            "problem_id"
        )
        problems = problems.filter(
            Q(owner_team__in=user.teams.values("pk")) | Q(created_by=user) | Q(pk__in=linked)
        )
    if owner_team_ids is not None:
        problems = problems.filter(owner_team__in=list(owner_team_ids))
    if status:
        problems = problems.filter(status=status)
    return problems.select_related("root_cause", "owner_team").order_by("-updated_at", "-id")


def problem_visible(*, user: User, problem_id: int) -> Problem:
    """One problem `user` may see; Problem.DoesNotExist otherwise (another team's too)."""
    if not 1 <= int(problem_id) <= MAX_DB_ID:
        raise Problem.DoesNotExist
    return (
        problems_visible_to(user=user).select_related("created_by", "answer_by").get(pk=problem_id)
    )


def problem_cases(*, problem: Problem, user: User) -> QuerySet[Case]:
    """The problem's cases that `user` may see, most recently listed first (the page
    paginates it: one query a page, whatever the number of cases)."""
    return (
        Case.objects.visible_to(user)
        .filter(problem_links__problem=problem)
        .select_related("requester", "team", "assignee")
        .order_by("-problem_links__linked_at", "-id")
    )


def problem_cases_for_owners(*, problem: Problem) -> QuerySet[Case]:
    """All the problem's cases for its owner team's stakeholders, without customer data:
    only the reference, channel, opening, status and root cause are loaded (the page
    shows nothing else), most recently listed first (one query a page)."""
    return (
        Case.objects.filter(problem_links__problem=problem)
        .select_related("root_cause")
        .only("id", "channel", "created_at", "status", "root_cause__path")
        .order_by("-problem_links__linked_at", "-id")
    )


def problem_events(*, problem: Problem) -> QuerySet[ProblemEvent]:
    return (
        ProblemEvent.objects.filter(problem=problem).select_related("actor").order_by("-at", "-id")
    )


def problems_of_case(*, case: Case, user: User) -> list[Problem]:
    """The problems `case` is listed under that `user` may see (one query)."""
    return list(problems_visible_to(user=user).filter(links__case=case))


def problems_to_link(*, user: User, limit: int = 200) -> list[Problem]:
    """The picker's problems: visible, not yet verified, newest activity first (one query)."""
    return list(problems_visible_to(user=user).exclude(status=Status.VERIFIED)[:limit])


@dataclass(frozen=True)
class Progress:
    total: int
    remaining: int  # waiting or being answered
    answered: int
    skipped: int
    failed: int
    undelivered: int  # answered, but the channel refused the message (see the case)

    @property
    def running(self) -> bool:
        return self.remaining > 0


def answer_progress(*, problem: Problem) -> Progress:
    """Counts of the answer together, by state (one query)."""
    counts = ProblemAnswer.objects.filter(problem=problem).aggregate(
        total=Count("pk"),
        remaining=Count("pk", filter=Q(status__in=[Answer.PENDING, Answer.ANSWERING])),
        answered=Count("pk", filter=Q(status=Answer.ANSWERED)),
        skipped=Count("pk", filter=Q(status=Answer.SKIPPED)),
        failed=Count("pk", filter=Q(status=Answer.FAILED)),
        undelivered=Count(
            "pk", filter=Q(status=Answer.ANSWERED, interaction__delivery_status="failed")
        ),
    )
    return Progress(**counts)


def answer_failures(*, problem: Problem, limit: int = 50) -> list[ProblemAnswer]:
    """The cases not answered, and why (one query)."""
    return list(
        ProblemAnswer.objects.filter(problem=problem, status=Answer.FAILED)
        .select_related("case")
        .order_by("id")[:limit]
    )


def open_cases_count(*, problem: Problem) -> int:
    """The problem's cases still open that have not been answered together yet."""
    return (
        ProblemCase.objects.filter(problem=problem, case__status__in=OPEN_STATUSES)
        .exclude(case__in=ProblemAnswer.objects.filter(problem=problem).values("case"))
        .count()
    )


# --- Did the fix work? -------------------------------------------------------------------


def day_start(day: date) -> datetime:
    """The instant `day` begins in TIME_ZONE."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def verdict_window_days() -> int:
    return max(1, int(settings.CXDESK_PROBLEM_VERDICT_WINDOW_DAYS))


def problem_verdict(
    *, problem: Problem, now: datetime | None = None
) -> verdict_math.Verdict | None:
    """The verdict for a fixed (or verified) problem; None before it has a fix date.

    Counts the cases of its root cause and the nodes under it (created in the window,
    whatever their status now), and all cases, in the W whole days before the fix date and
    the whole days from the fix date to yesterday (at most W), in TIME_ZONE: one query.
    """
    if problem.fix_date is None or problem.status not in Problem.FIXED_STATUSES:
        return None
    window = verdict_window_days()
    today = timezone.localdate(now or timezone.now())
    after_days = max(0, min(window, (today - problem.fix_date).days))
    before_start = day_start(problem.fix_date - timedelta(days=window))
    fix_start = day_start(problem.fix_date)
    after_end = day_start(problem.fix_date + timedelta(days=after_days))
    subtree = RootCause.objects.filter(
        Q(pk=problem.root_cause_id)
        | Q(parent_id=problem.root_cause_id)
        | Q(parent__parent_id=problem.root_cause_id)
    ).values("pk")
    before = Q(created_at__gte=before_start, created_at__lt=fix_start)
    after = Q(created_at__gte=fix_start, created_at__lt=after_end)
    mine = Q(root_cause__in=subtree)
    counts = Case.objects.filter(created_at__gte=before_start, created_at__lt=after_end).aggregate(
        before_cases=Count("pk", filter=before & mine),
        after_cases=Count("pk", filter=after & mine),
        before_total=Count("pk", filter=before),
        after_total=Count("pk", filter=after),
    )
    return verdict_math.fix_verdict(before_days=window, after_days=after_days, **counts)
