"""How an email names what it belongs to: the stored key of a Message-ID.

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
"""

from __future__ import annotations

import hashlib

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
