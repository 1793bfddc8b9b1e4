"""Reading raw mail: headers, charsets, bodies, files — and the malformed mail real servers
deliver. Pure parsing: no database."""

import base64
from datetime import UTC, datetime

import pytest

from apps.mail.parsing import (
    Address,
    decode_bytes,
    decode_header_value,
    message_ids,
    normalize_message_id,
    parse_email,
    read_message_id,
)


def test_a_plain_message_is_read_whole():
    parsed = parse_email(
        b"From: Ada Lovelace <ada@example.com>\r\nTo: support@cxdesk.test\r\n"
        b"Cc: Bob <bob@example.com>, carol@example.com\r\nSubject: Invoice\r\n"
        b"Date: Tue, 02 Jan 2024 10:00:00 +0100\r\nMessage-ID: <m1@example.com>\r\n"
        b"In-Reply-To: <r0@cxdesk.test>\r\nReferences: <a@x> <r0@cxdesk.test>\r\n\r\nHello\r\n"
    )

    assert parsed.sender == Address("Ada Lovelace", "ada@example.com")
    assert parsed.sender_header == "from"
    assert [a.address for a in parsed.cc] == ["bob@example.com", "carol@example.com"]
    assert parsed.subject == "Invoice"
    assert parsed.date == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert parsed.message_id == "<m1@example.com>"
    assert parsed.in_reply_to == ["<r0@cxdesk.test>"]
    assert parsed.references == ["<a@x>", "<r0@cxdesk.test>"]
    assert parsed.thread_ids == ["<r0@cxdesk.test>", "<a@x>"]
    assert parsed.body_text == "Hello"
    assert parsed.body_html == ""
    assert not parsed.is_auto_reply
    assert not parsed.is_bounce


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("=?ISO-8859-1?Q?Gr=FC=DFe_aus_M=FCnchen?=", "Grüße aus München"),
        ("=?utf-8?B?w6TDtsO8?= =?utf-8?B?w58=?=", "äöüß"),
        ("Re: =?utf-8?q?caf=C3=A9?= ok", "Re: café ok"),
        # one multi-byte character split across two encoded words
        ("=?utf-8?B?5L2/?= =?utf-8?B?44Gj44Gm?=", "使って"),
        ("=?GB2312?B?ob4g1rHNqMPAufo=?=", "【 直通美国"),
        ("=?koi8-r?B?8NLJ18XU?=", "Привет"),
        ("=?unicode-1-1-utf-7?Q?+ANw-bermittlung?=", "Übermittlung"),
        ("=?x-unknown?Q?caf=C3=A9?=", "café"),
        ("=?NONE?B?SGVsbG8=?=", "Hello"),
        ("Plain subject\r\n\tfolded", "Plain subject\tfolded"),
    ],
    ids=[
        "latin1-q",
        "utf8-b-adjacent",
        "mixed",
        "split-char",
        "gb2312",
        "koi8r",
        "utf7",
        "unknown-charset",
        "none-charset",
        "folded",
    ],
)
def test_encoded_headers_are_decoded(header, expected):
    assert decode_header_value(header).strip() == expected


def test_raw_8bit_headers_are_read_as_utf8_or_the_message_charset():
    utf8 = parse_email("From: José <jose@example.com>\nSubject: Olá\n\nx".encode())
    gb = parse_email(
        "Subject: 转发\nContent-Type: text/plain; charset=gb2312\n\n转发".encode("gb2312")
    )
    latin = parse_email("Subject: Grüße\n\nx".encode("latin-1"))

    assert (utf8.sender.name, utf8.subject) == ("José", "Olá")
    assert gb.subject == "转发"
    assert gb.body_text == "转发"
    assert latin.subject == "Grüße"


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Grüße"),
        ("windows-1251", "Привет"),
        ("koi8-r", "Привет"),
        ("shift_jis", "ツール"),
        ("euc-kr", "안녕하세요"),
        ("big5", "繁體"),
        ("iso-8859-15", "€uro"),
    ],
)
def test_bodies_are_decoded_in_their_charset(charset, text):
    raw = (
        f"From: a@example.com\nContent-Type: text/plain; charset={charset}\n"
        f"Content-Transfer-Encoding: 8bit\n\n"
    ).encode() + text.encode(charset)

    assert parse_email(raw).body_text == text


