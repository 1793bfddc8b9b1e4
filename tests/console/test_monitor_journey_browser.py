"""The supervisor's journey in Chromium: the live monitor shows a case that falls at risk
without a reload, the supervisor reassigns it in place, and the agent's queue shows it; the
wallboard renders at 1920×1080. axe-core on each page, no CSP violation. Screenshots to
$CXDESK_SCREENSHOTS (default /tmp/cxdesk-shots/)console/."""

import os
from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Case, CaseEvent
from apps.console import views
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow, wait_for
from tests.core.test_csp_browser import Visitor
from tests.factories import AgentFactory, CaseFactory, ContactFactory, SlaPolicyFactory

pytestmark = BROWSER_TEST

SHOTS = Path(os.environ.get("CXDESK_SCREENSHOTS", "/tmp/cxdesk-shots")) / "console"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_supervisor_sees_a_case_at_risk_appear_and_reassigns_it(
    transactional_db, live_server, chromium, monkeypatch, team, agent, supervisor
):
    monkeypatch.setattr(views, "MONITOR_POLL_SECONDS", 1)
    base = live_server.url.replace("localhost", "127.0.0.1")
    bea = AgentFactory(username="bea", first_name="Bea", last_name="Lind", teams=[team])
    CaseFactory(
        team=team,
        assignee=agent,
        status="open",
        subject="Card declined abroad",
        next_breach_at=timezone.now() + timedelta(hours=4),
    )

    visitor = Visitor(chromium, base)
    visitor.sign_in(supervisor.username)
    visitor.page.goto(base + "/console/")
    page = visitor.page
    assert page.locator("#total-at-risk").inner_text() == "0"
    assert_accessible(page, "live monitor")
    shot(page, "monitor-1100")

    # A customer writes; the first-response target (25 minutes) puts the case at risk at
    # once: the next poll shows it, no reload.
    SlaPolicyFactory(targets={("normal", "first_response"): (25, False)})
    customer = ContactFactory(name="Ann Walker")
    case = case_services.case_open(
        requester=customer,
        subject="Refund promised last week",
        channel="email",
        team=team,
        body_text="Where is my refund?",
    ).case
    case_services.case_assign(case_id=case.pk, assignee=agent)
    case.refresh_from_db()
    assert case.next_breach_at is not None  # the SLA engine ran
    page.locator("#total-at-risk", has_text="1").wait_for()
    row = page.locator("#console-soonest tbody tr", has_text=case.reference)
    row.wait_for()
    assert row.get_by_text("Refund promised last week").is_visible()

    # Reassign it in place: open the row's form, pick Bea, press Assign; the refreshed
    # monitor shows her.
    row.get_by_role("link", name=f"Reassign {case.reference}").click()
    row.get_by_label(f"Assignee of {case.reference}").select_option(label="Bea Lind")
    row.get_by_role("button", name="Assign").click()
    wait_for(lambda: Case.objects.get(pk=case.pk).assignee_id == bea.pk, page)
    row = page.locator("#console-soonest tbody tr", has_text=case.reference)
    row.get_by_text("Bea Lind").wait_for()
    assert CaseEvent.objects.filter(case=case, kind="assignee", actor=supervisor).exists()
    shot(page, "monitor-after-reassign-1100")

    # On a phone the monitor does not overflow.
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "monitor-390")
    assert horizontal_overflow(page) <= 0

    # The wallboard, for a wall TV.
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(base + "/console/wallboard/")
    page.wait_for_load_state("load")
    assert page.locator(".wallboard-tiles .tile-at-risk .tile-figure").inner_text() == "1"
    assert page.get_by_text(case.reference).is_visible()
    assert horizontal_overflow(page) <= 0
    assert_accessible(page, "wallboard")
    page.screenshot(path=str(SHOTS / "wallboard-1920x1080.png"))
    visitor.collect("wallboard")
    assert visitor.violations == []

    # The report of the last 30 days: the case is counted, the page is accessible.
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(base + "/console/reports/")
    assert page.locator("#report-cases").inner_text() == "2"
    for chart in ("volume", "attainment", "times-business", "times-calendar"):
        page.locator(f"canvas[data-chart='chart-{chart}'][data-drawn='1']").wait_for()
    assert_accessible(page, "reports")
    shot(page, "reports-1440")
    visitor.collect("reports")
    assert visitor.violations == []

    # Bea's queue shows the case now.
    agent_view = Visitor(chromium, base)
    agent_view.sign_in("bea")
    agent_view.visit("/?view=mine", "bea-queue")
    assert agent_view.page.get_by_role("link", name=case.reference).is_visible()
    assert agent_view.violations == []
