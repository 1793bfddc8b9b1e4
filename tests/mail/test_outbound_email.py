"""Agent replies by email: headers, threading, subject token, attachments, SMTP outcomes.

Django's locmem backend (pytest-django's default) catches the messages in mail.outbox; one
test talks SMTP to a real server on 127.0.0.1 (aiosmtpd) — see test_outbound_smtp.py.
"""

import smtplib
from email import message_from_bytes, policy

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from apps.cases import outbound as core
from apps.cases import services
from apps.cases.models import Interaction
from apps.contacts.models import ContactIdentity
from apps.mail import outbound
from apps.mail.models import InboundEmail, Mailbox
from apps.mail.references import subject_tag, subject_token
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
Delivery = Interaction.Delivery


@pytest.fixture(autouse=True)
def email_sender(settings):
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "apps.mail.outbound.send"}
    settings.DEFAULT_FROM_EMAIL = "Help <help@cxdesk.example>"


@pytest.fixture
def mailbox(team):
    return Mailbox.objects.create(
        name="Acme Support", email_address="support@acme.example", team=team
    )


@pytest.fixture
def customer():
    contact = ContactFactory(name="Ann Customer")
    ContactIdentity.objects.create(contact=contact, kind="email", value="ann@example.net")
    return contact


def inbound_case(
    customer,
    mailbox,
    team,
    *,
    subject="Double charge on renewal",
    message_id="<q1@mail.example.net>",
    metadata=None,
):
    """A case opened by an email that came in through `mailbox`, as ingestion leaves it."""
    metadata = (
        metadata
        if metadata is not None
        else {
            "email": {
                "message_id": message_id,
                "from": "Ann Customer <ann@example.net>",
                "references": ["<root@mail.example.net>"],
                "reply_to": [],
            }
        }
    )
    case = services.case_open(
        requester=customer,
        subject=subject,
        channel="email",
        team=team,
        body_text="I was charged twice.",
        external_id=message_id,
        metadata=metadata,
    ).case
    interaction = case.interactions.get()
    InboundEmail.objects.create(
        mailbox=mailbox,
        source="imap",
        raw=b"...",
        raw_sha256="0" * 64,
        message_id=message_id,
        case=case,
        interaction=interaction,
        status=InboundEmail.Status.PROCESSED,
    )
    return case


def reply(case, agent, capture, *, files=(), **fields) -> Interaction:
    """The agent answers; the send task runs after commit (eagerly in tests)."""
    fields.setdefault("body_text", "Sorry about that, the second charge is refunded.")
    with capture(execute=True):
        interaction = services.case_reply(case_id=case.pk, agent=agent, **fields)
        for name, content, content_type, content_id in files:
            services.attachment_add(
                interaction=interaction,
                filename=name,
                content=content,
                content_type=content_type,
                content_id=content_id,
            )
    interaction.refresh_from_db()
    return interaction


