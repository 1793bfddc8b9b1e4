"""Move attachments stored under the sender's filename to random storage names.

Before this, a file was stored as `attachments/<yyyy>/<mm>/<dd>/<sender's filename>`: a
guessable path ending in whatever extension the sender chose. New files get
`attachments/<yyyy>/<mm>/<32 random hex>` (apps.cases.models.attachment_storage_name); this
copies each older file to such a name (the month of the attachment's `created_at`), points
the row at it and, once the migration has committed, deletes the old file. A row whose file
is already missing is left as it is (its download answers 410). Safe to run on a large
store: rows are read in chunks and files are copied by the storage in chunks. Reversing it
does nothing: random names work with any version.
"""

import logging
import re
import secrets

from django.db import migrations, transaction

logger = logging.getLogger(__name__)

RANDOM_NAME = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}$")


def move_to_random_names(apps, schema_editor):
    Attachment = apps.get_model("cases", "Attachment")
    storage = Attachment._meta.get_field("file").storage
    moved: list[str] = []
    rows = Attachment.objects.only("pk", "file", "created_at").order_by("pk")
    for attachment in rows.iterator(chunk_size=500):
        old = attachment.file.name
        if not old or RANDOM_NAME.match(old) or not storage.exists(old):
            continue
        with storage.open(old, "rb") as handle:
            new = storage.save(
                f"attachments/{attachment.created_at:%Y/%m}/{secrets.token_hex(16)}", handle
            )
        Attachment.objects.filter(pk=attachment.pk).update(file=new)
        moved.append(old)

    def delete_old_files():
        for name in moved:
            try:
                storage.delete(name)
            except OSError as error:  # the copy is in place; an old file left is only clutter
                logger.warning("could not delete the old attachment file %r: %s", name, error)

    # Only once the rows point at the copies: a failed migration leaves every old file.
    transaction.on_commit(delete_old_files, using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_case_event_kind_unverified_reference"),
    ]

    operations = [
        migrations.RunPython(move_to_random_names, migrations.RunPython.noop, elidable=True),
    ]
