"""Auto-replies, bounces and mail loops are recorded on their case as internal messages,
flagged, and never open, reopen or follow up a case."""

import pytest

from apps.cases.models import Case, CaseEvent, Interaction
from apps.mail import services
from apps.mail.models import InboundEmail
from apps.mail.references import subject_token
from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


@pytest.fixture
def case(team, agent):
    customer = EmailIdentityFactory(
        value="ada@example.com", contact=ContactFactory(name="Ada")
    ).contact
    case = CaseFactory(requester=customer, team=team, status=Case.Status.SOLVED)
    InteractionFactory(
        case=case,
        direction=Interaction.Direction.OUTBOUND,
        author_contact=None,
        author_agent=agent,
        external_id="<reply-1@cxdesk.test>",
    )
    return case


def _bounce(original_message_id: str, *, subject="Re: Invoice") -> bytes:
    """A Postfix-style RFC 3464 bounce of one of our replies."""
    return f"""\
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: support@cxdesk.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-{original_message_id.strip("<>")}@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; ada@example.com
Action: failed
Status: 5.1.1

--b1
Content-Type: message/rfc822

From: support@cxdesk.test
To: ada@example.com
Subject: {subject}
Message-ID: {original_message_id}

Here is your corrected invoice.

--b1--
""".encode()


def _receive(raw, mailbox):
    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)
    assert inbound.status == Status.PROCESSED, inbound.error
    return inbound


@pytest.mark.parametrize(
    ("headers", "subject"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Re: Invoice"),
        ({"X-Autoreply": "yes"}, "Re: Invoice"),
        ({"X-Autorespond": "Out of office"}, "Re: Invoice"),
        ({"Precedence": "auto_reply"}, "Re: Invoice"),
        ({}, "Out of Office: Re: Invoice"),
        ({}, "Automatische Antwort: Re: Invoice"),
        ({}, "Réponse automatique : Re: Invoice"),
        ({}, "Respuesta automática: Re: Invoice"),
        ({}, "Automatyczna odpowiedź: Re: Invoice"),
    ],
    ids=[
        "auto-submitted",
        "x-autoreply",
        "x-autorespond",
        "precedence-auto-reply",
        "ooo-en",
        "ooo-de",
        "ooo-fr",
        "ooo-es",
        "ooo-pl",
    ],
)
def test_an_auto_reply_is_an_internal_note_that_does_not_reopen(
    case, mailbox, make_email, headers, subject
):
    raw = make_email(
        sender="ada@example.com",
        subject=subject,
        headers=headers,
        in_reply_to="<reply-1@cxdesk.test>",
        text="I am away until Monday.",
    )

    inbound = _receive(raw, mailbox)

    case.refresh_from_db()
    assert inbound.is_auto_reply
    assert not inbound.is_bounce
    assert inbound.case == case
    assert case.status == Case.Status.SOLVED
    assert case.reopen_count == 0
    assert not case.events.filter(kind=CaseEvent.Kind.REOPENED).exists()
    note = inbound.interaction
    assert (note.is_public, note.direction) == (False, Interaction.Direction.INBOUND)
    assert note.metadata["auto_reply"] is True
    assert note.metadata["noise_reasons"]
    assert Case.objects.count() == 1


def test_auto_submitted_no_is_an_ordinary_message(case, mailbox, make_email):
    raw = make_email(headers={"Auto-Submitted": "no"}, in_reply_to="<reply-1@cxdesk.test>")

    inbound = _receive(raw, mailbox)

    case.refresh_from_db()
    assert not inbound.is_auto_reply
    assert inbound.interaction.is_public
    assert case.status == Case.Status.OPEN


def test_an_auto_reply_to_a_closed_case_opens_no_follow_up(case, mailbox, make_email):
    Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED)

    inbound = _receive(
        make_email(headers={"Auto-Submitted": "auto-replied"}, in_reply_to="<reply-1@cxdesk.test>"),
        mailbox,
    )

    assert inbound.case == case
    assert Case.objects.count() == 1


