"""Agents log a call by hand from the case page."""

import pytest
from django.urls import reverse

from apps.contacts import services as contact_services
from apps.phone.models import Call
from tests.factories import CaseFactory
from tests.phone.conftest import CUSTOMER

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(team):
    requester, _ = contact_services.contact_find_or_create(
        kind="email", value="ann@example.com", name="Ann Lee"
    )
    contact_services.contact_add_identity(contact=requester, kind="phone", value=CUSTOMER)
    return CaseFactory(team=team, requester=requester, status="new", channel="email")


def _url(case):
    return reverse("phone:log-call", args=[case.pk])


def test_the_form_renders_with_the_requesters_number(
    client, agent, case, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        response = client.get(_url(case))
    assert response.status_code == 200
    assert response.context["form"].initial["number"] == CUSTOMER
    assert case.reference in response.content.decode()
    assert f'value="{CUSTOMER}"' in response.content.decode()


def test_logging_an_outbound_call_is_the_agents_reply(client, agent, case):
    client.force_login(agent)
    response = client.post(
        _url(case),
        {
            "direction": "outbound",
            "number": "(202) 555-0143",
            "status": "completed",
            "duration_minutes": "4",
            "disposition": "resolved",
            "notes": "Explained the refund.",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("case-detail", args=[case.pk])
    call = Call.objects.get()
    assert (call.case, call.agent, call.contact, call.provider) == (
        case,
        agent,
        case.requester,
        "manual",
    )
    assert (call.direction, call.to_number, call.duration_seconds) == ("outbound", CUSTOMER, 240)
    case.refresh_from_db()
    assert case.first_response_at == call.started_at
    assert (case.assignee, case.status) == (agent, "open")
    page = client.get(response["Location"]).content.decode()
    assert "Explained the refund." in page


def test_logging_an_answered_inbound_call_counts_as_the_response(client, agent, case):
    client.force_login(agent)
    client.post(
        _url(case),
        {
            "direction": "inbound",
            "number": CUSTOMER,
            "status": "completed",
            "started_at": "2025-03-03T09:00",
        },
    )
    call = Call.objects.get()
    assert call.from_number == CUSTOMER
    case.refresh_from_db()
    assert case.first_response_at == call.answered_at == call.started_at


def test_a_bad_number_shows_a_form_error(client, agent, case):
    client.force_login(agent)
    response = client.post(
        _url(case), {"direction": "outbound", "number": "12", "status": "completed"}
    )
    assert response.status_code == 200
    assert "number" in response.context["form"].errors
    assert "Not a phone number" in response.content.decode()
    assert not Call.objects.exists()


def test_a_call_in_the_future_is_refused(client, agent, case):
    client.force_login(agent)
    response = client.post(
        _url(case),
        {
            "direction": "outbound",
            "number": CUSTOMER,
            "status": "completed",
            "started_at": "2999-01-01T10:00",
        },
    )
    assert "started_at" in response.context["form"].errors
    assert not Call.objects.exists()


def test_an_outbound_call_on_a_closed_case_shows_why(client, agent, team):
    closed = CaseFactory(team=team, status="closed")
    client.force_login(agent)
    response = client.post(
        _url(closed), {"direction": "outbound", "number": CUSTOMER, "status": "completed"}
    )
    assert response.status_code == 200
    assert "closed" in response.content.decode()
    assert not Call.objects.exists()


def test_another_teams_case_is_404(client, agent, other_team):
    theirs = CaseFactory(team=other_team)
    client.force_login(agent)
    assert client.get(_url(theirs)).status_code == 404
    assert (
        client.post(
            _url(theirs), {"direction": "outbound", "number": CUSTOMER, "status": "completed"}
        ).status_code
        == 404
    )
    assert not Call.objects.exists()


def test_signing_in_is_required(client, case):
    response = client.get(_url(case))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
