"""Keyset pages: next/previous links carry the sort key and id; no OFFSET, no COUNT; every case
once, in order, whatever is inserted meanwhile."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.cases import queues
from apps.cases.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Priority = Case.Priority


@pytest.fixture(autouse=True)
def _pages_of_three(monkeypatch):
    monkeypatch.setattr(queues, "PAGE_SIZE", 3)


@pytest.fixture
def cases(team):
    """Eleven cases with ties on every sort key and cases without a clock."""
    breach = [1, 1, None, 2, None, 1, 3, None, 2, -1, 1]
    priorities = [Priority.LOW, Priority.HIGH, Priority.HIGH, Priority.URGENT, Priority.NORMAL] * 3
    made = []
    for i, hours in enumerate(breach):
        case = CaseFactory(
            team=team,
            subject=f"case {i}",
            priority=priorities[i],
            next_breach_at=None if hours is None else NOW + timedelta(hours=hours),
            created_at=NOW - timedelta(days=i % 4),
        )
        Case.objects.filter(pk=case.pk).update(updated_at=NOW - timedelta(hours=i % 3))
        made.append(case)
    return made


def _get(client, url):
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200
    return response


def _walk(client, start, link):
    """Follow `link` ("next_url" or "previous_url") from `start`; the pages' ids in order."""
    pages, url = [], start
    while url:
        response = _get(client, url)
        pages.append([c.pk for c in response.context["page"].rows])
        url = response.context[link] and reverse("home") + response.context[link]
        assert len(pages) < 20
    return pages


@pytest.mark.parametrize("sort", sorted(queues.SORTS))
def test_next_then_previous_pages_cover_every_case_once_in_order(client, agent, cases, sort):
    client.force_login(agent)
    expected = [
        c.pk for c in _get(client, reverse("home") + f"?view=all&sort={sort}").context["page"].rows
    ]
    assert len(expected) == 3
    forward = _walk(client, reverse("home") + f"?view=all&sort={sort}", "next_url")
    ids = [pk for page in forward for pk in page]
    assert [len(p) for p in forward] == [3, 3, 3, 2]
    assert sorted(ids) == sorted(c.pk for c in cases)  # no duplicate, no gap
    assert ids[:3] == expected

    # The order is the sort's own: compare with the database ordering all at once.
    sorted_all = queues.page_of(
        queues.view_cases(queues.Scope.of(agent), "all"), queues.SORTS[sort], size=100
    ).rows
    assert ids == [c.pk for c in sorted_all]

    last = _get(client, reverse("home") + f"?view=all&sort={sort}")
    url = reverse("home") + last.context["next_url"]
    for _ in range(2):
        url = reverse("home") + _get(client, url).context["next_url"]
    backward = _walk(client, url, "previous_url")
    assert [pk for page in reversed(backward) for pk in page] == ids


def test_a_case_inserted_meanwhile_neither_repeats_nor_hides_a_row(client, agent, team, cases):
    client.force_login(agent)
    first = _get(client, reverse("home") + "?view=all")
    seen = [c.pk for c in first.context["page"].rows]
    # Sorts before the cursor: it would push a row onto the next page under OFFSET.
    CaseFactory(team=team, next_breach_at=NOW - timedelta(hours=5))
    rest = _walk(client, reverse("home") + first.context["next_url"], "next_url")
    ids = seen + [pk for page in rest for pk in page]
    assert sorted(ids) == sorted(c.pk for c in cases)


def test_the_links_keep_the_filters_and_the_page_runs_no_count_and_no_offset(client, agent, cases):
    client.force_login(agent)
    with CaptureQueriesContext(connection) as queries:
        response = _get(
            client, reverse("home") + "?view=all&priority=high&priority=urgent&sort=age"
        )
    assert "priority=high&priority=urgent" in response.context["next_url"]
    assert "sort=age" in response.context["next_url"]
    case_queries = [q["sql"] for q in queries if '"cases_case"."subject"' in q["sql"]]
    assert len(case_queries) == 1
    assert "OFFSET" not in case_queries[0].upper()
    assert "COUNT(" not in case_queries[0].upper()
    body = response.content.decode()
    assert 'rel="next"' in body
    assert 'rel="prev"' not in body


@pytest.mark.parametrize(
    "cursor", ["nonsense", "~", "2026-01-01T00:00:00~0", "2026-01-01T00:00~x", "9~9"]
)
def test_a_broken_cursor_shows_the_first_page_saying_so(client, agent, cases, cursor):
    client.force_login(agent)
    response = _get(client, reverse("home") + f"?view=all&after={cursor}")
    assert "That page link is broken" in response.content.decode()
    assert len(response.context["page"].rows) == 3