def test_unknown_or_lying_charsets_fall_back_without_failing():
    unknown = parse_email(
        b"From: a@example.com\nContent-Type: text/plain; charset=x-foo\n\n" + "café".encode()
    )
    lying = parse_email(
        b"From: a@example.com\nContent-Type: text/plain; charset=us-ascii\n\n"
        + "café".encode("latin-1")
    )
    utf8_as_latin1 = parse_email(
        b"From: a@example.com\nContent-Type: text/plain; charset=iso-8859-1\n\n" + "Grüße".encode()
    )

    assert unknown.body_text == "café"
    assert lying.body_text == "café"
    assert utf8_as_latin1.body_text == "Grüße"


def test_broken_encoded_words_never_raise():
    assert isinstance(decode_header_value("=?utf-8?B?broken base64?= =?utf-8?Q?=ZZ?="), str)


def test_decode_bytes_never_raises():
    assert decode_bytes(b"\xff\xfe\x81", "utf-8")
    assert decode_bytes(b"\x81\x82", "no-such-charset")
    assert decode_bytes(b"", "utf-8") == ""


def test_html_only_mail_has_html_and_readable_text():
    parsed = parse_email(
        b"From: a@example.com\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><body><p>Hello <b>you</b></p><p>Line&nbsp;2</p></body></html>"
    )

    assert "<b>you</b>" in parsed.body_html
    assert parsed.body_text == "Hello you\nLine\xa02"


def test_text_and_html_alternatives_are_both_kept():
    parsed = parse_email(
        b"From: a@example.com\nContent-Type: multipart/alternative; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nplain version\n"
        b"--b\nContent-Type: text/html\n\n<p>html version</p>\n--b--\n"
    )

    assert parsed.body_text == "plain version"
    assert parsed.body_html.strip() == "<p>html version</p>"


def test_text_and_html_parts_in_sequence_are_joined_in_order():
    parsed = parse_email(
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nthe text part\n"
        b"--b\nContent-Type: text/html\n\n<p>the html signature</p>\n--b--\n"
    )

    assert parsed.body_text == "the text part\n\nthe html signature"
    assert parsed.body_html.index("the text part") < parsed.body_html.index("signature")


def test_attachments_keep_their_decoded_names_types_and_bytes():
    pdf = base64.b64encode(b"%PDF-1.4 data").decode()
    parsed = parse_email(
        "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
        "--b\nContent-Type: text/plain\n\nsee attached\n"
        f'--b\nContent-Type: application/pdf; name="=?utf-8?B?UmVjaG51bmcgw6Qu?= pdf"\n'
        "Content-Disposition: attachment; filename*=utf-8''Rechnung%20%C3%A4.pdf\n"
        f"Content-Transfer-Encoding: base64\n\n{pdf}\n"
        "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=notes.txt\n\n"
        "attached text is a file, not the body\n--b--\n".encode()
    )

    assert parsed.body_text == "see attached"
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("Rechnung ä.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
    ]
    assert parsed.attachments[0].content == b"%PDF-1.4 data"


def test_inline_images_keep_their_content_id():
    png = base64.b64encode(b"\x89PNG image").decode()
    parsed = parse_email(
        "From: a@example.com\nContent-Type: multipart/related; boundary=r\n\n"
        '--r\nContent-Type: text/html\n\n<img src="cid:img1@x">\n'
        "--r\nContent-Type: image/png\nContent-ID: <img1@x>\n"
        f"Content-Transfer-Encoding: base64\n\n{png}\n--r--\n".encode()
    )

    [image] = parsed.attachments
    assert (image.content_id, image.inline, image.content) == ("img1@x", True, b"\x89PNG image")
    assert image.filename == "attachment.png"


