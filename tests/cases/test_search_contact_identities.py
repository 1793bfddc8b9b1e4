"""An email address, a phone number however it is written, or a social handle finds the
contact and their cases — read by the same normalisation the identities are stored with."""

import pytest
from django.urls import reverse

from apps.contacts.services import contact_add_identity, contact_find_or_create
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def search(client, q):
    response = client.get(reverse("case-search"), {"q": q})
    assert response.status_code == 200
    return response


def contacts_found(response):
    return {hit.contact: list(hit.cases) for hit in response.context["results"].contacts}


@pytest.fixture
def london_caller(team, settings):
    settings.CXDESK_DEFAULT_PHONE_REGION = "GB"
    contact, _ = contact_find_or_create(kind="phone", value="+44 20 7946 0018", name="Ann Caller")
    case = CaseFactory(team=team, requester=contact, channel="phone", subject="Line is dead")
    return contact, case


@pytest.mark.parametrize(
    "written", ["+44 20 7946 0018", "020 7946 0018", "(020) 7946-0018", "+442079460018"]
)
def test_a_phone_number_written_any_way_finds_the_contacts_cases(
    client, agent, london_caller, written
):
    contact, case = london_caller
    client.force_login(agent)
    response = search(client, written)
    assert contacts_found(response) == {contact: [case]}
    assert case.reference in response.content.decode()


def test_a_national_number_is_read_in_the_default_region(client, agent, london_caller, settings):
    settings.CXDESK_DEFAULT_PHONE_REGION = "US"  # 020 7946 0018 is no US number
    client.force_login(agent)
    assert contacts_found(search(client, "020 7946 0018")) == {}


def test_an_email_address_in_any_case_finds_the_contact(client, agent, team):
    contact, _ = contact_find_or_create(kind="email", value="Ann.Smith@Example.com")
    case = CaseFactory(team=team, requester=contact)
    client.force_login(agent)
    assert contacts_found(search(client, "ANN.SMITH@example.COM")) == {contact: [case]}
    assert contacts_found(search(client, "<ann.smith@example.com>")) == {contact: [case]}


@pytest.mark.parametrize("written", ["@Ann_B", "ann_b"])
def test_a_social_handle_finds_the_contact(client, agent, team, written):
    contact, _ = contact_find_or_create(kind="social", network="x", value="@ann_b")
    case = CaseFactory(team=team, requester=contact, channel="social")
    client.force_login(agent)
    assert contacts_found(search(client, written)) == {contact: [case]}


def test_a_whatsapp_number_is_found_as_a_phone_number(client, agent, team, settings):
    settings.CXDESK_DEFAULT_PHONE_REGION = "GB"
    contact, _ = contact_find_or_create(kind="social", network="whatsapp", value="447911123456")
    case = CaseFactory(team=team, requester=contact, channel="social")
    client.force_login(agent)
    assert contacts_found(search(client, "07911 123456")) == {contact: [case]}


def test_the_contact_shows_every_identity_and_only_cases_the_agent_may_see(
    client, agent, team, other_team
):
    contact, _ = contact_find_or_create(kind="email", value="ann@example.com")
    contact_add_identity(contact=contact, kind="social", network="instagram", value="ann.pics")
    mine = CaseFactory(team=team, requester=contact, subject="Visible one")
    CaseFactory(team=other_team, requester=contact, subject="Other team's one")
    client.force_login(agent)
    response = search(client, "ann@example.com")
    assert contacts_found(response) == {contact: [mine]}
    body = response.content.decode()
    assert "instagram:@ann.pics" in body
    assert "Other team&#x27;s one" not in body
    assert "Other team's one" not in body


def test_a_contact_with_only_another_teams_cases_is_not_shown(client, agent, other_team):
    contact, _ = contact_find_or_create(kind="email", value="stranger@example.com")
    CaseFactory(team=other_team, requester=contact)
    client.force_login(agent)
    response = search(client, "stranger@example.com")
    assert response.context["results"].contacts == ()
    assert "stranger@example.com" not in str(response.context["results"].cases)


def test_a_contact_with_many_cases_shows_the_newest_and_says_there_are_more(client, agent, team):
    from apps.cases.search import CONTACT_CASES_SHOWN

    contact, _ = contact_find_or_create(kind="email", value="frequent@example.com")
    cases = CaseFactory.create_batch(CONTACT_CASES_SHOWN + 2, team=team, requester=contact)
    client.force_login(agent)
    (hit,) = search(client, "frequent@example.com").context["results"].contacts
    assert len(hit.cases) == CONTACT_CASES_SHOWN
    assert hit.more_cases
    assert set(hit.cases) <= set(cases)
