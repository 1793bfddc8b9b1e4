"""Every agent page passes axe-core (no serious or critical violation) and none scrolls
sideways at 1280 px or on a 390 px phone — in real headless Chromium, against a live server.

axe-core is vendored for tests only (tests/vendor/axe-core/); tests/browser.py injects it
beside the page, so the page's own CSP stays on. Screenshots of each page go to
$CXDESK_A11Y_SHOTS (default /tmp/cxdesk-shots/a11y/), not committed.
"""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.cases import services
from apps.cases.models import Case, Channel, SavedView
from apps.cases.queues import VIEWS
from apps.contacts.models import ContactIdentity
from apps.notifications.models import Notification
from apps.notifications.services import notify_many
from apps.phone import services as phone_services
from tests.browser import BROWSER_TEST, assert_accessible, horizontal_overflow
from tests.core.test_csp_browser import PASSWORD
from tests.factories import (
    AgentFactory,
    CaseFactory,
    EmailIdentityFactory,
    InteractionFactory,
    SlaPolicyFactory,
)

pytestmark = BROWSER_TEST
SHOTS = Path(os.environ.get("CXDESK_A11Y_SHOTS", "/tmp/cxdesk-shots/a11y"))
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


@pytest.fixture
def workspace(team, agent, settings):
    """A small workspace: cases on email (attachments, a note, tags), chat and phone, all
    requested by one contact, a saved view and a notification for the agent."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    SlaPolicyFactory(targets={("normal", "first_response"): (30, False)})
    colleague = AgentFactory(teams=[team], first_name="Cleo", last_name="Ng")
    identity = EmailIdentityFactory(value="ann@example.com", contact__name="Ann Example")
    contact = identity.contact
    ContactIdentity.objects.create(contact=contact, kind="phone", value="+442079460123")
    email = CaseFactory(
        team=team,
        requester=contact,
        subject="Charged twice for my March invoice — please refund the second payment",
        next_breach_at=now + timedelta(minutes=20),
    )
    message = InteractionFactory(case=email, body_text="I was charged twice on 3 March.")
    services.attachment_add(interaction=message, filename="statement.pdf", content=b"%PDF-1.4")
    services.attachment_add(
        interaction=message, filename="screenshot.png", content=PNG, content_type="image/png"
    )
    services.case_reply(case_id=email.pk, agent=agent, body_text="Looking into it now.")
    services.case_note(case_id=email.pk, agent=agent, body_text="Ledger shows two captures.")
    services.case_set_tags(case_id=email.pk, tags=["billing", "refund"], actor=agent)
    services.case_assign(case_id=email.pk, assignee=agent, actor=agent)

    chat = CaseFactory(
        team=team,
        requester=contact,
        channel=Channel.CHAT,
        subject="Where is my parcel?",
        status=Case.Status.OPEN,
        assignee=colleague,
    )
    for seq, (direction, text) in enumerate(
        [("in", "Hi, my parcel is late"), ("out", "Let me check"), ("in", "Thanks!")], 1
    ):
        InteractionFactory(
            case=chat,
            channel=Channel.CHAT,
            direction=direction,
            author_contact=contact if direction == "in" else None,
            author_agent=colleague if direction == "out" else None,
            body_text=text,
            metadata={"chat_session_id": "chat-1", "seq": seq},
        )

    phone = CaseFactory(
        team=team,
        requester=contact,
        channel=Channel.PHONE,
        subject="Call about a refund",
        status=Case.Status.PENDING,
    )
    phone_services.call_log(
        case=phone,
        agent=agent,
        direction="inbound",
        number="+442079460123",
        duration_seconds=312,
        disposition="resolved",
        notes="Explained the refund timeline.",
    )
    for i in range(3):
        CaseFactory(team=team, subject=f"Older question {i}", status=Case.Status.PENDING)
    CaseFactory(team=team, subject="Unassigned newcomer")

    SavedView.objects.create(owner=agent, name="Urgent email", query="view=all&channel=email")
    notify_many(
        [(agent, Notification.Kind.SLA_WARNING, email, f"{email.reference} is due in 20 min")]
    )
    return {"email": email, "chat": chat, "phone": phone, "contact": contact}


def _pages(workspace):
    """(name, path) of every agent page."""
    email, chat, phone, contact = (workspace[k] for k in ("email", "chat", "phone", "contact"))
    saved = SavedView.objects.get(name="Urgent email")
    return [
        *[(f"queue-{key}", f"/?view={key}") for key in VIEWS],
        ("queue-filtered", "/?view=all&priority=normal&sort=age"),
        ("saved-view", f"/?{saved.query}"),
        ("case-email", f"/cases/{email.pk}/"),
        ("case-chat", f"/cases/{chat.pk}/"),
        ("case-phone", f"/cases/{phone.pk}/"),
        ("case-history", f"/cases/{email.pk}/history/"),
        ("log-call", f"/channels/phone/cases/{phone.pk}/log-call/"),
        ("contact", f"/contacts/{contact.pk}/"),
        ("search", "/search/?q=refund"),
        ("search-phone", "/search/?q=020+7946+0123"),
        ("search-empty", "/search/"),
        ("notifications", "/notifications/"),
        ("password-change", "/accounts/password/change/"),
    ]


def _context(chromium, base, width, height):
    context = chromium.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(15_000)
    return context, context.new_page()


def _sign_in(page, base, username):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")


def _visit(page, base, path, name, status=200):
    response = page.goto(base + path)
    assert response.status == status, (path, response.status)
    page.wait_for_load_state("networkidle")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_signed_out_pages_pass_axe(transactional_db, live_server, chromium):
    base = live_server.url.replace("localhost", "127.0.0.1")
    _, page = _context(chromium, base, 1280, 900)
    signed_out = [("login", "/accounts/login/"), ("password-reset", "/accounts/password/reset/")]
    for name, path in signed_out:
        _visit(page, base, path, name)
        assert_accessible(page, name)
    # A refused sign-in: the form with its error message.
    _visit(page, base, "/accounts/login/", "login")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "wrong")
    page.locator("[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert_accessible(page, "login-refused")


def test_every_agent_page_passes_axe_at_1280_px(
    transactional_db, live_server, chromium, agent, workspace
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    _, page = _context(chromium, base, 1280, 900)
    _sign_in(page, base, agent.username)
    failures = []
    for name, path in _pages(workspace):
        _visit(page, base, path, f"{name}-1280")
        try:
            assert_accessible(page, name)
        except AssertionError as error:
            failures.append(str(error))
        if horizontal_overflow(page) > 0:
            failures.append(f"{name}: {horizontal_overflow(page)} px wider than 1280 px")

    def check(name):
        page.wait_for_load_state("networkidle")
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}-1280.png"), full_page=True)
        try:
            assert_accessible(page, name)
        except AssertionError as error:
            failures.append(str(error))

    # What opens on a page is checked open, and every form with its error messages.
    _visit(page, base, "/?view=all", "queue-all-1280")
    page.locator("details.queue-filters summary").click()
    check("queue-filters-open")
    _visit(page, base, "/?view=all&created_from=yesterday", "queue-bad-filter-1280", status=400)
    check("queue-bad-filter")
    email = workspace["email"]
    _visit(page, base, f"/cases/{email.pk}/", "case-email-1280")
    page.locator("#case-history summary").click()
    page.locator("#case-history .events").wait_for()
    page.get_by_label("Message").fill("   ")  # passes the browser's `required`, not the form
    page.get_by_role("button", name="Send", exact=True).click()
    page.locator("#composer .field-error").wait_for()
    check("case-history-open-composer-error")
    _visit(page, base, f"/channels/phone/cases/{workspace['phone'].pk}/log-call/", "log-call")
    page.fill("#id_number", "not a number")
    page.locator(".log-call [type=submit]").click()
    page.locator(".log-call .error").wait_for()
    check("log-call-refused")
    _visit(page, base, "/accounts/password/change/", "password-change")
    page.fill("#id_old_password", "not my password")
    page.locator("main [type=submit]").click()
    check("password-change-refused")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_queue_case_and_contact_pages_fit_the_screen(
    transactional_db, live_server, chromium, agent, workspace, width, height
):
    base = live_server.url.replace("localhost", "127.0.0.1")
    _, page = _context(chromium, base, width, height)
    _sign_in(page, base, agent.username)
    email, chat, phone, contact = (workspace[k] for k in ("email", "chat", "phone", "contact"))
    too_wide = []
    for name, path in [
        ("queue", "/"),
        ("queue-all", "/?view=all"),
        ("case-email", f"/cases/{email.pk}/"),
        ("case-chat", f"/cases/{chat.pk}/"),
        ("case-phone", f"/cases/{phone.pk}/"),
        ("contact", f"/contacts/{contact.pk}/"),
        ("search", "/search/?q=refund"),
        ("notifications", "/notifications/"),
    ]:
        _visit(page, base, path, f"{name}-{width}")
        if (extra := horizontal_overflow(page)) > 0:
            too_wide.append(f"{name}: scrolls {extra} px sideways at {width} px")
        if width == 390:  # the phone layout is a layout of its own: axe checks it too
            try:
                assert_accessible(page, f"{name} at {width} px")
            except AssertionError as error:
                too_wide.append(str(error))
    assert not too_wide, "\n".join(too_wide)
