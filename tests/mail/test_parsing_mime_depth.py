"""MIME nesting is capped: what lies deeper is kept as one opaque attachment, its text found.

A message nested 2,000 multiparts deep made the standard library's parser raise
RecursionError, so it could never be processed (and re-processing failed the same way).
Beyond parsing.MAX_MIME_DEPTH levels a part is no longer parsed into sub-parts: it is kept
whole as `nested-parts.eml`, the text and HTML parts found inside it become the body, and
the message's MIME defects (the interaction's `mime_defects`) say MimeNestingTooDeepDefect.

No public fixture nests this deep (they are a few levels at most), so the message is built
here: each level a multipart/mixed with one part, the innermost a text/plain part.
"""

import pytest

from apps.mail import parsing, services
from apps.mail.models import InboundEmail


def nested(depth: int, text: bytes = b"the innermost text") -> bytes:
    head = (
        b"From: Ada Lovelace <ada@example.com>\nTo: support@cxdesk.test\n"
        b"Subject: deep\nMessage-ID: <deep-%d@example.com>\nMIME-Version: 1.0\n" % depth
    )
    opening = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth)
    )
    closing = b"".join(b"\n--b%d--\n" % i for i in reversed(range(depth)))
    return head + opening + b"Content-Type: text/plain\n\n" + text + b"\n" + closing


def test_a_message_nested_2000_deep_is_parsed_with_its_text_and_a_defect():
    parsed = parsing.parse_email(nested(2000))

    assert parsed.body_text == "the innermost text"
    assert "MimeNestingTooDeepDefect" in parsed.defects
    [kept] = parsed.attachments
    assert (kept.filename, kept.content_type) == ("nested-parts.eml", "message/rfc822")
    assert kept.content.startswith(b"Content-Type: multipart/mixed")
    assert b"--b1999--" in kept.content
    assert b"the innermost text" in kept.content


@pytest.mark.parametrize("depth", [40, parsing.MAX_MIME_DEPTH])
def test_nesting_up_to_the_cap_is_parsed_whole(depth):
    parsed = parsing.parse_email(nested(depth))

    assert parsed.body_text == "the innermost text"
    assert parsed.attachments == []
    assert "MimeNestingTooDeepDefect" not in parsed.defects


def test_the_cap_applies_just_beyond_it():
    parsed = parsing.parse_email(nested(parsing.MAX_MIME_DEPTH + 1))

    assert parsed.body_text == "the innermost text"
    assert "MimeNestingTooDeepDefect" in parsed.defects
    assert [a.filename for a in parsed.attachments] == ["nested-parts.eml"]


def test_deep_message_rfc822_nesting_is_capped_too():
    raw = (
        b"From: a@example.com\nSubject: forwards\n"
        + (b"Content-Type: message/rfc822\n\nFrom: b@example.com\n" * 1500)
        + b"Content-Type: text/plain\n\ndeepest\n"
    )

    parsed = parsing.parse_email(raw)

    assert "MimeNestingTooDeepDefect" in parsed.defects
    assert parsed.sender.address == "a@example.com"


@pytest.mark.django_db
def test_the_deep_message_becomes_a_case_with_the_defect_in_its_metadata(mailbox):
    inbound = services.email_receive(raw=nested(2000), source="upload", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    interaction = inbound.interaction
    assert interaction.body_text == "the innermost text"
    assert "MimeNestingTooDeepDefect" in interaction.metadata["mime_defects"]
    assert [a.filename for a in interaction.attachments.all()] == ["nested-parts.eml"]
