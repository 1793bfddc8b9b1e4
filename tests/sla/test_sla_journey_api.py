"""End to end through the public API with a frozen clock: a case's SLA from creation to
breach, escalation and `sla.breached` — computed by the recompute the seam enqueues (eager
Celery here), never by a direct call."""

from datetime import UTC, datetime

import pytest
import time_machine

from apps.notifications.models import Notification
from apps.sla import services
from apps.webhooks.models import WebhookDelivery
from tests.factories import SlaPolicyFactory, SupervisorFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

FRIDAY_4PM = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # London is on GMT in November
MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture
def policy(team):
    return SlaPolicyFactory(
        name="Standard",
        targets={
            ("high", "first_response"): 240,
            ("high", "resolution"): 16 * 60,
            ("normal", "first_response"): 8 * 60,
        },
        escalate_priority="urgent",
    )


def create_case(api, team, capture):
    with capture(execute=True):
        response = api.post(
            "/api/v1/cases/",
            {
                "subject": "Card charged twice",
                "channel": "email",
                "priority": "high",
                "team": team.pk,
                "requester": {"email": "dana@example.com"},
                "message": {"body_text": "I was charged twice for one order."},
            },
            format="json",
        )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def test_high_email_case_on_friday_afternoon_is_due_monday_morning(
    admin_api, team, policy, django_capture_on_commit_callbacks
):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        case_id = create_case(admin_api, team, django_capture_on_commit_callbacks)
        state = admin_api.get(f"/api/v1/cases/{case_id}/sla/").json()

    assert state["policy"] == {"id": policy.pk, "name": "Standard"}
    clocks = {c["metric"]: c for c in state["clocks"]}
    assert set(clocks) == {"first_response", "resolution"}
    assert clocks["first_response"]["due_at"] == "2026-11-30T12:00:00Z"
    assert clocks["first_response"]["state"] == "active"
    assert clocks["resolution"]["due_at"] == "2026-12-01T16:00:00Z"  # 16 business hours
    assert state["next_breach_at"] == "2026-11-30T12:00:00Z"
    assert [e["kind"] for e in clocks["first_response"]["events"]] == [
        "policy_applied",
        "activated",
    ]


def test_a_note_does_not_meet_first_response_and_the_sweep_fires_the_breach_once(
    admin_api, team, policy, django_capture_on_commit_callbacks
):
    supervisor = SupervisorFactory(teams=[team])
    subscription = WebhookSubscriptionFactory(events=["sla.breached"])
    with time_machine.travel(FRIDAY_4PM, tick=False):
        case_id = create_case(admin_api, team, django_capture_on_commit_callbacks)
    with time_machine.travel(datetime(2026, 11, 30, 10, 0, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            note = admin_api.post(
                f"/api/v1/cases/{case_id}/interactions/",
                {"type": "note", "body_text": "Checking with billing."},
                format="json",
            )
        assert note.status_code == 201
        clock = admin_api.get(f"/api/v1/cases/{case_id}/sla/").json()["clocks"][0]
        assert (clock["metric"], clock["state"]) == ("first_response", "active")

    with (
        time_machine.travel(MONDAY_NOON, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        first = services.sla_sweep()
        second = services.sla_sweep()

    assert (first["escalated"], second["escalated"]) == (1, 0)
    state = admin_api.get(f"/api/v1/cases/{case_id}/sla/").json()
    clock = next(c for c in state["clocks"] if c["metric"] == "first_response")
    assert (clock["state"], clock["breached_at"]) == ("breached", "2026-11-30T12:00:00Z")
    [delivery] = WebhookDelivery.objects.filter(subscription=subscription)
    assert delivery.event == "sla.breached"
    assert delivery.payload["data"]["clock"]["metric"] == "first_response"
    assert delivery.payload["data"]["case"]["id"] == case_id
    [notice] = Notification.objects.filter(recipient=supervisor)
    assert (notice.kind, notice.case_id) == ("sla_breached", case_id)
    # The escalation raised the priority, through the services: audited and announced.
    case = admin_api.get(f"/api/v1/cases/{case_id}/").json()
    assert case["priority"] == "urgent"


def test_a_reply_meets_first_response_and_next_breach_moves_to_resolution(
    admin_api, team, policy, django_capture_on_commit_callbacks
):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        case_id = create_case(admin_api, team, django_capture_on_commit_callbacks)
    with time_machine.travel(datetime(2026, 11, 30, 9, 30, tzinfo=UTC), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            reply = admin_api.post(
                f"/api/v1/cases/{case_id}/interactions/",
                {"type": "reply", "body_text": "Refunded the second charge."},
                format="json",
            )
        assert reply.status_code == 201
        state = admin_api.get(f"/api/v1/cases/{case_id}/sla/").json()

    clocks = {c["metric"]: c for c in state["clocks"]}
    assert clocks["first_response"]["state"] == "met"
    assert clocks["first_response"]["met_at"] == "2026-11-30T09:30:00Z"
    assert clocks["first_response"]["business_seconds"] == 3600 + 1800
    assert state["next_breach_at"] == clocks["resolution"]["due_at"]


def test_another_teams_case_sla_is_not_found_for_an_agent(
    admin_api, other_team, policy, token_client, agent, django_capture_on_commit_callbacks
):
    with time_machine.travel(FRIDAY_4PM, tick=False):
        case_id = create_case(admin_api, other_team, django_capture_on_commit_callbacks)
    assert token_client(agent).get(f"/api/v1/cases/{case_id}/sla/").status_code == 404


def test_without_credentials_the_sla_is_refused(client, admin_api, team, policy):
    assert client.get("/api/v1/cases/1/sla/").status_code in (401, 403)
