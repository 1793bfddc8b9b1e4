"""One person is one contact, whichever channel and written form they use."""

import pytest

from apps.contacts import selectors, services
from apps.contacts.identities import InvalidIdentity
from apps.contacts.models import Contact, ContactIdentity

pytestmark = pytest.mark.django_db


def test_the_same_email_in_two_cases_is_one_contact():
    first, created = services.contact_find_or_create(
        kind="email", value="Ann@Example.com", name="Ann Lee"
    )
    again, created_again = services.contact_find_or_create(kind="email", value="ann@example.COM")
    assert created
    assert not created_again
    assert first == again
    assert Contact.objects.count() == 1
    assert ContactIdentity.objects.get().value == "ann@example.com"


def test_a_person_who_emails_then_calls_from_a_number_on_file_is_one_contact():
    contact, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    services.contact_add_identity(contact=contact, kind="phone", value="+1 (202) 555-0143")
    services.contact_add_identity(contact=contact, kind="social", network="x", value="@AnnLee")

    by_phone, created = services.contact_find_or_create(kind="phone", value="202 555 0143")
    by_handle = selectors.contact_by_identity(kind="social", network="x", value="annlee")

    assert not created
    assert by_phone == contact == by_handle
    assert set(contact.identities.values_list("kind", flat=True)) == {"email", "phone", "social"}


def test_the_same_handle_on_two_networks_is_two_identities():
    on_x, _ = services.contact_find_or_create(kind="social", network="x", value="annlee")
    on_ig, _ = services.contact_find_or_create(kind="social", network="instagram", value="annlee")
    assert on_x != on_ig


def test_an_identity_of_someone_else_cannot_be_added():
    ann, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    with pytest.raises(services.IdentityTaken):
        services.contact_add_identity(contact=bob, kind="email", value="ANN@example.com")
    assert ann.identities.count() == 1


def test_adding_an_identity_twice_is_harmless():
    ann, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    first = services.contact_add_identity(contact=ann, kind="phone", value="+12025550143")
    second = services.contact_add_identity(contact=ann, kind="phone", value="(202) 555-0143")
    assert first == second


def test_a_bad_identity_creates_nothing():
    with pytest.raises(InvalidIdentity):
        services.contact_find_or_create(kind="phone", value="not a number")
    assert Contact.objects.count() == 0


def test_a_known_name_is_kept_and_a_missing_one_filled():
    services.contact_find_or_create(kind="email", value="ann@example.com")
    contact, _ = services.contact_find_or_create(
        kind="email", value="ann@example.com", name="Ann Lee"
    )
    assert contact.name == "Ann Lee"
    contact, _ = services.contact_find_or_create(
        kind="email", value="ann@example.com", name="Someone Else"
    )
    assert contact.name == "Ann Lee"


def test_cases_of_a_contact_on_every_channel_are_listed_together(agent):
    from apps.cases import services as case_services

    ann, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    services.contact_add_identity(contact=ann, kind="phone", value="+12025550143")
    by_mail = case_services.case_open(
        requester=ann, subject="Refund", channel="email", body_text="Where is my refund?"
    ).case
    caller, _ = services.contact_find_or_create(kind="phone", value="2025550143")
    by_phone = case_services.case_open(
        requester=caller, subject="Call about refund", channel="phone", body_text="Called in"
    ).case
    assert list(selectors.contact_cases(contact=ann)) == [by_phone, by_mail]
