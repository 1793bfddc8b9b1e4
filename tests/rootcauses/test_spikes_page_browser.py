"""The spikes page in headless Chromium: axe-core finds no serious violation, no CSP
violation, no sideways scroll on a phone."""

import pytest
from django.utils import timezone

from apps.rootcauses.models import RootCauseSpike
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import Visitor
from tests.factories import AgentFactory
from tests.rootcauses.spike_data import aged_cause

pytestmark = BROWSER_TEST


@pytest.fixture
def owner(product_team, other_team):
    today = timezone.localdate()
    for name, team, state in [
        ("Card arrival", product_team, "active"),
        ("Refunds", other_team, "ended"),
    ]:
        RootCauseSpike.objects.create(
            root_cause=aged_cause(name, team),
            state=state,
            first_day=today,
            last_day=today,
            observed=20,
            expected=2.0,
            p_value=1e-12,
            ended_at=timezone.now() if state == "ended" else None,
        )
    return AgentFactory(username="pia", teams=[product_team])


@pytest.mark.parametrize("width", [1280, 390])
def test_the_spikes_page_is_accessible(transactional_db, live_server, chromium, owner, width):
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.page.set_viewport_size({"width": width, "height": 800})
    visitor.sign_in(owner.username)

    visitor.visit("/root-causes/spikes/", f"root-cause-spikes-{width}")

    assert_accessible(visitor.page, f"spikes page at {width} px")
    assert visitor.violations == []
    assert horizontal_overflow(visitor.page) <= 0
