"""One agent's journey through the workspace, end to end, in real headless Chromium (Debian's,
through Playwright) against a live server — issue 10's acceptance in one test:

Alex signs in on the login page, opens "Breaching soon", opens its first case with the
keyboard (`j`, Enter), replies by email with a macro (its placeholders filled in; the email
captured in django.core.mail.outbox answers the customer's message: In-Reply-To and
References), adds an internal note, sets a tag, types a reply that survives a reload as a
draft; Sam, a second agent in a browser context of their own, opens the same case and sees
Alex there; Alex sends the draft and sets the case solved in one action; Sam, answering
after that, is warned first (the stale reply) and shown Alex's reply; then a search by the
customer's phone number, written otherwise than stored, finds their case.

axe-core runs on every page visited (no serious or critical violation) and no page breaks
the Content-Security-Policy. Screenshots of the queue, the case page and the composer, at
1440 px and at a 390 px phone width, go to $CXDESK_SCREENSHOTS (default
/tmp/cxdesk-shots/journey/), not committed.
"""

import os
from datetime import timedelta
from email.utils import parseaddr
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone

from apps.cases.models import Case
from apps.contacts.services import contact_add_identity
from apps.macros.models import ComposerDraft
from apps.mail.models import Mailbox
from apps.mail.services import email_receive
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow, wait_for
from tests.core.test_csp_browser import Visitor
from tests.factories import AgentFactory, CaseFactory, SlaPolicyFactory
from tests.macros.factories import MacroFactory

try:
    from playwright.sync_api import expect
except ImportError:  # pragma: no cover - BROWSER_TEST skips
    expect = None

pytestmark = BROWSER_TEST
SHOTS = Path(os.environ.get("CXDESK_SCREENSHOTS", "/tmp/cxdesk-shots/journey"))
WIDE, PHONE = {"width": 1440, "height": 900}, {"width": 390, "height": 844}
PRESENCE_WAIT = 15_000  # ms: the presence partial polls every 5 s
SUPPORT = "support@cxdesk.test"
CUSTOMER_MESSAGE_ID = "<parcel-2@mail.example.com>"
EARLIER_MESSAGE_ID = "<parcel-1@mail.example.com>"  # what the customer's email answers


@pytest.fixture
def journey(team, settings):
    """Alex and Sam in Billing; Ann's email (threaded on an earlier one of hers) received
    through the real ingester, due within the hour; a calmer case; a macro."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CXDESK_DEFAULT_PHONE_REGION = "GB"
    alex = AgentFactory(username="alex", first_name="Alex", last_name="Agent", teams=[team])
    AgentFactory(username="sam", first_name="Sam", last_name="Sato", teams=[team])
    SlaPolicyFactory(targets={("normal", "first_response"): (30, False)})
    mailbox = Mailbox.objects.create(name="Billing support", email_address=SUPPORT, team=team)
    inbound = email_receive(
        source="upload",
        mailbox=mailbox,
        raw=(
            f"From: Ann Example <ann@example.com>\r\nTo: {SUPPORT}\r\n"
            "Subject: My parcel never arrived\r\n"
            f"Message-ID: {CUSTOMER_MESSAGE_ID}\r\n"
            f"In-Reply-To: {EARLIER_MESSAGE_ID}\r\nReferences: {EARLIER_MESSAGE_ID}\r\n"
            "\r\nHello, order 5521 was due on Monday and has not arrived. Where is it?\r\n"
        ).encode(),
    )
    case = Case.objects.get(pk=inbound.case_id)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(team=team, next_breach_at=now + timedelta(minutes=9))
    contact_add_identity(contact=case.requester, kind="phone", value="+44 20 7946 0018")
    soon, later = now + timedelta(minutes=40), now + timedelta(hours=6)
    CaseFactory(team=team, subject="Later: invoice copy", next_breach_at=soon)
    CaseFactory(team=team, subject="Calm: opening hours", next_breach_at=later)
    MacroFactory(
        title="Parcel on its way",
        body=(
            "Hello {contact.first_name},\n\nyour parcel for {case.reference} is on its way "
            "again.\n\n{agent.first_name}"
        ),
    )
    case.refresh_from_db()
    return alex, case


def screenshot(page, name: str, *, element: str | None = None) -> None:
    """`name`-1440.png and `name`-390.png (the whole page, or one element of it); the page
    must not scroll sideways on the phone."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size in (WIDE, PHONE):
        page.set_viewport_size(size)
        page.wait_for_timeout(100)  # the layout after the resize
        target = page.locator(element) if element else page
        options = {} if element else {"full_page": True}
        target.screenshot(path=str(SHOTS / f"{name}-{size['width']}.png"), **options)
        overflow = horizontal_overflow(page)
        assert overflow <= 0, f"{name}: {overflow} px wider than a {size['width']} px screen"
    page.set_viewport_size(WIDE)


