"""The whole chat through the public endpoints: start, write, an agent answers, end."""

import pytest

from apps.cases.models import Case, Interaction
from apps.chat.models import ChatSession
from apps.contacts.models import ContactIdentity

pytestmark = pytest.mark.django_db


def test_starting_a_chat_opens_a_case_for_the_widgets_team(start_chat, widget, team):
    chat = start_chat("Hello, my parcel has not arrived", name="Ann Lee")

    session = ChatSession.objects.select_related("case", "contact").get(pk=chat.id)
    case = session.case
    assert case.channel == "chat"
    assert case.team == team
    assert case.status == Case.Status.NEW
    assert case.subject == "Chat: Hello, my parcel has not arrived"
    assert case.requester == session.contact
    assert session.contact.name == "Ann Lee"
    identity = session.contact.identities.get()
    assert identity.kind == ContactIdentity.Kind.CHAT
    assert identity.value == session.visitor_id
    first = case.interactions.get()
    assert (first.channel, first.direction, first.author_contact) == ("chat", "in", session.contact)
    assert first.metadata == {"chat_session_id": session.pk}
    assert session.status == "active"
    assert session.widget == widget
    assert not session.answered

    assert chat.data["session"]["case"] == case.reference
    assert chat.data["visitor_id"] == session.visitor_id
    assert [(m["sender"], m["text"]) for m in chat.data["messages"]] == [
        ("customer", "Hello, my parcel has not arrived")
    ]


def test_the_customer_the_agent_and_the_widget_hold_one_conversation(
    start_chat, agent, agent_api, django_capture_on_commit_callbacks
):
    chat = start_chat("Where is my parcel?")
    case = ChatSession.objects.get(pk=chat.id).case

    # The customer writes again: an inbound chat interaction on the same case.
    said = chat.say("Order 1234, sent last Monday")
    assert said.status_code == 201
    assert said.json()["sender"] == "customer"
    message = Interaction.objects.get(pk=said.json()["id"])
    assert message.case == case
    assert message.direction == "in"
    assert message.channel == "chat"
    assert message.metadata == {"chat_session_id": chat.id}

    # The agent answers with the REST API, on the case's channel (chat); the chat's sender
    # runs after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        reply = agent_api.post(
            f"/api/v1/cases/{case.pk}/interactions/",
            {"type": "reply", "body_text": "It leaves our warehouse today."},
            format="json",
        )
    assert reply.status_code == 201, reply.content
    assert reply.json()["channel"] == "chat"
    stored = Interaction.objects.get(pk=reply.json()["id"])
    assert stored.delivery_status == "sent"
    assert stored.external_id.startswith("chat:")

    # An internal note never reaches the widget.
    agent_api.post(
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "note", "body_text": "customer is a VIP"},
        format="json",
    )

    # The widget's next poll (after the last message it has) gets the reply.
    polled = chat.poll(after=said.json()["id"])
    assert polled.status_code == 200
    body = polled.json()
    assert [(m["sender"], m["author"], m["text"]) for m in body["messages"]] == [
        ("agent", "Test", "It leaves our warehouse today.")
    ]
    assert body["session"]["status"] == "active"
    assert body["poll_after_ms"] > 0

    # A fresh page draws the whole transcript.
    assert [m["sender"] for m in chat.poll().json()["messages"]] == [
        "customer",
        "customer",
        "agent",
    ]

    session = ChatSession.objects.get(pk=chat.id)
    assert session.answered
    case.refresh_from_db()
    assert case.first_response_at is not None
    assert case.assignee == agent

    # The customer ends the chat: it is over for everyone, and says so.
    ended = chat.end()
    assert ended.status_code == 200
    assert ended.json()["session"]["status"] == "ended"
    assert ended.json()["session"]["ended_by"] == "customer"
    session.refresh_from_db()
    assert session.status == "ended"
    assert session.ended_by == "customer"
    assert session.ended_at
    last = chat.poll()
    assert last.json()["session"]["status"] == "ended"
    assert last.json()["poll_after_ms"] is None


def test_an_ended_chat_takes_no_more_messages(start_chat):
    chat = start_chat()
    chat.end()
    response = chat.say("one more thing")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "chat_ended"
    assert Interaction.objects.filter(direction="in").count() == 1


def test_ending_twice_changes_nothing(start_chat):
    chat = start_chat()
    first = chat.end().json()["session"]
    second = chat.end()
    assert second.status_code == 200
    assert second.json()["session"] == first


def test_a_message_after_the_case_was_closed_goes_to_its_follow_up_and_the_chat_follows(
    start_chat, agent
):
    from apps.cases import services as case_services

    chat = start_chat()
    case = ChatSession.objects.get(pk=chat.id).case
    case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    case_services.case_transition(case_id=case.pk, to="closed", actor=agent)

    response = chat.say("Sorry, one more question")
    assert response.status_code == 201
    follow_up = Case.objects.get(follow_up_of=case)
    assert ChatSession.objects.get(pk=chat.id).case == follow_up
    assert [m["text"] for m in chat.poll(after=0).json()["messages"]] == [
        "Sorry, one more question"
    ]
