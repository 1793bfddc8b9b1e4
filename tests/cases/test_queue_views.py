"""Which cases each queue view holds (apps/cases/queues.py), for an agent and an admin."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.cases import queues, selectors
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db
Status = Case.Status
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def cases(agent, team, other_team):
    colleague = AgentFactory(teams=[team])
    soon, later = NOW + timedelta(minutes=30), NOW + timedelta(hours=3)
    past = NOW - timedelta(minutes=5)
    make = CaseFactory
    return {
        "mine_open": make(team=team, assignee=agent, status=Status.OPEN, next_breach_at=later),
        "mine_pending": make(team=team, assignee=agent, status=Status.PENDING),
        "mine_breached": make(team=team, assignee=agent, status=Status.OPEN, next_breach_at=past),
        "mine_solved": make(team=team, assignee=agent, status=Status.SOLVED, next_breach_at=past),
        "unassigned_new": make(team=team, status=Status.NEW, next_breach_at=soon),
        "unassigned_hold": make(team=team, status=Status.ON_HOLD),
        "unassigned_closed": make(team=team, status=Status.CLOSED),
        "colleague_soon": make(
            team=team, assignee=colleague, status=Status.OPEN, next_breach_at=soon
        ),
        "colleague_pending": make(team=team, assignee=colleague, status=Status.PENDING),
        "other_team_soon": make(team=other_team, status=Status.NEW, next_breach_at=soon),
        "other_team_pending": make(team=other_team, status=Status.PENDING),
        # Assigned to the agent in a team they are not in: theirs all the same.
        "mine_elsewhere": make(team=other_team, assignee=agent, status=Status.OPEN),
    }


EXPECTED = {
    "queue": {
        "mine_open",
        "mine_pending",
        "mine_breached",
        "mine_elsewhere",
        "unassigned_new",
        "unassigned_hold",
    },
    "mine": {"mine_open", "mine_pending", "mine_breached", "mine_elsewhere"},
    "unassigned": {"unassigned_new", "unassigned_hold"},
    "breaching": {"mine_breached", "unassigned_new", "colleague_soon"},
    "pending": {"mine_pending", "colleague_pending"},
}


def _names(cases, rows):
    by_pk = {c.pk: name for name, c in cases.items()}
    return {by_pk[c.pk] for c in rows}


@pytest.mark.parametrize("view", sorted(EXPECTED))
def test_each_open_view_holds_its_cases(client, agent, cases, view):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("home"), {"view": view})
    assert response.status_code == 200
    assert response.context["view"].key == view
    assert _names(cases, response.context["page"].rows) == EXPECTED[view]


def test_all_is_every_case_the_user_may_see_solved_and_closed_included(client, agent, cases):
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        rows = client.get(reverse("home"), {"view": "all"}).context["page"].rows
    assert _names(cases, rows) == set(cases) - {"other_team_soon", "other_team_pending"}
    assert {c.pk for c in rows} == set(
        selectors.case_list_for(user=agent).values_list("pk", flat=True)
    )


def test_an_admin_sees_every_case_in_all_and_breaching(client, admin_user, cases):
    client.force_login(admin_user)
    with time_machine.travel(NOW, tick=False):
        every = client.get(reverse("home"), {"view": "all"}).context["page"].rows
        breaching = client.get(reverse("home"), {"view": "breaching"}).context["page"].rows
    assert _names(cases, every) == set(cases)
    assert _names(cases, breaching) == {
        "mine_breached",
        "unassigned_new",
        "colleague_soon",
        "other_team_soon",
    }


def test_the_scope_sees_what_case_list_for_allows(cases, agent, admin_user, team, other_team):
    supervisor = SupervisorFactory(teams=[other_team])
    outsider = AgentFactory(teams=[])
    inactive = AgentFactory(teams=[team], is_active=False)
    for user in (agent, admin_user, supervisor, outsider, inactive):
        expected = set(selectors.case_list_for(user=user).values_list("pk", flat=True))
        assert set(queues.Scope.of(user).visible().values_list("pk", flat=True)) == expected, user


def test_the_old_all_cases_link_still_lists_all(client, agent, cases):
    client.force_login(agent)
    response = client.get(reverse("home"), {"scope": "all"})
    assert response.context["view"].key == "all"


def test_an_unknown_view_says_so_and_shows_the_queue(client, agent, cases):
    client.force_login(agent)
    response = client.get(reverse("home"), {"view": "everything"})
    assert response.status_code == 200
    assert response.context["view"].key == "queue"
    assert "There is no view" in response.content.decode()


def test_the_views_need_a_login(client):
    for path in (reverse("home") + "?view=breaching", reverse("queue-counts")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse("queue-bulk"), {"action": "assign_me", "case": "1"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
