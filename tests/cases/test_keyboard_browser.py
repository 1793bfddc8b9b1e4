"""The keyboard shortcuts in a real browser (Debian's Chromium through Playwright): on the
queue `j` `j` Enter opens the second row's case; there `?` opens the help, Escape closes it
and gives the focus back; `r` puts the focus in the reply box, `n` in a note; `[` goes back
to the first case, where `a` focuses "Take it" and Enter takes it; typing a shortcut letter
in a field types it. No CSP violation; the time
zone the browser reports is stored once. (static/cxdesk/keys.js, time.js)"""

from datetime import timedelta

from django.utils import timezone

from apps.accounts.models import AgentProfile
from apps.cases.models import Case
from tests.browser import BROWSER_TEST, wait_for
from tests.factories import CaseFactory, InteractionFactory, SlaPolicyFactory

PASSWORD = "pw-for-tests-only"

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - depends on the machine (BROWSER_TEST skips)
    expect = None

pytestmark = BROWSER_TEST

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def test_an_agent_works_the_queue_with_the_keyboard(
    transactional_db, live_server, chromium, team, agent
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    now = timezone.now()
    SlaPolicyFactory(targets={("normal", "first_response"): (120, False)})
    cases = [
        CaseFactory(
            team=team, assignee=agent, subject=f"Case {n}", next_breach_at=now + timedelta(hours=n)
        )
        for n in (1, 2, 3)
    ]
    cases[0].assignee = None  # unassigned in the team: still in "My queue"
    cases[0].save()
    for case in cases:
        InteractionFactory(case=case, occurred_at=now - timedelta(minutes=12))
    agent.username = "alex"
    agent.save()

    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Europe/Berlin"
    )
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "alex")
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")
    page.goto(base + "/")
    page.wait_for_load_state("networkidle")
    # The browser's zone is reported once and kept on the profile.
    wait_for(lambda: AgentProfile.objects.get(user=agent).time_zone == "Europe/Berlin", page)

    page.keyboard.press("j")
    page.keyboard.press("j")
    second_link = page.locator("table.queue tbody tr").nth(1).locator("a").first
    expect(second_link).to_be_focused()
    expect(page.locator("table.queue tbody tr.is-current")).to_have_count(1)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{cases[1].pk}/")
    expect(page.locator("#case-title")).to_contain_text("Case 2")
    expect(page.locator("article.interaction time[data-when]").first).to_have_text("12 min ago")

    # "?" opens the help as a modal dialog; Escape closes it; the focus comes back.
    page.locator("#case-queue").focus()
    page.keyboard.press("?")
    dialog = page.locator("#cx-shortcuts")
    expect(dialog).to_be_visible()
    for text in ("Next / previous case in the list", "Reply to the customer", "Search"):
        expect(dialog).to_contain_text(text)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#case-queue")).to_be_focused()

    # "r": the reply box has the focus, and what is typed there is text, not a shortcut.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("r")
    body = page.locator('#composer textarea[name="body"]')
    expect(body).to_be_focused()
    expect(page.locator('#composer input[name="kind"][value="reply"]')).to_be_checked()
    page.keyboard.type("jk[]?")
    expect(body).to_have_value("jk[]?")
    expect(dialog).to_be_hidden()

    # "n": an internal note; "s": reply then solved, focus on Send (nothing is sent).
    body.evaluate("el => el.blur()")
    page.keyboard.press("n")
    expect(page.locator('#composer input[name="kind"][value="note"]')).to_be_checked()
    expect(body).to_be_focused()
    body.evaluate("el => el.blur()")
    page.keyboard.press("s")
    expect(page.locator('#composer select[name="then_status"]')).to_have_value("solved")
    expect(page.locator("#composer .compose-actions button.primary")).to_be_focused()
    assert cases[1].interactions.count() == 1  # nothing sent

    # "[": the previous case of the queue.
    page.locator("#case-title").click()
    page.keyboard.press("[")
    page.wait_for_url(f"**/cases/{cases[0].pk}/")

    # "a": the focus on "Take it", which Enter confirms.
    page.keyboard.press("a")
    take = page.locator('#case-header button[name="take"]')
    expect(take).to_be_focused()
    cases[0].refresh_from_db()
    assert cases[0].assignee_id is None  # one key assigns nothing
    page.keyboard.press("Enter")
    wait_for(lambda: Case.objects.get(pk=cases[0].pk).assignee_id == agent.pk, page)
    assert page.evaluate("window.__cspViolations") == []
    context.close()
