"""An open view that is an OR ("my queue": mine or my teams' unassigned; "pending": my teams'
or mine) is paged through its parts (queues.view_parts): the same rows, in the same order,
page after page both ways, as the one query with the OR — with any filter. On PostgreSQL
the page's query reads each part's first rows (a UNION), on SQLite the one query."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.cases import queues
from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory, TeamFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Status, Priority = Case.Status, Case.Priority
OR_VIEWS = ["queue", "unassigned", "breaching", "pending"]


@pytest.fixture
def agent_of_two(team, other_team):
    return AgentFactory(username="two-teams", teams=[team, other_team])


@pytest.fixture
def cases(agent_of_two, team, other_team):
    """Open and done cases of both teams and of a third, mine and others', with ties."""
    third, colleague = TeamFactory(name="Sales", slug="sales"), AgentFactory(teams=[team])
    hours = [1, None, -2, 1, 0.5, None, 3, 1, -1, 2, None, 0.5]
    statuses = [Status.OPEN, Status.NEW, Status.PENDING, Status.ON_HOLD, Status.SOLVED]
    priorities = [Priority.LOW, Priority.URGENT, Priority.HIGH, Priority.NORMAL]
    made = []
    for i in range(36):
        owner = (team, other_team, third)[i % 3]
        assignee = (agent_of_two, None, colleague, None)[i % 4]
        if owner == third and assignee == colleague:
            assignee = None
        breach = hours[i % len(hours)]
        case = CaseFactory(
            team=owner,
            assignee=assignee,
            status=statuses[i % len(statuses)],
            priority=priorities[i % len(priorities)],
            next_breach_at=None if breach is None else NOW + timedelta(hours=breach),
            created_at=NOW - timedelta(days=i % 5),
        )
        Case.objects.filter(pk=case.pk).update(updated_at=NOW - timedelta(hours=i % 4))
        made.append(case)
    return made


def _pages(scope, view, sort, *, parts, filters=None):
    """Every page of `view` forward, then backward from the last, as id lists."""
    with time_machine.travel(NOW, tick=False):
        cases = queues.view_cases(scope, view, now=NOW).filter(**(filters or {}))
        conditions = queues.view_parts(scope, view, now=NOW) if parts else None
        part_sets = (
            [queues.open_cases(c).filter(**(filters or {})) for c in conditions]
            if conditions
            else None
        )
        forward, after = [], None
        while True:
            page = queues.page_of(cases, sort, after=after, size=4, parts=part_sets)
            forward.append([c.pk for c in page.rows])
            if not page.next_cursor:
                break
            after = queues.Cursor.decode(page.next_cursor, sort)
        backward, before = [], after
        while before is not None:
            page = queues.page_of(cases, sort, before=before, size=4, parts=part_sets)
            backward.insert(0, [c.pk for c in page.rows])
            before = page.previous_cursor and queues.Cursor.decode(page.previous_cursor, sort)
    return forward, backward


@pytest.mark.parametrize("sort", list(queues.SORTS.values()), ids=list(queues.SORTS))
@pytest.mark.parametrize("view", OR_VIEWS)
def test_the_parts_page_the_view_as_the_one_query_does(agent_of_two, cases, view, sort):
    scope = queues.Scope.of(agent_of_two)
    assert queues.view_parts(scope, view, now=NOW)
    whole_forward, whole_backward = _pages(scope, view, sort, parts=False)
    forward, backward = _pages(scope, view, sort, parts=True)
    assert forward == whole_forward
    assert backward == whole_backward
    assert sum(len(p) for p in forward) > 4  # several pages


@pytest.mark.parametrize("view", OR_VIEWS)
def test_a_filter_applies_to_every_part(agent_of_two, cases, view):
    scope = queues.Scope.of(agent_of_two)
    sort = queues.SORTS["breach"]
    filters = {"priority__in": [Priority.URGENT, Priority.HIGH]}
    expected = _pages(scope, view, sort, parts=False, filters=filters)
    assert _pages(scope, view, sort, parts=True, filters=filters) == expected


def test_the_all_view_and_an_admins_views_are_one_query(agent_of_two, admin_user):
    assert queues.view_parts(queues.Scope.of(agent_of_two), "all") is None
    assert queues.view_parts(queues.Scope.of(agent_of_two), "mine") is None
    assert queues.view_parts(queues.Scope.of(admin_user), "pending") is None


@pytest.mark.skipif(connection.vendor != "postgresql", reason="UNION of LIMITs: PostgreSQL")
def test_on_postgresql_the_queue_page_reads_its_parts(client, agent_of_two, cases):
    client.force_login(agent_of_two)
    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("home"), {"view": "queue", "tag": "", "sort": "breach"})
    assert response.status_code == 200
    [page] = [
        q["sql"]
        for q in queries.captured_queries
        if "ORDER BY" in q["sql"]
        and "LIMIT 51" in q["sql"]
        and "cases_case" in q["sql"]
        and "UNION" in q["sql"]
    ]
    assert page.count("UNION ALL") == 2  # mine, and each of the two teams' unassigned
