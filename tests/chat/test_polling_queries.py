"""The widget polls every few seconds: a poll costs a fixed, small number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.cases import services as case_services
from apps.chat.models import ChatSession

pytestmark = pytest.mark.django_db


def _grow(chat, agent, n):
    case_id = ChatSession.objects.get(pk=chat.id).case_id
    for i in range(n):
        chat.say(f"question {i}")
        case_services.case_reply(case_id=case_id, agent=agent, body_text=f"answer {i}")


def test_a_poll_is_two_queries_however_long_the_chat(
    start_chat, agent, django_assert_max_num_queries
):
    chat = start_chat()
    _grow(chat, agent, 3)
    with django_assert_max_num_queries(2):
        short = chat.poll()
    _grow(chat, agent, 20)
    with CaptureQueriesContext(connection) as long_queries:
        long = chat.poll()
    assert len(long_queries) == 2
    assert len(short.json()["messages"]) == 7
    assert len(long.json()["messages"]) == 47


def test_a_poll_that_refreshes_the_sign_of_life_is_three(start_chat, django_assert_num_queries):
    from datetime import timedelta

    from django.utils import timezone

    chat = start_chat()
    ChatSession.objects.filter(pk=chat.id).update(
        last_customer_activity=timezone.now() - timedelta(minutes=2)
    )
    with django_assert_num_queries(3):
        chat.poll()


def test_a_poll_returns_at_most_a_page_and_says_there_is_more(start_chat, monkeypatch):
    from apps.chat import selectors

    monkeypatch.setattr(selectors, "TRANSCRIPT_PAGE", 2)
    chat = start_chat()
    chat.say("two")
    chat.say("three")
    first = chat.poll().json()
    assert [m["text"] for m in first["messages"]] == ["My parcel has not arrived", "two"]
    assert first["has_more"] is True
    rest = chat.poll(after=first["messages"][-1]["id"]).json()
    assert [m["text"] for m in rest["messages"]] == ["three"]
    assert rest["has_more"] is False
