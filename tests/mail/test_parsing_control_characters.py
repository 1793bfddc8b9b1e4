"""NUL and other C0 control characters in header values never reach the database.

PostgreSQL text cannot hold NUL: a NUL in an attachment's Content-Type failed the whole
message there (SQLite stored it). Parsing strips C0 controls (except tab and line breaks,
which fold headers) from every header value of every MIME part, so content types, file
names, Content-IDs, subjects and names are clean wherever they are read.
"""

from pathlib import Path

import pytest

from apps.cases.models import Attachment
from apps.mail import parsing, services
from apps.mail.models import InboundEmail

SAMPLES = Path(__file__).parent / "samples"
SAMPLE = SAMPLES / "nul-in-attachment-content-type.eml"


def test_control_characters_are_stripped_from_every_header_value_at_parse_time():
    parsed = parsing.parse_email(SAMPLE.read_bytes())

    [attachment] = parsed.attachments
    assert attachment.content_type == "application/pdf"
    assert attachment.filename == "invoice.pdf"
    assert attachment.content_id == "part1@example.com"
    assert attachment.content == b"%PDF-1.4 invoice"
    assert parsed.subject == "Invoice attached"
    assert all("\x00" not in value for value in parsed.headers.values())


@pytest.mark.parametrize(
    "control",
    [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\x7f"],
    ids=lambda c: f"0x{ord(c):02x}",
)
def test_each_control_character_is_removed_from_names_and_subjects(control):
    raw = (
        f"From: Ada{control} Lovelace <ada@example.com>\nSubject: a{control}b\n"
        f"Content-Type: text/plain; charset=utf-8{control}\n\nbody\n"
    ).encode()

    parsed = parsing.parse_email(raw)

    assert parsed.sender.name == "Ada Lovelace"
    assert parsed.subject == "ab"
    assert parsed.body_text == "body"


@pytest.mark.django_db
def test_a_nul_in_an_attachment_content_type_is_stored_on_any_database(mailbox):
    inbound = services.email_receive(raw=SAMPLE.read_bytes(), source="upload", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    stored = Attachment.objects.get(interaction=inbound.interaction)
    assert (stored.content_type, stored.filename, stored.content_id) == (
        "application/pdf",
        "invoice.pdf",
        "part1@example.com",
    )
    assert inbound.interaction.subject == inbound.case.subject == "Invoice attached"
