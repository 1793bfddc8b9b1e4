"""Words find cases by subject and by message body (notes included, and labelled so), with a
highlighted excerpt of the message — on SQLite (LIKE) and PostgreSQL (full-text search)."""

import pytest
from django.urls import reverse

from apps.cases import services
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def search(client, q):
    response = client.get(reverse("case-search"), {"q": q})
    assert response.status_code == 200
    return response


def found(response):
    return [hit.case for hit in response.context["results"].cases]


def test_a_word_of_the_subject_finds_the_case(client, agent, team):
    case = CaseFactory(team=team, subject="Parcel stuck in customs")
    CaseFactory(team=team, subject="Password reset")
    client.force_login(agent)
    assert found(search(client, "CUSTOMS")) == [case]


def test_words_of_a_message_find_its_case_with_a_highlighted_excerpt(client, agent, team):
    case = CaseFactory(team=team, subject="Question")
    InteractionFactory(case=case, body_text='My <b>invoice</b> & a duplicate "charge" <3 Thanks')
    InteractionFactory(case=CaseFactory(team=team), body_text="Where is my parcel?")
    client.force_login(agent)
    response = search(client, "duplicate invoice")
    assert found(response) == [case]
    snippet = response.context["results"].cases[0].snippet
    assert ("duplicate", True) in snippet.fragments
    body = response.content.decode()
    assert '<mark class="search-hit">duplicate</mark>' in body
    # the customer's text is escaped, never markup (PostgreSQL's excerpt leaves tags out)
    assert "&amp; a " in body
    assert "&quot;charge&quot;" in body
    assert "&lt;3" in body
    assert "<b>invoice" not in body


def test_every_word_must_match(client, agent, team):
    CaseFactory(team=team, subject="Parcel damaged")
    client.force_login(agent)
    assert found(search(client, "parcel missing")) == []


def test_an_internal_note_is_found_and_says_it_is_one(client, agent, team):
    case = CaseFactory(team=team, subject="Billing question")
    services.case_note(
        case_id=case.pk, agent=agent, body_text="Customer is a known chargeback risk"
    )
    client.force_login(agent)
    response = search(client, "chargeback")
    assert found(response) == [case]
    assert response.context["results"].cases[0].snippet.is_note
    assert "Internal note:" in response.content.decode()


def test_the_newest_matching_message_gives_the_excerpt(client, agent, team):
    case = CaseFactory(team=team)
    InteractionFactory(case=case, body_text="first mention of the voucher")
    newest = InteractionFactory(case=case, body_text="second voucher message")
    client.force_login(agent)
    hit = search(client, "voucher").context["results"].cases[0]
    assert hit.snippet.interaction_id == newest.pk


def test_matches_come_newest_activity_first(client, agent, team):
    older = CaseFactory(team=team, subject="Voucher expired")
    newer = CaseFactory(team=team, subject="Voucher code")
    services.case_set_priority(case_id=newer.pk, priority="high", actor=agent)  # touches it
    client.force_login(agent)
    assert found(search(client, "voucher")) == [newer, older]


def test_no_match_says_so_with_a_hint(client, agent, team):
    CaseFactory(team=team, subject="Something else")
    client.force_login(agent)
    response = search(client, "xylophone")
    assert response.context["results"].empty
    assert "Nothing you can see matches" in response.content.decode()
