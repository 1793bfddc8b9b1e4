"""Agents list the chats of their teams and end chats through /api/v1/chat/sessions/."""

import pytest

from apps.chat import services
from apps.chat.models import ChatSession
from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/chat/sessions/"


@pytest.fixture
def chats(team, other_team):
    mine = services.chat_start(
        widget=ChatWidgetFactory(team=team), message="billing question", name="Ann"
    )
    theirs = services.chat_start(
        widget=ChatWidgetFactory(team=other_team), message="where is my parcel"
    )
    over = services.chat_start(widget=ChatWidgetFactory(team=team), message="thanks, bye")
    services.chat_end(session_id=over.pk, by="customer")
    return mine, theirs, over


def test_an_agent_lists_the_active_chats_of_their_teams(agent_api, chats):
    mine, _, _ = chats
    response = agent_api.get(URL)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    row = rows[0]
    assert row["status"] == "active"
    assert row["answered"] is False
    assert row["case"]["reference"] == mine.case.reference
    assert row["case"]["team"]["name"] == "Billing"
    assert row["contact"]["name"] == "Ann"
    assert row["widget"]["id"] == mine.widget_id
    assert "visitor_id" not in row


def test_ended_chats_are_listed_on_request(agent_api, chats):
    _, _, over = chats
    rows = agent_api.get(URL, {"status": "ended"}).json()["results"]
    assert [row["id"] for row in rows] == [over.pk]
    assert rows[0]["ended_by"] == "customer"
    bad = agent_api.get(URL, {"status": "sleeping"})
    assert bad.status_code == 400
    assert "status" in bad.json()["error"]["fields"]


def test_admins_see_every_chat(admin_api, chats):
    assert len(admin_api.get(URL).json()["results"]) == 2


def test_an_agent_ends_a_chat_of_their_team(agent_api, chats, start_chat):
    mine, _, _ = chats
    response = agent_api.post(f"{URL}{mine.pk}/end/")
    assert response.status_code == 200
    assert response.json()["status"] == "ended"
    assert response.json()["ended_by"] == "agent"
    mine.refresh_from_db()
    assert mine.status == "ended"
    assert mine.ended_by == "agent"
    again = agent_api.post(f"{URL}{mine.pk}/end/")
    assert again.status_code == 200
    assert again.json()["ended_by"] == "agent"


def test_the_widget_learns_that_the_agent_ended_the_chat(agent_api, start_chat):
    chat = start_chat()
    agent_api.post(f"{URL}{chat.id}/end/")
    body = chat.poll().json()
    assert body["session"]["status"] == "ended"
    assert body["session"]["ended_by"] == "agent"


def test_chats_of_other_teams_are_not_found(agent_api, chats):
    _, theirs, _ = chats
    assert agent_api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert agent_api.post(f"{URL}{theirs.pk}/end/").status_code == 404
    assert ChatSession.objects.get(pk=theirs.pk).status == "active"


def test_tokens_need_the_cases_scopes(agent, token_client, chats):
    mine, _, _ = chats
    reader = token_client(agent, scopes=["cases:read"])
    assert reader.get(URL).status_code == 200
    refused = reader.post(f"{URL}{mine.pk}/end/")
    assert refused.status_code == 403
    assert token_client(agent, scopes=["contacts:read"]).get(URL).status_code == 403


def test_anonymous_callers_are_refused(client, chats):
    assert client.get(URL).status_code in (401, 403)


def test_the_list_runs_a_fixed_number_of_queries(admin_api, team, django_assert_max_num_queries):
    widget = ChatWidgetFactory(team=team)
    for i in range(3):
        services.chat_start(widget=widget, message=f"question {i}")
    with django_assert_max_num_queries(6) as few:
        admin_api.get(URL)
    for i in range(10):
        services.chat_start(widget=widget, message=f"more {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(admin_api.get(URL).json()["results"]) == 13
