"""The widget in a real browser: Debian's Chromium, driven by Playwright, against a live server.

A visitor opens the demo page, starts a chat (a case appears), an agent answers through the
REST API, the answer shows up in the widget, and the visitor ends the chat. Skipped, saying
why, where /usr/bin/chromium or the playwright package is missing.
"""

import os
from pathlib import Path

from apps.cases.models import Case
from apps.chat.models import ChatSession
from tests.browser import BROWSER_TEST, wait_for
from tests.chat.factories import ChatWidgetFactory

SCREENSHOT = Path(os.environ.get("CXDESK_CHAT_SCREENSHOT", "/tmp/chat-widget.png"))

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine (BROWSER_TEST skips)
    expect = None

pytestmark = BROWSER_TEST


def test_a_visitor_chats_with_an_agent_through_the_widget(
    transactional_db, live_server, browser_page, team, agent, token_client
):
    page = browser_page
    base = live_server.url.replace("localhost", "127.0.0.1")  # it listens on IPv4
    widget = ChatWidgetFactory(name="Acme support", team=team)
    requests, problems = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))

    # The visitor opens the page and starts a chat.
    page.goto(f"{base}/channels/chat/demo/{widget.public_key}/")
    page.locator(".cx-launcher").click()
    expect(page.locator(".cx-title")).to_have_text("Acme support")
    page.locator(".cx-name").fill("Ann Lee")
    page.locator(".cx-start .cx-input").fill("Hello, my parcel has not arrived")
    page.locator(".cx-start .cx-send").click()
    expect(page.locator(".cx-from-customer .cx-text")).to_have_text(
        "Hello, my parcel has not arrived"
    )

    # cxdesk has the case, and the widget shows its reference.
    session = wait_for(lambda: ChatSession.objects.select_related("case", "contact").first(), page)
    case = session.case
    assert case.channel == "chat"
    assert case.team == team
    assert case.requester.name == "Ann Lee"
    expect(page.locator(".cx-info")).to_contain_text(case.reference)
    token = page.evaluate(
        f"JSON.parse(sessionStorage.getItem('cxdesk-chat:{widget.public_key}')).token"
    )
    assert token

    # The visitor writes again; an agent answers through the REST API.
    page.locator(".cx-compose .cx-input").fill("Order 1234")
    page.locator(".cx-compose .cx-input").press("Enter")
    expect(page.locator(".cx-from-customer")).to_have_count(2)
    reply = token_client(agent).post(
        f"/api/v1/cases/{case.pk}/interactions/",
        {"type": "reply", "body_text": "Sorry about that! It leaves our warehouse today."},
        format="json",
    )
    assert reply.status_code == 201, reply.content

    # The reply reaches the widget by its polling.
    agent_line = page.locator(".cx-from-agent .cx-text")
    expect(agent_line).to_have_text("Sorry about that! It leaves our warehouse today.")
    expect(page.locator(".cx-from-agent .cx-author")).to_contain_text("Test")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    # The visitor ends the chat.
    page.locator(".cx-end").click()
    expect(page.locator(".cx-ended")).to_be_visible()
    expect(page.locator(".cx-compose")).to_be_hidden()
    session.refresh_from_db()
    assert session.status == "ended"
    assert session.ended_by == "customer"
    assert session.answered
    assert Case.objects.count() == 1
    assert [i.direction for i in case.interactions.order_by("pk")] == ["in", "in", "out"]

    # Nothing but cxdesk was contacted, and the page logged no error.
    assert requests
    assert all(url.startswith(base + "/") for url in requests), requests
    assert not problems, problems


def test_the_chat_survives_a_page_reload(transactional_db, live_server, browser_page, team):
    page = browser_page
    base = live_server.url.replace("localhost", "127.0.0.1")
    widget = ChatWidgetFactory(name="Acme support", team=team)
    page.goto(f"{base}/channels/chat/demo/{widget.public_key}/")
    page.locator(".cx-launcher").click()
    page.locator(".cx-start .cx-input").fill("First question")
    page.locator(".cx-start .cx-send").click()
    expect(page.locator(".cx-compose")).to_be_visible()

    page.reload()  # sessionStorage keeps the token: the widget reopens on the same chat
    expect(page.locator(".cx-from-customer .cx-text")).to_have_text("First question")
    page.locator(".cx-compose .cx-input").fill("Second question")
    page.locator(".cx-compose .cx-send").click()
    expect(page.locator(".cx-from-customer")).to_have_count(2)
    assert ChatSession.objects.count() == 1
    assert Case.objects.count() == 1
    # A returning visitor keeps their visitor id (localStorage) for the next chat.
    visitor = page.evaluate("localStorage.getItem('cxdesk-chat-visitor')")
    assert visitor == ChatSession.objects.get().visitor_id
