"""The view switcher's counts: what each view holds, "all" capped, refreshed by a partial."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.cases import queues
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def _counts(response) -> dict[str, str]:
    return {v["key"]: v["count"] for v in response.context["views"]}


def _backlog(agent, team, other_team):
    colleague = AgentFactory(teams=[team])
    now = timezone.now()
    CaseFactory.create_batch(3, team=team, assignee=agent, status=Status.OPEN)
    CaseFactory(team=team, assignee=agent, status=Status.SOLVED)
    CaseFactory.create_batch(
        2, team=team, status=Status.NEW, next_breach_at=now + timedelta(minutes=10)
    )
    CaseFactory(
        team=team,
        assignee=colleague,
        status=Status.PENDING,
        next_breach_at=now - timedelta(hours=1),
    )
    CaseFactory(team=team, status=Status.PENDING)
    CaseFactory.create_batch(4, team=other_team, status=Status.NEW)


def test_each_count_is_the_number_of_cases_its_view_lists(client, agent, team, other_team):
    _backlog(agent, team, other_team)
    client.force_login(agent)
    counts = _counts(client.get(reverse("home")))
    assert counts == {
        "queue": "6",
        "mine": "3",
        "unassigned": "3",
        "breaching": "3",
        "pending": "2",
        "all": "8",
    }
    for key, figure in counts.items():
        rows = client.get(reverse("home"), {"view": key}).context["page"].rows
        assert len(rows) == int(figure), key
    page = client.get(reverse("home")).content.decode()
    assert '<span class="view-count" data-view="breaching">3</span>' in page


def test_the_all_count_stops_at_its_cap(client, agent, team, monkeypatch):
    monkeypatch.setattr(queues, "ALL_COUNT_CAP", 4)
    CaseFactory.create_batch(4, team=team, status=Status.CLOSED)
    client.force_login(agent)
    assert _counts(client.get(reverse("queue-counts")))["all"] == "4"
    CaseFactory(team=team, status=Status.CLOSED)
    assert _counts(client.get(reverse("queue-counts")))["all"] == "4+"


def test_the_default_cap_reads_1000_plus(agent):
    assert queues.Counts(by_view={"all": 1000}, all_capped=True).label("all") == "1,000+"
    assert queues.Counts(by_view={"all": 1000}, all_capped=False).label("all") == "1,000"
    assert queues.ALL_COUNT_CAP == 1000


def test_the_counts_partial_polls_itself_and_shows_new_cases(client, agent, team):
    client.force_login(agent)
    first = client.get(
        reverse("queue-counts"), {"view": "unassigned"}, headers={"HX-Request": "true"}
    )
    body = first.content.decode()
    assert first.status_code == 200
    assert 'hx-trigger="every 30s"' in body
    assert 'hx-swap="outerHTML"' in body
    assert "<html" not in body  # a fragment, swapped in place
    assert 'href="/?view=unassigned" aria-current="page"' in body
    assert _counts(first)["unassigned"] == "0"
    CaseFactory(team=team, status=Status.NEW)
    assert _counts(client.get(reverse("queue-counts")))["unassigned"] == "1"


def test_counts_cost_one_query_however_many_cases(agent, team, django_assert_num_queries):
    scope = queues.Scope.of(agent)
    CaseFactory.create_batch(3, team=team, status=Status.OPEN)
    with django_assert_num_queries(1):
        queues.view_counts(scope)
    CaseFactory.create_batch(30, team=team, status=Status.OPEN)
    with django_assert_num_queries(1):
        counts = queues.view_counts(scope)
    assert counts.by_view["unassigned"] == 33


def test_my_case_of_another_team_counts_once_where_its_view_lists_it(
    client, agent, team, other_team
):
    """The counts add disjoint parts (my teams' cases, my own outside them): a case of mine
    in another team is counted once in breaching and pending, as the views list it."""
    now = timezone.now()
    CaseFactory(team=other_team, assignee=agent, status=Status.OPEN, next_breach_at=now)
    CaseFactory(team=other_team, assignee=agent, status=Status.PENDING)
    CaseFactory(team=team, assignee=agent, status=Status.PENDING)
    CaseFactory(team=team, status=Status.NEW, next_breach_at=now + timedelta(minutes=5))
    CaseFactory(team=other_team, status=Status.PENDING)  # another team's: not mine, not seen
    client.force_login(agent)
    counts = _counts(client.get(reverse("home")))
    assert counts == {
        "queue": "4",
        "mine": "3",
        "unassigned": "1",
        "breaching": "2",
        "pending": "2",
        "all": "4",
    }
    for key, figure in counts.items():
        rows = client.get(reverse("home"), {"view": key}).context["page"].rows
        assert len(rows) == int(figure), key


def test_an_admins_counts_cover_every_team(admin_user, team, other_team):
    now = timezone.now()
    CaseFactory(team=team, status=Status.PENDING)
    CaseFactory(team=other_team, status=Status.OPEN, next_breach_at=now)
    CaseFactory(team=other_team, status=Status.CLOSED)
    counts = queues.view_counts(queues.Scope.of(admin_user), now=now)
    assert counts.by_view == {
        "queue": 0,
        "mine": 0,
        "unassigned": 0,
        "breaching": 1,
        "pending": 1,
        "all": 3,
    }


def test_a_signed_out_visitor_counts_nothing(db):
    from django.contrib.auth.models import AnonymousUser

    counts = queues.view_counts(queues.Scope.of(AnonymousUser()))
    assert set(counts.by_view.values()) == {0}
