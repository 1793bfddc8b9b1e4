"""Workload per agent and per team equals a direct count on hand-built data: open cases,
due within the hour, replies and cases handled today (in the viewer's zone), live chats and
calls, capacity and who is over it; the capacity form's rules."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.cases.models import Case, Interaction
from apps.chat.models import ChatSession
from apps.console import selectors
from apps.phone.models import Call
from tests.chat.factories import ChatWidgetFactory
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _reply(case, agent, at):
    return InteractionFactory(
        case=case,
        direction=Interaction.Direction.OUTBOUND,
        author_contact=None,
        author_agent=agent,
        is_public=True,
        occurred_at=at,
    )


@pytest.fixture
def day(clock, team, other_team, agent):
    bea = AgentFactory(username="bea", first_name="Bea", teams=[team])
    bea.profile.max_open_cases = 1
    bea.profile.save()
    mine = [
        CaseFactory(team=team, assignee=agent, status="open", next_breach_at=NOW + m)
        for m in (timedelta(minutes=-5), timedelta(minutes=50), timedelta(hours=3))
    ]
    beas = [
        CaseFactory(team=team, assignee=bea, status="pending"),
        CaseFactory(team=team, assignee=bea, status="open"),
    ]
    CaseFactory(team=team, assignee=agent, status="solved")  # done: no load
    # Replies: two today on one case, one on another, one yesterday, one internal note.
    with timezone.override("Europe/Berlin"):
        midnight = selectors.start_of_day(NOW)
    _reply(mine[0], agent, midnight + timedelta(minutes=1))
    _reply(mine[0], agent, NOW - timedelta(minutes=3))
    _reply(beas[1], agent, NOW - timedelta(hours=1))
    _reply(mine[1], agent, midnight - timedelta(minutes=1))
    note = _reply(mine[2], agent, NOW - timedelta(minutes=2))
    note.is_public = False
    note.save()
    # Live work: a chat on one of alex's cases, a call of bea's; an ended chat.
    widget = ChatWidgetFactory(team=team)
    ChatSession.objects.create(
        widget=widget, case=mine[0], contact=mine[0].requester, visitor_id="v1"
    )
    ChatSession.objects.create(
        widget=widget,
        case=mine[0],
        contact=mine[0].requester,
        visitor_id="v2",
        status="ended",
        ended_at=NOW,
        ended_by="agent",
    )
    Call.objects.create(
        sid="CA1",
        direction="inbound",
        status="in-progress",
        agent=bea,
        case=beas[1],
        contact=beas[1].requester,
    )
    Call.objects.create(
        sid="CA2",
        direction="inbound",
        status="completed",
        agent=bea,
        case=beas[1],
        contact=beas[1].requester,
    )
    CaseFactory(team=other_team, assignee=AgentFactory(teams=[other_team]), status="open")
    return {"bea": bea, "mine": mine, "beas": beas}


def test_agents_rows_equal_a_direct_count(day, supervisor, agent):
    with timezone.override("Europe/Berlin"):
        workload = selectors.workload(selectors.ConsoleScope.of(supervisor))
    rows = {row.key: row for row in workload.agents}
    alex, bea = rows[agent.pk], rows[day["bea"].pk]
    assert (alex.open, alex.due_within_hour) == (3, 2)
    assert (alex.replies_today, alex.handled_today) == (3, 2)
    assert (alex.chats, alex.calls, alex.capacity, alex.over_capacity) == (1, 0, None, False)
    assert (bea.open, bea.due_within_hour, bea.replies_today) == (2, 0, 0)
    assert (bea.calls, bea.capacity, bea.over_capacity, bea.room) == (1, 1, True, -1)
    # Over capacity first.
    assert workload.agents[0].key == bea.key
    assert supervisor.pk in rows  # the supervisor is a member of the team: listed too
    assert set(rows) == {agent.pk, day["bea"].pk, supervisor.pk}


def test_today_is_the_viewers_day(day, supervisor, agent):
    """Midnight in Berlin is 23:00 UTC the day before; in Honolulu it is 10:00 UTC today."""
    with timezone.override("Pacific/Honolulu"):
        workload = selectors.workload(selectors.ConsoleScope.of(supervisor))
    alex = next(row for row in workload.agents if row.key == agent.pk)
    # Only the replies after 10:00 UTC: the two of the last hour or so.
    assert alex.replies_today == 2


def test_team_rows_count_the_teams_cases_and_add_up(day, supervisor, team, admin_user):
    with timezone.override("Europe/Berlin"):
        workload = selectors.workload(selectors.ConsoleScope.of(supervisor))
    (billing,) = workload.teams
    assert billing.label == "Billing"
    assert (billing.open, billing.due_within_hour) == (5, 2)
    assert (billing.replies_today, billing.handled_today, billing.chats, billing.calls) == (
        3,
        2,
        1,
        1,
    )
    assert workload.totals.open == billing.open
    with timezone.override("Europe/Berlin"):
        everything = selectors.workload(selectors.ConsoleScope.of(admin_user))
    assert everything.totals.open == sum(t.open for t in everything.teams) == 6
    assert everything.totals.open == Case.objects.filter(status__in=["open", "pending"]).count()


def test_the_workload_page_query_count_is_constant(
    day, client, supervisor, team, django_assert_max_num_queries
):
    client.force_login(supervisor)
    client.get(reverse("console:workload"))
    for _ in range(10):
        CaseFactory(team=team, assignee=AgentFactory(teams=[team]), status="open")
    with django_assert_max_num_queries(16):
        response = client.get(reverse("console:workload"))
    assert response.status_code == 200
    assert "over capacity" in response.content.decode()


def test_a_supervisor_sets_a_capacity_of_an_agent_of_their_team(client, supervisor, agent, clock):
    client.force_login(supervisor)
    url = reverse("console:agent-capacity", args=[agent.pk])
    response = client.post(url, {"max_open_cases": "12"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:workload")
    agent.profile.refresh_from_db()
    assert agent.profile.max_open_cases == 12
    client.post(url, {"max_open_cases": ""})
    agent.profile.refresh_from_db()
    assert agent.profile.max_open_cases is None


@pytest.mark.parametrize("bad", ["-1", "lots", "10001", "2.5"])
def test_a_bad_capacity_is_refused_with_a_message(client, supervisor, agent, bad, clock):
    client.force_login(supervisor)
    response = client.post(
        reverse("console:agent-capacity", args=[agent.pk]), {"max_open_cases": bad}, follow=True
    )
    assert response.status_code == 200
    assert b'class="error"' in response.content
    agent.profile.refresh_from_db()
    assert agent.profile.max_open_cases is None


def test_another_teams_agent_is_404_and_an_agent_may_not_set_any(
    client, supervisor, agent, other_team, clock
):
    outsider = AgentFactory(teams=[other_team])
    client.force_login(supervisor)
    url = reverse("console:agent-capacity", args=[outsider.pk])
    assert client.post(url, {"max_open_cases": "3"}).status_code == 404
    client.force_login(agent)
    own = reverse("console:agent-capacity", args=[agent.pk])
    assert client.post(own, {"max_open_cases": "3"}).status_code == 403
