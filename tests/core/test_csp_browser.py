"""The Content-Security-Policy in a real browser: every kind of page renders and runs its scripts
with nothing refused (Debian's Chromium through Playwright, against a live server).

A violation is caught two ways: the `securitypolicyviolation` event (listened to from before
any page script runs) and Chromium's console report ("Refused to … Content Security Policy").
Skipped, saying why, where /usr/bin/chromium or the playwright package is missing.
"""

import os
from pathlib import Path

from apps.cases import services
from apps.mail.services import email_receive
from tests.browser import BROWSER_TEST
from tests.chat.factories import ChatWidgetFactory
from tests.factories import AdminFactory, CaseFactory, InteractionFactory

SHOTS = Path(os.environ.get("CXDESK_CSP_SCREENSHOTS", "/tmp/cxdesk-csp"))
PASSWORD = "pw-for-tests-only"

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine (BROWSER_TEST skips)
    expect = None

pytestmark = BROWSER_TEST

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                              + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""


class Visitor:
    """One browser context: visits pages and keeps every CSP violation they report."""

    def __init__(self, browser, base):
        self.base = base
        self.context = browser.new_context(viewport={"width": 1100, "height": 800})
        self.context.add_init_script(LISTEN)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.violations: list[str] = []
        self.page.on("console", self._console)

    def _console(self, message):
        # CSP violations, and a Permissions-Policy Chromium cannot read (a feature it does not
        # know, such as "bluetooth", is reported on every page).
        if any(
            header in message.text
            for header in (
                "Content Security Policy",
                "Content-Security-Policy",
                "Permissions-Policy",
            )
        ):
            self.violations.append(message.text)

    def visit(self, path: str, name: str):
        response = self.page.goto(self.base + path)
        assert response.status == 200, (path, response.status)
        self.page.wait_for_load_state("networkidle")
        self.collect(name)

    def collect(self, name: str):
        found = self.page.evaluate("window.__cspViolations || []")
        self.violations.extend(f"{name}: {v}" for v in found)
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"))

    def sign_in(self, username: str, path="/accounts/login/"):
        self.page.goto(self.base + path)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.locator("[type=submit]").click()
        self.page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_content_security_policy(
    transactional_db, live_server, chromium, team, agent
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    AdminFactory(username="boss")
    case = CaseFactory(subject="Charged twice \u202efdp.exe", team=team, assignee=agent)
    message = InteractionFactory(case=case)
    services.attachment_add(interaction=message, filename="invoice\u202egnp.exe", content=b"x")
    services.case_set_tags(case_id=case.pk, tags=["billing"], actor=agent)
    widget = ChatWidgetFactory(name="Acme support", team=team)
    inbound = email_receive(
        source="upload",
        raw=(
            b"From: Ann <ann@example.com>\r\nTo: support@cxdesk.test\r\nSubject: Hello\r\n"
            b"Message-ID: <csp-1@example.com>\r\n\r\nHi\r\n"
        ),
    )

    visitor = Visitor(chromium, base)
    visitor.visit("/accounts/login/", "login")
    visitor.sign_in("alex")
    visitor.visit("/", "queue")
    # htmx (vendored) runs on every agent page with the configuration base.html gives it.
    assert visitor.page.evaluate(
        "[window.htmx && htmx.version, htmx.config.includeIndicatorStyles, htmx.config.allowEval]"
    ) == ["2.0.11", False, False]
    visitor.visit(f"/cases/{case.pk}/", "case")
    expect(visitor.page.locator(".attachment mark.cx-hidden-char")).to_have_text("⟨U+202E⟩")
    visitor.visit("/accounts/password/change/", "password-change")

    admin = Visitor(chromium, base)
    admin.sign_in("boss", path="/admin/login/")
    admin.visit("/admin/cases/case/", "admin-cases")
    admin.visit(f"/admin/cases/case/{case.pk}/change/", "admin-case")
    admin.visit(f"/admin/accounts/team/{team.pk}/change/", "admin-team")  # filter_horizontal
    admin.visit(f"/admin/mail/inboundemail/{inbound.pk}/change/", "admin-inbound-email")
    admin.visit("/admin/mail/inboundemail/", "admin-inbound-emails")
    admin.visit("/admin/django_celery_beat/periodictask/add/", "admin-periodic-task")
    admin.visit("/api/docs/", "api-docs")
    expect(admin.page.locator(".swagger-ui .info .title")).to_contain_text("cxdesk API")
    admin.collect("api-docs")
    admin.visit("/api/redoc/", "api-redoc")
    expect(admin.page.locator("h1").first).to_contain_text("cxdesk API")
    admin.collect("api-redoc")
    # Redoc's one expected refusal: its "Powered by" logo from Redocly's CDN.
    admin.violations = [v for v in admin.violations if "cdn.redoc.ly" not in v]

    # The chat widget under our own policy: its stylesheet, its API calls, a chat started.
    customer = Visitor(chromium, base)
    customer.visit(f"/channels/chat/demo/{widget.public_key}/", "chat-demo")
    customer.page.locator(".cx-launcher").click()
    customer.page.locator(".cx-start .cx-input").fill("Hello")
    customer.page.locator(".cx-start .cx-send").click()
    expect(customer.page.locator(".cx-from-customer .cx-text")).to_have_text("Hello")
    customer.collect("chat-widget")

    violations = visitor.violations + admin.violations + customer.violations
    assert not violations, "\n".join(violations)


def test_the_browser_refuses_a_script_injected_into_a_page(transactional_db, live_server, chromium):
    """What the policy is for: markup that slipped into a page cannot run script."""
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.visit("/accounts/login/", "login-injection")
    ran = visitor.page.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "window.__injectedRan = true";
        document.body.appendChild(script);
        return window.__injectedRan === true;
    }""")
    assert ran is False
    visitor.collect("login-injection")
    assert any("script-src" in v for v in visitor.violations), visitor.violations
