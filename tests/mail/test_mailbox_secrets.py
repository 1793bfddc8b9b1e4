"""Mailbox secrets are encrypted at rest and plain in Python."""

import pytest
from django.db import connection

from apps.mail.models import Mailbox

pytestmark = pytest.mark.django_db

SECRETS = {
    "imap_password": "imap-pw-3x4mple",
    "oauth2_client_secret": "client-secret-3x4mple",
    "oauth2_refresh_token": "refresh-token-3x4mple",
    "oauth2_access_token": "access-token-3x4mple",
}


def raw_columns(pk: int) -> dict[str, str]:
    columns = ", ".join(SECRETS)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM mail_mailbox WHERE id = %s", [pk])
        return dict(zip(SECRETS, cursor.fetchone(), strict=True))


def test_secrets_are_stored_encrypted_and_read_back_in_clear():
    mailbox = Mailbox.objects.create(
        name="Support", email_address="support@example.com", imap_host="imap.example.com", **SECRETS
    )

    stored = raw_columns(mailbox.pk)
    for name, secret in SECRETS.items():
        assert stored[name].startswith("fernet:"), name
        assert secret not in stored[name], name

    fresh = Mailbox.objects.get(pk=mailbox.pk)
    for name, secret in SECRETS.items():
        assert getattr(fresh, name) == secret


def test_the_same_secret_encrypts_differently_each_time():
    a = Mailbox.objects.create(
        name="A", email_address="a@example.com", imap_password="same-password"
    )
    b = Mailbox.objects.create(
        name="B", email_address="b@example.com", imap_password="same-password"
    )

    assert raw_columns(a.pk)["imap_password"] != raw_columns(b.pk)["imap_password"]


def test_an_update_encrypts_too():
    mailbox = Mailbox.objects.create(name="Support", email_address="support@example.com")

    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="changed-by-update")

    assert raw_columns(mailbox.pk)["imap_password"].startswith("fernet:")
    mailbox.refresh_from_db()
    assert mailbox.imap_password == "changed-by-update"


def test_an_empty_secret_stays_empty():
    mailbox = Mailbox.objects.create(name="Support", email_address="support@example.com")

    assert raw_columns(mailbox.pk)["imap_password"] == ""
    mailbox.refresh_from_db()
    assert mailbox.imap_password == ""


def test_a_secret_encrypted_with_another_key_is_not_read_as_garbage(settings):
    from cryptography.fernet import Fernet

    mailbox = Mailbox.objects.create(
        name="Support", email_address="support@example.com", imap_password="pw"
    )
    settings.CXDESK_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(ValueError, match="cannot decrypt"):
        Mailbox.objects.get(pk=mailbox.pk)


def test_secrets_survive_a_rotated_secret_key_while_the_old_one_is_a_fallback(settings):
    """With CXDESK_ENCRYPTION_KEY unset the key is derived from SECRET_KEY: rotating it must
    not make every stored mailbox password unreadable (docs/operations.md)."""
    settings.CXDESK_ENCRYPTION_KEY = ""
    settings.SECRET_KEY = "old-key-" + "x" * 50
    mailbox = Mailbox.objects.create(
        name="Support", email_address="support@example.com", imap_password="pw"
    )

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = (
        "new-key-" + "y" * 50,
        [settings.SECRET_KEY],
    )
    assert Mailbox.objects.get(pk=mailbox.pk).imap_password == "pw"

    settings.SECRET_KEY_FALLBACKS = []  # the old key retired before re-saving: unreadable
    with pytest.raises(ValueError, match="cannot decrypt"):
        Mailbox.objects.get(pk=mailbox.pk)
