"""The root-cause report in headless Chromium: axe-core finds no serious violation, no CSP
violation, no sideways scroll on a phone (the table scrolls in its own region)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.rootcauses import rollups
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import Visitor
from tests.factories import AgentFactory, CaseFactory
from tests.rootcauses.spike_data import aged_cause

pytestmark = BROWSER_TEST


@pytest.fixture
def owner(product_team):
    cause = aged_cause("Card arrival", product_team)
    for days in range(3):
        CaseFactory(
            root_cause=cause,
            team=product_team,
            created_at=timezone.now() - timedelta(days=days),
        )
    rollups.rollups_build(max_days=None)
    return AgentFactory(username="pia", teams=[product_team])


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_page_is_accessible(transactional_db, live_server, chromium, owner, width):
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.page.set_viewport_size({"width": width, "height": 800})
    visitor.sign_in(owner.username)

    visitor.visit("/root-causes/report/", f"root-cause-report-{width}")

    assert "Card arrival" in visitor.page.content()
    assert_accessible(visitor.page, f"report page at {width} px")
    assert visitor.violations == []
    assert horizontal_overflow(visitor.page) <= 0
