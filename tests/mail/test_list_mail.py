"""Mail relayed by a list server, or sent with bulk precedence, is a customer's message.

`Precedence: list | bulk | junk` asks responders not to answer (RFC 3834 §2); it does not say
that a machine wrote the message. Such mail opens a case like any other and is only flagged
so that no auto-response (acknowledgements, surveys) is ever sent to it. Auto-replies are what
Auto-Submitted, X-Autoreply / X-Autorespond, an out-of-office subject or a report say.
"""

from pathlib import Path

import pytest

from apps.cases.models import Case, Interaction
from apps.mail import parsing, services
from apps.mail.models import InboundEmail
from tests.factories import CaseFactory, ContactFactory, EmailIdentityFactory, InteractionFactory

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "email"

# A message as GNU Mailman 2.1 relays it (the header shape of lists.nongnu.org), from a
# customer who wrote to a support address that is subscribed to the list.
MAILMAN_RELAYED = b"""\
Return-Path: <users-bounces+support=cxdesk.test@lists.example.org>
From: Ada Lovelace <ada@example.com>
To: users@lists.example.org, support@cxdesk.test
Subject: [users] My invoice is wrong
Date: Mon, 28 Jun 2021 15:43:47 +0100
Message-ID: <list-1@example.com>
Content-Type: text/plain; charset="UTF-8"
X-BeenThere: users@lists.example.org
X-Mailman-Version: 2.1.29
Precedence: list
List-Id: <users.lists.example.org>
List-Unsubscribe: <https://lists.example.org/mailman/options/users>,
 <mailto:users-request@lists.example.org?subject=unsubscribe>
List-Post: <mailto:users@lists.example.org>
Errors-To: users-bounces+support=cxdesk.test@lists.example.org
Sender: "users" <users-bounces+support=cxdesk.test@lists.example.org>

Hello, invoice 42 charges me twice.
"""


