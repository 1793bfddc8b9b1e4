"""A header block whose first line starts with whitespace keeps that header.

Such a line is a folded continuation of nothing (the standard library records
FirstHeaderLineIsContinuationDefect and drops it). Form mailers that indent their header
string produce it, and the dropped line was the From: the message then belonged to whoever
the Return-Path named. The line is unfolded into its own header instead.
"""

from pathlib import Path

import pytest

from apps.mail import parsing, services
from apps.mail.models import InboundEmail

SAMPLE = Path(__file__).parent / "samples" / "first-header-line-indented.eml"


def test_an_indented_first_header_line_is_kept_as_its_own_header():
    parsed = parsing.parse_email(SAMPLE.read_bytes())

    assert parsed.sender == parsing.Address("Ada Lovelace", "ada@example.com")
    assert parsed.sender_header == "from"
    assert parsed.subject == "Contact form: my order never arrived"
    assert parsed.body_text == "Order 1234 never arrived."


@pytest.mark.parametrize("indent", [b" ", b"\t", b"  \t "])
def test_any_leading_whitespace_is_unfolded(indent):
    parsed = parsing.parse_email(indent + b"Subject: hello\nFrom: a@example.com\n\nbody\n")

    assert (parsed.subject, parsed.sender.address, parsed.body_text) == (
        "hello",
        "a@example.com",
        "body",
    )


def test_indented_garbage_before_the_headers_is_still_dropped():
    parsed = parsing.parse_email(b"   ---- forwarded ----\nFrom: a@example.com\n\nbody\n")

    assert parsed.sender.address == "a@example.com"
    assert parsed.body_text == "body"


@pytest.mark.django_db
def test_the_message_opens_a_case_for_its_author_not_the_return_path(mailbox):
    inbound = services.email_receive(raw=SAMPLE.read_bytes(), source="upload", mailbox=mailbox)

    assert inbound.status == InboundEmail.Status.PROCESSED, inbound.error
    assert inbound.case.requester.identities.get().value == "ada@example.com"
