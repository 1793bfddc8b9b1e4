import pytest

from apps.cases.models import Case, CaseEvent
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db


def test_patching_several_fields_records_each_change(agent_api, agent, team):
    case = CaseFactory(team=team, status="new", custom_fields={"order": "A-1", "old": 1})
    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}/",
        {
            "status": "pending",
            "priority": "high",
            "assignee": agent.pk,
            "tags": ["vip"],
            "custom_fields": {"order": "A-2", "old": None},
            "subject": "Renamed",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["priority"], body["subject"]) == ("pending", "high", "Renamed")
    assert body["assignee"]["id"] == agent.pk
    assert body["tags"] == ["vip"]
    assert body["custom_fields"] == {"order": "A-2"}
    kinds = set(case.events.values_list("kind", flat=True))
    assert {"status", "priority", "assignee", "tags", "custom_fields", "subject"} <= kinds
    assert all(e.actor == agent for e in case.events.all())


def test_an_illegal_transition_is_409_and_changes_nothing(agent_api, team):
    case = CaseFactory(team=team, status="closed")
    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}/", {"status": "open", "priority": "urgent"}, format="json"
    )
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert "closed" in error["message"]
    case.refresh_from_db()
    assert case.priority == "normal"
    assert not case.events.exists()


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"status": "lost"},
        {"id": 5},
        {"team": "billing"},
        {"custom_fields": "x"},
        {"reference": "CX-1"},
    ],
)
def test_bad_patches_are_400(agent_api, team, payload):
    case = CaseFactory(team=team)
    response = agent_api.patch(f"/api/v1/cases/{case.pk}/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]


def test_put_and_delete_are_not_allowed(agent_api, team):
    case = CaseFactory(team=team)
    assert agent_api.put(f"/api/v1/cases/{case.pk}/", {}, format="json").status_code == 405
    response = agent_api.delete(f"/api/v1/cases/{case.pk}/")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
    assert Case.objects.filter(pk=case.pk).exists()


def test_a_supervisor_moves_a_case_to_another_team_and_assigns_a_member_there(
    supervisor, token_client, team, other_team
):
    # Agents route only within their own teams: tests/api/test_case_routing_rule.py.
    there = AgentFactory(teams=[other_team])
    case = CaseFactory(team=team)
    response = token_client(supervisor).patch(
        f"/api/v1/cases/{case.pk}/", {"team": other_team.pk, "assignee": there.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["team"]["id"] == other_team.pk
    assert case.events.filter(kind=CaseEvent.Kind.TEAM).exists()


def test_the_sla_state_is_read_only_and_empty_until_a_policy_applies(agent_api, team):
    case = CaseFactory(team=team)
    response = agent_api.get(f"/api/v1/cases/{case.pk}/sla/")
    assert response.json() == {
        "case": case.pk,
        "policy": None,
        "next_breach_at": None,
        "clocks": [],
    }
    assert agent_api.post(f"/api/v1/cases/{case.pk}/sla/", {}, format="json").status_code == 405
