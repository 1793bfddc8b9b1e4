"""Serializer fields for values the API stores as they come.

`JsonObjectField` is the one gate for JSON that goes into a JSONField (a case's
`custom_fields`, an interaction's `metadata`). PostgreSQL's jsonb cannot hold a NUL character
(`\\u0000`), and neither database nor the JSON renderer can hold a lone UTF-16 surrogate
(`\\ud800` without its pair: valid JSON syntax, but no Unicode character), so either used to
be a 500. They are refused with a 400 whose `fields` key is the path to the bad value
(`custom_fields.order.2`), as is nesting deeper than `MAX_JSON_DEPTH`.
"""

import re

from rest_framework import serializers

MAX_JSON_DEPTH = 20
_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable(text: str) -> str | None:
    """Why `text` cannot be stored as JSON text, or None."""
    if "\x00" in text:
        return "contains a NUL character (\\u0000)"
    if _SURROGATE.search(text):
        return "contains a lone surrogate (\\ud800–\\udfff without its pair)"
    return None


def json_value_errors(value, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, list[str]]:
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
