"""Which case a call joins: the caller's open case on any channel, else a new one."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.contacts import services as contact_services
from apps.contacts.models import Contact, ContactIdentity
from apps.phone import services
from apps.phone.models import Call
from tests.factories import AgentFactory, CaseFactory
from tests.phone.conftest import CUSTOMER, OUR_LINE

pytestmark = pytest.mark.django_db


def _inbound(sid="CA-1", **kwargs):
    kwargs.setdefault("from_number", "(202) 555-0143")
    return services.call_record(
        sid=sid, direction="inbound", to_number=OUR_LINE, status="ringing", **kwargs
    )


@pytest.fixture
def caller():
    contact, _ = contact_services.contact_find_or_create(
        kind="phone", value=CUSTOMER, name="Ann Lee"
    )
    return contact


def test_an_unknown_number_opens_a_new_phone_case_and_contact():
    call, created = _inbound()

    assert created
    identity = ContactIdentity.objects.get(kind="phone")
    assert identity.value == CUSTOMER
    case = call.case
    assert (case.channel, case.status, case.requester) == ("phone", "new", identity.contact)
    assert case.subject == "Call from +1 202-555-0143"
    assert call.contact == identity.contact
    assert case.events.get(kind="created").actor_contact == identity.contact


def test_a_known_number_joins_the_callers_open_case_on_any_channel(caller):
    older = CaseFactory(
        requester=caller,
        channel="email",
        status="open",
        created_at=timezone.now() - timedelta(days=3),
    )
    latest = CaseFactory(
        requester=caller,
        channel="chat",
        status="pending",
        created_at=timezone.now() - timedelta(days=1),
    )

    call, _ = _inbound()

    assert call.case == latest != older
    assert Case.objects.count() == 2
    assert Contact.objects.count() == 1
    latest.refresh_from_db()
    assert latest.status == "open"  # the customer got back to us: no longer pending


def test_a_call_does_not_reopen_a_solved_case(caller):
    solved = CaseFactory(requester=caller, status="solved", solved_at=timezone.now())

    call, _ = _inbound()

    assert call.case != solved
    solved.refresh_from_db()
    assert solved.status == "solved"
    assert solved.reopen_count == 0


def test_a_call_put_on_a_solved_case_explicitly_reopens_it(caller):
    solved = CaseFactory(requester=caller, status="solved", solved_at=timezone.now())

    call, _ = _inbound(case=solved)

    solved.refresh_from_db()
    assert call.case == solved
    assert (solved.status, solved.reopen_count) == ("open", 1)


def test_a_call_put_on_a_closed_case_goes_to_a_follow_up(caller):
    closed = CaseFactory(requester=caller, status="closed")

    call, _ = _inbound(case=closed)

    assert call.case.follow_up_of == closed
    assert call.interaction.case == call.case


def test_an_api_user_only_joins_an_open_case_they_may_see(caller, team, other_team):
    theirs = CaseFactory(requester=caller, status="open", team=other_team)
    agent = AgentFactory(teams=[team])

    call, _ = _inbound(actor=agent, team=team)

    assert call.case != theirs
    assert call.case.team == team


def test_an_outbound_call_to_an_unknown_number_opens_a_case_for_the_callee(agent):
    call, _ = services.call_record(
        sid="CA-out",
        direction="outbound",
        to_number=CUSTOMER,
        from_number=OUR_LINE,
        status="completed",
        agent=agent,
    )
    assert call.contact.identities.get().value == CUSTOMER
    assert call.case.subject == "Call to +1 202-555-0143"
    assert call.case.events.get(kind="created").actor == agent
    # No team routes it: the agent who made the call has the case (else no agent sees it).
    assert call.case.team is None
    assert call.case.assignee == agent


def test_reporting_a_call_again_never_moves_it_to_another_case(caller):
    call, _ = _inbound()
    other = CaseFactory(requester=caller, status="open")

    again, created = _inbound(case=other)

    assert not created
    assert again.case == call.case


def test_a_merged_case_takes_its_calls_along(caller, agent):
    call, _ = _inbound()
    target = CaseFactory(requester=caller, status="open")
    case_services.case_merge(source_id=call.case_id, target_id=target.pk, actor=agent)

    services.call_record(sid=call.sid, status="completed")

    assert Call.objects.get().case == target
