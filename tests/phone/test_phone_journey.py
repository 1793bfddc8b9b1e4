"""End to end: a customer calls → case, contact, interaction → the agent calls back."""

import pytest
from django.urls import reverse

from apps.cases.models import Case
from apps.contacts.models import ContactIdentity
from apps.phone.models import Call

from .conftest import CUSTOMER, OUR_LINE, STATUS_PATH

pytestmark = pytest.mark.django_db


def test_an_inbound_call_then_the_agents_outbound_call_on_the_same_case(
    twilio_post, progression, client, agent, agent_api, team
):
    # a customer calls the support line: Twilio reports ringing → in-progress → completed
    codes = [
        twilio_post(params, path=f"{STATUS_PATH}?team={team.slug}").status_code
        for params in progression
    ]
    assert codes == [201] + [200] * (len(progression) - 1)  # one new call, then updates
    inbound = Call.objects.get()
    case = inbound.case
    assert (case.channel, case.status, case.team) == ("phone", "new", team)
    assert ContactIdentity.objects.get(kind="phone").contact == case.requester
    assert case.interactions.get().external_id == inbound.sid
    assert case.first_response_at is None  # nobody from our side is known to have spoken

    # the agent sees it on the case page and calls the customer back
    client.force_login(agent)
    page = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    assert "Inbound call from +1 202-555-0143" in page
    response = client.post(
        reverse("phone:log-call", args=[case.pk]),
        {
            "direction": "outbound",
            "number": CUSTOMER,
            "status": "completed",
            "duration_minutes": "2",
            "disposition": "resolved",
            "notes": "Called back: fixed.",
        },
    )
    assert response.status_code == 302

    outbound = Call.objects.exclude(pk=inbound.pk).get()
    case.refresh_from_db()
    assert outbound.case == case
    assert outbound.contact == case.requester
    assert case.first_response_at == outbound.started_at
    assert (case.assignee, case.status) == (agent, "open")
    timeline = list(
        case.interactions.order_by("occurred_at", "pk").values_list(
            "channel", "direction", "author_agent"
        )
    )
    assert timeline == [("phone", "in", None), ("phone", "out", agent.pk)]

    # both calls are in the API, on the same case
    listed = agent_api.get(f"/api/v1/calls/?case={case.pk}").json()["results"]
    assert [c["direction"] for c in listed] == ["outbound", "inbound"]
    assert Case.objects.count() == 1


def test_an_api_reported_call_then_an_api_outbound_call(agent_api, agent, team):
    first = agent_api.post(
        "/api/v1/calls/",
        {
            "sid": "CA-journey-1",
            "direction": "inbound",
            "from_number": CUSTOMER,
            "to_number": OUR_LINE,
            "status": "completed",
            "duration_seconds": 60,
            "team": team.pk,
        },
        format="json",
    ).json()
    reply = agent_api.post(
        "/api/v1/calls/",
        {
            "sid": "CA-journey-2",
            "direction": "outbound",
            "to_number": CUSTOMER,
            "agent": agent.pk,
            "status": "completed",
            "duration_seconds": 90,
        },
        format="json",
    )
    assert reply.status_code == 201
    assert reply.json()["case"]["id"] == first["case"]["id"]
    case = Case.objects.get()
    assert case.first_response_at is not None
    assert case.assignee == agent
