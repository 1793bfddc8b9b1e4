"""Taking a waiting chat (services.chat_take): the chat's case is assigned to the agent,
audited; of two agents taking one chat, one wins and the other is told who has it."""

import threading

import pytest
from django.db import connection, connections

from apps.cases.models import CaseEvent
from apps.chat import services
from apps.chat.models import ChatSession
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def teammate(team):
    return AgentFactory(username="bea", first_name="Bea", last_name="Berg", teams=[team])


def test_taking_a_chat_assigns_its_case_and_records_who(start_chat, agent):
    chat = start_chat()
    session = services.chat_take(session_id=chat.id, agent=agent)
    session.case.refresh_from_db()
    assert session.case.assignee == agent
    assert session.case.status == "open"  # a new case given to someone is open
    event = session.case.events.get(kind=CaseEvent.Kind.ASSIGNEE)
    assert event.actor == agent
    assert event.before is None
    assert event.after["id"] == agent.pk


def test_a_chat_taken_already_is_refused_naming_who_holds_it(start_chat, agent, teammate):
    chat = start_chat()
    services.chat_take(session_id=chat.id, agent=teammate)
    with pytest.raises(services.ChatTaken, match="Bea Berg has taken this chat already"):
        services.chat_take(session_id=chat.id, agent=agent)
    session = ChatSession.objects.select_related("case").get(pk=chat.id)
    assert session.case.assignee == teammate
    assert session.case.events.filter(kind=CaseEvent.Kind.ASSIGNEE).count() == 1


def test_taking_a_chat_one_holds_changes_nothing(start_chat, agent):
    chat = start_chat()
    services.chat_take(session_id=chat.id, agent=agent)
    services.chat_take(session_id=chat.id, agent=agent)
    assert CaseEvent.objects.filter(kind=CaseEvent.Kind.ASSIGNEE).count() == 1


def test_an_ended_chat_cannot_be_taken(start_chat, agent):
    chat = start_chat()
    chat.end()
    with pytest.raises(services.ChatEnded):
        services.chat_take(session_id=chat.id, agent=agent)
    assert ChatSession.objects.get(pk=chat.id).case.assignee is None


def test_an_agent_outside_the_chats_team_cannot_take_it(start_chat, other_team):
    outsider = AgentFactory(teams=[other_team])
    chat = start_chat()
    with pytest.raises(services.case_services.InvalidAssignee):
        services.chat_take(session_id=chat.id, agent=outsider)


def test_an_agents_chat_message_is_a_chat_reply_and_the_widget_shows_it(
    start_chat, agent, django_capture_on_commit_callbacks
):
    chat = start_chat()
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.chat_agent_message(session_id=chat.id, agent=agent, body="Hello Ann")
    assert (reply.channel, reply.direction, reply.is_public) == ("chat", "out", True)
    texts = [m["text"] for m in chat.poll().json()["messages"]]
    assert texts == ["My parcel has not arrived", "Hello Ann"]
    session = ChatSession.objects.select_related("case").get(pk=chat.id)
    assert session.answered  # the chat sender ran (eager)
    assert session.case.assignee == agent  # answering an unassigned chat takes it


def test_no_chat_message_goes_to_an_ended_chat(start_chat, agent):
    chat = start_chat()
    chat.end()
    with pytest.raises(services.ChatEnded):
        services.chat_agent_message(session_id=chat.id, agent=agent, body="Still there?")
    assert ChatSession.objects.get(pk=chat.id).case.interactions.count() == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections racing on a row")
def test_two_agents_taking_one_chat_at_once_one_wins(start_chat, agent, teammate):
    """The first taker holds the session's row lock until it commits; the second waits for it
    (it has not finished while the first is open), then finds the chat taken."""
    chat = start_chat()
    first_locked, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def first():
        from django.db import transaction

        try:
            with transaction.atomic():
                services.chat_take(session_id=chat.id, agent=teammate)
                first_locked.set()
                first_may_commit.wait(10)
            outcome["first"] = "took it"
        finally:
            connections.close_all()

    def second():
        try:
            services.chat_take(session_id=chat.id, agent=agent)
            outcome["second"] = "took it"
        except services.ChatTaken as exc:
            outcome["second"] = str(exc)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_locked.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive()  # waiting for the first taker's lock
    first_may_commit.set()
    one.join(10)
    two.join(10)
    assert outcome == {"first": "took it", "second": "Bea Berg has taken this chat already."}
    session = ChatSession.objects.select_related("case").get(pk=chat.id)
    assert session.case.assignee == teammate
