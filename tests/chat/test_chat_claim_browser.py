"""The email-claim journey in a real browser: a visitor types a known customer's address into
the widget, the agent sees it as unverified, the customer confirms it from their mailbox, and
the agent then sees the chat joined to that customer."""

import re
from pathlib import Path

from django.core import mail

from apps.chat.models import ChatSession
from tests.browser import BROWSER_TEST, wait_for
from tests.chat.factories import ChatWidgetFactory
from tests.factories import EmailIdentityFactory

SCREENSHOTS = Path("/tmp")
pytestmark = BROWSER_TEST


def test_a_typed_email_stays_a_claim_until_its_owner_confirms_it(
    transactional_db, live_server, browser_page, team, agent, settings
):
    page = browser_page
    base = live_server.url.replace("localhost", "127.0.0.1")
    settings.CXDESK_PUBLIC_URL = base
    ann = EmailIdentityFactory(value="ann@example.com", contact__name="Ann Lee").contact
    widget = ChatWidgetFactory(name="Acme support", team=team)

    # The visitor types Ann's address and starts a chat.
    page.goto(f"{base}/channels/chat/demo/{widget.public_key}/")
    page.locator(".cx-launcher").click()
    page.locator(".cx-email").fill("ann@example.com")
    page.locator(".cx-start .cx-input").fill("Where is my refund?")
    page.locator(".cx-start .cx-send").click()
    page.locator(".cx-note").wait_for()
    assert "ann@example.com" in page.locator(".cx-note").inner_text()
    session = wait_for(lambda: ChatSession.objects.select_related("case").first(), page)
    assert session.contact != ann

    # The agent sees the claim as unverified.
    agent.set_password("agent-pass-2026")
    agent.save()
    agent_page = page.context.browser.new_context().new_page()
    agent_page.goto(f"{base}/accounts/login/")
    agent_page.locator("input[name=username]").fill(agent.username)
    agent_page.locator("input[name=password]").fill("agent-pass-2026")
    agent_page.locator("button[type=submit], input[type=submit]").first.click()
    agent_page.goto(f"{base}/cases/{session.case_id}/")
    claim = agent_page.locator(".claim")
    assert "unverified" in claim.inner_text()
    agent_page.screenshot(path=str(SCREENSHOTS / "chat-claim-unverified.png"), full_page=True)

    # Ann opens the link mailed to her and confirms.
    [message] = wait_for(lambda: [m for m in mail.outbox if m.to == ["ann@example.com"]], page)
    link = re.search(r"http\S+/channels/chat/confirm/\S+/", message.body).group(0)
    mailbox_page = page.context.browser.new_context().new_page()
    mailbox_page.goto(link)
    mailbox_page.get_by_role("button", name="Yes, that was me").click()
    mailbox_page.get_by_text("your email is confirmed").wait_for()
    mailbox_page.screenshot(path=str(SCREENSHOTS / "chat-claim-confirmed.png"))

    # The agent now sees the chat joined to Ann.
    agent_page.reload()
    assert "verified" in agent_page.locator(".claim").inner_text()
    assert "unverified" not in agent_page.locator(".claim").inner_text()
    assert "Ann Lee" in agent_page.locator(".requester-name").inner_text()
    session.refresh_from_db()
    assert session.contact == ann
    assert session.claim_verified_via == "email"
