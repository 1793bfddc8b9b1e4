"""In Chromium: the supervisor's figures page draws its charts (vendored Chart.js, under the
CSP) with a table beside each, passes axe and fits a phone; the NPS question's page works
at 390 px. Screenshots to $CXDESK_SCREENSHOTS (default /tmp/cxdesk-shots/)feedback/."""

from datetime import timedelta

from django.utils import timezone

from apps.feedback import links
from apps.feedback.models import Survey
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import LISTEN, Visitor
from tests.factories import CaseFactory

from .test_survey_journey_browser import shot

pytestmark = BROWSER_TEST


def _answered(team, *, days_ago, rating, kind="csat", comment=""):
    case = CaseFactory(team=team, status="solved")
    at = timezone.now() - timedelta(days=days_ago)
    nps = kind == "nps"
    satisfied = (True if rating >= 9 else False if rating <= 6 else None) if nps else rating == 1
    return Survey.objects.create(
        kind=kind,
        scale="nps" if nps else "good_bad",
        nps_round=1 if nps else None,
        case=case,
        contact=case.requester,
        state="answered",
        due_at=at,
        sent_at=at,
        expires_at=at + timedelta(days=14),
        channel="email",
        team=team,
        priority="normal",
        rating=rating,
        satisfied=satisfied,
        effort=(6 if rating else 2) if not nps else None,
        comment=comment,
        answered_at=at + timedelta(hours=1),
    )


def test_the_figures_page_draws_its_charts_beside_their_tables(
    transactional_db, live_server, chromium, settings, team, supervisor
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    settings.CXDESK_PUBLIC_URL = base
    for week in range(6):
        _answered(team, days_ago=7 * week + 1, rating=1, comment="Quick refund")
        _answered(team, days_ago=7 * week + 2, rating=week % 2)
        _answered(team, days_ago=7 * week + 3, rating=10 - week, kind="nps")
    _answered(team, days_ago=4, rating=3, kind="nps", comment="Too slow")

    visitor = Visitor(chromium, base)
    visitor.sign_in(supervisor.username)
    visitor.visit("/feedback/figures/", "figures-1100")
    page = visitor.page
    for chart in ("chart-csat", "chart-nps", "chart-ces"):
        page.locator(f'canvas[data-chart="{chart}"][data-drawn="1"]').wait_for()
        box = page.locator(f'canvas[data-chart="{chart}"]').bounding_box()
        assert box["width"] > 100, chart
        assert box["height"] > 100, chart
    assert page.locator("table.figures").count() == 8  # 3 trends + 5 breakdowns
    assert page.get_by_role("row", name="Billing").first.is_visible()
    page.fill("#figures-q", "slow")
    page.locator("#content").get_by_role("button", name="Search comments").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("table.comments tbody tr").count() == 1
    assert_accessible(page, "figures page")
    shot(page, "figures-1100")

    phone = Visitor(chromium, base)
    phone.context.close()
    phone.context = chromium.new_context(viewport={"width": 390, "height": 844})
    phone.context.add_init_script(LISTEN)
    phone.page = phone.context.new_page()
    phone.page.set_default_timeout(15_000)
    phone.sign_in(supervisor.username)
    phone.visit("/feedback/figures/", "figures-390")
    phone.page.locator('canvas[data-chart="chart-nps"][data-drawn="1"]').wait_for()
    assert horizontal_overflow(phone.page) <= 0
    assert_accessible(phone.page, "figures page on a phone")
    shot(phone.page, "figures-390")
    assert visitor.violations == []
    assert phone.violations == []


def test_the_nps_page_on_a_phone(transactional_db, live_server, chromium, settings, team):
    base = live_server.url.replace("localhost", "127.0.0.1")
    settings.CXDESK_PUBLIC_URL = base
    survey = _answered(team, days_ago=1, rating=0, kind="nps")
    Survey.objects.filter(pk=survey.pk).update(
        state="sent", rating=None, satisfied=None, answered_at=None
    )
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    hosts = []
    page.on("request", lambda request: hosts.append(request.url.split("/")[2]))
    page.goto(links.survey_url(survey.pk))
    assert page.get_by_role("group", name="How likely are you to recommend us").is_visible()
    assert page.get_by_role("radio").count() == 11
    assert horizontal_overflow(page) <= 0
    assert_accessible(page, "NPS page on a phone")
    shot(page, "nps-390")
    page.get_by_role("radio", name="8").check(force=True)
    page.fill("#comment", "Good, but delivery could be faster.")
    page.get_by_role("button", name="Send my answer").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_role("heading", name="Thank you for your answer").is_visible()
    assert_accessible(page, "NPS answered")
    survey.refresh_from_db()
    assert (survey.rating, survey.satisfied) == (8, None)
    assert set(hosts) == {base.split("/")[2]}
    assert page.evaluate("window.__cspViolations || []") == []
