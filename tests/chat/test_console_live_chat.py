"""A chat under way on its case page: new messages arrive by polling (only those after the
last id the page has: constant cost), the chat box sends through the chat channel (the
widget shows it), "End chat" ends it; without JavaScript the forms post and redirect."""

import json

import pytest
from django.urls import reverse

from apps.cases import services as case_services
from apps.chat.models import ChatSession

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def chat(start_chat, agent, client):
    chat = start_chat("My parcel has not arrived", name="Ann Lee")
    chat.session = ChatSession.objects.select_related("case").get(pk=chat.id)
    chat.case = chat.session.case
    client.force_login(agent)
    return chat


def poll(client, chat, after):
    return client.get(reverse("chat-live-messages", args=[chat.id]), {"after": after}, **HTMX)


def test_the_case_page_shows_the_live_chat_with_its_poller_and_chat_box(client, chat):
    response = client.get(reverse("case-detail", args=[chat.case.pk]))
    html = response.content.decode()
    first = chat.case.interactions.get()
    assert response.context["live_chat"].pk == chat.id
    assert 'id="live-chat"' in html
    assert f'hx-get="/chats/{chat.id}/messages/?after={first.pk}"' in html
    assert 'hx-trigger="every 2s, cx-chat-sent from:body"' in html
    assert f'action="/chats/{chat.id}/messages/"' in html
    assert f'action="/chats/{chat.id}/end/"' in html
    assert html.count("My parcel has not arrived") >= 1


def test_a_case_without_a_chat_under_way_has_no_chat_box(client, chat):
    chat.end()
    html = client.get(reverse("case-detail", args=[chat.case.pk])).content.decode()
    assert 'id="live-chat"' not in html
    assert "/messages/?after=" not in html
    assert "My parcel has not arrived" in html  # the transcript stays


def test_the_poll_returns_only_messages_after_the_last_it_has(client, chat, agent):
    first = chat.case.interactions.get()
    assert poll(client, chat, first.pk).status_code == 204  # nothing new: htmx swaps nothing
    chat.say("Order 1234")
    case_services.case_reply(case_id=chat.case.pk, agent=agent, body_text="Looking now")
    case_services.case_note(case_id=chat.case.pk, agent=agent, body_text="VIP customer")
    response = poll(client, chat, first.pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Order 1234" in html
    assert "Looking now" in html
    assert "VIP customer" not in html  # notes are not chat messages
    assert "My parcel has not arrived" not in html
    newest = [i.pk for i in response.context["new_messages"]][-1]
    assert f"?after={newest}" in html  # the poller again, from the newest message
    assert poll(client, chat, newest).status_code == 204


def test_a_poll_costs_the_same_however_long_the_chat(
    client, chat, agent, django_assert_max_num_queries
):
    first = chat.case.interactions.get()
    chat.say("one")
    with django_assert_max_num_queries(8) as few:
        poll(client, chat, first.pk)
    budget = len(few.captured_queries)  # now: each request below resets the query log
    for i in range(4):
        chat.say(f"more {i}")
    for i in range(11):
        case_services.case_reply(case_id=chat.case.pk, agent=agent, body_text=f"answer {i}")
    with django_assert_max_num_queries(budget):
        response = poll(client, chat, first.pk)
    assert len(response.context["new_messages"]) == 16


def test_when_the_customer_ends_the_chat_the_poll_says_so_and_stops(client, chat):
    first = chat.case.interactions.get()
    chat.end()
    html = poll(client, chat, first.pk).content.decode()
    assert "The chat has ended." in html
    assert 'id="live-chat-controls" class="live-chat-controls" hx-swap-oob="true"' in html
    assert "(customer)" in html
    assert "hx-get" not in html  # no poller any more


def test_a_bad_after_is_a_400(client, chat):
    for bad in ("x", "-1", str(2**63)):
        assert poll(client, chat, bad).status_code == 400


def test_a_plain_get_of_the_poll_goes_to_the_case_page(client, chat):
    response = client.get(reverse("chat-live-messages", args=[chat.id]))
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{chat.case.pk}/#live-chat"


def test_the_chat_box_sends_on_the_chat_channel_and_the_widget_shows_it(
    client, chat, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("chat-live-messages", args=[chat.id]), {"text": "Hello Ann"}, **HTMX
        )
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"cx-chat-sent": {}}  # the poller asks now
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="live-chat-controls"')
    assert "autofocus" in html
    reply = chat.case.interactions.latest("pk")
    assert (reply.channel, reply.direction, reply.author_agent) == ("chat", "out", agent)
    assert reply.delivery_status == "sent"
    widget_sees = [m["text"] for m in chat.poll().json()["messages"]]
    assert widget_sees == ["My parcel has not arrived", "Hello Ann"]
    chat.case.refresh_from_db()
    assert chat.case.assignee == agent
    assert chat.case.status == "open"


def test_without_javascript_the_chat_box_posts_and_comes_back(client, chat):
    response = client.post(reverse("chat-live-messages", args=[chat.id]), {"text": "Hi"})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{chat.case.pk}/#live-chat"
    assert "Hi" in client.get(response["Location"]).content.decode()


def test_an_empty_message_is_refused_beside_the_box(client, chat):
    response = client.post(reverse("chat-live-messages", args=[chat.id]), {"text": "  "}, **HTMX)
    assert response.status_code == 400
    assert "Write something before sending." in response.content.decode()
    assert chat.case.interactions.count() == 1


def test_a_too_long_message_keeps_what_was_typed_without_javascript(client, chat):
    text = "x" * 5001
    response = client.post(reverse("chat-live-messages", args=[chat.id]), {"text": text})
    html = response.content.decode()
    assert response.status_code == 400
    assert "at most 5000 characters" in html
    assert text in html  # the case page again, the text in the chat box
    assert 'id="live-chat-error"' in html


def test_a_message_to_a_chat_that_just_ended_says_so_and_keeps_the_text(client, chat):
    chat.end()
    response = client.post(
        reverse("chat-live-messages", args=[chat.id]), {"text": "Still there?"}, **HTMX
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "This chat has ended" in html
    assert "Still there?" in html
    assert chat.case.interactions.count() == 1


def test_end_chat_ends_the_session_as_the_agent(client, chat):
    response = client.post(reverse("chat-agent-end", args=[chat.id]), **HTMX)
    assert response.status_code == 200
    assert "This chat has ended (agent)" in response.content.decode()
    chat.session.refresh_from_db()
    assert chat.session.status == "ended"
    assert chat.session.ended_by == "agent"
    assert chat.poll().json()["session"]["status"] == "ended"  # the widget learns it


def test_end_chat_without_javascript_redirects_with_a_message(client, chat):
    response = client.post(reverse("chat-agent-end", args=[chat.id]), follow=True)
    assert response.redirect_chain == [(f"/cases/{chat.case.pk}/#live-chat", 302)]
    assert "Chat ended." in response.content.decode()
