"""POST /api/v1/calls/ records a call (201) or updates the call with that sid (200)."""

import pytest

from apps.cases.models import Case, CaseEvent, Interaction
from apps.phone.models import Call
from tests.factories import CaseFactory
from tests.phone.conftest import CUSTOMER, OUR_LINE

pytestmark = pytest.mark.django_db
URL = "/api/v1/calls/"


@pytest.fixture
def inbound(team):
    return {
        "sid": "CA" + "5" * 32,
        "provider": "twilio",
        "direction": "inbound",
        "from_number": "(202) 555-0143",
        "to_number": OUR_LINE,
        "status": "ringing",
        "started_at": "2025-03-03T09:00:00Z",
        "team": team.pk,
    }


def test_recording_a_new_call_is_201_with_the_call(agent_api, inbound, team):
    response = agent_api.post(URL, inbound, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    call = Call.objects.get()
    assert body["id"] == call.pk
    assert body["from_number"] == CUSTOMER
    assert body["direction"] == "inbound"
    assert body["status"] == "ringing"
    assert body["case"] == {"id": call.case_id, "reference": call.case.reference}
    assert body["contact"]["id"] == call.contact_id
    assert body["interaction"] == call.interaction_id
    assert call.case.team == team


def test_the_same_sid_updates_the_call_with_200(agent_api, inbound, agent):
    agent_api.post(URL, inbound, format="json")
    update = {
        "sid": inbound["sid"],
        "status": "completed",
        "answered_at": "2025-03-03T09:00:05Z",
        "ended_at": "2025-03-03T09:04:05Z",
        "agent": agent.pk,
        "disposition": "resolved",
        "notes": "Refund explained.",
        "recording_url": "https://rec.example/1.mp3",
    }

    response = agent_api.post(URL, update, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "completed"
    assert body["duration_seconds"] == 240
    assert body["agent"]["id"] == agent.pk
    assert body["disposition"] == "resolved"
    call = Call.objects.get()
    assert "Refund explained." in call.interaction.body_text
    assert call.interaction.metadata["disposition"] == "resolved"
    # one call interaction, plus the agent's answer
    assert list(Interaction.objects.values_list("direction", flat=True).order_by("pk")) == [
        "in",
        "out",
    ]


def test_the_same_report_twice_creates_nothing_new(agent_api, inbound):
    first = agent_api.post(URL, inbound, format="json")
    counts = (
        Call.objects.count(),
        Case.objects.count(),
        Interaction.objects.count(),
        CaseEvent.objects.count(),
    )

    again = agent_api.post(URL, inbound, format="json")

    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert (
        Call.objects.count(),
        Case.objects.count(),
        Interaction.objects.count(),
        CaseEvent.objects.count(),
    ) == counts


def test_a_call_without_a_sid_gets_one(agent_api, team):
    response = agent_api.post(
        URL, {"direction": "outbound", "to_number": CUSTOMER, "team": team.pk}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["sid"].startswith("manual-")
    assert response.json()["status"] == "completed"


def test_a_call_can_be_put_on_a_given_case(agent_api, team, agent):
    case = CaseFactory(team=team, status="open")
    response = agent_api.post(
        URL,
        {"direction": "outbound", "to_number": CUSTOMER, "case": case.pk, "agent": agent.pk},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["case"]["id"] == case.pk
    case.refresh_from_db()
    assert case.first_response_at is not None


def test_an_idempotency_key_replays_the_first_answer(agent_api, inbound):
    first = agent_api.post(URL, inbound, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = agent_api.post(URL, inbound, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201
    assert again.json() == first.json()
    assert Call.objects.count() == 1


def test_get_one_call(agent_api, inbound):
    call_id = agent_api.post(URL, inbound, format="json").json()["id"]
    response = agent_api.get(f"{URL}{call_id}/")
    assert response.status_code == 200
    assert response.json()["sid"] == inbound["sid"]
