"""The problem's status machine, generated from Problem.ALLOWED_TRANSITIONS: every allowed
move is made and audited, every other one is refused (409) and changes nothing."""

import datetime

import pytest
from django.utils import timezone

from apps.problems import services
from apps.problems.models import Problem

pytestmark = pytest.mark.django_db

Status = Problem.Status
PAIRS = [(a, b) for a in Status.values for b in Status.values if a != b]


@pytest.mark.parametrize(("start", "to"), PAIRS, ids=lambda v: v)
def test_each_move_is_allowed_only_by_the_table(problem, supervisor, start, to):
    Problem.objects.filter(pk=problem.pk).update(
        status=start, fix_date=timezone.localdate() - datetime.timedelta(days=1)
    )
    if to in Problem.ALLOWED_TRANSITIONS[start]:
        moved = services.problem_transition(problem_id=problem.pk, to=to, actor=supervisor)
        assert moved.status == to
        event = problem.events.get(kind="status")
        assert (event.before["status"], event.after["status"], event.actor) == (
            start,
            to,
            supervisor,
        )
    else:
        with pytest.raises(services.InvalidProblemTransition):
            services.problem_transition(problem_id=problem.pk, to=to, actor=supervisor)
        problem.refresh_from_db()
        assert problem.status == start
        assert not problem.events.filter(kind="status").exists()


def test_every_status_can_be_left_or_reopened():
    for status in Status.values:
        assert Problem.ALLOWED_TRANSITIONS[status], status
    assert Status.REOPENED in Problem.ALLOWED_TRANSITIONS[Status.FIXED]
    assert Status.REOPENED in Problem.ALLOWED_TRANSITIONS[Status.VERIFIED]


def test_fixed_needs_a_fix_date_not_in_the_future(problem, supervisor):
    Problem.objects.filter(pk=problem.pk).update(status=Status.FIX_IN_PROGRESS)
    with pytest.raises(services.FixDateRequired):
        services.problem_transition(problem_id=problem.pk, to=Status.FIXED, actor=supervisor)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(services.FixDateRequired):
        services.problem_transition(
            problem_id=problem.pk, to=Status.FIXED, actor=supervisor, fix_date=tomorrow
        )
    today = timezone.localdate()
    fixed = services.problem_transition(
        problem_id=problem.pk, to=Status.FIXED, actor=supervisor, fix_date=today
    )
    assert (fixed.status, fixed.fix_date) == (Status.FIXED, today)
    assert problem.events.get(kind="status").after["fix_date"] == today.isoformat()


def test_agents_do_not_manage_problems(problem, agent, billing_cause):
    with pytest.raises(services.ProblemForbidden):
        services.problem_transition(problem_id=problem.pk, to=Status.INVESTIGATING, actor=agent)
    with pytest.raises(services.ProblemForbidden):
        services.problem_create(title="Mine", root_cause=billing_cause, actor=agent)
    with pytest.raises(services.ProblemForbidden):
        services.problem_update(problem_id=problem.pk, title="Mine", actor=agent)


def test_an_edit_is_audited_with_before_and_after(problem, supervisor, other_team):
    services.problem_update(
        problem_id=problem.pk, title="Renamed", owner_team=other_team, actor=supervisor
    )
    event = problem.events.get(kind="updated")
    assert event.before["title"] == "Double charge on renewal since 2.3"
    assert event.after == {
        "title": "Renamed",
        "owner_team": {"id": other_team.pk, "name": other_team.name},
    }
    services.problem_update(problem_id=problem.pk, title="Renamed", actor=supervisor)
    assert problem.events.filter(kind="updated").count() == 1  # nothing changed: no event


def test_a_retired_root_cause_cannot_be_given(billing_cause, supervisor):
    from apps.rootcauses.services import RootCauseRetired, root_cause_retire

    root_cause_retire(root_cause_id=billing_cause.pk)
    billing_cause.refresh_from_db()
    with pytest.raises(RootCauseRetired):
        services.problem_create(title="Late", root_cause=billing_cause, actor=supervisor)
