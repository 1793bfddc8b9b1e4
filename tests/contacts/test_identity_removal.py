"""Removing an identity: audited, never the last one, only on a contact the caller sees."""

import pytest
from rest_framework.test import APIClient

from apps.contacts import services
from apps.contacts.models import ContactEvent, ContactIdentity
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


@pytest.fixture
def ann(team):
    contact, _ = services.contact_find_or_create(kind="email", value="ann@example.com")
    services.contact_add_identity(contact=contact, kind="phone", value="+12025550143")
    CaseFactory(team=team, requester=contact)
    return contact


def _phone(contact):
    return contact.identities.get(kind="phone")


def test_removing_an_identity_records_who_removed_what(ann, agent):
    phone = _phone(ann)
    services.contact_remove_identity(contact_id=ann.pk, identity_id=phone.pk, actor=agent)
    assert list(ann.identities.values_list("kind", flat=True)) == ["email"]
    event = ann.events.latest("id")
    assert (event.kind, event.actor, event.before, event.after) == (
        ContactEvent.Kind.IDENTITY_REMOVED,
        agent,
        {"kind": "phone", "network": "", "value": "+12025550143"},
        None,
    )


def test_a_removed_address_starts_a_new_contact_next_time(ann):
    services.contact_remove_identity(contact_id=ann.pk, identity_id=_phone(ann).pk)
    caller, created = services.contact_find_or_create(kind="phone", value="202 555 0143")
    assert created
    assert caller != ann


def test_the_last_identity_cannot_be_removed(ann):
    services.contact_remove_identity(contact_id=ann.pk, identity_id=_phone(ann).pk)
    email = ann.identities.get()
    with pytest.raises(services.LastIdentity, match="only identity"):
        services.contact_remove_identity(contact_id=ann.pk, identity_id=email.pk)
    assert ann.identities.get() == email


def test_an_identity_of_another_contact_is_not_removed(ann):
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    services.contact_add_identity(contact=bob, kind="chat", value="v-1")
    with pytest.raises(services.IdentityNotFound):
        services.contact_remove_identity(
            contact_id=ann.pk, identity_id=bob.identities.get(kind="chat").pk
        )
    assert bob.identities.count() == 2


def test_the_api_removes_an_identity(agent_api, agent, ann):
    response = agent_api.delete(f"{URL}{ann.pk}/identities/{_phone(ann).pk}/")
    assert response.status_code == 204, response.content
    assert not ann.identities.filter(kind="phone").exists()
    assert ann.events.latest("id").actor == agent
    listed = agent_api.get(f"{URL}{ann.pk}/").json()["identities"]
    assert [i["kind"] for i in listed] == ["email"]


def test_the_api_refuses_the_last_identity_with_a_409(agent_api, ann):
    agent_api.delete(f"{URL}{ann.pk}/identities/{_phone(ann).pk}/")
    response = agent_api.delete(f"{URL}{ann.pk}/identities/{ann.identities.get().pk}/")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "last_identity"
    assert "merge" in error["message"]
    assert ann.identities.count() == 1


def test_an_identity_id_of_another_contact_is_a_404(agent_api, ann, team):
    bob, _ = services.contact_find_or_create(kind="email", value="bob@example.com")
    services.contact_add_identity(contact=bob, kind="chat", value="v-1")
    CaseFactory(team=team, requester=bob)
    for identity_id in (bob.identities.first().pk, 99999999, 10**30):
        response = agent_api.delete(f"{URL}{ann.pk}/identities/{identity_id}/")
        assert response.status_code == 404, identity_id
        assert response.json()["error"]["code"] == "not_found"
    assert ContactIdentity.objects.count() == 4


def test_another_teams_contact_keeps_its_identities(ann, other_team, token_client):
    intruder = token_client(AgentFactory(teams=[other_team]))
    response = intruder.delete(f"{URL}{ann.pk}/identities/{_phone(ann).pk}/")
    assert response.status_code == 404
    assert response.json() == intruder.delete(f"{URL}99999999/identities/1/").json()
    assert ann.identities.count() == 2
    assert not ann.events.filter(kind=ContactEvent.Kind.IDENTITY_REMOVED).exists()


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [(["contacts:read"], 403), (["cases:write"], 403), (["contacts:write"], 204)],
)
def test_removing_needs_the_contacts_write_scope(scopes, expected, ann, agent, token_client):
    api = token_client(agent, scopes=scopes)
    assert api.delete(f"{URL}{ann.pk}/identities/{_phone(ann).pk}/").status_code == expected
    assert ann.identities.count() == (1 if expected == 204 else 2)


def test_removing_without_credentials_is_401(ann):
    response = APIClient().delete(f"{URL}{ann.pk}/identities/{_phone(ann).pk}/")
    assert response.status_code == 401
    assert ann.identities.count() == 2
