"""Placeholders in macro bodies: `{contact.first_name}` → "Ann". Pure; no Django here.

A macro's body is text its author typed, so it is never given to a template engine or to
`str.format` (both reach attributes of objects: `{case.__class__}`, `{0.__init__}`). The
only thing done to it is one pass of a regular expression that finds `{name.part}` tokens
and looks each one up, as a whole string, in a dict of allowed values built for the case.

- A token whose name is in the dict is replaced by its value. Values are inserted as they
  are and never scanned again: a customer named "{agent.name}" stays "{agent.name}".
- A token not in the dict is left in the text as written and reported (`unknown`), so the
  agent sees it before sending; so is one whose value is empty for this case (`empty`).
- Anything else with braces — `{}`, `{name}`, `{{case.reference}}`'s outer braces, JSON —
  is plain text. The pattern has no nested repetition: matching is linear in the text.
"""

import re
from collections.abc import Mapping
from typing import NamedTuple

# What a macro body may use, with what it means (the admin shows this list).
PLACEHOLDERS: dict[str, str] = {
    "contact.name": "the requester's name",
    "contact.first_name": "the first word of the requester's name",
    "contact.email": "the requester's first email address",
    "case.reference": "the case reference, such as CX-000123",
    "case.subject": "the case subject",
    "agent.name": "your full name",
    "agent.first_name": "your first name",
    "team.name": "the case's team",
}

TOKEN = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]{0,40}(?:\.[A-Za-z_][A-Za-z0-9_]{0,40}){1,3})\}")


class Rendered(NamedTuple):
    text: str
    unknown: list[str]  # tokens left as written, each once, in order of appearance
    empty: list[str]  # known placeholders with no value for this case


def render(text: str, values: Mapping[str, str]) -> Rendered:
    unknown: list[str] = []
    empty: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            if match.group(0) not in unknown:
                unknown.append(match.group(0))
            return match.group(0)
        value = values[name]
        if not value and match.group(0) not in empty:
            empty.append(match.group(0))
        return value

    return Rendered(TOKEN.sub(substitute, text), unknown, empty)


def unknown_in(text: str) -> list[str]:
    """The tokens of `text` that are not placeholders (for the admin's form)."""
    return render(text, dict.fromkeys(PLACEHOLDERS, "x")).unknown
