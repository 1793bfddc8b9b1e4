"""Issue 7.2: an agent of one team can neither read nor change another team's contacts.

A contact is visible to whoever may see one of its cases (admins: all); a contact the caller
cannot see answers exactly like one that does not exist, and a conflict with an identity of
such a contact names nobody.
"""

import pytest

from apps.contacts import services
from apps.contacts.models import Contact, ContactIdentity
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


@pytest.fixture
def victim(team):
    """Team A's customer: an email, a phone number and one case in team A."""
    contact, _ = services.contact_find_or_create(
        kind="email", value="vic@example.com", name="Victoria Secret"
    )
    services.contact_add_identity(contact=contact, kind="phone", value="+12025550143")
    CaseFactory(team=team, requester=contact)
    return contact


@pytest.fixture
def intruder_api(other_team, token_client):
    """An agent of team B, with every scope."""
    return token_client(AgentFactory(username="mallory", teams=[other_team]))


def _identities(contact):
    return sorted(ContactIdentity.objects.filter(contact=contact).values_list("kind", "value"))


def _names_no_contact(response, contact):
    """The error body mentions neither the contact's id nor its data (beyond the address the
    caller sent)."""
    body = response.content.decode()
    error = response.json()["error"]
    assert (error["status"], error["code"]) == (409, "identity_taken")
    assert "fields" not in error
    assert f"#{contact.pk}" not in body
    assert "contact_id" not in body
    assert "Victoria" not in body


def test_another_teams_contact_is_not_listed_nor_found(intruder_api, victim):
    for query in ("", "?email=vic@example.com", "?phone=(202) 555-0143", "?name=victoria"):
        response = intruder_api.get(f"{URL}{query}")
        assert response.status_code == 200, query
        assert response.json()["results"] == [], query


def test_another_teams_contact_is_a_404_like_a_missing_one(intruder_api, victim):
    response = intruder_api.get(f"{URL}{victim.pk}/")
    assert response.status_code == 404
    assert response.json() == intruder_api.get(f"{URL}99999999/").json()


def test_an_identity_cannot_be_added_to_another_teams_contact(intruder_api, victim):
    before, events = _identities(victim), victim.events.count()
    response = intruder_api.post(
        f"{URL}{victim.pk}/identities/",
        {"kind": "email", "value": "mallory@evil.example"},
        format="json",
    )
    assert response.status_code == 404
    assert (
        response.json()
        == intruder_api.post(
            f"{URL}99999999/identities/",
            {"kind": "email", "value": "mallory@evil.example"},
            format="json",
        ).json()
    )
    assert _identities(victim) == before
    assert not ContactIdentity.objects.filter(value="mallory@evil.example").exists()
    assert victim.events.count() == events


def test_finding_by_an_identity_of_another_teams_contact_reveals_nothing(intruder_api, victim):
    response = intruder_api.post(
        URL,
        {"name": "Mallory", "identities": [{"kind": "email", "value": "VIC@example.com"}]},
        format="json",
    )
    assert response.status_code == 409
    _names_no_contact(response, victim)
    assert "+12025550143" not in response.content.decode()  # its other identity
    assert Contact.objects.count() == 1
    victim.refresh_from_db()
    assert victim.name == "Victoria Secret"


def test_a_visible_contacts_name_is_not_overwritten_by_a_rejected_create(intruder_api, victim):
    """The find-or-create fills a missing name; for an invisible contact it must not write."""
    victim.name = ""
    victim.save(update_fields=["name"])
    response = intruder_api.post(
        URL,
        {"name": "Mallory", "identities": [{"kind": "email", "value": "vic@example.com"}]},
        format="json",
    )
    assert response.status_code == 409
    victim.refresh_from_db()
    assert victim.name == ""


def test_claiming_another_teams_identity_for_a_new_contact_reveals_nothing(intruder_api, victim):
    response = intruder_api.post(
        URL,
        {
            "identities": [
                {"kind": "email", "value": "new@example.com"},
                {"kind": "phone", "value": "+1 202 555 0143"},
            ]
        },
        format="json",
    )
    assert response.status_code == 409
    _names_no_contact(response, victim)
    assert Contact.objects.count() == 1  # nothing was created


def test_adding_another_teams_identity_to_an_own_contact_reveals_nothing(
    intruder_api, victim, other_team
):
    mine, _ = services.contact_find_or_create(kind="email", value="mine@example.com")
    CaseFactory(team=other_team, requester=mine)
    response = intruder_api.post(
        f"{URL}{mine.pk}/identities/", {"kind": "phone", "value": "2025550143"}, format="json"
    )
    assert response.status_code == 409
    _names_no_contact(response, victim)
    assert _identities(mine) == [("email", "mine@example.com")]