def test_a_forwarded_message_is_an_eml_attachment_not_body():
    parsed = parse_email(
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nFYI\n"
        b"--b\nContent-Type: message/rfc822\n\nFrom: c@example.com\nSubject: Original\n"
        b"Message-ID: <orig@x>\n\noriginal text\n--b--\n"
    )

    assert parsed.body_text == "FYI"
    [forwarded] = parsed.attachments
    assert (forwarded.filename, forwarded.content_type) == ("Original.eml", "message/rfc822")
    assert b"original text" in forwarded.content


def test_an_mbox_from_line_is_skipped():
    parsed = parse_email(
        b"From ada@example.com Tue Oct 29 03:52:03 2013\n"
        b"From: ada@example.com\nSubject: mbox\n\nbody\n"
    )

    assert parsed.sender.address == "ada@example.com"
    assert parsed.subject == "mbox"


@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"], ids=["lf", "crlf", "cr"])
def test_any_line_ending_is_read(newline):
    raw = newline.join(
        [b"From: ada@example.com", b"Subject: endings", b"", b"line 1", b"line 2", b""]
    )

    parsed = parse_email(raw)

    assert parsed.subject == "endings"
    assert parsed.body_text.splitlines() == ["line 1", "line 2"]


def test_uuencoded_parts_and_blocks_become_files():
    encoded = "begin 644 hello.txt\n&:&5L;&\\*\n`\nend\n"
    cte = parse_email(
        (
            "From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
            "--b\nContent-Type: text/plain\n\nsee file\n"
            "--b\nContent-Type: application/octet-stream; name=hello.txt\n"
            f"Content-Transfer-Encoding: x-uuencode\n\n{encoded}--b--\n"
        ).encode()
    )
    inline = parse_email(f"From: a@example.com\n\nsee file\n\n{encoded}".encode())

    assert cte.attachments[0].content == b"hello\n"
    assert inline.body_text == "see file"
    assert [(a.filename, a.content) for a in inline.attachments] == [("hello.txt", b"hello\n")]


@pytest.mark.parametrize("encoding", ["quoted-printable ", "Quoted-Printable; x", "qp"])
def test_bogus_transfer_encoding_labels_are_understood(encoding):
    raw = (
        f"From: a@example.com\nContent-Transfer-Encoding: {encoding}\n"
        "Content-Type: text/plain; charset=utf-8\n\ncaf=C3=A9\n"
    ).encode()

    assert parse_email(raw).body_text == "café"


def test_a_missing_closing_boundary_keeps_the_parts():
    parsed = parse_email(
        b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b\n\n"
        b"--b\nContent-Type: text/plain\n\nstill here\n"
    )

    assert parsed.body_text == "still here"


def test_a_broken_header_block_is_repaired():
    parsed = parse_email(
        b"---- Original email message ----\nReturn-Path: x@example.com\n"
        b"X-Spam-Status: No, hits=0.0\ntests=SOMETHING, OTHER\nTo: support@cxdesk.test\n"
        b"Subject: Contact from Server\nFrom: form@example.cz\n\nthe form\n"
    )

    assert parsed.sender.address == "form@example.cz"
    assert parsed.subject == "Contact from Server"
    assert parsed.body_text == "the form"


def test_missing_headers_are_empty_and_the_sender_falls_back():
    no_from = parse_email(b"Reply-To: <reply@example.com>\nReturn-Path: <rp@example.com>\n\nx")
    empty_from = parse_email(b'From: "Name" <>\nReturn-Path: <rp@example.com>\n\nx')
    nothing = parse_email(b"\n\njust a body")

    assert (no_from.sender.address, no_from.sender_header) == ("reply@example.com", "reply-to")
    assert (empty_from.sender, empty_from.sender_header) == (
        Address("Name", "rp@example.com"),
        "return-path",
    )
    assert nothing.sender is None
    assert nothing.subject == ""
    assert nothing.message_id == ""


