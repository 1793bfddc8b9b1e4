"""Store Message-IDs longer than 250 bytes as their key (apps/mail/references.py).

Lookups now go through message_id_key, so a long id stored as it came would no longer be
found (a redelivery would be processed twice, a reply would not thread). The key function is
copied here as it is today, so later changes to it cannot change what this migration did.
"""

import hashlib

from django.db import IntegrityError, migrations, transaction
from django.db.models.functions import Length

MAX_BYTES = 250


def _key(message_id: str) -> str:
    try:
        size = len(message_id.encode("utf-8"))
    except UnicodeEncodeError:
        size = MAX_BYTES + 1
    if size <= MAX_BYTES and "\x00" not in message_id:
        return message_id
    bare = message_id.strip().strip("<>")
    digest = hashlib.sha256(bare.encode("utf-8", "surrogatepass")).hexdigest()
    return f"<sha256-{digest}@hashed-message-id.invalid>"


def _rekey(queryset, field: str) -> None:
    # A value of more than MAX_BYTES bytes has more than MAX_BYTES // 4 characters.
    rows = (
        queryset.annotate(_length=Length(field))
        .filter(_length__gt=MAX_BYTES // 4)
        .values_list("pk", field)
    )
    for pk, value in rows.iterator(chunk_size=2000):
        key = _key(value)
        if key == value:
            continue
        try:
            with transaction.atomic():
                queryset.filter(pk=pk).update(**{field: key})
        except IntegrityError:  # the same id stored twice (with and without brackets)
            continue


def hash_long_message_ids(apps, schema_editor):
    InboundEmail = apps.get_model("mail", "InboundEmail")
    Interaction = apps.get_model("cases", "Interaction")
    _rekey(InboundEmail.objects.all(), "message_id")
    _rekey(Interaction.objects.filter(channel="email"), "external_id")


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0002_interaction_outbound_delivery"),
        ("mail", "0001_mailboxes_and_inbound_emails"),
    ]

    operations = [
        migrations.RunPython(hash_long_message_ids, migrations.RunPython.noop, elidable=True),
    ]
