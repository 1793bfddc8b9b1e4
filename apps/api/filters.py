"""Filter classes for every FilterSet of the API: each new filter gets their checks for free.

- `IdFilter`: a row id. ASCII digits only, 1 … 2**63 - 1 (a bigint). Anything else — `0`,
  `-1`, `1e3`, `1_000`, `²`, `٣`, twenty digits — is a 400 naming the filter, never a query.
  (Python's `int()` refuses `²` but reads `٣` as 3; we take neither: an id is ASCII.)
- `UserFilter`: a user id (as `IdFilter`), `me` (the caller) or `none` (no user).
- `DateTimeFilter`: an ISO 8601 / RFC 3339 time. A time with an offset is turned into UTC
  before it reaches the database: RFC 3339 allows offsets up to ±23:59, PostgreSQL only
  ±15:59, and `…+16:00` is a valid instant we answer for. A time without an offset is read in
  `TIME_ZONE`. A time that has no UTC equivalent (year 1 with a positive offset, year 9999
  with a negative one) is a 400 naming the filter.

Each declares its real constraints to the OpenAPI schema (drf-spectacular reads
`extend_schema_field` on a filter instance).
"""

import re
from datetime import UTC

import django_filters
from django import forms
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema_field

from apps.core.ids import MAX_DB_ID as MAX_ID  # beyond a bigint: a 400, not an overflow

_ASCII_ID = re.compile(r"[0-9]{1,19}")
ID_MESSAGE = f"A whole number from 1 to {MAX_ID}, in ASCII digits."
USER_MESSAGE = "A user id (ASCII digits), `me` or `none`."


def parse_id(value) -> int | None:
    """The id `value` spells (surrounding spaces allowed), or None when it is not an id."""
    text = str(value).strip()
    if not _ASCII_ID.fullmatch(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


class IdField(forms.Field):
    """An id; subclasses also accept a few `keywords` (returned lower-cased)."""

    default_error_messages = {"invalid": ID_MESSAGE}
    keywords: tuple[str, ...] = ()

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in self.keywords:
            return text
        number = parse_id(text)
        if number is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return number


class IdFilter(django_filters.Filter):
    """`?case=12`: rows whose `field_name` is that id."""

    field_class = IdField
    schema = ID_SCHEMA
    default_description = "An id"

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        extend_schema_field({**self.schema, "description": help_text or self.default_description})(
            self
        )


class UserField(IdField):
    default_error_messages = {"invalid": USER_MESSAGE}
    keywords = ("me", "none")


class UserFilter(IdFilter):
    """`?assignee=12`, `?assignee=me`, `?assignee=none`: by the user in `field_name`."""

    field_class = UserField
    # A string: the id's bounds cannot be stated beside the keywords (the server checks them).
    schema = {
        "type": "string",
        "pattern": r"^\s*(?:[1-9][0-9]{0,18}|[Mm][Ee]|[Nn][Oo][Nn][Ee])\s*$",
    }
    default_description = "A user id, `me`, or `none`"

    def filter(self, qs, value):
        if value is None:
            return qs
        if value == "none":
            return qs.filter(**{f"{self.field_name}__isnull": True})
        if value == "me":
            return qs.filter(**{self.field_name: self.parent.request.user})
        return qs.filter(**{f"{self.field_name}_id": value})


class UtcDateTimeField(IsoDateTimeField):
    default_error_messages = {
        "out_of_range": "This time has no equivalent in UTC (too close to year 1 or 9999).",
    }

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


class DateTimeFilter(django_filters.IsoDateTimeFilter):
    """`?created_after=2026-01-31T09:00:00+01:00`: compared in UTC, whatever the offset."""

    field_class = UtcDateTimeField
