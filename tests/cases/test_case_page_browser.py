"""The case page in real headless Chromium: an agent signs in, opens a case, replies, adds a
note, sets a tag and sends-and-solves, with htmx (no page reload) and without JavaScript;
screenshots at 1280 and 390 px (no sideways scrolling on the phone) and no CSP violation.

Screenshots go to $CXDESK_SHOTS (default /tmp/cxdesk-shots/casepage/), not committed.
"""

import os
from pathlib import Path

import pytest
from django.core import mail

from apps.cases import services
from apps.cases.models import Case
from tests.browser import BROWSER_TEST
from tests.core.test_csp_browser import PASSWORD, Visitor
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - BROWSER_TEST skips
    expect = None

pytestmark = BROWSER_TEST
SHOTS = Path(os.environ.get("CXDESK_SHOTS", "/tmp/cxdesk-shots/casepage"))


def shot(visitor, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    visitor.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
    found = visitor.page.evaluate("window.__cspViolations || []")
    visitor.violations.extend(f"{name}: {v}" for v in found)


def overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.fixture
def email_case(team, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    identity = EmailIdentityFactory(value="ann@example.com", contact__name="Ann Example")
    case = CaseFactory(
        team=team,
        requester=identity.contact,
        status=Case.Status.NEW,
        subject="Charged twice for my March invoice — please refund the second payment",
    )
    message = InteractionFactory(case=case, body_text="I was charged twice on 3 March.")
    services.attachment_add(interaction=message, filename="statement.pdf", content=b"%PDF-1")
    return case


def sign_in(visitor, username):
    visitor.page.goto(visitor.base + "/accounts/login/")
    visitor.page.fill("#id_username", username)
    visitor.page.fill("#id_password", PASSWORD)
    visitor.page.locator("[type=submit]").click()
    visitor.page.wait_for_load_state("networkidle")


def test_an_agent_works_a_case_from_the_page(
    transactional_db, live_server, chromium, agent, email_case
):
    case = email_case
    base = live_server.url.replace("localhost", "127.0.0.1")
    visitor = Visitor(chromium, base)
    visitor.context.set_default_timeout(15_000)
    page = visitor.page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(visitor, agent.username)
    visitor.visit(f"/cases/{case.pk}/", "casepage-open-1280")
    expect(page.locator("#case-title .reference")).to_have_text(case.reference)
    expect(page.locator(".requester-name a")).to_have_text("Ann Example")
    expect(page.locator(".attachment a")).to_have_text("statement.pdf")
    page.evaluate("window.__sameDocument = true")  # gone if a form reloads the page

    # A public reply by email (htmx: the workspace is swapped, no reload).
    page.get_by_label("Message").fill("Sorry about that — the second payment is refunded.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer .saved")).to_have_text("Reply sent.")
    expect(page.locator(".interaction.out").last).to_contain_text("the second payment is refunded")
    # htmx settles the swap and puts the focus back in the message box (its [autofocus]);
    # typing elsewhere before that would land in the box.
    expect(page.get_by_label("Message")).to_be_focused()
    assert [m.to for m in mail.outbox] == [["Ann Example <ann@example.com>"]]

    # An internal note.
    page.get_by_label("Internal note").check()
    page.get_by_label("Message").fill("Refund id RF-2291 in the ledger.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".interaction.note").last).to_contain_text("RF-2291")
    expect(page.get_by_label("Message")).to_be_focused()
    assert len(mail.outbox) == 1  # a note never reaches the customer

    # A tag, in place.
    page.get_by_label("Tags").fill("refund, double-charge")
    page.get_by_role("button", name="Save tags").click()
    expect(page.locator("#case-header .saved")).to_have_text("Tags saved.")
    expect(page.locator("#case-header .tag")).to_have_text(["double-charge", "refund"])
    expect(page.get_by_label("Tags")).to_be_focused()  # focus stays on the field just saved
    assert sorted(case.tags.values_list("name", flat=True)) == ["double-charge", "refund"]

    # Send and solve in one action.
    page.get_by_label("Public reply").check()
    page.get_by_label("Message").fill("All done — closing this case.")
    page.get_by_label("Then set status").select_option("solved")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer .saved")).to_have_text("Reply sent and status set to solved.")
    expect(page.locator("#case-header .status")).to_have_text("Solved")
    case.refresh_from_db()
    assert case.status == Case.Status.SOLVED
    assert page.evaluate("window.__sameDocument === true")

    # The audit trail, loaded on demand.
    page.locator("#case-history summary").click()
    expect(page.locator("#case-history .events")).to_contain_text("Tags changed")
    shot(visitor, "casepage-worked-1280")

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    page.wait_for_load_state("networkidle")
    shot(visitor, "casepage-worked-390")
    assert overflow(page) <= 0, "the case page scrolls sideways on a 390 px phone"
    visitor.visit("/", "casepage-queue-390")
    assert visitor.violations == [], "\n".join(visitor.violations)


def test_the_stale_reply_warning_in_the_browser(
    transactional_db, live_server, chromium, agent, email_case
):
    case = email_case
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    page = visitor.page
    sign_in(visitor, agent.username)
    visitor.visit(f"/cases/{case.pk}/", "casepage-stale-before")
    page.get_by_label("Message").fill("We refunded it yesterday.")
    InteractionFactory(case=case, body_text="Actually the bank reversed it, all good!")

    page.get_by_role("button", name="Send", exact=True).click()
    warning = page.locator(".stale-warning")
    expect(warning).to_contain_text("Not sent: 1 new message arrived")
    expect(warning).to_contain_text("the bank reversed it")
    expect(page.get_by_label("Message")).to_have_value("We refunded it yesterday.")
    shot(visitor, "casepage-stale-warning")
    assert not case.interactions.filter(direction="out").exists()

    page.get_by_role("button", name="Send anyway").click()
    expect(page.locator("#composer .saved")).to_have_text("Reply sent.")
    assert case.interactions.filter(direction="out").count() == 1
    assert visitor.violations == [], "\n".join(visitor.violations)


def test_without_javascript_the_page_still_replies_and_sets_fields(
    transactional_db, live_server, chromium, agent, email_case
):
    case = email_case
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.context.close()
    visitor.context = chromium.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    visitor.page = page = visitor.context.new_page()
    sign_in(visitor, agent.username)
    page.goto(visitor.base + f"/cases/{case.pk}/")
    page.get_by_label("Message").fill("Replying with scripts off.")
    page.get_by_label("Then set status").select_option("pending")
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Reply sent and status set to pending.")
    page.locator("#field-status").select_option("open")
    page.locator("#case-header form").filter(has=page.locator("#field-status")).get_by_role(
        "button", name="Set"
    ).click()
    expect(page.locator(".messages")).to_contain_text("Status set to open.")
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert case.interactions.filter(direction="out").count() == 1
