"""How an email names what it belongs to: the stored key of a Message-ID, and the case token
in its subject.

Message-IDs
-----------

A Message-ID is stored in two indexed columns, `InboundEmail.message_id` and the email
channel's `Interaction.external_id` (unique per channel), and looked up there by every
In-Reply-To and References id of later mail. RFC 5322 bounds a header line at 998 characters,
not a Message-ID, and PostgreSQL refuses a btree entry larger than about 2,700 bytes: a
Message-ID of 950 non-ASCII characters could neither be stored nor recorded as failed. So
what is stored and looked up is `message_id_key(message_id)`:

- the Message-ID itself when it is at most MESSAGE_ID_KEY_MAX_BYTES in UTF-8 (every real
  one: they are ASCII and well under 100 characters), so existing rows and our own outbound
  ids are unchanged;
- else `<sha256-<hex>@hashed-message-id.invalid>`, the SHA-256 of the id without its angle
  brackets, so `<id>` and `id` (as another system may have stored it) give the same key.

The original Message-ID is kept in the interaction's metadata (`email.message_id`), which is
also where replies read it from for their In-Reply-To header.

Subject tokens
--------------
Our replies carry `[CX-000123-k7f2q9ab]` in their subject: the case reference and a tag, the
first SUBJECT_TAG_LENGTH characters (base32, 40 bits) of an HMAC-SHA256 of the case id under
a key derived from SECRET_KEY (django.utils.crypto.salted_hmac with its own salt; tags made
with a key of SECRET_KEY_FALLBACKS still verify, so rotating SECRET_KEY does not orphan old
mail). Only someone who has one of our emails about the case knows the tag, so a token with a
valid tag threads whoever sends it (a colleague forwarding our reply, a customer writing from
another address). A bare `[CX-000123]` (mail sent before tags existed, or a reference someone
typed) names a case anyone can guess, and threads only a sender the case knows
(apps/mail/services.py says who that is); a token with a wrong tag counts as bare.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from apps.cases.models import REFERENCE_PREFIX

MESSAGE_ID_KEY_MAX_BYTES = 250
HASHED_MESSAGE_ID_DOMAIN = "hashed-message-id.invalid"


def message_id_key(message_id: str) -> str:
    """The stored (and looked-up) form of a Message-ID; "" for none. Idempotent."""
    if not message_id:
        return ""
    try:
        size = len(message_id.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate: no database text column takes it
        size = MESSAGE_ID_KEY_MAX_BYTES + 1
    if size <= MESSAGE_ID_KEY_MAX_BYTES and "\x00" not in message_id:
        return message_id
    bare = message_id.strip().strip("<>")
    digest = hashlib.sha256(bare.encode("utf-8", "surrogatepass")).hexdigest()
    return f"<sha256-{digest}@{HASHED_MESSAGE_ID_DOMAIN}>"


SUBJECT_TAG_LENGTH = 8
_SUBJECT_TAG_SALT = "cxdesk.mail.subject-token"
_subject_token_re = re.compile(
    rf"\[\s*{REFERENCE_PREFIX}-(\d{{1,12}})(?:-([A-Za-z0-9]{{1,32}}))?\s*\]", re.IGNORECASE
)


@dataclass(frozen=True)
class SubjectReference:
    case_id: int
    tag_valid: bool


def subject_tag(case_id: int, *, secret: str | None = None) -> str:
    """The keyed tag of a case's subject token (lower-case base32)."""
    digest = salted_hmac(
        _SUBJECT_TAG_SALT, str(int(case_id)), secret=secret, algorithm="sha256"
    ).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:SUBJECT_TAG_LENGTH]


def subject_token(case) -> str:
    """`[CX-000123-k7f2q9ab]`: what our outbound subjects carry."""
    return f"[{case.reference}-{subject_tag(case.pk)}]"


def _tag_is_valid(case_id: int, tag: str) -> bool:
    if len(tag) != SUBJECT_TAG_LENGTH:
        return False
    tag = tag.lower()
    secrets = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return any(
        constant_time_compare(tag, subject_tag(case_id, secret=secret)) for secret in secrets
    )


def subject_references(subject: str) -> list[SubjectReference]:
    """Every `[CX-…]` token of a subject, tagged or bare, in order."""
    found = []
    for match in _subject_token_re.finditer(subject or ""):
        case_id = int(match.group(1))
        found.append(
            SubjectReference(
                case_id=case_id,
                tag_valid=bool(match.group(2)) and _tag_is_valid(case_id, match.group(2)),
            )
        )
    return found


def subject_reference(subject: str) -> SubjectReference | None:
    """The token a subject threads by: the first with a valid tag, else the first."""
    found = subject_references(subject)
    return next((r for r in found if r.tag_valid), found[0] if found else None)


def strip_subject_tokens(subject: str) -> str:
    """The subject without any `[CX-…]` token (ours or another case's)."""
    return " ".join(_subject_token_re.sub(" ", subject or "").split())
