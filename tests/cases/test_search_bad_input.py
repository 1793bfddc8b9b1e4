"""Whatever is typed, the search page answers: a hint for an empty or short query, a cut for
a long one, and no character that breaks a query parser (PostgreSQL's or ours)."""

import pytest
from django.urls import reverse

from apps.cases.search import MAX_QUERY_CHARS
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def search(client, params):
    return client.get(reverse("case-search"), params)


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}, {"q": "a"}, {"q": "\x00"}])
def test_an_empty_or_too_short_query_gets_the_page_with_a_hint(client, agent, params):
    client.force_login(agent)
    response = search(client, params)
    assert response.status_code == 200
    assert response.context["results"].query.too_short
    assert "a case reference" in response.content.decode()


def test_a_very_long_query_is_cut_not_refused(client, agent, team):
    case = CaseFactory(team=team, subject="Refund please")
    client.force_login(agent)
    response = search(client, {"q": "refund " + "x" * 20_000})
    assert response.status_code == 200
    query = response.context["results"].query
    assert query.truncated
    assert len(query.text) <= MAX_QUERY_CHARS
    assert f"cut to its first {MAX_QUERY_CHARS} characters" in response.content.decode()
    # the cut query still runs (no match: the long word is not in the subject)
    assert case not in [hit.case for hit in response.context["results"].cases]


NASTY = [
    '"',
    '"unbalanced quote',
    "it's",
    "a & b",
    "a | b",
    "refund:*",
    "!refund",
    "(refund",
    "refund)",
    "<->",
    "-",
    "--",
    "or or",
    "\\",
    "back\\slash\\",
    "nul\x00byte",
    "%_%",
    "' OR 1=1 --",
    "\u202etxt.exe",
    "🙂🙂",
    "@",
    "@@",
    "+",
    "++44",
    "#",
    "#0",
    "cx-0",
    "CX-99999999999999999999",
    "9" * 40,
    "a@b",
    "ann@",
]


@pytest.mark.parametrize("query", NASTY)
def test_special_characters_never_break_the_search(client, agent, team, query):
    InteractionFactory(case=CaseFactory(team=team, subject="refund"), body_text="refund it's")
    client.force_login(agent)
    response = search(client, {"q": query})
    assert response.status_code == 200


def test_a_nul_byte_is_dropped_from_the_query(client, agent, team):
    case = CaseFactory(team=team, subject="refund request")
    client.force_login(agent)
    response = search(client, {"q": "ref\x00und request"})  # two words once the NUL is a space
    assert response.status_code == 200
    assert "\x00" not in response.context["results"].query.text
    response = search(client, {"q": "refund\x00"})
    assert [hit.case for hit in response.context["results"].cases] == [case]


@pytest.mark.parametrize("after", ["x", "1-", "-1", "12-0", "1" * 30 + "-1", "99999999999999-1"])
def test_a_broken_more_results_link_is_a_400_that_says_so(client, agent, after):
    client.force_login(agent)
    response = search(client, {"q": "refund", "after": after})
    if after == "99999999999999-1":  # a valid, if far-future, cursor: just no rows
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "is not valid" in response.content.decode()
