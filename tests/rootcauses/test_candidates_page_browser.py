"""The candidates page in headless Chromium, as an admin (every form shown): axe-core finds
no serious violation, no CSP violation, no sideways scroll on a phone; accepting works by
the plain form."""

import pytest

from apps.cases.models import Case
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import Visitor
from tests.factories import AdminFactory, CaseFactory
from tests.rootcauses.candidate_data import make_candidate

pytestmark = BROWSER_TEST


@pytest.fixture
def boss(team, cards):
    make_candidate(
        [CaseFactory(team=team, subject=f"App crash on statement {n}") for n in range(6)]
    )
    make_candidate(
        [CaseFactory(team=team, subject=f"Parcel to the wrong address {n}") for n in range(5)],
        terms=("parcel", "tracking", "wrong address"),
    )
    return AdminFactory(username="boss")


@pytest.mark.parametrize("width", [1280, 390])
def test_the_candidates_page_is_accessible(transactional_db, live_server, chromium, boss, width):
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.page.set_viewport_size({"width": width, "height": 800})
    visitor.sign_in(boss.username)

    visitor.visit("/root-causes/candidates/", f"root-cause-candidates-{width}")

    assert_accessible(visitor.page, f"candidates page at {width} px")
    assert visitor.violations == []
    assert horizontal_overflow(visitor.page) <= 0


def test_accepting_by_the_form(transactional_db, live_server, chromium, boss, cards):
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.sign_in(boss.username)
    visitor.visit("/root-causes/candidates/", "root-cause-candidates-accept")
    page = visitor.page

    form = page.locator("form", has=page.get_by_role("button", name="Accept")).first
    form.get_by_label("Name").fill("App crash")
    form.get_by_label("Under").select_option(label="Cards")
    form.get_by_role("button", name="Accept").click()

    assert "Accepted as Cards › App crash" in page.locator(".messages").inner_text()
    assert Case.objects.filter(root_cause__path="Cards › App crash").count() == 6
