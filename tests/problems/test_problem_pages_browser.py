"""The problem pages in headless Chromium: accessible (axe-core), no CSP violation, no
sideways scroll on a phone; the case page's problems panel arrives by htmx."""

import pytest

from apps.cases.models import Case
from apps.problems import services
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import Visitor
from tests.factories import CaseFactory

pytestmark = BROWSER_TEST


@pytest.mark.parametrize("width", [1280, 390])
def test_the_problem_pages_are_accessible(
    transactional_db, live_server, chromium, fixed, supervisor, team, width
):
    case = CaseFactory(team=team, status=Case.Status.OPEN, subject="Charged twice in May")
    services.problem_link_cases(problem_id=fixed.pk, case_ids=[case.pk], actor=supervisor)
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.page.set_viewport_size({"width": width, "height": 800})
    visitor.sign_in(supervisor.username)

    visitor.visit("/problems/", f"problems-{width}")
    assert_accessible(visitor.page, f"problem list at {width} px")
    assert horizontal_overflow(visitor.page) <= 0

    visitor.visit(f"/problems/{fixed.pk}/", f"problem-{width}")
    assert_accessible(visitor.page, f"problem page at {width} px")
    assert horizontal_overflow(visitor.page) <= 0
    assert visitor.page.locator("text=Did the fix work?").count() == 1

    visitor.visit("/problems/new/", f"problem-new-{width}")
    assert_accessible(visitor.page, f"problem form at {width} px")

    visitor.visit(f"/cases/{case.pk}/", f"case-with-problem-{width}")
    panel = visitor.page.locator("#case-problems")
    panel.wait_for()
    assert "Double charge on renewal" in panel.inner_text()
    assert_accessible(visitor.page, f"case page with its problems at {width} px")
    assert visitor.violations == []
