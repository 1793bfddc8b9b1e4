"""The chat console (/chats/): waiting chats oldest first with their wait, my chats, how many
chats each agent of my teams holds, the header's badge, taking a chat — with permissions,
methods and query counts."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.chat import services
from apps.chat.models import ChatSession
from tests.chat.factories import ChatWidgetFactory
from tests.factories import AgentFactory

pytestmark = pytest.mark.django_db


def many_chats(widget, n, prefix="question"):
    """n chats started through the service (the widget's throttles allow only a few)."""
    return [
        services.chat_start(widget=widget, message=f"{prefix} {i}", name=f"Visitor {i}")
        for i in range(n)
    ]


HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/cases/1/"}


@pytest.fixture
def teammate(team):
    return AgentFactory(username="bea", first_name="Bea", last_name="Berg", teams=[team])


@pytest.fixture
def other_chat(other_team, visitor):
    """A chat through another team's widget."""
    widget = ChatWidgetFactory(team=other_team)
    response = visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/",
        {"message": "Other team's question"},
        format="json",
    )
    return ChatSession.objects.get(pk=response.json()["session"]["id"])


def test_waiting_chats_are_listed_oldest_first_with_their_wait(client, agent, start_chat):
    start = timezone.now()
    with time_machine.travel(start - timedelta(minutes=7), tick=False):
        old = start_chat("Where is my parcel?", name="Ann Lee")
    with time_machine.travel(start - timedelta(minutes=2), tick=False):
        new = start_chat("Refund please", name="Bob Roe")
    client.force_login(agent)
    with time_machine.travel(start, tick=False):
        response = client.get(reverse("chat-console"))
    assert response.status_code == 200
    assert [c.pk for c in response.context["waiting"]] == [old.id, new.id]
    html = response.content.decode()
    assert html.index("Ann Lee") < html.index("Bob Roe")
    assert "7\xa0minutes" in html
    assert "2\xa0minutes" in html
    assert f'action="/chats/{old.id}/take/"' in html


def test_a_taken_or_ended_chat_no_longer_waits(client, agent, teammate, start_chat):
    taken, ended, waiting = start_chat(), start_chat(), start_chat()
    services.chat_take(session_id=taken.id, agent=teammate)
    ended.end()
    client.force_login(agent)
    response = client.get(reverse("chat-console-panel"), **HTMX)
    assert [c.pk for c in response.context["waiting"]] == [waiting.id]


def test_my_chats_and_the_chats_each_teammate_holds(client, agent, teammate, start_chat):
    mine = start_chat()
    for chat in (start_chat(), start_chat()):
        services.chat_take(session_id=chat.id, agent=teammate)
    services.chat_take(session_id=mine.id, agent=agent)
    ended = start_chat()
    services.chat_take(session_id=ended.id, agent=agent)
    ended.end()  # an ended chat is held by nobody
    client.force_login(agent)
    response = client.get(reverse("chat-console"))
    assert [c.pk for c in response.context["mine"]] == [mine.id]
    assert [(u.username, u.chats) for u in response.context["holders"]] == [
        ("bea", 2),
        ("alex", 1),
    ]
    assert f'href="/cases/{ChatSession.objects.get(pk=mine.id).case_id}/#live-chat"' in (
        response.content.decode()
    )


def test_another_teams_chats_are_not_listed(client, agent, other_chat, start_chat):
    ours = start_chat()
    client.force_login(agent)
    response = client.get(reverse("chat-console"))
    assert [c.pk for c in response.context["waiting"]] == [ours.id]
    assert "Other team" not in response.content.decode()
    badge = client.get(reverse("chat-console-badge"), **HTMX)
    assert 'data-waiting="1"' in badge.content.decode()


def test_the_panel_polls_itself_and_keeps_the_take_buttons_ids(client, agent, start_chat):
    chat = start_chat()
    client.force_login(agent)
    html = client.get(reverse("chat-console")).content.decode()
    assert 'hx-get="/chats/panel/" hx-trigger="every 3s" hx-swap="outerHTML"' in html
    panel = client.get(reverse("chat-console-panel"), **HTMX).content.decode()
    assert panel.lstrip().startswith('<div id="chat-console"')
    assert f'id="take-{chat.id}"' in panel
    assert "<html" not in panel


def test_the_badge_counts_waiting_chats_and_names_the_newest(client, agent, start_chat):
    client.force_login(agent)
    empty = client.get(reverse("chat-console-badge"), **HTMX).content.decode()
    assert 'data-waiting="0" data-newest="0"' in empty
    assert 'class="count"' not in empty
    start_chat()
    newest = start_chat()
    badge = client.get(reverse("chat-console-badge"), **HTMX).content.decode()
    assert f'data-waiting="2" data-newest="{newest.id}"' in badge
    assert '<span class="count">2</span>' in badge


def test_every_agent_page_has_the_badge_and_its_script(client, agent):
    client.force_login(agent)
    html = client.get(reverse("home")).content.decode()
    assert 'hx-get="/chats/badge/" hx-trigger="load, every 5s"' in html
    assert "/static/cxdesk/chat-console.js" in html
    assert 'data-sound="/static/cxdesk/new-chat.wav"' in html
    assert "<script>" not in html  # no inline script (CSP)


