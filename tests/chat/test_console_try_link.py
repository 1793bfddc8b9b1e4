"""The chat console links to a widget's demo page ("Try a chat as a customer"), so an agent
can start a chat and watch it arrive: their own team's widget when there is one (the chat
then reaches them), else any active widget; none when no widget is active."""

import pytest
from django.urls import reverse

from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db

LINK = "Try a chat as a customer"


def test_the_console_links_to_the_demo_page_of_the_agents_teams_widget(
    client, agent, team, other_team
):
    ChatWidgetFactory(name="Other team's", team=other_team)  # older: first by id
    ChatWidgetFactory(name="Inactive", team=team, is_active=False)
    own = ChatWidgetFactory(name="Acme shop", team=team)
    client.force_login(agent)
    html = client.get(reverse("chat-console")).content.decode()
    demo = reverse("chat:demo", args=[own.public_key])
    assert f'<a href="{demo}" target="_blank" rel="noopener">{LINK}</a>' in html
    assert "Acme shop" in html
    assert client.get(demo).status_code == 200  # the page the link opens, for anyone


def test_without_a_widget_of_their_teams_any_active_widget_is_linked(client, agent, other_team):
    ChatWidgetFactory(team=other_team, is_active=False)
    shared = ChatWidgetFactory(name="Shared", team=None)
    client.force_login(agent)
    html = client.get(reverse("chat-console")).content.decode()
    assert reverse("chat:demo", args=[shared.public_key]) in html


def test_no_link_without_an_active_widget(client, agent, team):
    ChatWidgetFactory(team=team, is_active=False)
    client.force_login(agent)
    assert LINK not in client.get(reverse("chat-console")).content.decode()
