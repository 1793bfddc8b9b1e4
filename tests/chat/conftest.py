import os

import pytest
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient

from tests.chat.factories import ChatWidgetFactory

ORIGIN = "https://shop.example.com"


def pytest_configure(config):
    # Until pyproject.toml declares it (--strict-markers), the marker is registered here.
    config.addinivalue_line(
        "markers", "browser: drives a real Chromium through Playwright (skipped without it)")


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
        return self.client.post(f"/channels/chat/sessions/{self.id}/messages/", {"text": text},
                                format="json", **self.headers(token))

    def poll(self, after: int = 0, token: str | None = None):
        return self.client.get(f"/channels/chat/sessions/{self.id}/messages/",
                               {"after": after}, **self.headers(token))

    def end(self, token: str | None = None):
        return self.client.post(f"/channels/chat/sessions/{self.id}/end/", {}, format="json",
                                **self.headers(token))


@pytest.fixture
def start_chat(visitor, widget):
    """start_chat(message=…, **fields) → Chat (asserts the start succeeded)."""

    def start(message: str = "My parcel has not arrived", *, client=None, key=None, **fields):
        client = client or visitor
        response = client.post(f"/channels/chat/widgets/{key or widget.public_key}/sessions/",
                               {"message": message, **fields}, format="json")
        assert response.status_code == 201, response.content
        return Chat(client, response.json())

    return start


CHROMIUM = os.environ.get("CXDESK_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls
    # (checking the case, the agent's API call) are ordinary synchronous code all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 900, "height": 640})
        page.set_default_timeout(15_000)
        try:
            yield page
        finally:
            browser.close()
            # The ORM calls made while Playwright ran may have opened connections of their
            # own (greenlets have their own context); close them, or PostgreSQL cannot drop
            # the test database at the end.
            connections.close_all()
