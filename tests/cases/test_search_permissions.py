"""Search shows only what the user may see (selectors.case_list_for), and needs a sign-in."""

import pytest
from django.urls import reverse

from apps.contacts.services import contact_find_or_create
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_search_needs_a_login(client):
    response = client.get(reverse("case-search"), {"q": "refund"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_another_teams_case_never_appears(client, agent, team, other_team):
    contact, _ = contact_find_or_create(kind="email", value="both@example.com")
    mine = CaseFactory(team=team, subject="Refund for order 77", requester=contact)
    theirs = CaseFactory(team=other_team, subject="Refund for order 78", requester=contact)
    InteractionFactory(case=theirs, body_text="refund refund both@example.com")
    client.force_login(agent)
    seen = set()
    for query in ["refund", "order", "both@example.com", theirs.reference, f"{theirs.pk:06d}"]:
        response = client.get(reverse("case-search"), {"q": query})
        results = response.context["results"]
        shown = {hit.case for hit in results.cases}
        shown |= {case for hit in results.contacts for case in hit.cases}
        shown |= {results.reference_hit} - {None}
        assert theirs not in shown, query
        seen |= shown
        body = response.content.decode()
        assert reverse("case-detail", args=[theirs.pk]) not in body, query
        assert "order 78" not in body, query
    assert mine in seen


def test_an_inactive_user_finds_nothing(agent, team):
    from apps.cases.search import case_search

    CaseFactory(team=team, subject="Refund")
    agent.is_active = False
    assert case_search(user=agent, query="refund").empty


def test_the_search_page_answers_get_only(client, agent):
    client.force_login(agent)
    assert client.post(reverse("case-search"), {"q": "refund"}).status_code == 405
