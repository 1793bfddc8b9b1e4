"""A Message-ID too long for a database index (PostgreSQL refuses btree entries over ~2,700
bytes) is stored as a bounded key, so the message is processed, de-duplicated and threaded
like any other; the original stays in the interaction's metadata."""

import random

import pytest

from apps.cases.models import Case, Interaction
from apps.mail import services
from apps.mail.models import InboundEmail
from apps.mail.references import MESSAGE_ID_KEY_MAX_BYTES, message_id_key

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


def _poison_id(seed: int = 7) -> str:
    """~950 distinct CJK characters (≈2,850 bytes of UTF-8, incompressible): the size that
    overflowed PostgreSQL's btree indexes."""
    rnd = random.Random(seed)
    local = "".join(chr(rnd.randint(0x4E00, 0x9FFF)) for _ in range(950))
    return f"<{local}@example.com>"


def _raw(
    *,
    message_id: str,
    subject: str = "Hi",
    in_reply_to: str = "",
    sender: str = "Ada <ada@example.com>",
) -> bytes:
    """Raw bytes with the header in UTF-8 (as an SMTPUTF8 relay delivers it)."""
    headers = [
        f"From: {sender}",
        "To: support@cxdesk.test",
        f"Subject: {subject}",
        f"Message-ID: {message_id}",
    ]
    if in_reply_to:
        headers.append(f"In-Reply-To: {in_reply_to}")
    return ("\r\n".join(headers) + "\r\n\r\nHello, about my order.\r\n").encode()


def test_short_message_ids_are_stored_as_they_are():
    assert message_id_key("<abc.123@example.com>") == "<abc.123@example.com>"
    assert message_id_key("") == ""


def test_a_long_message_id_becomes_a_bounded_key_the_same_with_or_without_brackets():
    long_id = _poison_id()

    key = message_id_key(long_id)

    assert len(key.encode()) <= MESSAGE_ID_KEY_MAX_BYTES
    assert key == message_id_key(long_id.strip("<>")) == message_id_key(key)
    assert key != message_id_key(_poison_id(seed=8))


def test_a_message_with_an_unindexable_message_id_is_processed(mailbox):
    long_id = _poison_id()

    inbound = services.email_receive(raw=_raw(message_id=long_id), source="upload", mailbox=mailbox)

    stored = InboundEmail.objects.get(pk=inbound.pk)
    assert stored.status == Status.PROCESSED, stored.error
    assert stored.message_id == message_id_key(long_id)
    interaction = Interaction.objects.get()
    assert interaction.external_id == message_id_key(long_id)
    assert interaction.metadata["email"]["message_id"] == long_id  # the original is kept


def test_a_redelivery_of_a_long_message_id_is_a_duplicate(mailbox):
    raw = _raw(message_id=_poison_id())
    services.email_receive(raw=raw, source="upload", mailbox=mailbox)

    again = services.email_receive(raw=raw, source="imap", mailbox=mailbox)

    assert again.status == Status.DUPLICATE
    assert Case.objects.count() == 1
    assert Interaction.objects.count() == 1


def test_a_reply_to_a_long_message_id_threads_onto_its_case(mailbox):
    long_id = _poison_id()
    first = services.email_receive(raw=_raw(message_id=long_id), source="upload", mailbox=mailbox)

    reply = services.email_receive(
        raw=_raw(
            message_id="<reply-1@example.com>", subject="Re: something else", in_reply_to=long_id
        ),
        source="upload",
        mailbox=mailbox,
    )

    assert reply.status == Status.PROCESSED, reply.error
    assert reply.case_id == first.case_id
    assert Case.objects.count() == 1
    assert reply.interaction.metadata["threading"] == {"by": "in_reply_to", "message_id": long_id}


def test_the_migration_rekeys_long_ids_stored_before(mailbox):
    """Rows stored before keys existed (a 300-byte id fits PostgreSQL's index) are re-keyed,
    so lookups, which now go through message_id_key, still find them."""
    import importlib

    from django.apps import apps

    from tests.factories import CaseFactory

    migration = importlib.import_module("apps.mail.migrations.0002_hash_long_message_ids")
    long_id = f"<{'x' * 300}@example.com>"
    row = InboundEmail.objects.create(
        source="upload", raw=b"", raw_sha256="0" * 64, message_id=long_id
    )
    case = CaseFactory()
    interaction = Interaction.objects.create(
        case=case, channel="email", direction="in", external_id=long_id
    )
    short = Interaction.objects.create(
        case=case, channel="email", direction="in", external_id="<short@example.com>"
    )

    migration.hash_long_message_ids(apps, None)

    assert InboundEmail.objects.get(pk=row.pk).message_id == message_id_key(long_id)
    assert Interaction.objects.get(pk=interaction.pk).external_id == message_id_key(long_id)
    assert Interaction.objects.get(pk=short.pk).external_id == "<short@example.com>"
