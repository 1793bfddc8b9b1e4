"""Chats whose customer went silent are ended by a periodic sweep: bounded, safe twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.chat import services, tasks
from apps.chat.models import ChatSession
from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def widget(team):
    return ChatWidgetFactory(team=team)


def _chat(widget, *, silent_for: timedelta):
    session = services.chat_start(widget=widget, message="hello")
    ChatSession.objects.filter(pk=session.pk).update(
        last_customer_activity=timezone.now() - silent_for
    )
    return session


def test_chats_silent_longer_than_the_limit_are_ended_by_timeout(widget, settings):
    settings.CXDESK_CHAT_IDLE_MINUTES = 10
    idle = _chat(widget, silent_for=timedelta(minutes=11))
    lively = _chat(widget, silent_for=timedelta(minutes=9))

    assert tasks.end_idle_chats() == 1

    idle.refresh_from_db()
    lively.refresh_from_db()
    assert (idle.status, idle.ended_by) == ("ended", "timeout")
    assert idle.ended_at
    assert lively.status == "active"


def test_the_sweep_is_safe_to_run_twice(widget):
    session = _chat(widget, silent_for=timedelta(hours=2))
    assert tasks.end_idle_chats() == 1
    ended_at = ChatSession.objects.get(pk=session.pk).ended_at
    assert tasks.end_idle_chats() == 0
    assert ChatSession.objects.get(pk=session.pk).ended_at == ended_at


def test_chats_ended_already_keep_who_ended_them(widget):
    session = _chat(widget, silent_for=timedelta(hours=2))
    services.chat_end(session_id=session.pk, by="customer")
    assert tasks.end_idle_chats() == 0
    assert ChatSession.objects.get(pk=session.pk).ended_by == "customer"


def test_the_sweep_works_in_bounded_batches(widget, monkeypatch):
    for _ in range(5):
        _chat(widget, silent_for=timedelta(hours=1))
    calls = []
    real = services.chat_sessions_end_idle

    def small_batches(**kwargs):
        calls.append(1)
        return real(batch_size=2, **kwargs)

    monkeypatch.setattr(services, "chat_sessions_end_idle", small_batches)
    monkeypatch.setattr(tasks, "MAX_BATCHES_PER_RUN", 2)
    assert tasks.end_idle_chats() == 4  # two batches of two, then the run stops
    assert len(calls) == 2
    assert ChatSession.objects.filter(status="active").count() == 1
    assert tasks.end_idle_chats() == 1  # the next run finishes


def test_a_message_keeps_the_chat_alive(widget, settings):
    settings.CXDESK_CHAT_IDLE_MINUTES = 10
    session = _chat(widget, silent_for=timedelta(minutes=30))
    services.chat_customer_message(session_id=session.pk, body="still here")
    assert tasks.end_idle_chats() == 0


def test_an_open_widget_polling_keeps_the_chat_alive(start_chat, settings):
    settings.CXDESK_CHAT_IDLE_MINUTES = 10
    chat = start_chat()
    ChatSession.objects.filter(pk=chat.id).update(
        last_customer_activity=timezone.now() - timedelta(minutes=30)
    )
    assert chat.poll().status_code == 200
    assert tasks.end_idle_chats() == 0


def test_polls_write_the_sign_of_life_at_most_once_a_minute(widget):
    session = services.chat_start(widget=widget, message="hello")
    now = session.last_customer_activity
    assert not services.chat_touch(session=session, now=now + timedelta(seconds=30))
    assert services.chat_touch(session=session, now=now + timedelta(seconds=61))


def test_the_beat_entry_names_the_task():
    # CELERY_BEAT_SCHEDULE["end-idle-chats"]["task"]
    assert tasks.end_idle_chats.name == "apps.chat.tasks.end_idle_chats"
