import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.chat.factories import ChatWidgetFactory

ORIGIN = "https://shop.example.com"


def pytest_configure(config):
    # Until pyproject.toml declares it (--strict-markers), the marker is registered here.
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium through Playwright (skipped without it)"
    )


@pytest.fixture(autouse=True)
def chat_sender(settings):
    """Agents' chat replies go through the chat channel's sender; throttle counters start
    empty (they live in the cache, shared by every test of the process)."""
    settings.CXDESK_OUTBOUND_SENDERS = {"chat": "apps.chat.outbound.send"}
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def widget(team):
    return ChatWidgetFactory(name="Acme shop", team=team, allowed_origins=[ORIGIN])


@pytest.fixture
def visitor():
    """The customer's browser on the shop's website: no login, the shop's Origin."""
    return APIClient(HTTP_ORIGIN=ORIGIN)


class Chat:
    """A started chat seen from the widget: its session id, token and first answer."""

    def __init__(self, client: APIClient, data: dict):
        self.client, self.data = client, data
        self.id = data["session"]["id"]
        self.token = data["token"]

    def headers(self, token: str | None = None) -> dict:
        return {"HTTP_X_CHAT_TOKEN": self.token if token is None else token}

    def say(self, text: str, token: str | None = None):
        return self.client.post(
            f"/channels/chat/sessions/{self.id}/messages/",
            {"text": text},
            format="json",
            **self.headers(token),
        )

    def poll(self, after: int = 0, token: str | None = None):
        return self.client.get(
            f"/channels/chat/sessions/{self.id}/messages/", {"after": after}, **self.headers(token)
        )

    def end(self, token: str | None = None):
        return self.client.post(
            f"/channels/chat/sessions/{self.id}/end/", {}, format="json", **self.headers(token)
        )


@pytest.fixture
def start_chat(visitor, widget):
    """start_chat(message=…, **fields) → Chat (asserts the start succeeded)."""

    def start(message: str = "My parcel has not arrived", *, client=None, key=None, **fields):
        client = client or visitor
        response = client.post(
            f"/channels/chat/widgets/{key or widget.public_key}/sessions/",
            {"message": message, **fields},
            format="json",
        )
        assert response.status_code == 201, response.content
        return Chat(client, response.json())

    return start
