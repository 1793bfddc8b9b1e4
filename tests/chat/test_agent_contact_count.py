"""FCR counting: the replies of one chat session are one agent contact; other replies one each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services as case_services
from apps.chat import selectors, services
from apps.chat.models import ChatSession
from tests.chat.factories import ChatWidgetFactory
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(team):
    widget = ChatWidgetFactory(team=team)
    return services.chat_start(widget=widget, message="hello", name="Ann")


def _reply(case_id, agent, text="answer", channel=None):
    return case_services.case_reply(case_id=case_id, agent=agent, body_text=text, channel=channel)


def test_a_case_nobody_answered_has_no_agent_contact(chat):
    assert selectors.agent_contact_count(case=chat.case) == 0


def test_all_the_replies_of_one_ended_chat_are_one_contact(chat, agent):
    for text in ("hi", "let me check", "done!"):
        _reply(chat.case_id, agent, text)
    services.chat_end(session_id=chat.pk, by="customer")
    assert selectors.agent_contact_count(case=chat.case) == 1
    assert selectors.agent_contact_count(case=chat.case_id) == 1  # an id works too


def test_a_chat_still_under_way_is_one_contact_too(chat, agent):
    _reply(chat.case_id, agent)
    _reply(chat.case_id, agent)
    assert selectors.agent_contact_count(case=chat.case) == 1


def test_replies_after_the_chat_ended_count_one_each(chat, agent):
    _reply(chat.case_id, agent)
    services.chat_end(session_id=chat.pk, by="agent", now=timezone.now() - timedelta(seconds=1))
    _reply(chat.case_id, agent, "following up by chat transcript")
    _reply(chat.case_id, agent, "and by email", channel="email")
    assert selectors.agent_contact_count(case=chat.case) == 3


def test_two_chats_on_one_case_are_two_contacts(chat, agent, team):
    _reply(chat.case_id, agent)
    services.chat_end(session_id=chat.pk, by="customer", now=timezone.now() - timedelta(seconds=1))
    # The customer's second chat, merged into the first case by an agent.
    second = services.chat_start(widget=chat.widget, message="me again", visitor_id=chat.visitor_id)
    _reply(second.case_id, agent)
    _reply(second.case_id, agent)
    case_services.case_merge(source_id=second.case_id, target_id=chat.case_id, actor=agent)
    assert selectors.agent_contact_count(case=chat.case_id) == 2


def test_email_replies_during_a_chat_are_separate_contacts(chat, agent):
    _reply(chat.case_id, agent)
    _reply(chat.case_id, agent, "summary by email", channel="email")
    assert selectors.agent_contact_count(case=chat.case) == 2


def test_notes_and_customer_messages_are_not_agent_contacts(chat, agent):
    case_services.case_note(case_id=chat.case_id, agent=agent, body_text="internal")
    services.chat_customer_message(session_id=chat.pk, body="anyone?")
    assert selectors.agent_contact_count(case=chat.case) == 0


def test_a_case_without_chats_counts_every_reply(agent, team):
    case = case_services.case_open(
        requester=ContactFactory(), subject="Refund", channel="email", team=team, body_text="hi"
    ).case
    _reply(case.pk, agent)
    _reply(case.pk, agent)
    assert selectors.agent_contact_count(case=case) == 2
    assert not ChatSession.objects.exists()


def test_counting_is_one_query(chat, agent, django_assert_num_queries):
    for _ in range(3):
        _reply(chat.case_id, agent)
    with django_assert_num_queries(1):
        selectors.agent_contact_count(case=chat.case_id)
