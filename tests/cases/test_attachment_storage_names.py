"""Attachments are stored under random names: nothing of the sender's filename in the path."""

import re

import pytest

from apps.cases import services
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db

RANDOM_PATH = re.compile(r"^attachments/\d{4}/\d{2}/[0-9a-f]{32}$")


def test_two_files_with_the_same_name_get_different_random_paths():
    interaction = InteractionFactory()
    first, second = (
        services.attachment_add(
            interaction=interaction, filename="invoice.html", content=body, content_type="text/html"
        )
        for body in (b"<p>one</p>", b"<p>two</p>")
    )

    assert RANDOM_PATH.match(first.file.name), first.file.name
    assert RANDOM_PATH.match(second.file.name), second.file.name
    assert first.file.name != second.file.name
    assert (first.filename, second.filename) == ("invoice.html", "invoice.html")
    assert (first.file.read(), second.file.read()) == (b"<p>one</p>", b"<p>two</p>")


@pytest.mark.parametrize(
    "filename",
    [
        "invoice.html",
        "Rechnung März.pdf",
        "../../etc/passwd",
        "x.svg",
        "evil.html\x00.png",
        ".htaccess",
    ],
)
def test_no_part_of_the_senders_filename_is_in_the_storage_path(filename):
    attachment = services.attachment_add(
        interaction=InteractionFactory(), filename=filename, content=b"data"
    )

    stored = attachment.file.name.rsplit("/", 1)[-1]
    assert RANDOM_PATH.match(attachment.file.name), attachment.file.name
    assert "." not in stored  # no extension taken from the sender
    stem = filename.rsplit("/", 1)[-1].lstrip(".").split(".")[0]
    assert stem.lower() not in attachment.file.name.lower()


def test_control_characters_are_dropped_from_the_kept_filename():
    attachment = services.attachment_add(
        interaction=InteractionFactory(), filename="evil\x00.html\r\n.png", content=b"data"
    )

    assert attachment.filename == "evil.html.png"
