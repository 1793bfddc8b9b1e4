"""A customer writing about a solved case reopens it; about a closed one, opens a follow-up."""

import pytest

from apps.cases import services
from apps.cases.models import Case, CaseEvent, Interaction
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def _customer_writes(case, text="It is still broken", external_id=""):
    return services.interaction_add(
        case_id=case.pk,
        channel="email",
        direction=Interaction.Direction.INBOUND,
        author_contact=case.requester,
        body_text=text,
        external_id=external_id,
    )


def test_an_inbound_message_reopens_a_solved_case():
    case = CaseFactory(status=Status.SOLVED)
    interaction = _customer_writes(case)
    case.refresh_from_db()
    assert interaction.case == case
    assert case.status == Status.OPEN
    assert case.reopen_count == 1
    assert case.solved_at is None
    reopened = case.events.get(kind=CaseEvent.Kind.REOPENED)
    assert reopened.actor_contact == case.requester
    assert reopened.actor is None
    assert case.events.get(kind=CaseEvent.Kind.STATUS).after == Status.OPEN


def test_every_reopen_is_counted(agent):
    case = CaseFactory(status=Status.SOLVED)
    _customer_writes(case)
    services.case_transition(case_id=case.pk, to=Status.SOLVED, actor=agent)
    _customer_writes(case, "Again")
    case.refresh_from_db()
    assert case.reopen_count == 2


def test_an_agent_can_reopen_a_solved_case(agent):
    case = CaseFactory(status=Status.SOLVED)
    services.case_reopen(case_id=case.pk, actor=agent)
    case.refresh_from_db()
    assert (case.status, case.reopen_count) == (Status.OPEN, 1)
    assert case.events.get(kind=CaseEvent.Kind.REOPENED).actor == agent


def test_a_closed_case_cannot_be_reopened(agent):
    case = CaseFactory(status=Status.CLOSED)
    with pytest.raises(services.InvalidTransition):
        services.case_reopen(case_id=case.pk, actor=agent)


@pytest.mark.parametrize("status", [Status.PENDING, Status.ON_HOLD])
def test_a_customer_answer_moves_a_waiting_case_back_to_open(status):
    case = CaseFactory(status=status)
    _customer_writes(case, "Here is the information you asked for")
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert case.reopen_count == 0


def test_a_message_on_a_closed_case_opens_a_linked_follow_up(team):
    closed = CaseFactory(status=Status.CLOSED, team=team, priority=Case.Priority.HIGH)
    interaction = _customer_writes(closed, "The same problem is back")
    follow_up = interaction.case
    assert follow_up != closed
    assert follow_up.follow_up_of == closed
    assert (follow_up.status, follow_up.team, follow_up.priority) == (Status.NEW, team, "high")
    assert follow_up.requester == closed.requester
    closed.refresh_from_db()
    assert closed.status == Status.CLOSED
    assert closed.events.get(kind=CaseEvent.Kind.FOLLOW_UP).after == {"case_id": follow_up.pk}


def test_internal_notes_never_reopen(agent):
    case = CaseFactory(status=Status.SOLVED)
    services.case_note(case_id=case.pk, agent=agent, body_text="Customer called, all fine")
    case.refresh_from_db()
    assert case.status == Status.SOLVED


def test_a_redelivered_message_does_not_reopen_twice():
    case = CaseFactory(status=Status.SOLVED)
    first = _customer_writes(case, external_id="<abc@mail.example>")
    again = _customer_writes(case, external_id="<abc@mail.example>")
    case.refresh_from_db()
    assert first == again
    assert case.reopen_count == 1
    assert case.interactions.count() == 1