def test_an_agent_works_a_breaching_email_case_from_sign_in_to_solved(
    transactional_db, live_server, chromium, journey
):
    alex_user, case = journey
    base = live_server.url.replace("localhost", "127.0.0.1")
    alex = Visitor(chromium, base)
    page = alex.page
    page.set_viewport_size(WIDE)

    # Signs in through the login page.
    alex.visit("/accounts/login/", "journey-login")
    assert_accessible(page, "login")
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Password").fill("pw-for-tests-only")
    page.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".queue-views")).to_be_visible()

    # "Breaching soon": the two cases due within the hour, the soonest first.
    page.locator(".queue-views a", has_text="Breaching soon").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_have_text("Breaching soon")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("My parcel never arrived")
    assert_accessible(page, "breaching soon")
    alex.collect("journey-queue")
    screenshot(page, "queue")

    # Its first case, with the keyboard: `j` to the first row, Enter opens it.
    page.keyboard.press("j")
    expect(rows.first.locator("a").first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")
    expect(page.locator("#case-title .reference")).to_have_text(case.reference)
    assert_accessible(page, "case page")
    alex.collect("journey-case")
    screenshot(page, "case")

    # A reply by email with the macro, its placeholders filled in for this case and agent.
    page.get_by_label("Macro").select_option(label="Parcel on its way")
    page.get_by_role("button", name="Apply").click()
    filled = f"Hello Ann,\n\nyour parcel for {case.reference} is on its way again.\n\nAlex"
    expect(page.get_by_label("Message")).to_have_value(filled)
    expect(page.get_by_label("Public reply")).to_be_checked()
    assert_accessible(page, "composer with a macro")
    screenshot(page, "composer", element="#composer")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer .saved")).to_contain_text("Reply sent")
    expect(page.locator(".interaction.out").last).to_contain_text("is on its way again")
    [sent] = mail.outbox
    assert sent.body.replace("\r\n", "\n") == filled  # a form posts CRLF line ends
    assert parseaddr(sent.to[0])[1] == "ann@example.com"
    assert sent.extra_headers["In-Reply-To"] == CUSTOMER_MESSAGE_ID
    assert sent.extra_headers["References"] == f"{EARLIER_MESSAGE_ID} {CUSTOMER_MESSAGE_ID}"
    assert f"[{case.reference}-" in sent.subject  # the keyed reference token

    # An internal note (never mailed).
    page.get_by_label("Internal note").check()
    page.get_by_label("Message").fill("Carrier says the depot lost it; reshipped as 5521-B.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator(".interaction.note").last).to_contain_text("reshipped as 5521-B")
    assert len(mail.outbox) == 1

    # A tag.
    page.get_by_label("Tags").fill("lost-parcel")
    page.get_by_role("button", name="Save tags").click()
    expect(page.locator("#case-header .tag")).to_have_text(["lost-parcel"])
    assert list(case.tags.values_list("name", flat=True)) == ["lost-parcel"]

    # A reply typed in the composer is a draft: a reload brings it back.
    page.get_by_label("Public reply").check()
    draft = "The new parcel left the depot this morning; tracking follows."
    page.get_by_label("Message").press_sequentially(draft)
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    wait_for(lambda: ComposerDraft.objects.filter(body=draft).exists(), page)
    page.reload()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_label("Message")).to_have_value(draft)
    assert_accessible(page, "case page with a draft")
    alex.collect("journey-draft-restored")
    screenshot(page, "composer-draft", element="#composer")

    # Sam opens the same case and sees Alex on it.
    sam = Visitor(chromium, base)
    sam.page.set_viewport_size(WIDE)
    sam.sign_in("sam")
    sam.visit(f"/cases/{case.pk}/", "journey-sam-case")
    expect(sam.page.locator("#case-presence")).to_contain_text(
        "Alex Agent is", timeout=PRESENCE_WAIT
    )
    assert_accessible(sam.page, "case page, second agent")

    # Alex sends the draft and solves the case in one action.
    page.get_by_label("Then set status").select_option("solved")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#composer .saved")).to_have_text("Reply sent and status set to solved.")
    expect(page.locator("#case-header .status")).to_have_text("Solved")
    case.refresh_from_db()
    assert case.status == Case.Status.SOLVED
    assert len(mail.outbox) == 2
    assert mail.outbox[1].body == draft
    assert not ComposerDraft.objects.filter(agent=alex_user).exists()
    alex.collect("journey-solved")
    screenshot(page, "case-solved")

    # Sam, who opened the case before that reply, is warned instead of answering twice.
    sam.page.get_by_label("Message").fill("Let me look into your parcel.")
    sam.page.get_by_role("button", name="Send", exact=True).click()
    warning = sam.page.locator(".stale-warning")
    expect(warning).to_contain_text("Not sent: 1 new message arrived")
    expect(warning).to_contain_text("left the depot this morning")
    expect(sam.page.get_by_label("Message")).to_have_value("Let me look into your parcel.")
    assert_accessible(sam.page, "stale-reply warning")
    sam.collect("journey-sam-stale")
    assert len(mail.outbox) == 2
    sam.context.close()

    # Search: the phone number as the customer says it, not as it is stored (+442079460018).
    page.evaluate("document.activeElement.blur()")  # out of the message box: keys are shortcuts
    page.keyboard.press("/")
    box = page.get_by_role("searchbox", name="Search cases and contacts")
    expect(box).to_be_focused()
    box.fill("(020) 7946-0018")
    box.press("Enter")
    page.wait_for_load_state("networkidle")
    found = page.locator(".search-contact")
    expect(found).to_contain_text("Ann Example")
    expect(found.get_by_role("link", name=case.reference)).to_be_visible()
    assert_accessible(page, "search results")
    alex.collect("journey-search")

    assert alex.violations + sam.violations == [], "\n".join(alex.violations + sam.violations)
    alex.context.close()
