"""Placeholders: one pass over {a.b} tokens against a dict of allowed strings — nothing of an
object is reachable, unknown tokens stay visible and are reported, and odd input is text."""

import time

import pytest

from apps.macros.placeholders import PLACEHOLDERS, render, unknown_in

VALUES = {
    "contact.name": "Ann Example",
    "contact.first_name": "Ann",
    "case.reference": "CX-000042",
    "agent.first_name": "Alex",
    "team.name": "",
}


def test_known_placeholders_are_filled_in():
    out = render("Hi {contact.first_name}, about {case.reference} — {agent.first_name}", VALUES)
    assert out.text == "Hi Ann, about CX-000042 — Alex"
    assert out.unknown == []
    assert out.empty == []


def test_an_unknown_placeholder_is_left_as_written_and_reported_once():
    out = render("{contact.nmae} and {contact.nmae} and {case.reference}", VALUES)
    assert out.text == "{contact.nmae} and {contact.nmae} and CX-000042"
    assert out.unknown == ["{contact.nmae}"]


@pytest.mark.parametrize(
    "hostile",
    [
        "{case.__class__}",
        "{case.__class__.__mro__}",
        "{agent.password}",
        "{case.requester.identities}",
        "{contact.__dict__}",
        "{case._meta.db_table}",
    ],
)
def test_attribute_like_tokens_reach_nothing(hostile):
    out = render(f"x {hostile} y", VALUES)
    assert out.text == f"x {hostile} y"
    assert out.unknown == [hostile]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{case.reference}}", "{CX-000042}"),  # outer braces are text
        ("{case.{contact.name}}", "{case.Ann Example}"),
        ("{ case.reference }", "{ case.reference }"),  # not a token: spaces
        ("{}", "{}"),
        ("{case}", "{case}"),  # no dot: plain text, not reported
        ('{"json": {"a": 1}}', '{"json": {"a": 1}}'),
        ("{0.__init__}", "{0.__init__}"),  # str.format's attribute access is just text here
        ("{case.reference", "{case.reference"),
        ("case.reference}", "case.reference}"),
        ("%(case)s {!r} {case.reference!r}", "%(case)s {!r} {case.reference!r}"),
    ],
)
def test_odd_braces_are_text(text, expected):
    assert render(text, VALUES).text == expected


def test_a_value_is_never_scanned_again():
    values = {**VALUES, "contact.name": "{agent.first_name} {case.__class__}"}
    out = render("Dear {contact.name}", values)
    assert out.text == "Dear {agent.first_name} {case.__class__}"
    assert out.unknown == []


def test_a_placeholder_without_a_value_is_reported_empty():
    out = render("Team: {team.name}.", VALUES)
    assert out.text == "Team: ."
    assert out.empty == ["{team.name}"]


def test_very_long_text_is_linear():
    text = ("{case.reference} " + "{" * 5000 + "a." * 5000 + "x" * 20000) * 5
    started = time.monotonic()
    out = render(text, VALUES)
    assert time.monotonic() - started < 1.0
    assert out.text.count("CX-000042") == 5
    huge = "{contact.first_name} " * 50_000
    assert render(huge, VALUES).text == "Ann " * 50_000


def test_unknown_in_checks_against_the_whole_list():
    assert unknown_in("{contact.first_name} {team.name} {case.status}") == ["{case.status}"]
    assert all(unknown_in("{" + name + "}") == [] for name in PLACEHOLDERS)
