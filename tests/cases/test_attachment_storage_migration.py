"""Migration 0004 moves files stored under the sender's filename to random names."""

import importlib
import re
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from apps.cases import services
from apps.cases.models import Attachment
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("apps.cases.migrations.0004_attachment_random_storage_names")


def _old_style(interaction, name: str, content: bytes | None) -> Attachment:
    """An attachment as the old upload_to stored it: attachments/<y>/<m>/<d>/<filename>."""
    attachment = services.attachment_add(interaction=interaction, filename=name, content=b"")
    default_storage.delete(attachment.file.name)
    path = f"attachments/2025/03/14/{name}"
    if content is not None:
        path = default_storage.save(path, ContentFile(content))
    Attachment.objects.filter(pk=attachment.pk).update(
        file=path, created_at=datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    )
    return Attachment.objects.get(pk=attachment.pk)


def _run(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        migration.move_to_random_names(apps, SimpleNamespace(connection=connection))


def test_old_guessable_files_move_to_random_names_and_the_old_ones_go(
    django_capture_on_commit_callbacks,
):
    old = _old_style(InteractionFactory(), "statement.html", b"<script>x</script>")
    old_path = old.file.name

    _run(django_capture_on_commit_callbacks)

    old.refresh_from_db()
    assert re.fullmatch(r"attachments/2025/03/[0-9a-f]{32}", old.file.name), old.file.name
    assert old.file.read() == b"<script>x</script>"
    assert old.filename == "statement.html"
    assert not default_storage.exists(old_path)


def test_random_names_and_missing_files_are_left_alone(django_capture_on_commit_callbacks):
    interaction = InteractionFactory()
    new = services.attachment_add(interaction=interaction, filename="a.pdf", content=b"%PDF")
    missing = _old_style(interaction, "gone.pdf", None)

    _run(django_capture_on_commit_callbacks)

    assert Attachment.objects.get(pk=new.pk).file.name == new.file.name
    assert Attachment.objects.get(pk=missing.pk).file.name == "attachments/2025/03/14/gone.pdf"


def test_the_old_files_stay_until_the_migration_commits():
    _old_style(InteractionFactory(), "report.pdf", b"%PDF")

    migration.move_to_random_names(apps, SimpleNamespace(connection=connection))

    assert default_storage.exists("attachments/2025/03/14/report.pdf")  # not committed yet