def test_the_badge_is_one_count_however_many_chats(
    client, agent, widget, django_assert_max_num_queries
):
    client.force_login(agent)
    many_chats(widget, 1)
    with django_assert_max_num_queries(4) as few:  # session, user, role, the count
        client.get(reverse("chat-console-badge"), **HTMX)
    many_chats(widget, 10)
    with django_assert_max_num_queries(len(few.captured_queries)):
        badge = client.get(reverse("chat-console-badge"), **HTMX)
    assert 'data-waiting="11"' in badge.content.decode()


def test_the_console_costs_the_same_for_2_or_20_chats(
    client, agent, teammate, team, widget, django_assert_max_num_queries
):
    def grow(n):
        for i, chat in enumerate(many_chats(widget, n)):
            if i % 3 == 0:
                services.chat_take(session_id=chat.pk, agent=teammate if i % 2 else agent)
        AgentFactory(teams=[team])

    client.force_login(agent)
    grow(2)
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("chat-console"))
    grow(18)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("chat-console"))
    assert len(response.context["waiting"]) == 13
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("chat-console-panel"), **HTMX)


def test_taking_a_chat_opens_its_case_page(client, agent, start_chat):
    chat = start_chat()
    client.force_login(agent)
    response = client.post(reverse("chat-take", args=[chat.id]))
    session = ChatSession.objects.select_related("case").get(pk=chat.id)
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{session.case_id}/#live-chat"
    assert session.case.assignee == agent
    page = client.get(response["Location"])
    assert "You have the chat with" in page.content.decode()


def test_a_chat_taken_by_someone_else_says_so_on_the_console(client, agent, teammate, start_chat):
    chat = start_chat()
    services.chat_take(session_id=chat.id, agent=teammate)
    client.force_login(agent)
    response = client.post(reverse("chat-take", args=[chat.id]), follow=True)
    assert response.redirect_chain == [("/chats/", 302)]
    assert "Bea Berg has taken this chat already." in response.content.decode()
    assert ChatSession.objects.get(pk=chat.id).case.assignee == teammate


def test_an_ended_chat_cannot_be_taken_and_says_why(client, agent, start_chat):
    chat = start_chat()
    chat.end()
    client.force_login(agent)
    response = client.post(reverse("chat-take", args=[chat.id]), follow=True)
    assert "This chat has ended before anyone took it." in response.content.decode()


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("chat-take", "post"),
        ("chat-live-messages", "get"),
        ("chat-live-messages", "post"),
        ("chat-agent-end", "post"),
        ("chat-take", "get"),  # 404 before 405: another team's chat is not told apart
    ],
)
def test_another_teams_chat_is_a_404(client, agent, other_chat, name, method):
    client.force_login(agent)
    response = getattr(client, method)(reverse(name, args=[other_chat.pk]), **HTMX)
    assert response.status_code == 404
    other_chat.refresh_from_db()
    assert other_chat.is_active
    assert other_chat.case.assignee is None
    assert other_chat.case.interactions.count() == 1


def test_a_chat_id_beyond_any_row_is_a_404(client, agent):
    client.force_login(agent)
    assert client.post(reverse("chat-take", args=[2**63])).status_code == 404


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("chat-console", []),
        ("chat-console-panel", []),
        ("chat-console-badge", []),
        ("chat-live-messages", [1]),
    ],
)
def test_without_signing_in_the_console_asks_to_sign_in(client, start_chat, name, args):
    start_chat()
    path = reverse(name, args=args)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"
    # An htmx poll sends the whole page to the sign-in page, not the login form into the badge.
    polled = client.get(path, **HTMX)
    assert polled.status_code == 200
    assert polled["HX-Redirect"] == "/accounts/login/?next=/cases/1/"
    assert polled.content == b""


def test_without_signing_in_nothing_is_taken_or_ended(client, start_chat):
    chat = start_chat()
    for name in ("chat-take", "chat-agent-end"):
        response = client.post(reverse(name, args=[chat.id]))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    session = ChatSession.objects.select_related("case").get(pk=chat.id)
    assert session.is_active
    assert session.case.assignee is None


@pytest.mark.parametrize(
    ("name", "method", "with_chat"),
    [
        ("chat-console", "post", False),
        ("chat-console-panel", "post", False),
        ("chat-console-badge", "post", False),
        ("chat-take", "get", True),
        ("chat-agent-end", "get", True),
        ("chat-live-messages", "put", True),
    ],
)
def test_wrong_methods_are_405(client, agent, start_chat, name, method, with_chat):
    chat = start_chat()
    client.force_login(agent)
    response = getattr(client, method)(reverse(name, args=[chat.id] if with_chat else []))
    assert response.status_code == 405
    session = ChatSession.objects.select_related("case").get(pk=chat.id)
    assert session.is_active
    assert session.case.assignee is None
