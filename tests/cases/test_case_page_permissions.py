"""Who may use the case page: another team's agent gets 404 on every page and action (GET
and POST), a signed-out visitor is sent to the login page; nothing changes either way."""

import pytest
from django.urls import reverse

from apps.cases.models import Case
from tests.factories import AgentFactory, CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db

ACTIONS = [
    ("case-detail", {}),
    ("case-history", {}),
    ("case-compose", {"kind": "reply", "body": "hi", "last_seen": 0}),
    ("case-field", {"field": "status", "status": "solved"}),
    ("case-field", {"field": "priority", "priority": "urgent"}),
    ("case-field", {"field": "assignee", "assignee": ""}),
    ("case-field", {"field": "team", "team": ""}),
    ("case-field", {"field": "tags", "tags": "hacked"}),
    ("case-field", {"field": "subject", "subject": "hacked"}),
]


def url(name, case, data):
    data = dict(data)
    args = [case.pk] + ([data.pop("field")] if name == "case-field" else [])
    return reverse(name, args=args), data


@pytest.fixture
def case(team):
    case = CaseFactory(team=team, status=Case.Status.OPEN, subject="Ours")
    InteractionFactory(case=case)
    return case


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "data"), ACTIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_another_teams_agent_gets_404_and_changes_nothing(
    client, case, other_team, name, data, method
):
    client.force_login(AgentFactory(teams=[other_team]))
    path, payload = url(name, case, data)
    response = getattr(client, method)(path, payload)
    assert response.status_code == 404
    case.refresh_from_db()
    assert (case.status, case.priority, case.subject) == ("open", "normal", "Ours")
    assert not case.tags.exists()
    assert case.interactions.count() == 1


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(("name", "data"), ACTIONS, ids=lambda v: v if isinstance(v, str) else "")
def test_a_signed_out_visitor_is_sent_to_login(client, case, name, data, method):
    path, payload = url(name, case, data)
    response = getattr(client, method)(path, payload)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    case.refresh_from_db()
    assert case.status == "open"


def test_a_case_id_beyond_a_bigint_is_not_found(client, agent):
    client.force_login(agent)
    assert client.get(f"/cases/{2**64}/").status_code == 404
    assert client.post(f"/cases/{2**64}/fields/status/", {"status": "open"}).status_code == 404
    assert client.get(f"/contacts/{2**64}/").status_code == 404


def test_the_contact_page_shows_only_cases_i_may_see(client, agent, team, other_team):
    mine = CaseFactory(team=team, subject="Visible one")
    CaseFactory(team=other_team, requester=mine.requester, subject="Hidden one")
    client.force_login(agent)
    body = client.get(reverse("contact-detail", args=[mine.requester.pk])).content.decode()
    assert "Visible one" in body
    assert "Hidden one" not in body
    client.force_login(AgentFactory(teams=[TeamFactory_other()]))
    assert client.get(reverse("contact-detail", args=[mine.requester.pk])).status_code == 404


def TeamFactory_other():
    from tests.factories import TeamFactory

    return TeamFactory(name="Nobody's", slug="nobodys")
