"""Calls follow their cases: other teams' calls are 404, a token needs the cases scopes."""

import pytest
from rest_framework.test import APIClient

from apps.phone import services
from apps.phone.models import Call
from tests.factories import AgentFactory, CaseFactory
from tests.phone.conftest import CUSTOMER

pytestmark = pytest.mark.django_db
URL = "/api/v1/calls/"


@pytest.fixture
def calls(team, other_team):
    ours = CaseFactory(team=team, status="open")
    theirs = CaseFactory(team=other_team, status="open")
    return {
        "ours": services.call_record(
            sid="CA-ours", direction="inbound", from_number=CUSTOMER, case=ours
        )[0],
        "theirs": services.call_record(
            sid="CA-theirs", direction="inbound", from_number="+12025550199", case=theirs
        )[0],
    }


def test_an_agent_lists_only_their_teams_calls(agent_api, calls):
    response = agent_api.get(URL)
    assert [c["sid"] for c in response.json()["results"]] == ["CA-ours"]


def test_another_teams_call_is_404_without_a_leak(agent_api, calls):
    response = agent_api.get(f"{URL}{calls['theirs'].pk}/")
    assert response.status_code == 404
    assert response.json() == agent_api.get(f"{URL}99999999/").json()


def test_updating_another_teams_call_is_404_and_changes_nothing(agent_api, calls):
    response = agent_api.post(URL, {"sid": "CA-theirs", "notes": "mine now"}, format="json")
    assert response.status_code == 404
    assert Call.objects.get(sid="CA-theirs").notes == ""


def test_another_teams_case_cannot_be_named(agent_api, calls, other_team):
    response = agent_api.post(
        URL,
        {"direction": "inbound", "from_number": CUSTOMER, "case": calls["theirs"].case_id},
        format="json",
    )
    assert response.status_code == 400
    assert "case" in response.json()["error"]["fields"]


def test_an_admin_sees_every_call(admin_api, calls):
    assert len(admin_api.get(URL).json()["results"]) == 2


def test_an_agent_assigned_a_case_of_another_team_sees_its_calls(other_team, token_client):
    agent = AgentFactory(teams=[])
    case = CaseFactory(team=other_team, assignee=agent, status="open")
    services.call_record(sid="CA-assigned", direction="inbound", from_number=CUSTOMER, case=case)
    response = token_client(agent).get(URL)
    assert [c["sid"] for c in response.json()["results"]] == ["CA-assigned"]


def test_a_read_only_token_cannot_record_a_call(agent, token_client, calls):
    api = token_client(agent, scopes=["cases:read"])
    assert api.get(URL).status_code == 200
    response = api.post(URL, {"direction": "inbound", "from_number": CUSTOMER}, format="json")
    assert response.status_code == 403
    assert "cases:write" in response.json()["error"]["message"]
    assert Call.objects.count() == 2


def test_a_token_without_cases_scopes_cannot_read_calls(agent, token_client, calls):
    api = token_client(agent, scopes=["contacts:read", "contacts:write"])
    assert api.get(URL).status_code == 403
    assert api.get(f"{URL}{calls['ours'].pk}/").status_code == 403


def test_no_credentials_is_401(calls):
    assert APIClient().get(URL).status_code == 401
    assert APIClient().post(URL, {}, format="json").status_code == 401


def test_the_browser_session_works_too(client, agent, calls):
    client.force_login(agent)
    response = client.get(URL)
    assert [c["sid"] for c in response.json()["results"]] == ["CA-ours"]
