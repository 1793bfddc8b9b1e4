"""The live monitor's figures equal a direct count of the open cases, by team, agent,
channel and priority; the lists are in their documented order; the supervisor's scope."""

from datetime import timedelta

import pytest

from apps.cases.models import Case
from apps.console import selectors
from tests.factories import AgentFactory, CaseFactory, TeamFactory

from .conftest import NOW

pytestmark = pytest.mark.django_db


def _case(team, *, due=None, assignee=None, status=Case.Status.OPEN, **kwargs):
    return CaseFactory(
        team=team,
        assignee=assignee,
        status=status,
        next_breach_at=None if due is None else NOW + due,
        **kwargs,
    )


@pytest.fixture
def floor(clock, team, other_team, agent, supervisor):
    """Billing (the supervisor's) and Logistics cases, open and done, due and not."""
    bea = AgentFactory(username="bea", first_name="Bea", teams=[team])
    cases = {
        "breached": _case(team, due=-timedelta(minutes=5), assignee=agent, channel="chat"),
        "breached2": _case(team, due=-timedelta(hours=3), priority="urgent"),
        "at_risk": _case(team, due=timedelta(minutes=30), assignee=bea),
        "edge": _case(team, due=timedelta(hours=1)),  # exactly an hour: not at risk
        "calm": _case(team, due=timedelta(hours=5), assignee=agent, priority="high"),
        "pending": _case(team, status=Case.Status.PENDING, assignee=bea),
        "solved": _case(team, due=-timedelta(hours=1), status=Case.Status.SOLVED),
        "other": _case(other_team, due=-timedelta(minutes=1)),
    }
    return cases


def test_totals_and_groupings_equal_a_direct_count(floor, supervisor, team, agent):
    monitor = selectors.monitor(selectors.ConsoleScope.of(supervisor))

    mine = Case.objects.filter(team=team, status__in=["new", "open", "pending", "on_hold"])
    breached = mine.filter(next_breach_at__lt=NOW)
    at_risk = mine.filter(next_breach_at__gte=NOW, next_breach_at__lt=NOW + timedelta(hours=1))
    assert monitor.totals.open == mine.count() == 6
    assert monitor.totals.breached == breached.count() == 2
    assert monitor.totals.at_risk == at_risk.count() == 1
    assert monitor.totals.unassigned == mine.filter(assignee__isnull=True).count() == 2

    assert [(t.label, t.open, t.breached, t.at_risk) for t in monitor.by_team] == [
        ("Billing", 6, 2, 1)
    ]
    bea = floor["at_risk"].assignee
    by_agent = {t.key: (t.label, t.open, t.breached, t.at_risk) for t in monitor.by_agent}
    assert by_agent == {
        agent.pk: (agent.get_full_name(), 2, 1, 0),
        bea.pk: (bea.get_full_name(), 2, 0, 1),
    }
    by_channel = {t.key: (t.open, t.breached) for t in monitor.by_channel}
    assert by_channel == {"chat": (1, 1), "email": (5, 1)}
    # Priorities in their own order, most urgent first.
    assert [(t.key, t.breached) for t in monitor.by_priority] == [
        ("urgent", 1),
        ("high", 0),
        ("normal", 1),
    ]


def test_lists_are_in_their_order_and_hold_only_open_cases_of_the_scope(floor, supervisor):
    monitor = selectors.monitor(selectors.ConsoleScope.of(supervisor))

    assert [c.pk for c in monitor.soonest] == [
        floor[k].pk for k in ("breached2", "breached", "at_risk", "edge", "calm")
    ]
    assert [c.pk for c in monitor.unassigned] == [floor[k].pk for k in ("breached2", "edge")]
    # Pending waits on the customer: not "waiting on us".
    assert floor["pending"].pk not in {c.pk for c in monitor.waiting}
    assert floor["other"].pk not in {c.pk for c in monitor.soonest}
    assert floor["solved"].pk not in {c.pk for c in monitor.soonest}


def test_reassign_offers_the_active_members_of_the_cases_team(floor, agent, team):
    AgentFactory(username="gone", teams=[team], is_active=False)
    choices = selectors.reassign_choices(floor["breached"])
    names = [name for _, name in choices]
    assert names == sorted(names, key=str.lower)
    assert agent.pk in {pk for pk, _ in choices}
    assert "gone" not in " ".join(names)
    assert selectors.reassign_choices(CaseFactory(team=None)) == []


def test_an_admin_sees_every_team_and_can_narrow_to_one(floor, admin_user, other_team):
    everything = selectors.monitor(selectors.ConsoleScope.of(admin_user))
    assert everything.totals.open == 7
    assert {t.label for t in everything.by_team} == {"Billing", "Logistics"}

    one = selectors.monitor(selectors.ConsoleScope.of(admin_user, team_id=other_team.pk))
    assert one.totals.open == one.totals.breached == 1


def test_a_supervisor_cannot_choose_another_team(supervisor, other_team):
    with pytest.raises(selectors.NotAllowed):
        selectors.ConsoleScope.of(supervisor, team_id=other_team.pk)


def test_agents_are_not_allowed(agent):
    with pytest.raises(selectors.NotAllowed):
        selectors.ConsoleScope.of(agent)


def test_query_count_does_not_grow_with_the_backlog(
    clock, supervisor, team, django_assert_max_num_queries
):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            selectors.monitor(selectors.ConsoleScope.of(supervisor))
        return len(ctx.captured_queries)

    _case(team, due=timedelta(minutes=10), assignee=AgentFactory(teams=[team]))
    few = count()
    more_team = TeamFactory()
    supervisor.teams.add(more_team)
    for n in range(30):
        _case(
            team if n % 2 else more_team,
            due=timedelta(minutes=n - 10),
            assignee=AgentFactory(teams=[team if n % 2 else more_team]),
            channel=["email", "chat", "phone"][n % 3],
        )
    assert count() == few
    with django_assert_max_num_queries(10):
        selectors.monitor(selectors.ConsoleScope.of(supervisor))
