"""Serializer fields for values the API stores as they come: JSON objects and http(s) URIs.

`JsonObjectField` is the one gate for JSON that goes into a JSONField (a case's
`custom_fields`, an interaction's `metadata`). PostgreSQL's jsonb cannot hold a NUL character
(`\\u0000`), and neither database nor the JSON renderer can hold a lone UTF-16 surrogate
(`\\ud800` without its pair: valid JSON syntax, but no Unicode character), so either used to
be a 500. They are refused with a 400 whose `fields` key is the path to the bad value
(`custom_fields.order.2`), as is nesting deeper than `MAX_STORED_JSON_DEPTH`.

`HttpUriField` takes an absolute http or https URI as RFC 3986 defines it — what the schema's
`format: uri` promises. Django's URLField also takes IRIs and characters RFC 3986 does not
allow (`ä`, `<`, `|`, `{`, a bare `%`), which a client reading our schema would reject.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from rest_framework import serializers

from apps.core.text import UNSTORABLE

# How deep a JSON value the API stores may nest (a body as a whole: apps.api.limits, 64).
MAX_STORED_JSON_DEPTH = 20

# RFC 3986, section 3, for the http(s) scheme: scheme "://" authority path-abempty
# [ "?" query ] [ "#" fragment ]. Which host is a valid name or address URLValidator checks.
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCT = r"%[0-9A-Fa-f]{2}"
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_HTTP_URI = re.compile(
    rf"[Hh][Tt][Tt][Pp][Ss]?://"
    rf"(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?"  # userinfo
    rf"(?:\[[0-9A-Fa-f:.]+\]|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)"  # host
    r"(?::[0-9]*)?"  # port
    rf"(?:/{_PCHAR}*)*"  # path
    rf"(?:\?(?:{_PCHAR}|[/?])*)?"  # query
    rf"(?:#(?:{_PCHAR}|[/?])*)?"  # fragment
)
_url_validator = URLValidator(schemes=["http", "https"])


def is_http_uri(value: str) -> bool:
    """True for an absolute http(s) URI that RFC 3986 and Django's URLValidator both accept."""
    if not isinstance(value, str) or not _HTTP_URI.fullmatch(value):
        return False
    try:
        _url_validator(value)
    except ValidationError:
        return False
    return True


def _unstorable(text: str) -> str | None:
    """Why `text` cannot be stored as JSON text (apps.core.text.UNSTORABLE), or None: the API
    refuses it with the path named, where a signed webhook's text is kept (core.text.storable)."""
    found = UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000)"
    return "contains a lone surrogate (\\ud800–\\udfff without its pair)"


def json_value_errors(value, *, max_depth: int = MAX_STORED_JSON_DEPTH) -> dict[str, list[str]]:
    """Problems in a decoded JSON value, keyed by the dotted path below it ("" for itself).

    Walks without recursion, so a value nested deeper than Python's stack is refused too.
    """
    errors: dict[str, list[str]] = {}
    stack = [("", value, 0)]
    while stack:
        path, item, depth = stack.pop()
        if isinstance(item, dict | list) and depth >= max_depth:
            errors.setdefault(path, []).append(f"Nested deeper than {max_depth} levels.")
            continue
        if isinstance(item, dict):
            for key, child in item.items():
                reason = _unstorable(key)
                if reason:
                    errors.setdefault(path, []).append(f"The key {ascii(key)} {reason}.")
                    continue
                stack.append((f"{path}.{key}" if path else key, child, depth + 1))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((f"{path}.{index}" if path else str(index), child, depth + 1))
        elif isinstance(item, str):
            reason = _unstorable(item)
            if reason:
                errors.setdefault(path, []).append(f"This text {reason}.")
    return errors


class JsonObjectField(serializers.DictField):
    """A JSON object of any values, refused (400, by path) when a database cannot store it."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        errors = json_value_errors(value)
        if errors:
            if "" in errors:  # a bad key of the object itself: the error is the field's own
                errors["non_field_errors"] = errors.pop("")
            raise serializers.ValidationError(errors)
        return value


class HttpUriField(serializers.URLField):
    """An absolute http(s) URI (RFC 3986), at most 1000 characters.

    In: anything else is a 400 (percent-encode it: ä → %C3%A4). Out: a stored value that is
    not such a URI (written before this check, or by a path that bypassed it) shows as "",
    so a response never breaks the schema's `format: uri`.
    """

    default_error_messages = {
        "invalid": "An absolute http(s) URI (RFC 3986): percent-encode spaces and characters "
        "such as ä, <, > or | (ä → %C3%A4).",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)
        # Also tells the schema (`pattern`) which schemes are taken.
        self.validators.append(
            RegexValidator(r"^[Hh][Tt][Tt][Pp][Ss]?://", message=self.error_messages["invalid"])
        )

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value and not is_http_uri(value):
            self.fail("invalid")
        return value

    def to_representation(self, value):
        return value if value and is_http_uri(value) else ""
