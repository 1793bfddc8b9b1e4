"""A message that refers to no case opens one: requester, team, subject, bodies, files."""

import pytest

from apps.cases.models import Case, CaseEvent, Interaction
from apps.contacts.models import ContactIdentity
from apps.mail import services
from apps.mail.models import InboundEmail
from tests.factories import ContactFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db


def test_a_first_message_opens_a_case_for_a_new_contact_in_the_mailbox_team(mailbox, make_email):
    raw = make_email(
        sender="Ada Lovelace <Ada@Example.com>",
        subject="Invoice 42 is wrong",
        text="Please check invoice 42.",
        message_id="<first@example.com>",
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    case = Case.objects.get()
    assert (case.subject, case.channel, case.team, case.status) == (
        "Invoice 42 is wrong",
        "email",
        mailbox.team,
        Case.Status.NEW,
    )
    assert case.requester.name == "Ada Lovelace"
    assert ContactIdentity.objects.get(contact=case.requester).value == "ada@example.com"
    interaction = case.interactions.get()
    assert (interaction.direction, interaction.is_public, interaction.author_contact) == (
        Interaction.Direction.INBOUND,
        True,
        case.requester,
    )
    assert interaction.external_id == "<first@example.com>"
    assert interaction.body_text.strip() == "Please check invoice 42."
    assert (inbound.case, inbound.interaction) == (case, interaction)
    assert case.events.filter(kind=CaseEvent.Kind.CREATED).exists()


def test_the_raw_bytes_and_their_hash_are_kept(mailbox, make_email):
    raw = make_email(message_id="<kept@example.com>")

    inbound = services.email_receive(raw=raw, source="upload", mailbox=mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert bytes(stored.raw) == raw
    assert stored.message_id == "<kept@example.com>"
    assert len(stored.raw_sha256) == 64
    assert stored.attempts == 1
    assert stored.processed_at is not None


def test_a_known_address_finds_its_contact(mailbox, make_email):
    identity = EmailIdentityFactory(
        value="grace@example.com", contact=ContactFactory(name="Grace Hopper")
    )

    services.email_receive(
        raw=make_email(sender="GRACE@example.com"), source="imap", mailbox=mailbox
    )

    assert Case.objects.get().requester == identity.contact


def test_the_headers_are_kept_in_the_interaction_metadata(mailbox, make_email):
    raw = make_email(
        sender="Ada <ada@example.com>",
        to="Support <support@cxdesk.test>",
        message_id="<meta@example.com>",
        headers={"Cc": "bob@example.com", "Reply-To": "ada@home.test"},
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    metadata = inbound.interaction.metadata
    assert metadata["email"]["message_id"] == "<meta@example.com>"
    assert metadata["email"]["from"] == "Ada <ada@example.com>"
    assert metadata["email"]["to"] == ["Support <support@cxdesk.test>"]
    assert metadata["email"]["cc"] == ["bob@example.com"]
    assert metadata["email"]["reply_to"] == ["ada@home.test"]
    assert metadata["email"]["date"]
    assert metadata["email"]["headers"]["subject"] == "My invoice is wrong"
    assert metadata["inbound_email_id"] == inbound.pk
    assert metadata["threading"] == {"by": "new_case"}
    assert metadata["auto_reply"] is False
    assert metadata["bounce"] is False


def test_html_only_mail_keeps_sanitised_html_and_derives_text(mailbox, make_email):
    raw = make_email(text=None, html="<p>Hello <b>there</b></p><script>alert(1)</script>")

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    interaction = inbound.interaction
    assert "<script>" not in interaction.body_html
    assert "<b>there</b>" in interaction.body_html
    assert interaction.body_text == "Hello there"


def test_attachments_and_inline_images_are_stored_on_the_interaction(mailbox, make_email):
    raw = make_email(
        html='<p>See <img src="cid:logo@example.com"></p>',
        inline_images=[("logo@example.com", "image/png", b"\x89PNG fake image")],
        attachments=[
            ("invoice 42.pdf", "application/pdf", b"%PDF-1.4 fake"),
            ("notes.txt", "text/plain", b"some notes"),
        ],
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    files = {a.filename: a for a in inbound.interaction.attachments.all()}
    assert set(files) == {"attachment.png", "invoice 42.pdf", "notes.txt"}
    assert files["attachment.png"].content_id == "logo@example.com"
    assert files["invoice 42.pdf"].content_type == "application/pdf"
    assert files["invoice 42.pdf"].file.read() == b"%PDF-1.4 fake"
    assert files["notes.txt"].size == len(b"some notes")


def test_an_attachment_over_the_limit_is_skipped_and_recorded(mailbox, make_email, settings):
    settings.CXDESK_MAX_ATTACHMENT_BYTES = 10
    raw = make_email(
        attachments=[
            ("big.bin", "application/octet-stream", b"x" * 11),
            ("small.bin", "application/octet-stream", b"x" * 10),
        ]
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED
    assert [a.filename for a in inbound.interaction.attachments.all()] == ["small.bin"]
    assert inbound.interaction.metadata["attachments_skipped"] == [
        {
            "filename": "big.bin",
            "content_type": "application/octet-stream",
            "size": 11,
            "reason": "too large",
        }
    ]


def test_a_message_with_only_an_attachment_still_gets_its_interaction(mailbox, make_email):
    raw = make_email(text="", attachments=[("scan.pdf", "application/pdf", b"%PDF")])

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    assert [a.filename for a in inbound.interaction.attachments.all()] == ["scan.pdf"]


def test_without_a_mailbox_the_recipients_pick_it(mailbox, make_email):
    raw = make_email(to="Someone <someone@else.test>, Support <SUPPORT@cxdesk.test>")

    inbound = services.email_receive(raw=raw, source="upload")

    assert inbound.mailbox == mailbox
    assert inbound.case.team == mailbox.team


def test_without_any_mailbox_the_case_has_no_team(make_email):
    inbound = services.email_receive(raw=make_email(to="nobody@else.test"), source="upload")

    assert inbound.status == InboundEmail.Status.PROCESSED
    assert inbound.mailbox is None
    assert inbound.case.team is None


def test_a_missing_subject_gets_a_placeholder(mailbox, make_email):
    raw = make_email().replace(b"Subject: My invoice is wrong\n", b"")

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert inbound.case.subject == "(no subject)"