def test_the_first_from_with_an_address_is_the_sender():
    parsed = parse_email(b"From: [??????]\nFrom: =?utf-8?B?6YO955C5?= <real@example.com>\n\nx")

    assert parsed.sender == Address("都琹", "real@example.com")


def test_an_encoded_comma_in_a_name_cannot_forge_a_second_address():
    parsed = parse_email(b"From: =?utf-8?Q?Evil=2C_victim=40bank=2Etest?= <evil@example.com>\n\nx")

    assert parsed.from_ == [Address("Evil, victim@bank.test", "evil@example.com")]


def test_an_encoded_word_in_an_address_is_decoded_only_when_harmless():
    plain = parse_email(b"From: =?utf-8?Q?agent?=@example.com\n\nx")
    forged = parse_email(b"From: =?utf-8?Q?victim=40bank=2Etest=3E?=@evil.example\n\nx")

    assert plain.sender.address == "agent@example.com"
    assert forged.sender.address.endswith("@evil.example")


def test_bad_dates_are_none_and_good_ones_aware():
    assert parse_email(b"Date: not a date\n\nx").date is None
    assert parse_email(b"Date: 32 Foo 99999 25:61:00\n\nx").date is None
    naive = parse_email(b"Date: Tue, 02 Jan 2024 10:00:00 -0000\n\nx").date
    assert naive.tzinfo is not None


def test_message_ids_are_normalised():
    assert normalize_message_id(" <a@b> ") == "<a@b>"
    assert normalize_message_id("2018.58E7@mail.example.cz") == "<2018.58E7@mail.example.cz>"
    assert message_ids("<a@b>\n <c@d> <a@b>") == ["<a@b>", "<c@d>"]
    assert message_ids("a@b, c@d") == ["<a@b>", "<c@d>"]
    assert message_ids("") == []


def test_the_message_id_is_read_cheaply_and_never_raises():
    assert read_message_id(b"From x\nMessage-ID: <q@x>\n\nbody") == "<q@x>"
    assert read_message_id(b"\x00\xff") == ""
    assert read_message_id(b"") == ""


def test_nul_bytes_and_stray_8bit_ids_never_reach_the_database():
    parsed = parse_email(
        b"From: a@example.com\nSubject: bad\x00subject\n"
        b"Message-ID: <id\xff\xfe@example.com>\nIn-Reply-To: <r\xe9@x>\n\n"
        b"body\x00text\n"
    )

    values = [parsed.subject, parsed.body_text, parsed.message_id, *parsed.in_reply_to]
    assert all("\x00" not in v and v.encode("utf-8") for v in values)
    assert parsed.subject == "badsubject"
    assert parsed.body_text == "bodytext"
    assert parsed.message_id == "<id\ufffd\ufffd@example.com>"


@pytest.mark.parametrize(
    "subject",
    [
        "Automatic reply: Invoice",
        "Out of Office: Re: Invoice",
        "AW: Abwesenheitsnotiz",
        "Autosvar: Faktura",
        "Réponse automatique : facture",
        "自動応答: 請求書",
    ],
)
def test_out_of_office_subjects_are_auto_replies(subject):
    assert parse_email(f"From: a@example.com\nSubject: {subject}\n\nx".encode()).is_auto_reply


@pytest.mark.parametrize(
    "subject",
    [
        "I am out of money, refund please",
        "Re: my order is out of stock",
        "Automatically charged twice",
        "Vacation booking cancelled",
    ],
)
def test_ordinary_subjects_are_not_auto_replies(subject):
    parsed = parse_email(f"From: a@example.com\nSubject: {subject}\n\nx".encode())

    assert not parsed.is_auto_reply
    assert not parsed.is_bounce
