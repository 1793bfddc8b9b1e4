"""Secrets at rest: an encrypted text field (Fernet: AES-128-CBC + HMAC-SHA256).

The key comes from CXDESK_ENCRYPTION_KEY (a Fernet key, or several comma-separated for key
rotation: the first encrypts, all decrypt); when unset it is derived from SECRET_KEY with HKDF,
so a demo needs nothing — and from each of SECRET_KEY_FALLBACKS too, which decrypt, so a
rotated SECRET_KEY still reads what the earlier one encrypted. Stored values read
`fernet:<token>`; the database never holds the plain secret, and a value that cannot be
decrypted raises instead of returning garbage.
"""

import base64
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

PREFIX = "fernet:"


def _derived(secret_key: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"cxdesk-field-encryption", info=b"cxdesk"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


@cache
def _fernet(keys: str, secret_key: str, fallbacks: tuple[str, ...] = ()) -> MultiFernet:
    if keys:
        try:
            return MultiFernet([Fernet(k.strip()) for k in keys.split(",") if k.strip()])
        except ValueError as exc:
            raise ImproperlyConfigured(f"CXDESK_ENCRYPTION_KEY is not a Fernet key: {exc}") from exc
    return MultiFernet([_derived(secret_key), *(_derived(key) for key in fallbacks)])


def _current() -> MultiFernet:
    return _fernet(
        settings.CXDESK_ENCRYPTION_KEY,
        settings.SECRET_KEY,
        tuple(settings.SECRET_KEY_FALLBACKS),
    )


def encrypt(value: str) -> str:
    return PREFIX + _current().encrypt(value.encode()).decode()


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise ValueError("value is not encrypted")
    try:
        return _current().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise ValueError("cannot decrypt: was the encryption key changed?") from None


class EncryptedTextField(models.TextField):
    """A TextField whose value is encrypted in the database and plain in Python."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)
