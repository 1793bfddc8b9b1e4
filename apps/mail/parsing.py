"""Reading one raw email into plain data: who sent it, about what, its bodies and its files.

Pure functions, no database. `parse_email(raw)` never trusts the input: real mail arrives
with an mbox `From ` line, CR-only or mixed line endings, raw 8-bit headers, charsets Python
does not know, encoded words split mid-character, bogus transfer encodings, uuencode, missing
or broken MIME boundaries, header blocks with unindented continuation lines. Each of those is
repaired or decoded with a fallback (UTF-8, then Windows-1252/Latin-1 with replacement), so
parsing raises only for a bug; the service still catches that and keeps the raw message.

The standard library does the MIME work (`message_from_bytes`: its parser with POLICY,
`policy.default` with parsed headers memoised and control characters stripped from every
header, and MIME nesting capped at MAX_MIME_DEPTH levels). Header values are read
raw (`Message.raw_items()`) and decoded here, because the policy's header objects raise on
some malformed values and refuse unknown charsets; addresses are split before their display
names are decoded, so an encoded comma or `<` in a name cannot forge another address.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import html
import quopri
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import errors, feedparser, policy
from email.message import Message
from email.policy import EmailPolicy
from email.utils import getaddresses, parsedate_to_datetime
from functools import lru_cache

import nh3

# --- Policy -------------------------------------------------------------------------------

_line_breaks_re = re.compile(r"\n|\r")
# C0 controls but tab and line breaks (which fold headers), and DEL: no header means them, and
# NUL is the one character a PostgreSQL text column refuses.
_controls_re = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@lru_cache(maxsize=4096)
def _parsed_header(factory, name: str, value: str):
    return factory(name, value)


class MemoisedPolicy(EmailPolicy):
    """`policy.default`, with parsed header values memoised and control characters removed.

    policy.default parses a header anew each time it is read, and the parser itself reads
    each part's Content-Type several times (to find boundaries and types): that was two
    thirds of the parsing time. Parsed header objects are immutable, so equal values can
    share one; only short values are kept (4096 of them).
    """

    def header_source_parse(self, sourcelines):
        """Every header of every MIME part passes here as the parser reads it: the one place
        control characters are removed, so no value read from the message (content type,
        file name, Content-ID, subject, names …) can carry them."""
        name, value = super().header_source_parse(sourcelines)
        return name, _controls_re.sub("", value)

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        value = _line_breaks_re.sub("", value)
        if len(value) > 500:
            return self.header_factory(name, value)
        return _parsed_header(self.header_factory, name, value)


POLICY = MemoisedPolicy()  # == policy.default (EmailPolicy() with its defaults), memoised


# --- MIME depth ------------------------------------------------------------------------------

# How many multipart or message/* levels, the message itself included, are parsed into their
# parts; a container deeper than that is kept whole as one part (MimeNestingTooDeepDefect).
# Real mail nests a handful of levels (a forward of a signed reply with inline images is
# about 6); the standard library's parser recurses per level and fails near 1,000.
MAX_MIME_DEPTH = 50
NESTED_PARTS_FILENAME = "nested-parts.eml"
MAX_TEXTS_IN_NESTED_PARTS = 100


class MimeNestingTooDeepDefect(errors.MessageDefect):
    """A part nested deeper than MAX_MIME_DEPTH: kept whole, as one opaque leaf."""


class _DepthCappedParser(feedparser.BytesFeedParser):
    """The standard parser, except that a multipart or message/* part below MAX_MIME_DEPTH
    such levels is read as a leaf: its body (all the parts inside it) becomes its payload,
    its own Content-Type is kept in `nested_content_type`, and the part gets a
    MimeNestingTooDeepDefect. Parsing time and stack stay bounded by the cap."""

    def _parse_headers(self, lines):
        super()._parse_headers(lines)
        part = self._cur
        if len(self._msgstack) <= MAX_MIME_DEPTH:  # the message and the parts it is inside
            return
        if part.get_content_maintype() not in ("multipart", "message"):
            return
        part.nested_content_type = _raw_header(part, "content-type") or part.get_content_type()
        del part["content-type"]
        part["Content-Type"] = "application/octet-stream"
        part.defects.append(
            MimeNestingTooDeepDefect(
                f"MIME parts nested deeper than {MAX_MIME_DEPTH} levels are kept unparsed"
            )
        )


def message_from_bytes(data: bytes) -> Message:
    """`email.message_from_bytes(data, policy=POLICY)`, with MIME nesting capped."""
    parser = _DepthCappedParser(policy=POLICY)
    parser.feed(data)
    return parser.close()


# --- Charsets ---------------------------------------------------------------------------------

# Labels seen in real mail mapped to the codec that actually decodes them: supersets first
# (GB18030 ⊃ GB2312/GBK, CP949 ⊃ KS C 5601/EUC-KR, CP932 ⊃ Shift_JIS, Windows-1252 ⊃ Latin-1
# as browsers and mail clients read it), and labels Python does not know.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "iso-gb2312": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "hz",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "iso-2022-jp": "iso2022_jp_ext",
    "euc-jp": "euc_jis_2004",
    "unicode-1-1-utf-7": "utf-7",
    "utf7": "utf-7",
    "x-unicode-2-0-utf-7": "utf-7",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-8-i": "iso-8859-8",
    "iso-8859-6-i": "iso-8859-6",
    "big5": "big5hkscs",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "windows-874": "cp874",
    "us-ascii": "utf-8",
    "ascii": "utf-8",
    "ansi_x3.4-1968": "utf-8",
    "x-unknown": "",
    "unknown-8bit": "",
    "default": "",
    "none": "",
    "x-user-defined": "",
}


def _codec(charset: str | None) -> str:
    """A codec name Python knows for a MIME charset label, or "" when there is none."""
    label = (charset or "").strip().strip("\"'").lower()
    label = label.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*en
    if not label:
        return ""
    label = _CHARSET_ALIASES.get(label, label)
    if not label:
        return ""
    try:
        return codecs.lookup(label).name
    except LookupError:
        return ""


# Codecs to try after the declared one fails: the same family's extensions.
_FALLBACKS = {
    "iso2022_jp_ext": ("iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_2"),
    "iso2022_jp": ("iso2022_jp_ext", "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_2"),
    "euc_jis_2004": ("euc_jp", "cp932"),
    "euc_jp": ("euc_jis_2004", "cp932"),
    "cp932": ("shift_jis_2004", "euc_jis_2004"),
    "big5hkscs": ("cp950",),
    "cp949": ("johab",),
    "gb18030": ("big5hkscs",),
}
_EIGHT_BIT_OF = {
    "iso2022_jp": ("cp932", "euc_jis_2004"),
    "iso2022_jp_ext": ("cp932", "euc_jis_2004"),
    "iso2022_kr": ("cp949",),
    "hz": ("gb18030",),
}
_SEVEN_BIT = {
    "utf-7",
    "ascii",
    "hz",
    "iso2022_jp",
    "iso2022_jp_ext",
    "iso2022_jp_2",
    "iso2022_jp_2004",
    "iso2022_jp_3",
    "iso2022_kr",
}


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text of `data` in `charset`, falling back to UTF-8, then Windows-1252, never raising.

    8-bit data that is valid UTF-8 is read as UTF-8 whatever its label: UTF-8 text labelled
    with a legacy charset is common (forwarders, form mailers), legacy text that happens to
    be valid UTF-8 is not. Bytes no codec accepts are replaced, never dropped silently.
    """
    if not data:
        return ""
    declared = _codec(charset)
    order = [declared, *_FALLBACKS.get(declared, ())]
    if declared not in _SEVEN_BIT and not data.isascii():
        order.insert(0, "utf-8")
    for name in dict.fromkeys(n for n in order if n):
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    if declared.startswith("iso2022_jp") and b"\x1b" in data:
        return _iso2022jp_via_euc(data)
    for name in _EIGHT_BIT_OF.get(declared, ()):
        try:  # 8-bit bytes under a 7-bit label: usually the same language's 8-bit form
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    lenient = data.decode("utf-8", errors="replace")
    if "\ufffd" not in lenient or any(ord(c) > 0x7F and c != "\ufffd" for c in lenient):
        return lenient  # valid, or UTF-8 with a few broken bytes: keep the good characters
    if declared and declared not in ("utf-8", "utf-7", "ascii"):
        return data.decode(declared, errors="replace")
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_jis_escape_re = re.compile(rb"\x1b(\$[@B]|\$\(D|\([BJI])")


def _iso2022jp_via_euc(data: bytes) -> str:
    """ISO-2022-JP with vendor characters (NEC ①, Ⅰ …) that no Python codec accepts: the
    same JIS rows as EUC bytes, read as EUC-JIS-2004, which has them."""
    out = bytearray()
    mode = b"(B"
    for index, chunk in enumerate(_jis_escape_re.split(data)):
        if index % 2:
            mode = chunk
            continue
        if mode in (b"$B", b"$@", b"$(D"):
            out += bytes(b | 0x80 if 0x21 <= b <= 0x7E else b for b in chunk)
        elif mode == b"(I":
            for b in chunk:
                out += bytes([0x8E, b | 0x80]) if 0x21 <= b <= 0x5F else bytes([b])
        else:
            out += chunk
    return bytes(out).decode("euc_jis_2004", errors="replace")


_WESTERN = {"cp1252", "latin-1", "iso8859-15", "ascii", "utf-8", "utf-7"}


def decode_guess(data: bytes, hints: tuple[str, ...] = ()) -> str:
    """Text of bytes that carry no charset label (raw 8-bit header values): UTF-8 if valid,
    else the first charset the message declares elsewhere that decodes them cleanly (East
    Asian ones before Western ones, which accept any bytes), else UTF-8 with the stray bytes
    replaced when it has valid UTF-8 sequences (one bad byte must not turn a UTF-8 name into
    Windows-1252 mojibake), else Windows-1252."""
    codecs_ = [c for c in (_codec(h) for h in hints) if c]
    ordered = ["utf-8"] + [c for c in codecs_ if c not in _WESTERN]
    ordered += [r for c in codecs_ for r in (*_FALLBACKS.get(c, ()), *_EIGHT_BIT_OF.get(c, ()))]
    for name in dict.fromkeys(ordered):
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    lenient = data.decode("utf-8", errors="replace")
    if any(ord(c) > 0x7F and c != "\ufffd" for c in lenient):
        return lenient
    for name in dict.fromkeys(c for c in codecs_ if c in _WESTERN):
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return decode_bytes(data, "cp1252")


def _unescape_8bit(value: str, hints: tuple[str, ...] = ()) -> str:
    """Header text read from bytes carries 8-bit bytes as surrogates: decode them properly."""
    if not _has_8bit(value):
        return value
    return decode_guess(value.encode("utf-8", "surrogateescape"), hints)


# --- Headers -------------------------------------------------------------------------------

# Lenient RFC 2047 encoded word: no whitespace inside the charset, Q or B, any text without "?".
_encoded_word_re = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?]*)\?=")
_whitespace_re = re.compile(r"\s+")


def _decode_b(text: str) -> bytes:
    text = re.sub(r"[^A-Za-z0-9+/]", "", text)
    if len(text) % 4 == 1:
        text = text[:-1]
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def _decode_q(text: str) -> bytes:
    # Raw 8-bit bytes inside the word (surrogates, as header values arrive from bytes) stay
    # the bytes they were; text from a str source becomes its UTF-8.
    data = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return quopri.decodestring(data, header=True)


def decode_header_value(value: str | None, hints: tuple[str, ...] = ()) -> str:
    """Unfolded, decoded text of a header value: RFC 2047 encoded words in any charset, raw
    8-bit bytes (see `decode_guess`; `hints` are the message's charsets), whitespace between
    adjacent encoded words removed, and encoded words of one charset joined before decoding
    (senders split multi-byte characters across words). Raw 8-bit bytes inside an encoded
    word are that word's bytes: read as UTF-8, else in its charset, else Windows-1252."""
    if not value:
        return ""
    value = re.sub(r"\r?\n(?=[ \t])", "", str(value)).replace("\r", "").replace("\n", "")
    if "=?" not in value:
        return _unescape_8bit(value, hints).replace("\x00", "")
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            out.append(decode_bytes(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for match in _encoded_word_re.finditer(value):
        between = value[position : match.start()]
        if between and not (pending and between.isspace()):
            flush()
            out.append(_unescape_8bit(between, hints))
        word_charset, encoding, text = match.groups()
        data = _decode_b(text) if encoding in "bB" else _decode_q(text)
        if pending and _codec(word_charset) != _codec(pending_charset):
            flush()
        pending_charset = word_charset
        pending.append(data)
        position = match.end()
    flush()
    out.append(_unescape_8bit(value[position:], hints))
    return "".join(out).replace("\x00", "")


def _clean(text: str) -> str:
    return _whitespace_re.sub(" ", text or "").strip()


@dataclass(frozen=True)
class Address:
    name: str
    address: str

    def __str__(self) -> str:
        if not self.name:
            return self.address
        name = self.name
        if re.search(r'[(),.:;<>@\[\]"\\]', name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>" if self.address else name


_dot_atom_re = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$")


def _decode_local_part(address: str) -> str:
    """RFC 2047 forbids encoded words in an address; some senders use them anyway
    (`=?utf-8?Q?agent?=@example.com`). Decode one only when it yields a plain local part, so
    an encoded `@`, `<` or `>` can never make the address point somewhere else."""
    local, at, domain = address.rpartition("@")
    if not at or "=?" not in local:
        return address
    decoded = decode_header_value(local)
    if decoded != local and _dot_atom_re.match(decoded):
        return f"{decoded}@{domain}"
    return address


def parse_addresses(value: str | None, hints: tuple[str, ...] = ()) -> list[Address]:
    """Addresses of an address header (From, To, Cc, Reply-To …), display names decoded."""
    if not value:
        return []
    value = _unescape_8bit(str(value), hints)
    value = re.sub(r"[\r\n]+", " ", value)
    try:
        pairs = getaddresses([value])
    except Exception:  # noqa: BLE001 — the parser can choke on hostile input
        pairs = [("", part.strip()) for part in value.split(",")]
    found = []
    for name, address in pairs:
        address = _decode_local_part(_printable(address).strip().strip("<>").strip())
        name = _clean(decode_header_value(name, hints))
        if name.startswith('"') and name.endswith('"') and len(name) > 1:
            name = name[1:-1].strip()
        if address or name:
            found.append(Address(name=name, address=address))
    return found


_msgid_re = re.compile(r"<([^<>\s]+)>")
_spaced_msgid_re = re.compile(r"<([^<>]+)>")


def _printable(value: str) -> str:
    """Without NULs and lone surrogates (8-bit bytes), which no database text column takes."""
    if _has_8bit(value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return value.replace("\x00", "")


def _has_8bit(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def normalize_message_id(value: str) -> str:
    """A Message-ID as `<local@domain>`, whitespace removed; "" for nothing usable."""
    value = _printable(value or "").strip()
    match = _msgid_re.search(value) or _spaced_msgid_re.search(value)
    if match:
        token = re.sub(r"\([^()]*\)|\s+", "", match.group(1))  # obsolete spaces, comments
    else:
        token = value.split()[0] if value.split() else ""
        token = token.strip("<>;,")
    return f"<{token}>"[:998] if token else ""


def message_ids(value: str | None) -> list[str]:
    """Every Message-ID in an In-Reply-To or References header, in order, each once."""
    if not value:
        return []
    value = _printable(value)
    tokens = _msgid_re.findall(value) or [t for t in value.replace(",", " ").split() if "@" in t]
    seen: dict[str, None] = {}
    for token in tokens:
        normal = normalize_message_id(f"<{token.strip('<>')}>")
        if normal:
            seen.setdefault(normal, None)
    return list(seen)


# --- Raw repairs ----------------------------------------------------------------------------

_header_line_re = re.compile(rb"^[!-9;-~]+[ \t]*:")
_spaced_name_re = re.compile(rb"^([!-9;-~]+)[ \t]+:")


def prepare_raw(raw: bytes) -> bytes:
    """Bytes the email package reads correctly: no mbox `From ` line, no CR-only line
    endings, and a header block whose stray lines are continuations or start the body."""
    data = bytes(raw or b"")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    data = data.lstrip(b"\r\n")
    if data.startswith(b"From ") and not re.match(rb"From[ \t]*:", data):
        cut = min((i for i in (data.find(b"\n"), data.find(b"\r")) if i >= 0), default=-1)
        data = data[cut + 1 :] if cut >= 0 else b""
        data = data.lstrip(b"\n") if data.startswith(b"\n") else data
    if b"\n" not in data and b"\r" in data:
        data = data.replace(b"\r", b"\n")
    return _repair_header_block(data)


def _repair_header_block(data: bytes) -> bytes:
    match = re.search(rb"\r?\n\r?\n", data)
    end = match.start() if match else len(data)
    block = data[:end]
    lines = block.splitlines(keepends=True)
    indented_first = _unindent_first_header(lines)
    if (
        not indented_first
        and not any(_spaced_name_re.match(line) for line in lines)
        and all(_header_line_re.match(line) or line[:1] in (b" ", b"\t") for line in lines)
    ):
        return data  # the normal case: nothing to repair
    header_like = [bool(_header_line_re.match(line)) for line in lines]
    fixed: list[bytes] = []
    seen_header = False
    for index, line in enumerate(lines):
        if header_like[index]:
            seen_header = True
            fixed.append(_spaced_name_re.sub(rb"\1:", line, count=1))  # obsolete "Name  :"
        elif line[:1] in (b" ", b"\t"):
            fixed.append(line if seen_header else b"")
        elif not seen_header:
            continue  # leading garbage ("---- Original email message ----")
        elif any(header_like[index + 1 :]):
            fixed.append(b" " + line)  # an unindented continuation line
        else:
            # No header follows: the body starts here without its blank separator line.
            newline = b"\r\n" if line.endswith(b"\r\n") else b"\n"
            return b"".join(fixed) + newline + b"".join(lines[index:]) + data[end:]
    return b"".join(fixed) + data[end:]


def _unindent_first_header(lines: list[bytes]) -> bool:
    """A first header line that starts with whitespace is a folded continuation of nothing
    (the email package drops it, and with it the From of some form mailers): unfold it into
    its own header. Changes `lines` in place; True when it did."""
    for index, line in enumerate(lines):
        if _header_line_re.match(line):
            return False
        if line[:1] in (b" ", b"\t") and _header_line_re.match(line.lstrip(b" \t")):
            lines[index] = line.lstrip(b" \t")
            return True
    return False


# --- Classification -------------------------------------------------------------------------

# Subjects only an autoresponder writes (most also send Auto-Submitted or X-Autoreply; this
# catches the ones that do not), by language. A subject is one when, after any Re:/AW:…
# prefixes, it starts with one of these phrases: compared case-insensitively, without
# accents, hyphens read as spaces (`subject_is_out_of_office`). Only phrases a customer would
# not open a message with: "Re: my automatic reply setting is broken" is a customer.
OUT_OF_OFFICE_SUBJECTS: dict[str, tuple[str, ...]] = {
    "en": (
        "out of office",
        "out of the office",
        "automatic reply",
        "automatic response",
        "automatic answer",
        "automated reply",
        "automated response",
        "auto reply",
        "auto response",
        "auto answer",
        "autoreply",
        "autoresponse",
        "vacation reply",
    ),
    "de": ("abwesenheitsnotiz", "automatische antwort", "abwesend:"),
    "fr": ("réponse automatique", "absence du bureau", "absent du bureau", "absence:"),
    "es": ("respuesta automática", "fuera de la oficina"),
    "it": ("risposta automatica", "fuori ufficio", "fuori sede"),
    "pt": ("resposta automática", "fora do escritório", "ausência:"),
    "nl": ("automatisch antwoord", "afwezigheidsbericht", "niet aanwezig:"),
    "pl": ("automatyczna odpowiedź", "odpowiedź automatyczna", "nieobecność:"),
    "cs": ("automatická odpověď",),
    "sv": ("autosvar", "automatiskt svar", "frånvaro:"),
    "da": ("autosvar", "automatisk svar", "fraværende:"),
    "no": ("autosvar", "automatisk svar"),
    "fi": ("automaattinen vastaus", "poissaolo:"),
    "ru": ("автоответ", "автоматический ответ"),
    "ja": ("自動応答", "自動返信"),
    "zh": ("自动回复", "自動回覆", "自動回复"),
}
# What mail clients put before a subject they answer or forward, by language ("Re:", "AW:",
# "RV:", "Odp:", "回复:"…), compared without case. One list: parsing skips them to read an
# out-of-office subject, outbound strips them from the subject it answers.
REPLY_PREFIXES = (
    "re",
    "aw",
    "fw",
    "fwd",
    "wg",
    "sv",
    "vs",
    "antw",
    "r",
    "odp",
    "tr",
    "rv",
    "res",
    "enc",
    "vb",
    "ynt",
    "回复",
    "答复",
    "回覆",
    "返信",
)


def _fold(text: str) -> str:
    """Text compared without case, accents (NFKD marks dropped), hyphens or spacing."""
    text = unicodedata.normalize("NFKD", text.casefold().replace("-", " "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s*([:：])", r"\1", _whitespace_re.sub(" ", text)).strip()


def _phrase_pattern(phrase: str) -> str:
    folded = re.escape(_fold(phrase))
    # A Latin or Cyrillic word must end where the phrase ends ("autoreply" is not
    # "autoreplying"); CJK text has no spaces, and a phrase ending in ":" ends itself.
    return folded if phrase.endswith(":") or ord(phrase[-1]) >= 0x2E80 else folded + r"(?!\w)"


_out_of_office_subject_re = re.compile(
    r"^(?:(?:"
    + "|".join(re.escape(p) for p in REPLY_PREFIXES)
    + r")(?:\[\d+\])?[:：] ?)*(?:"
    + "|".join(
        sorted(
            {_phrase_pattern(p) for ps in OUT_OF_OFFICE_SUBJECTS.values() for p in ps},
            key=len,
            reverse=True,
        )
    )
    + ")"
)


def subject_is_out_of_office(subject: str) -> bool:
    """Whether a decoded subject is an autoresponder's (see OUT_OF_OFFICE_SUBJECTS)."""
    return bool(subject) and bool(_out_of_office_subject_re.match(_fold(subject)))


_bounce_subject_re = re.compile(
    r"undeliver(?:ed|able)|delivery (?:status notification|failure|has failed|incomplete)"
    r"|returned mail|mail delivery (?:failed|failure|subsystem)|failure notice"
    r"|non[- ]?delivery|could not be delivered|delivery notification"
    r"|unzustellbar|nicht zustellbar|(?:ü|\+anw-|ue)bermittlungsstatus|non remis"
    r"|rapport de non-remise|no se puede entregar|mancato recapito",
    re.IGNORECASE,
)
_bounce_senders = {
    "mailer-daemon",
    "postmaster",
    "mail-daemon",
    "mailerdaemon",
    "mail.daemon",
    "mdaemon",
}
# The noise reason of a subject alone: a guess (a customer may begin "Absence: …"), so mail
# that has no other sign and refers to no case still opens one (apps/mail/services.py).
OUT_OF_OFFICE_SUBJECT = "out-of-office subject"
AUTO_REPLY_HEADERS = (
    "x-autoreply",
    "x-autorespond",
    "x-autoresponder",
    "x-autogenerated",
    "x-autoreply-from",
    "x-mail-autoreply",
    "x-fc-machinegenerated",
)
# Headers of mail a list server distributed: responders must not answer it (RFC 3834 §2).
LIST_HEADERS = (
    "list-id",
    "list-unsubscribe",
    "list-post",
    "list-help",
    "list-subscribe",
    "list-owner",
    "list-archive",
)


# --- Result --------------------------------------------------------------------------------


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    content: bytes
    content_id: str = ""
    inline: bool = False


@dataclass
class ParsedEmail:
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    subject: str = ""
    sender: Address | None = None
    sender_header: str = ""  # which header the sender came from (from, reply-to …)
    # Every address of From, Reply-To, Sender and Return-Path, in that order.
    sender_candidates: list[Address] = field(default_factory=list)
    from_: list[Address] = field(default_factory=list)
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    reply_to: list[Address] = field(default_factory=list)
    delivered_to: list[str] = field(default_factory=list)
    date: datetime | None = None
    body_text: str = ""
    body_html: str = ""
    text_from_html: bool = False  # no text part: body_text was read from the HTML
    attachments: list[ParsedAttachment] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    is_auto_reply: bool = False
    is_bounce: bool = False
    noise_reasons: list[str] = field(default_factory=list)
    # Why no auto-response may be sent to it (Precedence bulk/list/junk, List-* headers …),
    # though it is a person's message: see _classify.
    auto_response_suppressed_by: list[str] = field(default_factory=list)
    # What a bounce or report says about the message it is about.
    original_message_ids: list[str] = field(default_factory=list)
    original_subject: str = ""
    defects: list[str] = field(default_factory=list)

    @property
    def is_noise(self) -> bool:
        return self.is_auto_reply or self.is_bounce

    @property
    def suppress_auto_response(self) -> bool:
        """No auto-responder (acknowledgement, survey) may answer this message."""
        return self.is_noise or bool(self.auto_response_suppressed_by)

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, most telling first: In-Reply-To, then the
        References newest first, then what a bounce quotes."""
        ordered = [*self.in_reply_to, *reversed(self.references), *self.original_message_ids]
        return list(dict.fromkeys(i for i in ordered if i and i != self.message_id))

    def recipients(self) -> list[str]:
        return [a.address.lower() for a in (*self.to, *self.cc) if a.address] + [
            a.lower() for a in self.delivered_to
        ]


# Headers kept in the interaction's metadata (decoded), besides the parsed ones.
KEPT_HEADERS = (
    "message-id",
    "in-reply-to",
    "references",
    "from",
    "to",
    "cc",
    "reply-to",
    "sender",
    "return-path",
    "date",
    "subject",
    "auto-submitted",
    "precedence",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "list-id",
    "list-unsubscribe",
    "delivered-to",
    "x-original-to",
    "x-mailer",
    "user-agent",
    "content-type",
    "x-spam-status",
    "x-spam-flag",
    "importance",
    "x-priority",
    "x-failed-recipients",
    "feedback-type",
)


class _Headers:
    """Raw header access that never raises: the first value or all values of a name."""

    def __init__(self, message: Message, hints: tuple[str, ...] = ()):
        self.hints = hints
        self.by_name: dict[str, list[str]] = {}
        try:
            for name, value in message.raw_items():
                self.by_name.setdefault(str(name).strip().lower(), []).append(str(value))
        except Exception:  # noqa: BLE001
            pass

    def raw(self, name: str) -> str:
        values = self.by_name.get(name)
        return values[0] if values else ""

    def raw_all(self, name: str) -> list[str]:
        return self.by_name.get(name, [])

    def text(self, name: str) -> str:
        return _clean(decode_header_value(self.raw(name), self.hints))

    def __contains__(self, name: str) -> bool:
        return name in self.by_name


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _param(part: Message, name: str, header: str = "content-type") -> str:
    try:
        value = part.get_param(name, header=header)
    except Exception:  # noqa: BLE001
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        try:
            value = email.utils.collapse_rfc2231_value(value)
        except Exception:  # noqa: BLE001
            value = value[2]
    return str(value or "")


def _raw_header(part: Message, name: str) -> str:
    try:
        for key, value in part.raw_items():
            if key.lower() == name:
                return str(value)
    except Exception:  # noqa: BLE001
        pass
    return ""


def _disposition(part: Message) -> str:
    value = _raw_header(part, "content-disposition")
    return value.split(";", 1)[0].strip().lower()


def _filename(part: Message, hints: tuple[str, ...] = ()) -> str:
    name = _param(part, "filename", "content-disposition") or _param(part, "name")
    name = decode_header_value(name, hints).strip().replace("\x00", "")
    return name.replace("\r", "").replace("\n", "")


def _transfer_encoding(part: Message) -> str:
    return _raw_header(part, "content-transfer-encoding").split(";", 1)[0].strip().lower()


def _payload_bytes(part: Message) -> bytes:
    """The decoded content of a leaf part, whatever its (possibly bogus) transfer encoding."""
    # The stored, undecoded body: get_payload() would already decode 8-bit text with the
    # declared charset, replacing what does not fit, and knows only exact CTE labels.
    payload = getattr(part, "_payload", None)
    if payload is None or isinstance(payload, list):
        return b""
    if isinstance(payload, bytes):
        data = payload
    else:
        text = str(payload or "")
        try:
            data = text.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:
            data = text.encode("utf-8", "surrogateescape")
    encoding = _transfer_encoding(part)
    if "base64" in encoding:
        return _decode_base64_body(data)
    if "quoted" in encoding or encoding in ("qp", "q"):
        return quopri.decodestring(data)
    if "uu" in encoding:
        decoded = _decode_uu(data.decode("latin-1"))
        return decoded[1] if decoded else data
    return data


def _decode_base64_body(data: bytes) -> bytes:
    clean = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    if len(clean) % 4 == 1:
        clean = clean[:-1]
    try:
        return base64.b64decode(clean + b"=" * (-len(clean) % 4))
    except (binascii.Error, ValueError):
        return data


_uu_begin_re = re.compile(r"^begin(?:-base64)? [0-7]{3,4} (.+?)\s*$", re.MULTILINE)


def _decode_uu(text: str) -> tuple[str, bytes] | None:
    """(filename, bytes) of the first uuencoded block in `text`, or None."""
    match = _uu_begin_re.search(text)
    if not match:
        return None
    out = bytearray()
    for line in text[match.end() :].lstrip("\r\n").splitlines():
        if line.strip() == "end":
            break
        if not line:
            continue
        try:
            out += binascii.a2b_uu(line)
        except binascii.Error:
            try:  # workaround for broken uuencoders (as in the uu module)
                nbytes = (((ord(line[0]) - 32) & 63) * 4 + 5) // 3
                out += binascii.a2b_uu(line[:nbytes])
            except (binascii.Error, IndexError):
                continue
    return match.group(1).strip(), bytes(out)


_uu_block_re = re.compile(
    r"^begin [0-7]{3,4} [^\r\n]+\r?\n(?:[^\r\n]*\r?\n)*?end[ \t]*(?:\r?\n|$)", re.MULTILINE
)


def _extract_uu_blocks(text: str) -> tuple[str, list[ParsedAttachment]]:
    """Non-MIME uuencoded files inside a plain-text body become attachments."""
    if "begin " not in text:
        return text, []
    attachments = []

    def take(match: re.Match) -> str:
        decoded = _decode_uu(match.group(0))
        if not decoded:
            return match.group(0)
        attachments.append(
            ParsedAttachment(
                filename=decoded[0] or "attachment",
                content_type="application/octet-stream",
                content=decoded[1],
            )
        )
        return ""

    return _uu_block_re.sub(take, text), attachments


_meta_charset_re = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.IGNORECASE)


def _part_text(part: Message, hints: tuple[str, ...], *, is_html: bool = False) -> str:
    data = _payload_bytes(part)
    charset = _param(part, "charset")
    if not charset and is_html:
        match = _meta_charset_re.search(data[:4096])
        charset = match.group(1).decode("ascii", "replace") if match else ""
    text = decode_bytes(data, charset) if _codec(charset) else decode_guess(data, hints)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


def _message_bytes(message: Message) -> bytes:
    """Bytes of an embedded message (message/rfc822), as close to the original as we can."""
    for make in (
        lambda: message.as_bytes(policy=policy.compat32),
        lambda: message.as_bytes(policy=policy.default),
        lambda: message.as_string(policy=policy.compat32).encode("utf-8", "surrogateescape"),
    ):
        try:
            return make()
        except Exception:  # noqa: BLE001
            continue
    return b""


def text_from_html(body_html: str) -> str:
    """Readable text of an HTML body: the same reading as apps.cases.services.text_from_html
    (kept here so parsing needs no Django), with block ends as line breaks."""
    if not body_html:
        return ""
    marked = re.sub(
        r"(?i)<br|</p>|</div>|</tr>|</li>|</h[1-6]>",
        lambda m: "\n" + m.group(0) if m.group(0).lower() == "<br" else m.group(0) + "\n",
        body_html,
    )
    return html.unescape(nh3.clean(marked, tags=set())).strip()


def text_to_html(text: str) -> str:
    """A plain-text body as HTML, for a message that mixes text and HTML parts."""
    return "<div>" + html.escape(text).replace("\n", "<br>\n") + "</div>"


@dataclass
class _Segment:
    text: str | None = None
    html: str | None = None


class _Walker:
    """Collects the readable body (in order) and the files of a MIME tree."""

    # The parser caps nesting at MAX_MIME_DEPTH; this guard only keeps the walk bounded if
    # it is ever handed a deeper tree, keeping what it does not walk as a file.
    MAX_DEPTH = MAX_MIME_DEPTH + 1

    def __init__(self, hints: tuple[str, ...]):
        self.hints = hints
        self.segments: list[_Segment] = []
        self.attachments: list[ParsedAttachment] = []
        self.original_headers: list[Message] = []

    def walk(self, part: Message, depth: int = 0) -> None:
        if depth > self.MAX_DEPTH:
            self.attachments.append(
                ParsedAttachment(
                    filename=NESTED_PARTS_FILENAME,
                    content_type="message/rfc822",
                    content=_message_bytes(part),
                )
            )
            return
        if getattr(part, "nested_content_type", None) is not None:
            self._nested_parts(part)
            return
        ctype = _content_type(part)
        if ctype in ("message/rfc822", "message/global"):
            self._embedded_message(part)  # an attachment, even though it is "multipart"
            return
        if part.is_multipart():
            children = self._children(part)
            if ctype == "multipart/alternative":
                self._alternative(children, depth)
            else:
                for child in children:
                    self.walk(child, depth + 1)
            return
        if ctype in ("text/rfc822-headers", "text/rfc822-header"):
            self._original_headers(part)
            self._attach(part, ctype, default_name="original-headers.txt")
            return
        if self._is_body(part, ctype):
            text = _part_text(part, self.hints, is_html=ctype == "text/html")
            if ctype == "text/html":
                self.segments.append(_Segment(html=text))
            else:
                text, files = _extract_uu_blocks(text)
                self.attachments += files
                self.segments.append(_Segment(text=text))
            return
        self._attach(part, ctype)

    @staticmethod
    def _children(part: Message) -> list[Message]:
        try:
            payload = part.get_payload()
        except Exception:  # noqa: BLE001
            return []
        return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []

    def _is_body(self, part: Message, ctype: str) -> bool:
        if ctype not in ("text/plain", "text/html"):
            return False
        return _disposition(part) != "attachment" and not _filename(part, self.hints)

    def _alternative(self, children: list[Message], depth: int) -> None:
        segment = _Segment()
        for child in children:
            ctype = _content_type(child)
            if ctype == "text/plain" and self._is_body(child, ctype) and segment.text is None:
                segment.text = _part_text(child, self.hints)
            elif ctype == "text/html" and self._is_body(child, ctype) and segment.html is None:
                segment.html = _part_text(child, self.hints, is_html=True)
            elif child.is_multipart():
                # multipart/related (HTML + inline images) or mixed inside the alternative.
                inner = _Walker(self.hints)
                inner.walk(child, depth + 1)
                self.attachments += inner.attachments
                self.original_headers += inner.original_headers
                texts = [s.text for s in inner.segments if s.text is not None]
                htmls = [s.html for s in inner.segments if s.html is not None]
                if htmls and segment.html is None:
                    segment.html = "\n".join(htmls)
                if texts and segment.text is None and not htmls:
                    segment.text = "\n".join(texts)
            elif ctype not in ("text/plain", "text/html"):
                self._attach(child, ctype)
        if segment.text is not None or segment.html is not None:
            if segment.text is not None and not segment.text.strip() and segment.html:
                segment.text = None  # an empty text alternative says nothing
            self.segments.append(segment)

    def _embedded_message(self, part: Message) -> None:
        children = self._children(part)
        inner = children[0] if children else None
        if inner is None:
            self._attach(part, "message/rfc822", default_name="message.eml")
            return
        self.original_headers.append(inner)
        headers = _Headers(inner, self.hints)
        subject = headers.text("subject")
        name = _filename(part, self.hints) or (
            f"{_safe_name(subject)[:80]}.eml" if subject else "message.eml"
        )
        self.attachments.append(
            ParsedAttachment(
                filename=name,
                content_type="message/rfc822",
                content=_message_bytes(inner),
                inline=_disposition(part) == "inline",
            )
        )

    def _nested_parts(self, part: Message) -> None:
        """A part the parser left unparsed (nested too deep): kept whole as one file, with
        its Content-Type so mail programs can open it; the text and HTML parts it holds are
        found by a flat scan and become the body."""
        content_type = part.nested_content_type.encode("utf-8", "surrogateescape")
        body = _payload_bytes(part)
        self.attachments.append(
            ParsedAttachment(
                filename=NESTED_PARTS_FILENAME,
                content_type="message/rfc822",
                content=b"Content-Type: " + content_type + b"\r\n\r\n" + body,
            )
        )
        self.segments += _texts_in_nested_parts(body, self.hints)

    def _original_headers(self, part: Message) -> None:
        try:
            headers = message_from_bytes(_payload_bytes(part))
        except Exception:  # noqa: BLE001
            return
        self.original_headers.append(headers)

    def _attach(self, part: Message, ctype: str, default_name: str = "") -> None:
        content = _payload_bytes(part)
        filename = _filename(part, self.hints) or default_name or _default_name(ctype)
        content_id = _raw_header(part, "content-id")
        content_id = decode_header_value(content_id).strip().strip("<>").strip()
        self.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=ctype,
                content=content,
                content_id=content_id[:255],
                inline=_disposition(part) == "inline"
                or bool(content_id and not _disposition(part)),
            )
        )


_part_delimiter_re = re.compile(rb"^--[^\r\n]*\r?\n", re.MULTILINE)
_text_part_header_re = re.compile(
    rb"^content-type:[ \t]*text/(plain|html)\b", re.IGNORECASE | re.MULTILINE
)
_attachment_header_re = re.compile(
    rb"^content-disposition:[ \t]*attachment", re.IGNORECASE | re.MULTILINE
)
_header_end_re = re.compile(rb"\r?\n\r?\n")


def _texts_in_nested_parts(body: bytes, hints: tuple[str, ...]) -> list[_Segment]:
    """Text and HTML parts inside MIME content left unparsed, found without recursion: the
    content is cut at every boundary-like line ("--…"), and each piece whose headers say
    text/plain or text/html (and not attachment) is read as that one part."""
    found: list[_Segment] = []
    for piece in _part_delimiter_re.split(body):
        end = _header_end_re.search(piece)
        if end is None:
            continue
        header_block = piece[: end.start()]
        match = _text_part_header_re.search(header_block)
        if match is None or _attachment_header_re.search(header_block):
            continue
        leaf = message_from_bytes(piece)
        is_html = match.group(1).lower() == b"html"
        text = _part_text(leaf, hints, is_html=is_html).strip("\n")
        found.append(_Segment(html=text) if is_html else _Segment(text=text))
        if len(found) >= MAX_TEXTS_IN_NESTED_PARTS:
            break
    return found


def _safe_name(text: str) -> str:
    return re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", text).strip() or "message"


_EXTENSIONS = {
    "text/plain": "txt",
    "text/html": "html",
    "text/calendar": "ics",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "application/pdf": "pdf",
    "message/delivery-status": "txt",
    "message/disposition-notification": "txt",
    "application/pgp-signature": "asc",
    "application/pkcs7-signature": "p7s",
    "application/x-pkcs7-signature": "p7s",
    "application/pkcs7-mime": "p7m",
    "application/x-pkcs7-mime": "p7m",
}


def _default_name(ctype: str) -> str:
    return f"attachment.{_EXTENSIONS.get(ctype, 'bin')}"


def _message_charsets(message: Message) -> tuple[str, ...]:
    """Every charset the message declares: the hints for raw 8-bit headers and bodies."""
    found: dict[str, None] = {}
    try:
        for part in message.walk():
            charset = _param(part, "charset")
            if charset:
                found.setdefault(charset, None)
    except Exception:  # noqa: BLE001
        pass
    return tuple(found)


def _parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _sender(headers: _Headers) -> tuple[Address | None, str, list[Address]]:
    """The sender: the first real address of From, else Reply-To, Sender, Return-Path; a
    From without a domain (`MAILER-DAEMON`) only when no header has a better one. Also
    returns every candidate address, in that order."""
    hints = headers.hints
    candidates: list[tuple[Address, str]] = []
    for name in ("from", "reply-to", "sender", "return-path"):
        for address in [a for v in headers.raw_all(name) for a in parse_addresses(v, hints)]:
            candidates.append((address, name))
    addresses = [a for a, _ in candidates if a.address]
    from_name = next((a.name for a, n in candidates if n == "from" and a.name), "")
    for address, name in candidates:
        if "@" in address.address:
            if name != "from" and not address.name:
                address = Address(name=from_name, address=address.address)
            return address, name, addresses
    for address, name in candidates:
        if address.address:
            return address, name, addresses
    return None, "", addresses


def _classify(parsed: ParsedEmail, headers: _Headers, message: Message) -> None:
    """Flag auto-replies (RFC 3834 Auto-Submitted and the vendor headers, out-of-office
    subjects, read receipts and other reports) and bounces (delivery status reports, mail
    from MAILER-DAEMON/postmaster, failure subjects on mail with a null sender).

    Precedence bulk/list/junk is not one of them: list servers and newsletters set it on mail
    people wrote, and it only asks responders not to answer (RFC 3834 §2). It, List-* headers,
    a null Return-Path and X-Auto-Response-Suppress make `suppress_auto_response` true, so an
    auto-responder never answers the message, but the message opens its case like any other.
    """
    auto = _auto_reply_reasons(parsed, headers)
    bounce: list[str] = []
    auto_submitted = headers.text("auto-submitted").lower()
    ctype = _content_type(message)
    report_type = _param(message, "report-type").lower()
    if ctype == "multipart/report" and report_type == "delivery-status":
        bounce.append("delivery status report")
    elif ctype == "multipart/report":
        auto.append(f"report: {report_type or 'unknown'}")
    local_part = parsed.sender.address.split("@")[0].lower() if parsed.sender else ""
    if local_part in _bounce_senders:
        bounce.append(f"sender is {local_part}")
    elif _bounce_subject_re.search(parsed.subject) and (
        headers.raw("return-path").strip() in ("<>", "")
        or auto_submitted
        or parsed.original_message_ids
    ):
        bounce.append("delivery failure subject")
    parsed.is_auto_reply = bool(auto) and not bounce
    parsed.is_bounce = bool(bounce)
    parsed.noise_reasons = bounce + auto
    parsed.auto_response_suppressed_by = _auto_response_suppressed_by(headers)


def _auto_reply_reasons(parsed: ParsedEmail, headers: _Headers) -> list[str]:
    """What in the headers and subject says an autoresponder wrote the message."""
    auto: list[str] = []
    auto_submitted = headers.text("auto-submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        auto.append(f"auto-submitted: {auto_submitted[:50]}")
    for name in AUTO_REPLY_HEADERS:
        if name in headers and headers.text(name).lower() not in ("no", "false", "0"):
            auto.append(name)
    precedence = headers.text("precedence").lower()
    if precedence in ("auto_reply", "auto-reply"):  # what some autoresponders say they are
        auto.append(f"precedence: {precedence}")
    if subject_is_out_of_office(parsed.subject):
        auto.append(OUT_OF_OFFICE_SUBJECT)
    return auto


def _auto_response_suppressed_by(headers: _Headers) -> list[str]:
    """What asks auto-responders not to answer the message (see _classify)."""
    precedence = headers.text("precedence").lower()
    suppressed: list[str] = []
    if precedence in ("bulk", "list", "junk"):
        suppressed.append(f"precedence: {precedence}")
    suppressed += [name for name in LIST_HEADERS if name in headers]
    if headers.raw("return-path").strip().replace(" ", "") == "<>":
        suppressed.append("null return-path")
    suppress = headers.text("x-auto-response-suppress").lower()
    if {"all", "oof", "autoreply"} & {v.strip() for v in suppress.split(",")}:
        suppressed.append(f"x-auto-response-suppress: {suppress[:50]}")
    return suppressed


_quoted_msgid_re = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.M)
_quoted_subject_re = re.compile(r"^[ \t>]*Subject:[ \t]*(.+)$", re.IGNORECASE | re.MULTILINE)


def parse_email(raw: bytes) -> ParsedEmail:
    """Everything cxdesk needs from one raw RFC 5322 message. See the module docstring."""
    data = prepare_raw(raw)
    message = message_from_bytes(data)
    hints = _message_charsets(message)
    headers = _Headers(message, hints)
    parsed = ParsedEmail()
    parsed.message_id = normalize_message_id(headers.raw("message-id"))
    parsed.in_reply_to = message_ids(headers.raw("in-reply-to"))
    parsed.references = message_ids(" ".join(headers.raw_all("references")))
    parsed.subject = headers.text("subject")
    parsed.from_ = parse_addresses(headers.raw("from"), hints)
    parsed.to = [a for v in headers.raw_all("to") for a in parse_addresses(v, hints)]
    parsed.cc = [a for v in headers.raw_all("cc") for a in parse_addresses(v, hints)]
    parsed.reply_to = parse_addresses(headers.raw("reply-to"), hints)
    parsed.delivered_to = [
        a.address
        for name in ("delivered-to", "x-original-to")
        for v in headers.raw_all(name)
        for a in parse_addresses(v)
        if a.address
    ]
    parsed.sender, parsed.sender_header, parsed.sender_candidates = _sender(headers)
    parsed.date = _parse_date(headers.raw("date"))
    parsed.headers = {name: headers.text(name)[:2000] for name in KEPT_HEADERS if name in headers}
    try:
        parsed.defects = sorted({type(d).__name__ for p in message.walk() for d in p.defects})
    except Exception:  # noqa: BLE001
        parsed.defects = []

    walker = _Walker(hints)
    walker.walk(message)
    parsed.attachments = walker.attachments
    _set_bodies(parsed, walker.segments)

    for original in walker.original_headers:
        original_headers = _Headers(original, hints)
        original_id = normalize_message_id(original_headers.raw("message-id"))
        if original_id:
            parsed.original_message_ids.append(original_id)
        parsed.original_subject = parsed.original_subject or original_headers.text("subject")
    _classify(parsed, headers, message)
    if parsed.is_bounce and not parsed.original_message_ids:
        # A bounce without MIME structure quotes the original message in its text.
        parsed.original_message_ids = list(
            dict.fromkeys(
                normalize_message_id(m) for m in _quoted_msgid_re.findall(parsed.body_text)
            )
        )
        quoted = _quoted_subject_re.search(parsed.body_text)
        parsed.original_subject = parsed.original_subject or (
            _clean(decode_header_value(quoted.group(1))) if quoted else ""
        )
    return parsed


def _set_bodies(parsed: ParsedEmail, segments: list[_Segment]) -> None:
    if not any(s.html is not None for s in segments):
        parsed.body_text = "\n\n".join(s.text or "" for s in segments if s.text).strip("\n")
        return
    if len(segments) == 1 and segments[0].text is None:
        parsed.body_html = segments[0].html or ""
        parsed.body_text = text_from_html(parsed.body_html)
        parsed.text_from_html = True
        return
    parsed.body_html = "\n".join(
        s.html if s.html is not None else text_to_html(s.text or "") for s in segments
    )
    parsed.body_text = "\n\n".join(
        (s.text if s.text is not None else text_from_html(s.html or "")).strip("\n")
        for s in segments
    ).strip("\n")


_message_id_header_re = re.compile(
    rb"^message-id[ \t]*:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.IGNORECASE | re.MULTILINE
)


def read_message_id(raw: bytes) -> str:
    """The Message-ID of a raw message from its header block alone; "" when unreadable.

    Cheap and never raises: it runs before the message is stored, so a broken message is
    stored all the same."""
    try:
        data = prepare_raw(raw[: 256 * 1024])
        match = re.search(rb"\r?\n\r?\n", data)
        block = data[: match.start()] if match else data
        found = _message_id_header_re.search(block)
        if not found:
            return ""
        return normalize_message_id(found.group(1).decode("ascii", "replace"))
    except Exception:  # noqa: BLE001
        return ""
