"""The chat console in real headless Chromium, two browsers against a live server: a customer
chats through the widget's demo page while an agent, on /chats/, sees the chat arrive (badge,
sound) without reloading, takes it, and talks with the customer on the case page — messages
both ways appear without reload — then ends the chat. No CSP violation on the agent's pages.

Screenshots go to $CXDESK_SHOTS (default /tmp/cxdesk-shots/chatconsole/), not committed.
"""

import os
from pathlib import Path

from apps.chat.models import ChatSession
from tests.browser import BROWSER_TEST, wait_for
from tests.chat.factories import ChatWidgetFactory
from tests.core.test_csp_browser import Visitor

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - BROWSER_TEST skips
    expect = None

pytestmark = BROWSER_TEST
SHOTS = Path(os.environ.get("CXDESK_SHOTS", "/tmp/cxdesk-shots/chatconsole"))


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_an_agent_takes_a_new_chat_and_talks_with_the_customer_live(
    transactional_db, live_server, chromium, team, agent
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    widget = ChatWidgetFactory(name="Acme support", team=team)

    # The agent has the chat console open; the sound toggle remembers its state.
    staff = Visitor(chromium, base)
    staff.sign_in(agent.username)
    agent_page = staff.page
    agent_page.set_viewport_size({"width": 1280, "height": 900})
    staff.visit("/chats/", "console-empty")
    expect(agent_page.get_by_text("No chat is waiting.")).to_be_visible()
    toggle = agent_page.locator("#chat-sound-toggle")
    expect(toggle).to_have_text("Sound on")
    toggle.click()  # also the user's first interaction: browsers play sound only after one
    expect(toggle).to_have_text("Sound off")
    assert agent_page.evaluate("localStorage.getItem('cxdesk-chat-muted')") == "1"
    agent_page.reload()
    expect(agent_page.locator("#chat-sound-toggle")).to_have_text("Sound off")
    agent_page.locator("#chat-sound-toggle").click()
    expect(agent_page.locator("#chat-sound-toggle")).to_have_attribute("aria-pressed", "true")
    agent_page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # A customer starts a chat through the widget.
    customer = chromium.new_context().new_page()
    customer.set_default_timeout(15_000)
    customer.goto(f"{base}/channels/chat/demo/{widget.public_key}/")
    customer.locator(".cx-launcher").click()
    customer.locator(".cx-name").fill("Ann Lee")
    customer.locator(".cx-start .cx-input").fill("Hello, my parcel has not arrived")
    customer.locator(".cx-start .cx-send").click()
    expect(customer.locator(".cx-from-customer .cx-text")).to_have_text(
        "Hello, my parcel has not arrived"
    )
    session = wait_for(lambda: ChatSession.objects.select_related("case").first(), customer)

    # It appears on the agent's console without a reload, with the badge and the sound.
    row = agent_page.locator(f"#chat-waiting-{session.pk}")
    expect(row).to_contain_text("Ann Lee")
    expect(row).to_contain_text("Hello, my parcel has not arrived")
    expect(agent_page.locator("#chat-badge .count")).to_have_text("1")
    expect(agent_page.locator("html")).to_have_attribute("data-chat-sound", "played")
    assert agent_page.evaluate("window.__sameDocument") is True
    shot(agent_page, "console-waiting")
    agent_page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scroll
    assert agent_page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(agent_page, "console-waiting-390")
    agent_page.set_viewport_size({"width": 1280, "height": 900})

    # The agent takes it: the case page opens on the live chat.
    agent_page.locator(f"#take-{session.pk}").click()
    agent_page.wait_for_url(f"**/cases/{session.case_id}/#live-chat")
    expect(agent_page.locator(".messages")).to_contain_text("You have the chat with Ann Lee")
    live = agent_page.locator("#live-chat")
    expect(live).to_contain_text("Hello, my parcel has not arrived")
    expect(agent_page.locator("#chat-badge .count")).to_have_count(0)  # nothing waits now
    agent_page.evaluate("window.__sameDocument = true")

    # The agent replies from the chat box (Enter sends); the customer's widget shows it.
    agent_page.locator("#live-chat-text").fill("Sorry about that! Let me check.")
    agent_page.locator("#live-chat-text").press("Enter")
    expect(live.locator(".interaction.out")).to_contain_text("Sorry about that! Let me check.")
    expect(agent_page.locator("#live-chat-text")).to_have_value("")
    expect(agent_page.locator("#live-chat-text")).to_be_focused()
    expect(customer.locator(".cx-from-agent .cx-text")).to_have_text(
        "Sorry about that! Let me check."
    )

    # The customer answers; it appears on the agent's page without a reload.
    customer.locator(".cx-compose .cx-input").fill("Order 1234, thanks")
    customer.locator(".cx-compose .cx-input").press("Enter")
    expect(live.locator(".interaction.in")).to_have_count(2)
    expect(live.locator(".interaction.in").last).to_contain_text("Order 1234, thanks")
    expect(live.locator(".interaction")).to_have_count(3)  # no message twice
    assert agent_page.evaluate("window.__sameDocument") is True
    staff.collect("case-live-chat")
    shot(agent_page, "case-live-chat")

    # The agent ends the chat; the widget learns it.
    agent_page.get_by_role("button", name="End chat", exact=True).click()
    expect(agent_page.locator("#live-chat-controls")).to_contain_text("This chat has ended (agent)")
    expect(customer.locator(".cx-ended")).to_be_visible()
    session.refresh_from_db()
    assert session.status == "ended"
    assert session.ended_by == "agent"
    assert session.answered
    assert session.case.assignee == agent
    assert agent_page.evaluate("window.__sameDocument") is True
    staff.collect("case-chat-ended")
    assert not staff.violations, staff.violations


def test_a_new_chat_flashes_the_badge_silently_before_any_interaction_or_when_muted(
    transactional_db, live_server, chromium, team, agent
):
    import re

    from apps.chat import services

    base = live_server.url.replace("localhost", "127.0.0.1")
    widget = ChatWidgetFactory(name="Acme support", team=team)
    staff = Visitor(chromium, base)
    staff.sign_in(agent.username)
    page = staff.page
    staff.visit("/", "queue-no-chat")  # any agent page has the badge; nothing clicked here
    expect(page.locator("#chat-badge [data-newest]")).to_have_attribute("data-newest", "0")

    services.chat_start(widget=widget, message="First chat")
    expect(page.locator("#chat-badge .count")).to_have_text("1")
    expect(page.locator("#chats-link")).to_have_class(re.compile("chat-flash"))
    assert page.locator("html").get_attribute("data-chat-sound") is None  # no interaction yet

    page.locator("#chat-sound-toggle").click()  # an interaction, and the sound muted
    expect(page.locator("#chat-sound-toggle")).to_have_text("Sound off")
    expect(page.locator("#chats-link")).not_to_have_class(re.compile("chat-flash"))
    services.chat_start(widget=widget, message="Second chat")
    expect(page.locator("#chat-badge .count")).to_have_text("2")
    expect(page.locator("#chats-link")).to_have_class(re.compile("chat-flash"))
    assert page.locator("html").get_attribute("data-chat-sound") is None  # muted

    page.reload()  # a chat announced once is not announced again on the next page
    expect(page.locator("#chat-badge .count")).to_have_text("2")
    page.wait_for_timeout(500)
    expect(page.locator("#chats-link")).not_to_have_class(re.compile("chat-flash"))
    assert not staff.violations, staff.violations
