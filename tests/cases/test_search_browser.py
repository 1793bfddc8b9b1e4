"""The search journey in a real browser (Debian's Chromium through Playwright): an agent signs
in, presses "/" to reach the header's search box, types a phone number written differently
from the stored one, and sees the contact's case; at 1280 px and at 390 px (a phone), with
no Content-Security-Policy violation. Screenshots: /tmp/cxdesk-shots/search/ (or
$CXDESK_SEARCH_SCREENSHOTS)."""

import os
from pathlib import Path

from apps.cases import services
from apps.contacts.services import contact_find_or_create
from tests.browser import BROWSER_TEST
from tests.factories import CaseFactory, InteractionFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine (BROWSER_TEST skips)
    expect = None

pytestmark = BROWSER_TEST

SHOTS = Path(os.environ.get("CXDESK_SEARCH_SCREENSHOTS", "/tmp/cxdesk-shots/search"))
PASSWORD = "pw-for-tests-only"

# Violations are caught from before any page script runs, and from Chromium's console.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def test_an_agent_finds_a_callers_case_by_a_phone_number_written_differently(
    transactional_db, live_server, chromium, team, agent, settings
):
    settings.CXDESK_DEFAULT_PHONE_REGION = "GB"
    caller, _ = contact_find_or_create(kind="phone", value="+44 20 7946 0018", name="Ann Caller")
    case = CaseFactory(team=team, requester=caller, channel="phone", subject="Broadband down")
    InteractionFactory(case=case, channel="phone", body_text="Caller says the line drops hourly")
    services.case_note(case_id=case.pk, agent=agent, body_text="Line test booked; drops confirmed")
    base = live_server.url.replace("localhost", "127.0.0.1")
    SHOTS.mkdir(parents=True, exist_ok=True)
    violations: list[str] = []

    for width, height in [(1280, 800), (390, 844)]:
        context = chromium.new_context(viewport={"width": width, "height": height})
        context.add_init_script(LISTEN)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )

        def collect(page=page):  # each page load starts a new list
            violations.extend(page.evaluate("window.__cspViolations || []"))

        page.goto(base + "/accounts/login/")
        page.fill("#id_username", agent.username)
        page.fill("#id_password", PASSWORD)
        page.locator("[type=submit]").click()
        page.wait_for_load_state("networkidle")
        collect()

        page.keyboard.press("/")  # the shortcut focuses the header's box
        box = page.get_by_role("searchbox", name="Search cases and contacts")
        expect(box).to_be_focused()
        box.fill("020 7946 0018")
        box.press("Enter")
        page.wait_for_load_state("networkidle")

        contact = page.locator(".search-contact")
        expect(contact).to_contain_text("Ann Caller")
        expect(contact).to_contain_text("+442079460018")
        expect(contact.get_by_role("link", name=case.reference)).to_be_visible()
        expect(box).to_have_value("020 7946 0018")
        page.screenshot(path=str(SHOTS / f"phone-{width}.png"), full_page=True)
        collect()
        # Nothing wider than the screen but the results table's own scroller.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{width}px: page is {overflow}px wider than the viewport"

        # Words: the note's excerpt, labelled and highlighted.
        box.fill("drops")
        box.press("Enter")
        page.wait_for_load_state("networkidle")
        expect(page.locator(".search-snippet mark.search-hit").first).to_have_text("drops")
        expect(page.locator(".search-snippet").first).to_contain_text("Internal note:")
        page.screenshot(path=str(SHOTS / f"words-{width}.png"), full_page=True)
        collect()

        # An exact reference opens the case.
        box.fill(case.reference.lower())
        box.press("Enter")
        page.wait_for_url(f"**/cases/{case.pk}/")
        page.wait_for_load_state("networkidle")
        collect()
        context.close()

    assert not violations, "\n".join(violations)
