"""The root cause on the case page in headless Chromium: a suggestion is one click (htmx, no
reload), a team that requires a root cause refuses the solve beside the status field, and
no CSP violation on the way."""

import pytest

from apps.cases.models import Case
from apps.rootcauses.models import RootCauseSuggestion
from tests.browser import BROWSER_TEST
from tests.cases.test_case_page_browser import sign_in
from tests.core.test_csp_browser import Visitor
from tests.factories import CaseFactory, InteractionFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - BROWSER_TEST skips
    expect = None

pytestmark = BROWSER_TEST


@pytest.fixture
def suggested_case(team, card_arrival, card_payment):
    team.root_cause_required = True
    team.save(update_fields=["root_cause_required"])
    case = CaseFactory(team=team, status=Case.Status.OPEN, subject="Card?")
    InteractionFactory(case=case, body_text="My card never arrived")
    for rank, (cause, score) in enumerate([(card_arrival, 0.82), (card_payment, 0.11)], 1):
        RootCauseSuggestion.objects.create(
            case=case, root_cause=cause, rank=rank, score=score, model_version=1, text_digest="x"
        )
    return case


def test_an_agent_takes_a_suggestion_then_solves(
    transactional_db, live_server, chromium, agent, suggested_case, card_arrival
):
    case = suggested_case
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    page = visitor.page
    sign_in(visitor, agent.username)
    visitor.visit(f"/cases/{case.pk}/", "rootcause-open")
    page.evaluate("window.__sameDocument = true")

    # Solving first: refused, said beside the status field.
    page.locator("#field-status").select_option("solved")
    page.locator("form:has(#field-status) button[type=submit]").click()
    expect(page.locator("#case-header .field-error")).to_contain_text("needs a root cause")

    # The suggestion, one click.
    page.get_by_role("button", name="Cards › Card arrival 82 %").click()
    expect(page.locator("#case-header .saved")).to_have_text(
        "Root cause set to Cards › Card arrival."
    )
    expect(page.locator("#case-header .root-cause-path")).to_have_text("Cards › Card arrival")
    expect(page.locator("form.suggestions")).to_have_count(0)

    page.locator("#field-status").select_option("solved")
    page.locator("form:has(#field-status) button[type=submit]").click()
    expect(page.locator("#case-header .status")).to_have_text("Solved")
    assert page.evaluate("window.__sameDocument === true")
    case.refresh_from_db()
    assert (case.root_cause_id, case.status) == (card_arrival.pk, Case.Status.SOLVED)
    visitor.collect("rootcause-solved")
    assert visitor.violations == [], "\n".join(visitor.violations)
