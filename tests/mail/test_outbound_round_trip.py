"""The whole loop: a customer writes, an agent answers by email, the customer's answer to
that reply comes back over IMAP and lands on the same case by its In-Reply-To."""

import pytest
from django.core import mail

from apps.cases import services as case_services
from apps.cases.models import Case, Interaction
from apps.mail import imap
from apps.mail.models import InboundEmail
from apps.mail.references import subject_token
from tests.mail.imap_server import SUPPORT, mailbox_on, message

pytestmark = pytest.mark.django_db


def answer_to(sent: mail.EmailMessage) -> bytes:
    """What the customer's mail client sends back: no case token kept in the subject."""
    original = sent.message()
    return (
        "From: Ann Customer <ann@example.net>\r\n"
        f"To: {original['From']}\r\n"
        "Subject: Re: about my question\r\n"
        "Message-ID: <answer-1@example.net>\r\n"
        f"In-Reply-To: {original['Message-ID']}\r\n"
        f"References: {original['References']} {original['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Thanks, that worked.\r\n"
    ).encode()


def test_a_customer_answer_to_our_reply_threads_onto_the_case(
    imap_server, team, agent, django_capture_on_commit_callbacks
):
    mailbox = mailbox_on(imap_server, team=team)
    imap_server.append(SUPPORT, message(1))
    imap.mailbox_poll(mailbox_id=mailbox.pk)
    case = Case.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        reply = case_services.case_reply(
            case_id=case.pk, agent=agent, body_text="Try again.", then_status=Case.Status.PENDING
        )
    [sent] = mail.outbox
    reply.refresh_from_db()
    assert reply.delivery_status == Interaction.Delivery.SENT
    assert sent.from_email == f"Support <{SUPPORT}>"
    assert sent.to == ["Ann Customer <ann@example.net>"]
    assert sent.message()["In-Reply-To"] == "<question-1@example.net>"
    assert sent.subject == f"Re: Question 1 {subject_token(case)}"

    imap_server.append(SUPPORT, answer_to(sent))
    assert imap.mailbox_poll(mailbox_id=mailbox.pk) == 1

    answer = InboundEmail.objects.get(message_id="<answer-1@example.net>")
    assert answer.status == InboundEmail.Status.PROCESSED
    assert answer.case_id == case.pk
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN  # the customer answered: back to the agent
    assert list(case.interactions.values_list("direction", flat=True)) == ["in", "out", "in"]
