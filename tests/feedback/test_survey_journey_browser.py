"""The feedback journey in Chromium: the customer opens the survey link from the captured
email, rates bad with a comment on a phone; the supervisor sees the follow-up and the
customer's risk reason, and resolves it. axe-core on each page, no CSP violation, no
request leaves this server. Screenshots to $CXDESK_SCREENSHOTS (default
/tmp/cxdesk-shots/)feedback/."""

import os
import re
from pathlib import Path

from django.core import mail

from apps.cases import services as case_services
from apps.contacts.models import ContactIdentity
from apps.feedback.models import ContactRisk, FollowUp, Survey
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow, wait_for
from tests.core.test_csp_browser import LISTEN, Visitor
from tests.factories import ContactFactory

pytestmark = BROWSER_TEST

SHOTS = Path(os.environ.get("CXDESK_SCREENSHOTS", "/tmp/cxdesk-shots")) / "feedback"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_bad_rating_reaches_the_supervisor(
    transactional_db, live_server, chromium, settings, team, agent, supervisor
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    settings.CXDESK_PUBLIC_URL = base
    settings.CXDESK_CSAT_DELAY_MINUTES = 0  # asked at once: the test needs no clock
    customer = ContactFactory(name="Ann Walker")
    ContactIdentity.objects.create(contact=customer, kind="email", value="ann@example.net")
    case = case_services.case_open(
        requester=customer,
        subject="Charged twice for my order",
        channel="email",
        team=team,
        body_text="I was charged twice.",
        external_id="<ann-1@mail.example.net>",
        metadata={"email": {"from": "Ann Walker <ann@example.net>"}},
    ).case
    case_services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded, sorry.")
    case_services.case_transition(case_id=case.pk, to="solved", actor=agent)

    # The survey went out in the case's thread; the customer follows its "bad" link.
    [email] = [m for m in mail.outbox if "How did we do" in m.body]
    assert email.extra_headers["In-Reply-To"] == "<ann-1@mail.example.net>"
    bad_link = re.search(r"Bad, I'm unsatisfied: (\S+)", email.body).group(1)
    assert bad_link.startswith(base)

    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    phone.add_init_script(LISTEN)
    page = phone.new_page()
    page.set_default_timeout(15_000)
    hosts = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    page.goto(bad_link)
    assert page.locator("input[name=rating][value='0']").is_checked()
    assert_accessible(page, "survey page on a phone")
    assert horizontal_overflow(page) <= 0
    shot(page, "survey-390")
    page.locator("input[name=effort][value='2']").check()
    page.fill("#comment", "Nobody told me when the refund would arrive.")
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Thank you for your answer").is_visible()
    assert_accessible(page, "survey answered")
    shot(page, "survey-answered-390")
    assert set(hosts) == {base.split("/")[2]}  # nothing from anywhere else
    assert page.evaluate("window.__cspViolations || []") == []

    survey = Survey.objects.get(case=case)
    assert (survey.rating, survey.satisfied, survey.effort) == (0, False, 2)
    wait_for(lambda: ContactRisk.objects.filter(contact=customer, score__gt=0).exists(), page)

    # The supervisor: the follow-up, the risk reason, resolved.
    visitor = Visitor(chromium, base)
    visitor.sign_in(supervisor.username)
    visitor.visit("/feedback/follow-ups/", "follow-ups")
    row = visitor.page.locator("table.follow-ups tbody tr", has_text=case.reference)
    assert row.get_by_text("Nobody told me when the refund would arrive.").is_visible()
    assert_accessible(visitor.page, "follow-ups")
    shot(visitor.page, "follow-ups-1440")

    visitor.visit("/feedback/at-risk/", "at-risk")
    customer_row = visitor.page.locator("table.at-risk tbody tr", has_text="Ann Walker")
    assert customer_row.get_by_text("rated the service bad").is_visible()
    assert_accessible(visitor.page, "at-risk customers")
    shot(visitor.page, "at-risk-1440")

    visitor.visit(f"/cases/{case.pk}/", "case-page-feedback")
    panel = visitor.page.locator(".feedback-panel")  # loaded by htmx once the page is shown
    panel.get_by_text("This case was rated").wait_for()
    assert panel.get_by_text("At risk: 40.0 points").is_visible()
    assert_accessible(visitor.page, "case page with its feedback panel")
    shot(visitor.page, "case-page-feedback-1440")

    visitor.visit("/feedback/follow-ups/", "follow-ups-again")
    row = visitor.page.locator("table.follow-ups tbody tr", has_text=case.reference)
    row.locator("input[name=note]").fill("Called Ann; refund confirmed for tomorrow.")
    row.get_by_role("button", name="Resolved").click()
    visitor.page.wait_for_load_state("networkidle")
    follow_up = FollowUp.objects.get(survey=survey)
    assert follow_up.state == "resolved"
    assert follow_up.resolved_by == supervisor
    assert visitor.violations == []
