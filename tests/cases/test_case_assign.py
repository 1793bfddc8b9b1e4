import pytest

from apps.cases import services
from apps.cases.models import Case, CaseEvent
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def test_assigning_a_new_case_opens_it(agent, team):
    case = CaseFactory(status=Status.NEW, team=team)
    services.case_assign(case_id=case.pk, assignee=agent, actor=agent)
    case.refresh_from_db()
    assert (case.assignee, case.status) == (agent, Status.OPEN)
    event = case.events.get(kind=CaseEvent.Kind.ASSIGNEE)
    assert event.before is None
    assert event.after == {"id": agent.pk, "username": "alex"}


def test_only_members_of_the_case_team_can_be_assigned(team, other_team, supervisor):
    outsider = AgentFactory(teams=[other_team])
    case = CaseFactory(team=team)
    with pytest.raises(services.InvalidAssignee, match="not a member of team Billing"):
        services.case_assign(case_id=case.pk, assignee=outsider, actor=supervisor)
    case.refresh_from_db()
    assert case.assignee is None
    assert not case.events.exists()


def test_inactive_users_cannot_be_assigned(agent):
    gone = UserFactory(is_active=False)
    with pytest.raises(services.InvalidAssignee, match="not an active user"):
        services.case_assign(case_id=CaseFactory().pk, assignee=gone, actor=agent)


def test_unassigning_records_the_previous_assignee(agent, team):
    case = CaseFactory(status=Status.OPEN, team=team, assignee=agent)
    services.case_assign(case_id=case.pk, assignee=None, actor=agent)
    case.refresh_from_db()
    assert case.assignee is None
    assert case.events.get().before["id"] == agent.pk


def test_a_closed_case_cannot_be_reassigned(agent):
    case = CaseFactory(status=Status.CLOSED)
    with pytest.raises(services.CaseError, match="closed"):
        services.case_assign(case_id=case.pk, assignee=agent, actor=agent)


def test_moving_to_another_team_drops_an_assignee_who_is_not_in_it(agent, team, other_team):
    case = CaseFactory(status=Status.OPEN, team=team, assignee=agent)
    services.case_set_team(
        case_id=case.pk, team=other_team, actor=SupervisorFactory()
    )  # agents route only to their teams
    case.refresh_from_db()
    assert (case.team, case.assignee) == (other_team, None)


def test_moving_to_a_team_the_assignee_is_in_keeps_them(agent, team, other_team):
    other_team.members.add(agent)
    case = CaseFactory(status=Status.OPEN, team=team, assignee=agent)
    services.case_set_team(case_id=case.pk, team=other_team, actor=agent)
    case.refresh_from_db()
    assert case.assignee == agent
    assert list(case.events.values_list("kind", flat=True)) == [CaseEvent.Kind.TEAM]
