"""A stakeholder in Chromium: signs in and lands on the root-cause dashboard, drills down to
a cause's cases and opens their team's problem — no customer named on any page, axe-core
clean, no CSP violation, no overflow at 390 px. Screenshots to $CXDESK_SCREENSHOTS (default
/tmp/cxdesk-shots/)owners/."""

import os
from pathlib import Path

from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import LISTEN, PASSWORD, Visitor
from tests.factories import StakeholderFactory
from tests.rootcauses.dashboard_data import seed_dashboard

pytestmark = BROWSER_TEST

SHOTS = Path(os.environ.get("CXDESK_SCREENSHOTS", "/tmp/cxdesk-shots")) / "owners"
PERIOD = "?from=2026-11-01&to=2026-11-30"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_stakeholder_reads_their_dashboard(
    transactional_db, live_server, chromium, team, other_team
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    product, _, double, *_ = seed_dashboard(team, other_team)
    StakeholderFactory(username="pia.product", teams=[product])

    visitor = Visitor(chromium, base)
    visitor.sign_in("pia.product")
    page = visitor.page
    assert page.url == base + "/root-causes/dashboard/"  # their landing page
    visitor.visit("/root-causes/dashboard/" + PERIOD, "owners-dashboard")
    assert page.get_by_role("heading", name="Root-cause dashboard").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    assert [a.inner_text() for a in nav.get_by_role("link").all()] == [
        "Root-cause dashboard",
        "Problems",
        "Notifications",
    ]
    assert_accessible(page, "owners' dashboard")
    shot(page, "dashboard-1100")

    page.get_by_role("link", name="Billing › Double charge").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Cases of Billing › Double charge").is_visible()
    assert page.locator("table.cases tbody tr").count() == 5
    body = page.locator("main").inner_text()
    assert "Dana Doe" not in body
    assert "Eli Roe" not in body
    assert_accessible(page, "a cause's cases")
    visitor.collect("owners-cases")

    visitor.visit("/root-causes/dashboard/" + PERIOD, "owners-dashboard-again")
    page.get_by_role("link", name="Renewals charged twice").click()
    page.wait_for_load_state("networkidle")
    assert "Renewals charged twice" in page.title()
    assert_accessible(page, "their problem")
    visitor.collect("owners-problem")
    assert visitor.violations == []

    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    phone.add_init_script(LISTEN)
    small = phone.new_page()
    small.set_default_timeout(15_000)
    small.goto(base + "/accounts/login/?next=/root-causes/dashboard/")
    small.fill("#id_username", "pia.product")
    small.fill("#id_password", PASSWORD)
    small.locator("[type=submit]").click()
    small.wait_for_load_state("networkidle")
    assert small.url == base + "/root-causes/dashboard/"
    small.goto(base + "/root-causes/dashboard/" + PERIOD)
    small.wait_for_load_state("networkidle")
    assert horizontal_overflow(small) <= 0
    assert_accessible(small, "owners' dashboard on a phone")
    shot(small, "dashboard-390")
