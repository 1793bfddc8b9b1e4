"""A reply sent through Django's SMTP backend to a real SMTP server on 127.0.0.1 (aiosmtpd)."""

import socket
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from apps.cases import services
from apps.cases.models import Interaction
from apps.contacts.models import ContactIdentity
from apps.mail.models import InboundEmail, Mailbox
from apps.mail.references import subject_token
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
Delivery = Interaction.Delivery


class Inbox:
    """aiosmtpd handler: keeps what it accepted; refuses recipients listed in `refuse`."""

    def __init__(self):
        self.envelopes = []
        self.refuse: dict[str, str] = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ready_timeout=10)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "apps.mail.outbound.send"}
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def case(team):
    customer = ContactFactory(name="Ann Customer")
    ContactIdentity.objects.create(contact=customer, kind="email", value="ann@example.net")
    mailbox = Mailbox.objects.create(name="Acme Support", email_address="support@acme.example")
    case = services.case_open(
        requester=customer,
        subject="Double charge",
        channel="email",
        team=team,
        body_text="Charged twice.",
        external_id="<q1@mail.example.net>",
        metadata={"email": {"from": "Ann Customer <ann@example.net>"}},
    ).case
    InboundEmail.objects.create(
        mailbox=mailbox,
        source="imap",
        raw=b"...",
        raw_sha256="0" * 64,
        case=case,
        interaction=case.interactions.get(),
    )
    return case


def test_a_reply_is_delivered_over_smtp(
    smtp_server, case, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")

    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT
    [envelope] = smtp_server.envelopes
    assert envelope.mail_from == "support@acme.example"
    assert envelope.rcpt_tos == ["ann@example.net"]
    message = message_from_bytes(envelope.content, policy=policy.default)
    assert message["Subject"] == f"Re: Double charge {subject_token(case)}"
    assert message["From"] == "Acme Support <support@acme.example>"
    assert message["To"] == "Ann Customer <ann@example.net>"
    assert message["In-Reply-To"] == "<q1@mail.example.net>"
    assert message["Message-ID"] == reply.external_id
    assert message["Auto-Submitted"] == "no"
    assert message.get_content().strip() == "Refunded."


def test_a_recipient_the_server_refuses_fails_the_reply(
    smtp_server, case, agent, django_capture_on_commit_callbacks
):
    smtp_server.refuse["ann@example.net"] = "550 5.1.1 <ann@example.net>: user unknown"
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")

    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.FAILED
    assert reply.delivery_error == (
        "recipient refused: ann@example.net: 550 5.1.1 <ann@example.net>: user unknown"
    )
    assert smtp_server.envelopes == []


def test_a_recipient_deferred_by_the_server_is_retried(
    smtp_server, case, agent, django_capture_on_commit_callbacks
):
    smtp_server.refuse["ann@example.net"] = "450 4.2.1 mailbox busy"
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")

    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.PENDING
    assert "450 4.2.1 mailbox busy" in reply.delivery_error


def test_an_smtp_server_that_is_down_means_try_again(
    settings, case, agent, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nothing listens
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "apps.mail.outbound.send"}
    with django_capture_on_commit_callbacks(execute=True):
        reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")

    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.PENDING
    assert reply.delivery_error.startswith(
        "TransientSendError: SMTP unavailable: ConnectionRefusedError"
    )
