"""The case token of our subjects, `[CX-000123-k7f2q9ab]`: a keyed tag only our own mail
carries (apps/mail/references.py)."""

import pytest

from apps.cases.models import Case
from apps.mail.references import (
    SUBJECT_TAG_LENGTH,
    subject_reference,
    subject_references,
    subject_tag,
    subject_token,
)


def test_the_token_is_the_reference_and_a_short_tag():
    token = subject_token(Case(pk=123))

    assert token.startswith("[CX-000123-")
    assert token.endswith("]")
    assert len(subject_tag(123)) == SUBJECT_TAG_LENGTH
    assert subject_tag(123) != subject_tag(124)


def test_the_tag_depends_on_the_secret_key(settings):
    before = subject_tag(123)
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

    assert subject_tag(123) != before


def test_a_tag_made_with_a_retired_secret_key_still_verifies(settings):
    old_token = subject_token(Case(pk=7))
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-rotated-secret-key-for-this-test-only-0123456789"

    assert subject_reference(f"Re: refund {old_token}").tag_valid


@pytest.mark.parametrize(
    ("subject", "case_id", "valid"),
    [
        ("Re: refund [CX-000123-{tag}]", 123, True),
        ("Re: refund [cx-000123-{TAG}]", 123, True),  # clients may change the case
        ("Re: refund [ CX-123-{tag} ]", 123, True),
        ("Re: refund [CX-000123]", 123, False),  # bare: old mail, or typed
        ("Re: refund [CX-000123-aaaaaaaa]", 123, False),  # a wrong tag counts as bare
        ("Re: refund [CX-000123-{tag}x]", 123, False),
        ("Re: refund [CX-000124-{tag}]", 124, False),  # another case's tag
    ],
)
def test_both_forms_are_read(subject, case_id, valid):
    tag = subject_tag(123)
    found = subject_reference(subject.format(tag=tag, TAG=tag.upper()))

    assert (found.case_id, found.tag_valid) == (case_id, valid)


def test_a_tagged_token_wins_over_a_bare_one_before_it():
    subject = f"Re: about [CX-000348] {subject_token(Case(pk=401))}"

    assert [r.case_id for r in subject_references(subject)] == [348, 401]
    assert subject_reference(subject).case_id == 401


def test_no_token_or_one_outside_brackets_is_none():
    assert subject_reference("About CX-000123 and more") is None
    assert subject_reference("") is None