def test_a_reply_goes_from_the_mailbox_to_the_customer(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(customer, mailbox, team)

    sent = reply(case, agent, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.from_email == "Acme Support <support@acme.example>"
    assert email.to == ["Ann Customer <ann@example.net>"]
    assert email.body == "Sorry about that, the second charge is refunded."
    assert email.extra_headers["Auto-Submitted"] == "no"
    assert sent.delivery_status == Delivery.SENT
    assert sent.external_id == email.extra_headers["Message-ID"]


def test_the_reply_threads_under_the_customers_message(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(customer, mailbox, team)

    sent = reply(case, agent, django_capture_on_commit_callbacks)

    message = mail.outbox[0].message()
    assert message["In-Reply-To"] == "<q1@mail.example.net>"
    assert message["References"] == "<root@mail.example.net> <q1@mail.example.net>"
    message_id = message["Message-ID"]
    assert message_id.startswith("<")
    assert message_id.endswith("@acme.example>")
    assert case.reference in message_id
    assert sent.external_id == message_id  # so the customer's answer threads back here


def test_the_subject_carries_one_re_and_the_case_reference(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(customer, mailbox, team, subject="RE: Re: Fwd: Double charge")

    reply(case, agent, django_capture_on_commit_callbacks)

    assert mail.outbox[0].subject == f"Re: Double charge {subject_token(case)}"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Double charge", "Re: Double charge"),
        ("Re: Double charge [CX-000042]", "Re: Double charge"),
        ("Re: Double charge [CX-000042-abcdefgh]", "Re: Double charge"),
        ("AW: [cx-000042] Doppelte Abbuchung", "Re: Doppelte Abbuchung"),
        ("Fwd: [CX-000348] my order", "Re: my order"),  # another case's token is dropped
        ("Re:", "Re: (no subject)"),
        ("Line\r\nbreak", "Re: Line break"),
    ],
)
def test_reply_subjects_carry_one_token_this_cases_with_its_tag(subject, expected):
    from apps.cases.models import Case

    case = Case(pk=42, subject=subject)
    assert outbound.reply_subject(case) == f"{expected} [CX-000042-{subject_tag(42)}]"


def test_the_html_body_goes_as_an_alternative(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(customer, mailbox, team)

    reply(
        case,
        agent,
        django_capture_on_commit_callbacks,
        body_text="",
        body_html="<p>Refunded <b>today</b>.</p><script>alert(1)</script>",
    )

    [email] = mail.outbox
    assert email.body == "Refunded today."
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    assert "<b>today</b>" in html
    assert "<script>" not in html


def test_attachments_are_sent(agent, team, customer, mailbox, django_capture_on_commit_callbacks):
    case = inbound_case(customer, mailbox, team)

    reply(
        case,
        agent,
        django_capture_on_commit_callbacks,
        files=[
            ("refund.pdf", b"%PDF-1.4 refund", "application/pdf", ""),
            ("logo.png", b"\x89PNG fake", "image/png", "logo@acme"),
        ],
    )

    message = message_from_bytes(mail.outbox[0].message().as_bytes(), policy=policy.default)
    parts = {p.get_filename(): p for p in message.iter_attachments()}
    assert parts["refund.pdf"].get_content() == b"%PDF-1.4 refund"
    assert parts["refund.pdf"].get_content_type() == "application/pdf"
    assert parts["logo.png"]["Content-ID"] == "<logo@acme>"
    assert parts["logo.png"].get_content_disposition() == "inline"
    assert parts["logo.png"].get_content() == b"\x89PNG fake"


def test_the_reply_to_of_the_customers_email_wins(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(
        customer,
        mailbox,
        team,
        metadata={
            "email": {
                "from": "Ann <ann@example.net>",
                "reply_to": ["Ann at work <ann@work.example>"],
            }
        },
    )

    reply(case, agent, django_capture_on_commit_callbacks)

    assert mail.outbox[0].to == ["Ann at work <ann@work.example>"]


def test_a_flat_metadata_from_another_integration_is_read_too(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(
        customer,
        mailbox,
        team,
        metadata={"from": "Ann <ann@example.net>", "headers": {"References": "<a@x.example>"}},
    )

    reply(case, agent, django_capture_on_commit_callbacks)

    assert mail.outbox[0].to == ["Ann <ann@example.net>"]
    assert mail.outbox[0].message()["References"] == "<a@x.example> <q1@mail.example.net>"


def test_without_an_address_in_the_email_the_requesters_address_is_used(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(customer, mailbox, team, metadata={})

    reply(case, agent, django_capture_on_commit_callbacks)

    assert mail.outbox[0].to == ["Ann Customer <ann@example.net>"]


def test_a_case_without_inbound_email_is_sent_from_the_default_address(
    agent, team, customer, django_capture_on_commit_callbacks
):
    case = services.case_open(
        requester=customer, subject="Called about a refund", channel="email", team=team
    ).case

    reply(case, agent, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert email.from_email == "Help <help@cxdesk.example>"
    assert email.to == ["Ann Customer <ann@example.net>"]
    assert "In-Reply-To" not in email.extra_headers
    assert email.extra_headers["Message-ID"].endswith("@cxdesk.example>")


def test_the_latest_inbound_email_is_answered(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(customer, mailbox, team)
    other = Mailbox.objects.create(name="Billing", email_address="billing@acme.example")
    later = services.interaction_add(
        case_id=case.pk,
        channel="email",
        direction="in",
        author_contact=customer,
        body_text="Any news?",
        external_id="<q2@mail.example.net>",
        metadata={"email": {"from": "ann@example.net", "references": ["<q1@mail.example.net>"]}},
    )
    InboundEmail.objects.create(
        mailbox=other, source="imap", raw=b"...", raw_sha256="1" * 64, case=case, interaction=later
    )

    reply(case, agent, django_capture_on_commit_callbacks)

    message = mail.outbox[0].message()
    assert message["In-Reply-To"] == "<q2@mail.example.net>"
    assert message["References"] == "<q1@mail.example.net> <q2@mail.example.net>"
    assert mail.outbox[0].from_email == "Billing <billing@acme.example>"


def test_references_are_bounded(agent, team, customer, mailbox, django_capture_on_commit_callbacks):
    chain = [f"<m{i}@mail.example.net>" for i in range(60)]
    case = inbound_case(
        customer,
        mailbox,
        team,
        metadata={"email": {"from": "ann@example.net", "references": chain}},
    )

    reply(case, agent, django_capture_on_commit_callbacks)

    references = mail.outbox[0].message()["References"].split()
    assert len(references) == outbound.MAX_REFERENCES
    assert references[0] == chain[0]  # the thread's root is kept
    assert references[-2:] == [chain[-1], "<q1@mail.example.net>"]


def test_no_email_address_fails_for_good(agent, team, mailbox, django_capture_on_commit_callbacks):
    nobody = ContactFactory(name="Walk-in")
    case = services.case_open(
        requester=nobody, subject="At the counter", channel="email", team=team
    ).case

    sent = reply(case, agent, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert sent.delivery_status == Delivery.FAILED
    assert "no email address to reply to" in sent.delivery_error


def test_a_reply_to_one_of_our_mailboxes_is_refused(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(
        customer, mailbox, team, metadata={"email": {"from": "Acme Support <support@acme.example>"}}
    )

    sent = reply(case, agent, django_capture_on_commit_callbacks)

    assert mail.outbox == []
    assert sent.delivery_status == Delivery.FAILED
    assert "one of our own mailboxes" in sent.delivery_error


class FailingBackend(BaseEmailBackend):
    """EMAIL_BACKEND for the failure tests: raises what the test put in `error`."""

    error: Exception | None = None
    attempts: list[str] = []

    def send_messages(self, messages):
        for message in messages:
            FailingBackend.attempts.append(message.extra_headers["Message-ID"])
        if FailingBackend.error is not None:
            raise FailingBackend.error
        return len(messages)


@pytest.fixture
def failing_backend(settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.mail.test_outbound_email.FailingBackend"
    monkeypatch.setattr(FailingBackend, "attempts", [])
    return FailingBackend


@pytest.mark.parametrize(
    "error",
    [
        smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
        ConnectionRefusedError(111, "Connection refused"),
        TimeoutError("timed out"),
        smtplib.SMTPConnectError(421, b"Too many connections"),
        smtplib.SMTPAuthenticationError(535, b"5.7.8 Authentication credentials invalid"),
        smtplib.SMTPRecipientsRefused({"ann@example.net": (450, b"4.2.1 Mailbox busy")}),
        smtplib.SMTPDataError(451, b"4.3.0 Try again later"),
    ],
)
def test_a_temporary_smtp_failure_is_retried(
    error,
    failing_backend,
    monkeypatch,
    agent,
    team,
    customer,
    mailbox,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(failing_backend, "error", error)
    case = inbound_case(customer, mailbox, team)

    sent = reply(case, agent, django_capture_on_commit_callbacks)

    assert sent.delivery_status == Delivery.PENDING
    assert sent.delivery_attempts == 1
    assert sent.next_attempt_at is not None
    assert sent.delivery_error.startswith("TransientSendError: ")
    assert sent.external_id == ""


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            smtplib.SMTPRecipientsRefused({"ann@example.net": (550, b"5.1.1 User unknown")}),
            "recipient refused: ann@example.net: 550 5.1.1 User unknown",
        ),
        (
            smtplib.SMTPSenderRefused(553, b"5.7.1 Sender not allowed", "support@acme.example"),
            "SMTP sender refused: 553 5.7.1 Sender not allowed",
        ),
        (
            smtplib.SMTPDataError(554, b"5.6.0 Message rejected as spam"),
            "SMTP refused: 554 5.6.0 Message rejected as spam",
        ),
    ],
)
def test_a_permanent_smtp_refusal_fails_at_once(
    error,
    text,
    failing_backend,
    monkeypatch,
    agent,
    team,
    customer,
    mailbox,
    django_capture_on_commit_callbacks,
):
    monkeypatch.setattr(failing_backend, "error", error)
    case = inbound_case(customer, mailbox, team)

    sent = reply(case, agent, django_capture_on_commit_callbacks)

    assert sent.delivery_status == Delivery.FAILED
    assert sent.delivery_attempts == 1
    assert sent.delivery_error == text


def test_a_retry_sends_the_same_message_id(
    failing_backend, monkeypatch, agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    """A timeout after the server took the message must not make the retry look new."""
    monkeypatch.setattr(failing_backend, "error", TimeoutError("timed out"))
    case = inbound_case(customer, mailbox, team)
    sent = reply(case, agent, django_capture_on_commit_callbacks)
    monkeypatch.setattr(failing_backend, "error", None)

    core.interaction_send(interaction_id=sent.pk, now=sent.next_attempt_at)

    sent.refresh_from_db()
    assert sent.delivery_status == Delivery.SENT
    first, second = failing_backend.attempts
    assert first == second == sent.external_id


def test_a_customer_email_without_message_id_gets_an_answer_without_in_reply_to(
    agent, team, customer, mailbox, django_capture_on_commit_callbacks
):
    case = inbound_case(
        customer,
        mailbox,
        team,
        message_id=f"<{'a' * 64}@no-message-id.invalid>",
        metadata={"email": {"message_id": "", "from": "ann@example.net"}},
    )

    reply(case, agent, django_capture_on_commit_callbacks)

    [email] = mail.outbox
    assert "In-Reply-To" not in email.extra_headers
    assert "References" not in email.extra_headers
    assert email.to == ["ann@example.net"]