def test_a_message_relayed_by_a_list_server_opens_a_case_for_its_author(mailbox):
    inbound = services.email_receive(raw=MAILMAN_RELAYED, source="imap", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    assert not inbound.is_auto_reply
    assert not inbound.is_bounce
    case = Case.objects.get()
    assert case.subject == "[users] My invoice is wrong"
    assert case.requester.identities.get().value == "ada@example.com"
    assert inbound.interaction.is_public
    assert inbound.interaction.metadata["noise_reasons"] == []


@pytest.mark.parametrize("precedence", ["list", "bulk", "junk", "BULK"])
def test_precedence_alone_opens_a_case_but_forbids_auto_responses(mailbox, make_email, precedence):
    raw = make_email(headers={"Precedence": precedence})

    parsed = parsing.parse_email(raw)
    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert not parsed.is_noise
    assert parsed.noise_reasons == []
    assert parsed.suppress_auto_response
    assert parsed.auto_response_suppressed_by == [f"precedence: {precedence.lower()}"]
    assert inbound.case is not None
    assert Case.objects.count() == 1
    # What the coming auto-responder and surveys read: never answer this automatically.
    metadata = inbound.interaction.metadata
    assert metadata["suppress_auto_response"] is True
    assert metadata["auto_response_suppressed_by"] == [f"precedence: {precedence.lower()}"]


def test_a_plain_customer_message_may_be_answered_automatically(mailbox, make_email):
    inbound = services.email_receive(raw=make_email(), source="imap", mailbox=mailbox)
    assert inbound.interaction.metadata["suppress_auto_response"] is False
    assert inbound.interaction.metadata["auto_response_suppressed_by"] == []


def test_a_bulk_precedence_reply_reopens_its_solved_case_like_any_reply(
    mailbox, make_email, team, agent
):
    customer = EmailIdentityFactory(value="ada@example.com", contact=ContactFactory()).contact
    case = CaseFactory(requester=customer, team=team, status=Case.Status.SOLVED)
    InteractionFactory(
        case=case,
        direction=Interaction.Direction.OUTBOUND,
        author_contact=None,
        author_agent=agent,
        external_id="<reply-1@cxdesk.test>",
    )
    raw = make_email(
        sender="ada@example.com",
        in_reply_to="<reply-1@cxdesk.test>",
        headers={"Precedence": "bulk"},
        text="It is still wrong.",
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    case.refresh_from_db()
    assert inbound.case == case
    assert inbound.interaction.is_public
    assert case.status == Case.Status.OPEN
    assert case.reopen_count == 1
    assert inbound.interaction.metadata["suppress_auto_response"] is True  # threaded too


def test_list_headers_and_a_null_return_path_forbid_auto_responses_too():
    listed = parsing.parse_email(MAILMAN_RELAYED)
    null_sender = parsing.parse_email(b"From: a@example.com\nReturn-Path: <>\n\nx")
    suppressed = parsing.parse_email(b"From: a@example.com\nX-Auto-Response-Suppress: OOF\n\nx")
    ordinary = parsing.parse_email(b"From: a@example.com\nSubject: hello\n\nx")

    assert listed.auto_response_suppressed_by == [
        "precedence: list",
        "list-id",
        "list-unsubscribe",
        "list-post",
    ]
    assert null_sender.auto_response_suppressed_by == ["null return-path"]
    assert suppressed.auto_response_suppressed_by == ["x-auto-response-suppress: oof"]
    assert not ordinary.suppress_auto_response


def test_an_auto_reply_is_still_noise_and_never_answered(make_email):
    parsed = parsing.parse_email(
        make_email(headers={"Auto-Submitted": "auto-replied", "Precedence": "bulk"})
    )

    assert parsed.is_auto_reply
    assert parsed.suppress_auto_response
    assert parsed.noise_reasons == ["auto-submitted: auto-replied"]


# The corpus's mail that carries Precedence bulk/junk and no sign of an autoresponder: each
# was written by a person (a sales mail, a newsletter, spam) and must open a case.
CORPUS_PRECEDENCE_ONLY = [
    "zammad/mail/mail043.box",  # Precedence: bulk, List-Unsubscribe; "Paula", "Kontakte"
    "mail-parser/mail_test_5",  # Precedence: bulk newsletter
    "mail-parser/mail_test_16",  # Precedence: junk, GTUBE test spam
    "mikel-mail/error_emails/bad_date_header.eml",  # Precedence: junk spam
    "mikel-mail/error_emails/empty_in_reply_to.eml",  # List-Id, a person's complaint
]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize("path", CORPUS_PRECEDENCE_ONLY)
def test_the_corpus_list_and_bulk_mail_opens_cases(mailbox, path):
    raw = (CORPUS / path).read_bytes()

    inbound = services.email_receive(raw=raw, source="upload", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    assert not inbound.is_auto_reply
    assert not inbound.is_bounce
    assert inbound.case is not None
    assert inbound.interaction.is_public
    assert parsing.parse_email(raw).suppress_auto_response


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize(
    "path", ["zammad/mail/mail089.box", "zammad/mail/mail090.box", "sisimai/bsd/rfc3834-06.eml"]
)
def test_the_corpus_auto_replies_with_bulk_precedence_stay_auto_replies(path):
    parsed = parsing.parse_email((CORPUS / path).read_bytes())

    assert parsed.is_auto_reply
    assert not any(reason.startswith("precedence") for reason in parsed.noise_reasons)


@pytest.mark.parametrize(
    "subject",
    [
        "Absence: John is sick today, cancel his order",
        "Auto reply not working on my account",
        "Out of office hours, nobody answers the phone",
    ],
)
def test_a_person_whose_subject_looks_like_an_autoresponders_still_opens_a_case(
    mailbox, make_email, subject
):
    """The subject alone is a guess: mail with no other sign of an auto-reply that refers to
    no case opens one (flagged never to be answered automatically) instead of being kept
    where no agent sees it (found in review)."""
    inbound = services.email_receive(
        raw=make_email(subject=subject), source="imap", mailbox=mailbox
    )

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    assert inbound.case is not None
    assert not inbound.is_auto_reply
    metadata = inbound.interaction.metadata
    assert inbound.interaction.is_public
    assert metadata["noise_reasons"] == ["out-of-office subject"]
    assert metadata["suppress_auto_response"] is True
    assert metadata["auto_response_suppressed_by"] == ["out-of-office subject"]


def test_an_out_of_office_reply_to_our_mail_is_still_a_note_on_its_case(mailbox, make_email):
    first = services.email_receive(
        raw=make_email(message_id="<q1@example.com>"), source="imap", mailbox=mailbox
    )
    reply = services.email_receive(
        raw=make_email(
            subject="Out of office: Re: your case",
            message_id="<ooo@example.com>",
            headers={"In-Reply-To": "<q1@example.com>"},
        ),
        source="imap",
        mailbox=mailbox,
    )

    assert reply.case == first.case
    assert reply.is_auto_reply
    assert not reply.interaction.is_public
    assert reply.interaction.metadata["suppress_auto_response"] is True  # a note, noise
    assert Case.objects.count() == 1
