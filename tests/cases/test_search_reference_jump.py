"""A case reference typed in the search box opens the case — when the user may see it."""

import pytest
from django.urls import reverse

from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def search(client, q):
    return client.get(reverse("case-search"), {"q": q})


@pytest.mark.parametrize(
    "written", ["{ref}", "{ref_lower}", "cx{id}", "CX {id}", "#{id}", " {ref} "]
)
def test_a_reference_in_any_usual_form_jumps_to_the_case(client, agent, team, written):
    case = CaseFactory(team=team)
    client.force_login(agent)
    query = written.format(ref=case.reference, ref_lower=case.reference.lower(), id=case.pk)
    response = search(client, query)
    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])


def test_a_bare_number_lists_the_case_without_jumping(client, agent, team):
    case = CaseFactory(team=team, subject="Router keeps rebooting")
    client.force_login(agent)
    response = search(client, f"{case.pk:06d}")
    assert response.status_code == 200
    assert response.context["results"].reference_hit == case
    assert "Router keeps rebooting" in response.content.decode()


def test_another_teams_reference_neither_jumps_nor_names_the_case(client, agent, other_team):
    hidden = CaseFactory(team=other_team, subject="Secret merger paperwork")
    client.force_login(agent)
    response = search(client, hidden.reference)
    assert response.status_code == 200  # the same page as for a reference that does not exist
    body = response.content.decode()
    assert "Secret merger paperwork" not in body
    assert reverse("case-detail", args=[hidden.pk]) not in body
    results = response.context["results"]
    assert results.jump_to is None
    assert results.reference_hit is None
    assert not results.cases
    missing = search(client, "CX-999999")
    assert missing.status_code == 200
    assert missing.context["results"].empty
    # and opening it directly is the usual 404
    assert client.get(reverse("case-detail", args=[hidden.pk])).status_code == 404


def test_a_case_assigned_to_the_agent_in_another_team_jumps(client, agent, other_team):
    case = CaseFactory(team=other_team, assignee=agent)
    client.force_login(agent)
    assert search(client, case.reference)["Location"] == reverse("case-detail", args=[case.pk])


def test_an_admin_jumps_to_any_case(client, admin_user, other_team):
    case = CaseFactory(team=other_team)
    client.force_login(admin_user)
    assert search(client, case.reference).status_code == 302


def test_a_reference_among_other_words_is_a_text_search(client, agent, team):
    """No jump: "CX-000001 refund" finds the messages that quote the reference."""
    first = CaseFactory(team=team, subject="Refund")
    follow_up = CaseFactory(team=team, subject="Follow-up")
    InteractionFactory(case=follow_up, body_text=f"About {first.reference}: where is my refund?")
    client.force_login(agent)
    response = search(client, f"{first.reference} refund")
    assert response.status_code == 200
    assert [hit.case for hit in response.context["results"].cases] == [follow_up]
