"""Normalising contact identities: one written form per address, so lookups unify people.

Pure functions, no database. Each raises InvalidIdentity with a message naming what is
wrong, so an API or an ingester can answer 400 or flag the message.
"""

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator

from apps.core.errors import DomainError

from .models import ContactIdentity

Kind = ContactIdentity.Kind
Network = ContactIdentity.Network

_email_validator = EmailValidator()
_handle_re = re.compile(r"^[\w.\-+]{1,100}$")
_chat_re = re.compile(r"^[\w.\-:]{1,200}$")


class InvalidIdentity(DomainError, ValueError):
    """`str()` names the kind and value (for logs); clients see the reason, under `field`."""

    code = "invalid_identity"
    status = 400
    field = "requester"  # where an identity reaches the API unchecked: a case's requester

    def __init__(self, kind: str, value: str, reason: str):
        self.kind, self.value, self.reason = kind, value, reason
        super().__init__(f"invalid {kind} identity {value!r}: {reason}")

    @property
    def message(self) -> str:
        return str(self.reason)

    @property
    def fields(self) -> dict[str, list[str]]:
        return {self.field: [f"{self.value!r}: {self.reason}"]}


@dataclass(frozen=True)
class Identity:
    kind: str
    value: str
    network: str = ""


def normalize_email(value: str) -> str:
    address = (value or "").strip()
    if address.startswith("<") and address.endswith(">"):
        address = address[1:-1].strip()
    try:
        _email_validator(address)
    except ValidationError:
        raise InvalidIdentity(Kind.EMAIL, value, "not a valid email address") from None
    return address.lower()


def normalize_phone(value: str, region: str | None = None) -> str:
    """E.164 (+12025550143). Numbers without a country code are read in `region`."""
    raw = (value or "").strip()
    if not raw:
        raise InvalidIdentity(Kind.PHONE, value, "empty phone number")
    region = region or settings.CXDESK_DEFAULT_PHONE_REGION or None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidIdentity(Kind.PHONE, value, f"cannot read as a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity(Kind.PHONE, value, "not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_handle(network: str, value: str) -> str:
    if network not in Network.values or network == Network.NONE:
        allowed = ", ".join(v for v in Network.values if v)
        raise InvalidIdentity(Kind.SOCIAL, value, f"unknown network {network!r} (one of {allowed})")
    if network == Network.WHATSAPP:
        # WhatsApp users are addressed by phone number.
        return normalize_phone(value if str(value).startswith("+") else f"+{value}")
    handle = (value or "").strip().removeprefix("@").lower()
    if not _handle_re.match(handle):
        raise InvalidIdentity(Kind.SOCIAL, value, "a handle is 1–100 letters, digits or ._-+")
    return handle


def normalize_chat_visitor(value: str) -> str:
    visitor = (value or "").strip()
    if not _chat_re.match(visitor):
        raise InvalidIdentity(Kind.CHAT, value, "a visitor id is 1–200 letters, digits or ._-:")
    return visitor


def normalize(kind: str, value: str, network: str = "") -> Identity:
    """The one entry point: any identity in, its normalised form out."""
    if kind == Kind.EMAIL:
        return Identity(Kind.EMAIL, normalize_email(value))
    if kind == Kind.PHONE:
        return Identity(Kind.PHONE, normalize_phone(value))
    if kind == Kind.SOCIAL:
        return Identity(Kind.SOCIAL, normalize_handle(network, value), network)
    if kind == Kind.CHAT:
        return Identity(Kind.CHAT, normalize_chat_visitor(value))
    kinds = ", ".join(Kind.values)
    raise InvalidIdentity(str(kind), value, f"unknown identity kind (one of {kinds})")
