import pytest
from hypothesis import given
from hypothesis import strategies as st

from apps.contacts.identities import InvalidIdentity, normalize, normalize_email, normalize_phone


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Ann.Lee@Example.COM", "ann.lee@example.com"),
        ("  ann@example.com \n", "ann@example.com"),
        ("<ann@example.com>", "ann@example.com"),
        ("ANN+orders@EXAMPLE.co.uk", "ann+orders@example.co.uk"),
    ],
)
def test_emails_are_trimmed_and_lower_cased(raw, expected):
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "ann",
        "ann@",
        "@example.com",
        "ann@@example.com",
        "ann example@example.com",
        "ann@example",
        None,
    ],
)
def test_malformed_emails_are_refused_with_a_reason(raw):
    with pytest.raises(InvalidIdentity) as exc:
        normalize_email(raw)
    assert "not a valid email address" in str(exc.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 202-555-0143", "+12025550143"),
        ("(202) 555-0143", "+12025550143"),  # no country code: the default region (US)
        ("202.555.0143", "+12025550143"),
        ("+44 20 7946 0958", "+442079460958"),
        ("0044 20 7946 0958", None),  # international prefix from the US is 011, not 00
        ("+49 (0)30 901820", "+4930901820"),
    ],
)
def test_phone_numbers_become_e164(raw, expected, settings):
    settings.CXDESK_DEFAULT_PHONE_REGION = "US"
    if expected is None:
        with pytest.raises(InvalidIdentity):
            normalize_phone(raw)
    else:
        assert normalize_phone(raw) == expected


def test_the_default_region_reads_local_numbers(settings):
    settings.CXDESK_DEFAULT_PHONE_REGION = "GB"
    assert normalize_phone("020 7946 0958") == "+442079460958"
    assert normalize_phone("0044 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    "raw", ["", "abc", "12", "+1 555", "+999 123 456 789", "+1 000-000-0000", "call me maybe"]
)
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidIdentity) as exc:
        normalize_phone(raw)
    assert exc.value.kind == "phone"


def test_social_handles_lose_the_at_sign_and_case():
    assert normalize("social", "@AcmeFan_42", network="x").value == "acmefan_42"
    assert normalize("social", "acme.fan", network="instagram").value == "acme.fan"


def test_whatsapp_handles_are_phone_numbers():
    assert normalize("social", "14155550123", network="whatsapp").value == "+14155550123"


@pytest.mark.parametrize(
    ("network", "handle"),
    [("myspace", "ann"), ("", "ann"), ("x", ""), ("x", "two words"), ("x", "@")],
)
def test_bad_social_identities_are_refused(network, handle):
    with pytest.raises(InvalidIdentity):
        normalize("social", handle, network=network)


def test_unknown_kind_is_refused():
    with pytest.raises(InvalidIdentity, match="unknown identity kind"):
        normalize("fax", "123")


@given(st.emails())
def test_any_valid_email_normalises_idempotently(address):
    try:
        once = normalize_email(address)
    except InvalidIdentity:
        return  # Django's validator is stricter than RFC 5322 for some exotic forms
    assert normalize_email(once) == once
    assert once == once.lower()