def test_an_auto_reply_matching_no_case_is_kept_without_a_case(case, mailbox, make_email):
    raw = make_email(
        sender="stranger@example.net",
        subject="Out of office",
        headers={"Auto-Submitted": "auto-replied"},
    )

    inbound = _receive(raw, mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert stored.is_auto_reply
    assert stored.case is None
    assert stored.interaction is None
    assert bytes(stored.raw) == raw
    assert Case.objects.count() == 1


def test_a_redelivered_auto_reply_without_a_case_is_a_duplicate(mailbox, make_email):
    raw = make_email(message_id="<ooo@example.net>", headers={"Auto-Submitted": "auto-replied"})
    _receive(raw, mailbox)

    again = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert again.status == Status.DUPLICATE


def test_an_auto_reply_threads_by_the_subject_token(case, mailbox, make_email):
    inbound = _receive(
        make_email(subject=f"Automatic reply: Re: Invoice [{case.reference}]"), mailbox
    )

    assert inbound.case == case
    assert inbound.is_auto_reply
    case.refresh_from_db()
    assert case.status == Case.Status.SOLVED


def test_a_bounce_is_recorded_on_the_case_of_the_bounced_reply(case, mailbox):
    inbound = _receive(_bounce("<reply-1@cxdesk.test>"), mailbox)

    case.refresh_from_db()
    assert inbound.is_bounce
    assert not inbound.is_auto_reply
    assert inbound.case == case
    assert case.status == Case.Status.SOLVED
    note = inbound.interaction
    assert not note.is_public
    assert note.author_contact is None
    assert note.metadata["bounce"] is True
    assert note.metadata["threading"] == {
        "by": "bounced_message",
        "message_id": "<reply-1@cxdesk.test>",
    }
    assert "message/rfc822" in {a.content_type for a in note.attachments.all()}


def test_a_bounce_threads_by_the_tagged_token_of_the_bounced_subject(case, mailbox):
    raw = _bounce("<unknown@cxdesk.test>", subject=f"Re: Invoice {subject_token(case)}")

    inbound = _receive(raw, mailbox)

    assert inbound.case == case
    assert inbound.is_bounce


def test_noise_with_only_a_bare_token_from_an_unknown_sender_threads_nowhere(
    case, mailbox, make_email
):
    """A bare [CX-…] is guessable: a forged "auto-reply" must not plant a note in any case.
    The message is kept (processed, flagged) without a case."""
    bounce = _receive(
        _bounce("<unknown@cxdesk.test>", subject=f"Re: Invoice [{case.reference}]"), mailbox
    )
    auto_reply = _receive(
        make_email(
            sender="mallory@evil.test",
            subject=f"Automatic reply: [{case.reference}]",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        mailbox,
    )

    assert (bounce.status, bounce.case, bounce.is_bounce) == (Status.PROCESSED, None, True)
    assert (auto_reply.status, auto_reply.case) == (Status.PROCESSED, None)
    assert case.interactions.count() == 1
    assert Case.objects.count() == 1


def test_an_auto_reply_of_the_requester_with_a_bare_token_is_a_note_on_the_case(
    case, mailbox, make_email
):
    inbound = _receive(
        make_email(
            sender="ada@example.com",
            subject=f"Out of office: Re: Invoice [{case.reference}]",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        mailbox,
    )

    assert inbound.case == case
    assert not inbound.interaction.is_public
    case.refresh_from_db()
    assert case.status == Case.Status.SOLVED


def test_a_bounce_matching_no_case_opens_none(mailbox):
    inbound = _receive(_bounce("<unknown@cxdesk.test>", subject="Hello"), mailbox)

    assert inbound.is_bounce
    assert inbound.case is None
    assert not Case.objects.exists()


def test_a_plain_text_bounce_from_the_mailer_daemon_is_flagged(case, mailbox, make_email):
    raw = make_email(
        sender="MAILER-DAEMON@mx.example.com",
        subject="failure notice",
        text="Sorry.\n\n--- Below this line is a copy of the message.\n\n"
        "Message-ID: <reply-1@cxdesk.test>\nSubject: Re: Invoice\n",
    )

    inbound = _receive(raw, mailbox)

    assert inbound.is_bounce
    assert inbound.case == case


def test_mail_from_our_own_mailbox_is_a_loop_and_opens_nothing(mailbox, make_email):
    inbound = _receive(make_email(sender="Support <support@cxdesk.test>"), mailbox)

    assert inbound.is_auto_reply
    assert inbound.case is None
    assert not Case.objects.exists()
