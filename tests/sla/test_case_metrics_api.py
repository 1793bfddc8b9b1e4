"""GET /api/v1/cases/{id}/metrics/: the case's visibility and scope, its shape, its cost."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.sla import services
from tests.factories import CaseFactory, InteractionFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def policy():
    return SlaPolicyFactory(name="Standard", targets={("normal", "first_response"): 60})


def answered_case(team, agent, *, replies=1):
    with time_machine.travel(MONDAY_9AM, tick=False):
        case = CaseFactory(team=team, created_at=MONDAY_9AM)
        InteractionFactory(case=case, occurred_at=MONDAY_9AM)
    for i in range(replies):
        at = MONDAY_9AM + timedelta(minutes=10 * (i + 1))
        with time_machine.travel(at, tick=False):
            case_services.case_reply(case_id=case.pk, agent=agent, body_text="On it.")
            InteractionFactory(case=case, occurred_at=at + timedelta(minutes=1))
    with time_machine.travel(MONDAY_9AM + timedelta(hours=2), tick=False):
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
        services.case_sla_recompute(case_id=case.pk)
    return case


def test_the_metrics_of_a_case(agent_api, team, agent, policy):
    case = answered_case(team, agent)

    body = agent_api.get(f"/api/v1/cases/{case.pk}/metrics/").json()

    assert body["case"] == case.pk
    assert body["policy"] == {"id": policy.pk, "name": "Standard"}
    assert body["first_response_at"] == "2026-11-30T09:10:00Z"
    assert body["first_response"] == {"seconds": 600, "business_seconds": 600}
    assert body["next_responses"] == []  # the customer's message came after the only reply
    assert body["resolution"] == {"seconds": 7200, "business_seconds": 7200}
    assert body["solved_at"] == "2026-11-30T11:00:00Z"
    assert body["handle_time"] == {"seconds": 0, "call_seconds": 0, "chat_seconds": 0}
    assert (body["agent_replies"], body["agent_responses"], body["reopen_count"]) == (1, 1, 0)
    assert body["fcr"]["value"] is True
    assert (body["one_touch"], body["no_customer_follow_up"]) == (True, False)
    assert body["computed_at"] == "2026-11-30T11:00:00Z"


def test_a_case_not_computed_yet_answers_with_empty_figures(agent_api, team):
    case = CaseFactory(team=team)

    body = agent_api.get(f"/api/v1/cases/{case.pk}/metrics/").json()

    assert body["computed_at"] is None
    assert body["first_response"] is None
    assert body["fcr"] == {
        "value": None,
        "state": "unknown",
        "reason": None,
        "repeat_case": None,
        "final_at": None,
        "window_days": 7,
    }


def test_another_teams_case_is_not_found(agent_api, other_team, agent, policy):
    case = CaseFactory(team=other_team)
    services.case_sla_recompute(case_id=case.pk)
    assert agent_api.get(f"/api/v1/cases/{case.pk}/metrics/").status_code == 404


def test_a_token_needs_the_cases_scope(token_client, admin_user, team):
    case = CaseFactory(team=team)
    assert (
        token_client(admin_user, scopes=["sla:read"])
        .get(f"/api/v1/cases/{case.pk}/metrics/")
        .status_code
        == 403
    )
    assert (
        token_client(admin_user, scopes=["cases:read"])
        .get(f"/api/v1/cases/{case.pk}/metrics/")
        .status_code
        == 200
    )


def test_without_credentials_it_is_refused(client, team):
    case = CaseFactory(team=team)
    assert client.get(f"/api/v1/cases/{case.pk}/metrics/").status_code in (401, 403)


@pytest.mark.parametrize("replies", [1, 12])
def test_the_same_queries_whatever_the_history(
    agent_api, team, agent, policy, replies, django_assert_num_queries
):
    case = answered_case(team, agent, replies=replies)
    agent_api.get(f"/api/v1/cases/{case.pk}/metrics/")  # the token's first use writes

    # token, the case (visibility), its tags (the case list's prefetch), the metrics with
    # their policy
    with django_assert_num_queries(4):
        response = agent_api.get(f"/api/v1/cases/{case.pk}/metrics/")

    assert len(response.json()["next_responses"]) == replies - 1
