"""Collision detection in real headless Chromium: two agents on one case, each in their own
browser context; the second sees the first on the case, then typing, then — sending after
the first agent's reply — the stale-reply warning. No CSP violation on the way."""

import pytest

from apps.cases.models import Case
from tests.browser import BROWSER_TEST
from tests.core.test_csp_browser import Visitor
from tests.factories import AgentFactory, CaseFactory, EmailIdentityFactory, InteractionFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - BROWSER_TEST skips
    expect = None

pytestmark = BROWSER_TEST
WAIT = 15_000  # ms: a presence poll every 5 s, with room


@pytest.fixture
def case(team, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    identity = EmailIdentityFactory(value="ann@example.com", contact__name="Ann Example")
    case = CaseFactory(team=team, requester=identity.contact, status=Case.Status.OPEN)
    InteractionFactory(case=case, body_text="Where is my parcel?")
    return case


def test_a_second_agent_sees_the_first_one_viewing_then_typing(
    transactional_db, live_server, chromium, team, case
):
    AgentFactory(username="alex.agent", first_name="Alex", last_name="Agent", teams=[team])
    AgentFactory(username="sam.agent", first_name="Sam", last_name="Sato", teams=[team])
    base = live_server.url.replace("localhost", "127.0.0.1")
    alex, sam = Visitor(chromium, base), Visitor(chromium, base)
    alex.sign_in("alex.agent")
    sam.sign_in("sam.agent")

    alex.visit(f"/cases/{case.pk}/", "presence-alex")
    sam.visit(f"/cases/{case.pk}/", "presence-sam")
    sam_sees, alex_sees = sam.page.locator("#case-presence"), alex.page.locator("#case-presence")
    expect(sam_sees).to_have_text("Alex Agent is viewing", timeout=WAIT)
    expect(alex_sees).to_have_text("Sam Sato is viewing", timeout=WAIT)  # never themself

    alex.page.get_by_label("Message").press_sequentially("Your parcel left")
    expect(sam_sees).to_have_text("Alex Agent is typing…", timeout=WAIT)
    sam.collect("presence-sam-sees-typing")

    # Alex sends; Sam, who loaded the page before, is warned instead of answering twice.
    alex.page.get_by_role("button", name="Send", exact=True).click()
    expect(alex.page.locator("#composer .saved")).to_have_text("Reply sent.")
    sam.page.get_by_label("Message").fill("Let me check on your parcel.")
    sam.page.get_by_role("button", name="Send", exact=True).click()
    expect(sam.page.locator(".stale-warning")).to_contain_text("Your parcel left")
    expect(sam_sees).to_have_text("Alex Agent is viewing", timeout=WAIT)  # the header swapped
    sam.collect("presence-sam-stale-warning")
    assert case.interactions.filter(direction="out").count() == 1

    violations = alex.violations + sam.violations
    assert violations == [], "\n".join(violations)
