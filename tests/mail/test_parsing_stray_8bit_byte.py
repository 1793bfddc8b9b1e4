"""A raw UTF-8 header with one stray byte keeps its UTF-8: only that byte is replaced.

Before, one byte that is not UTF-8 (here a Latin-1 "é" after the UTF-8 name, as a form
that appends a legacy-encoded field writes it) sent the whole value to Windows-1252, and
"Renée Dupré" became "RenÃ©e DuprÃ©é". Text with valid UTF-8 sequences is read as UTF-8,
with U+FFFD for the stray byte; text with none is still read as Windows-1252.
"""

from pathlib import Path

import pytest

from apps.mail import services
from apps.mail.parsing import decode_guess, parse_email

SAMPLE = Path(__file__).parent / "samples" / "utf8-display-name-stray-byte.eml"


def test_a_display_name_with_one_stray_byte_keeps_its_utf8():
    parsed = parse_email(SAMPLE.read_bytes())

    assert parsed.sender.name == "Renée Dupré\ufffd"
    assert parsed.sender.address == "renee@example.fr"
    assert parsed.subject == "Commande livrée à la mauvaise adresse"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"Ren\xc3\xa9e Dupr\xc3\xa9\xe9", "Renée Dupré\ufffd"),  # UTF-8, one stray byte
        (b"\xc5\x81ukasz \xff Wr\xc3\xb3bel", "Łukasz \ufffd Wróbel"),
        (b"M\xfcller", "Müller"),  # no UTF-8 at all: Latin-1
        (b"Ren\xc3\xa9e", "Renée"),  # valid UTF-8
    ],
)
def test_only_the_stray_byte_is_replaced(raw, expected):
    assert decode_guess(raw) == expected


@pytest.mark.django_db
def test_the_contact_is_named_in_utf8(mailbox):
    inbound = services.email_receive(raw=SAMPLE.read_bytes(), source="upload", mailbox=mailbox)

    assert inbound.case.requester.name == "Renée Dupré\ufffd"
