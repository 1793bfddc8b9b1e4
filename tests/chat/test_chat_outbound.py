"""The chat channel's sender: a reply in a chat marks it answered; one after it ended fails."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Interaction
from apps.chat import services
from apps.chat.models import ChatSession
from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chat(team):
    return services.chat_start(widget=ChatWidgetFactory(team=team), message="hello")


def _reply(chat, agent, capture):
    with capture(execute=True):
        reply = case_services.case_reply(case_id=chat.case_id, agent=agent, body_text="hi!")
    reply.refresh_from_db()
    return reply


def test_a_reply_during_the_chat_marks_it_answered(chat, agent, django_capture_on_commit_callbacks):
    reply = _reply(chat, agent, django_capture_on_commit_callbacks)
    assert reply.delivery_status == Interaction.Delivery.SENT
    assert reply.external_id == f"chat:{chat.pk}:{reply.pk}"
    assert ChatSession.objects.get(pk=chat.pk).answered


def test_a_reply_after_the_chat_ended_is_marked_undelivered(
    chat, agent, django_capture_on_commit_callbacks
):
    services.chat_end(session_id=chat.pk, by="customer", now=timezone.now() - timedelta(seconds=1))
    reply = _reply(chat, agent, django_capture_on_commit_callbacks)
    assert reply.delivery_status == Interaction.Delivery.FAILED
    assert "no chat was open" in reply.delivery_error
    assert not ChatSession.objects.get(pk=chat.pk).answered


def test_a_reply_on_the_case_a_chat_was_merged_into_reaches_the_chat(
    chat, agent, team, django_capture_on_commit_callbacks
):
    from tests.factories import CaseFactory

    target = CaseFactory(team=team, channel="chat", requester=chat.contact)
    case_services.case_merge(source_id=chat.case_id, target_id=target.pk, actor=agent)
    with django_capture_on_commit_callbacks(execute=True):
        reply = case_services.case_reply(case_id=target.pk, agent=agent, body_text="merged")
    reply.refresh_from_db()
    assert reply.delivery_status == Interaction.Delivery.SENT
    assert ChatSession.objects.get(pk=chat.pk).answered
