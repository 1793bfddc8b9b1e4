"""Raw 8-bit bytes inside RFC 2047 encoded words are read, not replaced by "?".

Mailers that encode a word but leave its non-ASCII bytes raw (`=?UTF-8?Q?Fr\xc3\xbcsche?=`)
are common enough that the standard library decodes them. The raw bytes are read as UTF-8,
falling back to the word's declared charset, then Windows-1252/Latin-1.
"""

import email
from email import policy
from pathlib import Path

import pytest

from apps.mail.parsing import Address, decode_header_value, parse_email

SAMPLE = Path(__file__).parent / "samples" / "8bit-inside-encoded-words.eml"


def test_raw_utf8_and_latin1_bytes_inside_encoded_words_are_decoded():
    raw = SAMPLE.read_bytes()

    parsed = parse_email(raw)

    assert parsed.subject == "Früsche Brötchen nicht geliefert"
    assert parsed.sender == Address("Jürgen Müller", "juergen@example.de")
    assert parsed.to == [Address("Kundenservice Bäckerei", "support@cxdesk.test")]
    standard = email.message_from_bytes(raw, policy=policy.default)
    assert parsed.subject == str(standard["subject"])  # as the standard library reads it


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"=?utf-8?q?Fr\xc3\xbcsche?=", "Früsche"),  # UTF-8 bytes, UTF-8 label
        (b"=?iso-8859-1?q?Fr\xc3\xbcsche?=", "Früsche"),  # UTF-8 bytes, legacy label
        (b"=?iso-8859-1?q?Fr\xfcsche?=", "Früsche"),  # the declared charset's bytes
        (b"=?utf-8?q?Fr\xfcsche?=", "Früsche"),  # not UTF-8 after all: Latin-1
        (b"=?koi8-r?q?\xf0\xd2\xc9\xd7\xc5\xd4?=", "Привет"),  # the declared charset
        (b"Re: =?utf-8?q?Gr=C3=BC\xc3\x9fe?= aus M\xc3\xbcnchen", "Re: Grüße aus München"),
    ],
    ids=["utf8", "utf8-under-latin1", "latin1", "latin1-under-utf8", "koi8r", "mixed"],
)
def test_each_fallback_reads_the_raw_bytes(raw, expected):
    value = raw.decode("ascii", "surrogateescape")  # how header values arrive from bytes

    assert decode_header_value(value) == expected
