"""An email with more files than CXDESK_MAX_ATTACHMENTS_PER_MESSAGE keeps the first ones; the
others are listed as skipped ("too many") and stay in the raw message."""

import pytest

from apps.mail import services
from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db


def test_files_past_the_cap_are_skipped_and_recorded(mailbox, make_email, settings):
    settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE = 3
    raw = make_email(
        attachments=[
            (f"page{n}.pdf", "application/pdf", b"%PDF-" + bytes([48 + n])) for n in range(4)
        ]
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    interaction = inbound.interaction
    assert sorted(a.filename for a in interaction.attachments.all()) == [
        "page0.pdf",
        "page1.pdf",
        "page2.pdf",
    ]
    assert interaction.metadata["attachments_skipped"] == [
        {
            "filename": "page3.pdf",
            "content_type": "application/pdf",
            "size": 6,
            "reason": "too many",
        }
    ]
    assert b'filename="page3.pdf"' in bytes(InboundEmail.objects.get(pk=inbound.pk).raw)


def test_a_file_too_large_does_not_count_towards_the_cap(mailbox, make_email, settings):
    settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE = 1
    settings.CXDESK_MAX_ATTACHMENT_BYTES = 10
    raw = make_email(
        attachments=[
            ("big.bin", "application/octet-stream", b"x" * 11),
            ("small.bin", "application/octet-stream", b"x"),
            ("extra.bin", "application/octet-stream", b"y"),
        ]
    )

    inbound = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert [a.filename for a in inbound.interaction.attachments.all()] == ["small.bin"]
    assert [
        (s["filename"], s["reason"]) for s in inbound.interaction.metadata["attachments_skipped"]
    ] == [("big.bin", "too large"), ("extra.bin", "too many")]
