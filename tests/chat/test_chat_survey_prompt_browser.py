"""In Chromium: an agent solves the chat's case while it is open — the widget asks "How did
we do?" with Good / Bad links to the survey page, and asks again on the ended screen."""

from apps.cases import services as case_services
from apps.chat.models import ChatSession
from apps.feedback import links
from apps.feedback.models import Survey
from tests.browser import BROWSER_TEST, wait_for
from tests.chat.factories import ChatWidgetFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine (BROWSER_TEST skips)
    expect = None

pytestmark = BROWSER_TEST


def test_the_widget_asks_for_the_rating_when_the_case_is_solved(
    transactional_db, live_server, browser_page, settings, team, agent
):
    page = browser_page
    base = live_server.url.replace("localhost", "127.0.0.1")
    settings.CXDESK_PUBLIC_URL = base
    settings.CXDESK_CSAT_CHAT_DELAY_MINUTES = 0
    widget = ChatWidgetFactory(name="Acme support", team=team)
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))

    page.goto(f"{base}/channels/chat/demo/{widget.public_key}/")
    page.locator(".cx-launcher").click()
    page.locator(".cx-start .cx-input").fill("My parcel has not arrived")
    page.locator(".cx-start .cx-send").click()
    session = wait_for(lambda: ChatSession.objects.select_related("case").first(), page)
    case_services.case_reply(case_id=session.case_id, agent=agent, body_text="It is on its way.")
    case_services.case_transition(case_id=session.case_id, to="solved", actor=agent)
    survey = Survey.objects.get(case_id=session.case_id)
    assert (survey.state, survey.channel) == ("sent", "chat")

    def survey_of(link):
        """The survey a link names (a token is signed anew each time: compare what it says)."""
        href = link.get_attribute("href")
        assert href.startswith(f"{base}/feedback/s/"), href
        token, _, query = href.removeprefix(f"{base}/feedback/s/").partition("/?")
        return links.survey_id_from(token), query

    prompt = page.locator(".cx-log .cx-survey")
    expect(prompt).to_be_visible()
    expect(prompt.locator(".cx-survey-q")).to_have_text("How did we do?")
    assert survey_of(prompt.locator(".cx-rate-good")) == (survey.pk, "rating=good")
    assert survey_of(prompt.locator(".cx-rate-bad")) == (survey.pk, "rating=bad")
    expect(prompt.locator(".cx-rate-bad")).to_have_attribute("target", "_blank")

    page.locator(".cx-end").click()
    expect(page.locator(".cx-ended")).to_be_visible()
    ended = page.locator(".cx-ended-survey .cx-survey")
    expect(ended).to_be_visible()
    assert survey_of(ended.locator(".cx-rate-good")) == (survey.pk, "rating=good")
    page.screenshot(path="/tmp/cxdesk-chat-survey-prompt.png")
    assert not problems, problems
