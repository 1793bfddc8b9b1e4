"""When a call is an agent's response on its case (first response, assignment)."""

from datetime import timedelta

import pytest

from apps.cases.models import Interaction
from apps.phone import services
from tests.factories import AgentFactory, CaseFactory
from tests.phone.conftest import CUSTOMER, OUR_LINE, T0

pytestmark = pytest.mark.django_db


def _inbound(sid="CA-in", **kwargs):
    return services.call_record(
        sid=sid, direction="inbound", from_number=CUSTOMER, to_number=OUR_LINE, **kwargs
    )[0]


def test_an_outbound_call_by_an_agent_is_their_reply(agent, team):
    case = CaseFactory(team=team, status="new")

    call, _ = services.call_record(
        sid="CA-out",
        direction="outbound",
        to_number=CUSTOMER,
        status="completed",
        agent=agent,
        case=case,
        started_at=T0,
    )

    case.refresh_from_db()
    assert case.first_response_at == T0
    assert (case.assignee, case.status) == (agent, "open")
    interaction = call.interaction
    assert (interaction.direction, interaction.author_agent, interaction.is_public) == (
        "out",
        agent,
        True,
    )
    assert Interaction.objects.filter(case=case).count() == 1


def test_an_inbound_call_answered_by_an_agent_counts_once_at_the_answer(agent, team):
    call = _inbound(status="ringing", started_at=T0, team=team)
    assert call.case.first_response_at is None

    answered = T0 + timedelta(seconds=20)
    services.call_record(sid=call.sid, status="in-progress", answered_at=answered, agent=agent)
    services.call_record(
        sid=call.sid,
        status="completed",
        duration_seconds=95,
        ended_at=answered + timedelta(seconds=95),
    )
    services.call_record(sid=call.sid, status="completed", agent=agent)  # repeated

    case = call.case
    case.refresh_from_db()
    assert case.first_response_at == answered
    assert case.assignee == agent
    replies = Interaction.objects.filter(case=case, direction="out")
    assert [(r.author_agent, r.external_id, r.occurred_at) for r in replies] == [
        (agent, f"{call.sid}:answered", answered)
    ]


def test_an_agent_named_after_the_call_ended_still_counts(agent):
    call = _inbound(
        status="completed", started_at=T0, answered_at=T0, ended_at=T0 + timedelta(minutes=2)
    )
    services.call_record(sid=call.sid, agent=agent)
    call.case.refresh_from_db()
    assert call.case.first_response_at == T0


@pytest.mark.parametrize("status", ["busy", "no-answer", "canceled", "failed", "ringing"])
def test_a_missed_inbound_call_is_no_response(agent, status):
    call = _inbound(status=status, agent=agent)
    call.case.refresh_from_db()
    assert call.case.first_response_at is None
    assert not Interaction.objects.filter(direction="out").exists()


def test_an_answered_call_nobody_took_is_no_response():
    call = _inbound(status="completed", duration_seconds=30, ended_at=T0)
    call.case.refresh_from_db()
    assert call.case.first_response_at is None


def test_an_agent_of_another_team_answering_does_not_take_the_case(team, other_team):
    outsider = AgentFactory(teams=[other_team])
    call = _inbound(status="in-progress", agent=outsider, team=team)
    call.case.refresh_from_db()
    assert call.case.assignee is None
    assert call.case.first_response_at is not None  # still a response on the case


def test_an_outbound_call_on_a_closed_case_is_refused(agent):
    from apps.cases.services import CaseError

    case = CaseFactory(status="closed")
    with pytest.raises(CaseError):
        services.call_record(
            sid="CA-x", direction="outbound", to_number=CUSTOMER, agent=agent, case=case
        )
    assert not case.calls.exists()
