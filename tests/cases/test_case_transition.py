import itertools

import pytest

from apps.cases import services
from apps.cases.models import Case, CaseEvent
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
Status = Case.Status

# Sorted: the targets are frozensets, whose order changes between processes, and parallel
# test runners (pytest-xdist) require every worker to collect the same list.
LEGAL = [
    (before, after)
    for before, targets in Case.ALLOWED_TRANSITIONS.items()
    for after in sorted(targets)
]
ILLEGAL = [
    (before, after)
    for before, after in itertools.product(Status.values, Status.values)
    if before != after and after not in Case.ALLOWED_TRANSITIONS[before]
]


def test_every_status_pair_is_either_legal_or_illegal():
    assert len(LEGAL) + len(ILLEGAL) == len(Status.values) * (len(Status.values) - 1)
    assert (Status.CLOSED, Status.OPEN) in ILLEGAL
    assert (Status.NEW, Status.CLOSED) in ILLEGAL


@pytest.mark.parametrize(("before", "after"), LEGAL)
def test_a_legal_transition_changes_the_status_and_records_it(before, after, agent):
    case = CaseFactory(status=before)
    services.case_transition(case_id=case.pk, to=after, actor=agent)
    case.refresh_from_db()
    assert case.status == after
    event = case.events.filter(kind=CaseEvent.Kind.STATUS).get()
    assert (event.before, event.after, event.actor) == (before, after, agent)


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_an_illegal_transition_is_refused_and_changes_nothing(before, after, agent):
    case = CaseFactory(status=before)
    with pytest.raises(services.InvalidTransition) as exc:
        services.case_transition(case_id=case.pk, to=after, actor=agent)
    assert f"a {before} case cannot become {after}" in str(exc.value)
    case.refresh_from_db()
    assert case.status == before
    assert not case.events.exists()


def test_solving_stamps_solved_at_and_closing_stamps_closed_at(agent):
    case = CaseFactory(status=Status.OPEN)
    services.case_transition(case_id=case.pk, to=Status.SOLVED, actor=agent)
    case.refresh_from_db()
    assert case.solved_at is not None
    assert case.closed_at is None
    services.case_transition(case_id=case.pk, to=Status.CLOSED, actor=agent)
    case.refresh_from_db()
    assert case.closed_at >= case.solved_at


def test_transition_to_the_current_status_is_a_no_op(agent):
    case = CaseFactory(status=Status.OPEN)
    services.case_transition(case_id=case.pk, to=Status.OPEN, actor=agent)
    assert not case.events.exists()


def test_priority_change_is_validated_and_recorded(agent):
    case = CaseFactory(priority=Case.Priority.NORMAL)
    with pytest.raises(services.CaseError, match="unknown priority"):
        services.case_set_priority(case_id=case.pk, priority="critical", actor=agent)
    services.case_set_priority(case_id=case.pk, priority=Case.Priority.URGENT, actor=agent)
    case.refresh_from_db()
    assert case.priority == Case.Priority.URGENT
    event = case.events.get(kind=CaseEvent.Kind.PRIORITY)
    assert (event.before, event.after) == ("normal", "urgent")
