"""The server side of the keyboard shortcuts: the queue page remembers its cases in order,
the case page links the next and previous of them (rel=next / rel=prev, so `]` / `[` and a
browser without JavaScript follow the same links), and every agent page carries the "?"
help and keys.js (apps/cases/queue_nav.py, templates/cases/_shortcuts.html)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from apps.cases import queue_nav
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def three(team, agent):
    """Three cases of the queue, in the order it sorts them (next breach first)."""
    made = [  # made in the other order, so "oldest first" is a different order
        CaseFactory(team=team, assignee=agent, next_breach_at=NOW + timedelta(hours=i))
        for i in (3, 2, 1)
    ]
    return made[::-1]


def case_page(client, case) -> str:
    response = client.get(reverse("case-detail", args=[case.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_case_page_links_its_neighbours_in_the_queue(client, agent, three):
    first, second, third = three
    client.force_login(agent)
    client.get(reverse("home"), {"view": "mine"})

    body = case_page(client, second)
    assert f'<a href="/cases/{first.pk}/" rel="prev" id="case-prev"' in body
    assert f'<a href="/cases/{third.pk}/" rel="next" id="case-next"' in body
    assert '<a href="/?view=mine" id="case-queue">Back to the queue</a>' in body
    assert "(2 of 3)" in body

    body = case_page(client, first)
    assert 'rel="prev"' not in body
    assert f'<a href="/cases/{second.pk}/" rel="next"' in body
    assert 'rel="next"' not in case_page(client, third).split("case-layout")[0]


def test_the_order_is_the_queues_own(client, agent, three):
    client.force_login(agent)
    response = client.get(reverse("home"), {"view": "mine", "sort": "age"})
    ids = [case.pk for case in response.context["page"].rows]
    assert ids != [c.pk for c in three]  # oldest first: not the breach order
    body = case_page(client, next(c for c in three if c.pk == ids[1]))
    assert f'href="/cases/{ids[0]}/" rel="prev"' in body
    assert f'href="/cases/{ids[2]}/" rel="next"' in body


def test_without_a_queue_visit_there_is_no_queue_nav(client, agent, three):
    client.force_login(agent)
    body = case_page(client, three[1])
    assert 'class="case-nav"' not in body


def test_a_case_not_on_the_remembered_page_gets_no_nav(client, agent, team, three):
    client.force_login(agent)
    client.get(reverse("home"), {"view": "mine"})
    elsewhere = CaseFactory(team=team, assignee=agent)  # after the queue was shown
    assert 'class="case-nav"' not in case_page(client, elsewhere)


def test_a_forged_list_is_ignored(client, agent, three):
    client.force_login(agent)
    client.cookies[queue_nav.COOKIE] = f'{{"u":"/","ids":[{three[0].pk},{three[1].pk}]}}'
    assert 'class="case-nav"' not in case_page(client, three[1])


def test_the_cookie_holds_ids_only_signed_and_http_only(client, agent, three):
    client.force_login(agent)
    response = client.get(reverse("home"), {"view": "mine"})
    cookie = response.cookies[queue_nav.COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    assert str(three[0].pk) in cookie.value
    assert three[0].subject not in cookie.value


def test_a_refused_filter_remembers_nothing(client, agent, three):
    client.force_login(agent)
    response = client.get(reverse("home"), {"priority": "nonsense"})
    assert response.status_code == 400
    assert queue_nav.COOKIE not in response.cookies


def test_every_agent_page_has_the_shortcut_help_and_script(client, agent, three):
    client.force_login(agent)
    for url in (reverse("home"), reverse("case-detail", args=[three[0].pk])):
        body = client.get(url).content.decode()
        assert '<dialog id="cx-shortcuts"' in body
        for key in ("j", "k", "]", "[", "r", "n", "s", "a", "/", "?"):
            assert f"<kbd>{key}</kbd>" in body, key
        assert '<script src="/static/cxdesk/keys.js" defer></script>' in body


def test_signed_out_pages_have_no_shortcuts(client):
    body = client.get(reverse("login")).content.decode()
    assert "cx-shortcuts" not in body
    assert "keys.js" not in body


def test_the_shortcuts_script_has_no_inline_handler_anywhere(client, agent, three):
    """CSP: the shortcuts come from a static file; the pages carry no on* attributes."""
    client.force_login(agent)
    body = case_page(client, three[0])
    assert " onclick=" not in body
    assert " onkeydown=" not in body
    assert "hx-on" not in body
