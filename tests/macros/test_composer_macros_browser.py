"""The composer's macros and draft in real headless Chromium: an agent applies a macro (the
body shows the text filled in for the case), types more, reloads — the draft is back with
its macro — sends: the reply is in the timeline, the macro's fields are set, the draft is
gone. Without JavaScript Apply re-renders the page. No CSP violation on the way."""

import pytest

from apps.cases.models import Case
from apps.macros.models import ComposerDraft
from tests.browser import BROWSER_TEST, wait_for
from tests.cases.test_case_page_browser import overflow, shot, sign_in
from tests.core.test_csp_browser import Visitor
from tests.factories import CaseFactory, EmailIdentityFactory, InteractionFactory
from tests.macros.factories import MacroFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - BROWSER_TEST skips
    expect = None

pytestmark = BROWSER_TEST


@pytest.fixture
def setup(team, agent, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    agent.first_name = "Alex"
    agent.save()
    identity = EmailIdentityFactory(value="ann@example.com", contact__name="Ann Example")
    case = CaseFactory(
        team=team, requester=identity.contact, status=Case.Status.OPEN, assignee=agent
    )
    InteractionFactory(case=case, body_text="I was charged twice on 3 March.")
    macro = MacroFactory(
        title="Duplicate charge refunded",  # with a long sibling below: the picker must fit
        body="Hello {contact.first_name}, the duplicate charge on {case.reference} is refunded.",
        set_priority="high",
        add_tags="refund",
        set_status="pending",
    )
    MacroFactory(title="A very long macro title that an admin wrote without thinking of phones")
    return case, macro


def test_apply_a_macro_type_reload_and_send(transactional_db, live_server, chromium, agent, setup):
    case, macro = setup
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    page = visitor.page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(visitor, agent.username)
    visitor.visit(f"/cases/{case.pk}/", "macros-open")

    page.get_by_label("Macro").select_option(label="Duplicate charge refunded")
    page.get_by_role("button", name="Apply").click()
    filled = f"Hello Ann, the duplicate charge on {case.reference} is refunded."
    expect(page.get_by_label("Message")).to_have_value(filled)
    expect(page.locator(".macro-staged")).to_contain_text("Priority → High")
    expect(page.get_by_label("Then set status")).to_have_value("pending")
    expect(page.get_by_label("Message")).to_be_focused()

    page.get_by_label("Message").press("End")
    page.get_by_label("Message").press_sequentially(" Sorry for the trouble.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    wait_for(
        lambda: ComposerDraft.objects.filter(body__endswith="Sorry for the trouble.").exists(),
        page,
    )
    shot(visitor, "macros-staged")

    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Message")).to_have_value(f"{filled} Sorry for the trouble.")
    expect(page.locator(".macro-staged")).to_contain_text("Duplicate charge refunded")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")

    page.set_viewport_size({"width": 390, "height": 844})
    shot(visitor, "macros-staged-390")
    assert overflow(page) <= 0, "the composer with a macro scrolls sideways on a phone"
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer .saved")).to_contain_text("Macro “Duplicate charge refunded”")
    expect(page.locator(".interaction.out").last).to_contain_text("Sorry for the trouble.")
    expect(page.get_by_label("Message")).to_have_value("")
    expect(page.locator(".macro-staged")).to_have_count(0)
    case.refresh_from_db()
    assert (case.status, case.priority) == ("pending", "high")
    assert list(case.tags.values_list("name", flat=True)) == ["refund"]
    page.wait_for_timeout(1500)  # an autosave still on its way must not bring the draft back
    assert not ComposerDraft.objects.exists()
    page.reload()
    expect(page.get_by_label("Message")).to_have_value("")
    visitor.collect("macros-sent")
    assert visitor.violations == [], "\n".join(visitor.violations)


def test_without_javascript_apply_fills_the_composer_in(
    transactional_db, live_server, chromium, agent, setup
):
    case, macro = setup
    visitor = Visitor(chromium, live_server.url.replace("localhost", "127.0.0.1"))
    visitor.context.close()
    visitor.context = chromium.new_context(java_script_enabled=False)
    visitor.page = page = visitor.context.new_page()
    sign_in(visitor, agent.username)
    page.goto(visitor.base + f"/cases/{case.pk}/")
    page.get_by_label("Message").fill("Thanks for your patience.")
    page.get_by_label("Macro").select_option(label="Duplicate charge refunded")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Message")).to_have_value(
        f"Thanks for your patience.\n\nHello Ann, the duplicate charge on {case.reference} "
        "is refunded."
    )
    page.get_by_role("button", name="Send", exact=True).click()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Macro “Duplicate charge refunded” applied.")
    case.refresh_from_db()
    assert case.priority == "high"
    assert not ComposerDraft.objects.exists()
