"""The contacts API: find by any identity, find-or-create, add identities.

Who sees which contact is tested in tests/contacts/ (cross-team, removal, merge); here every
contact has a case in the agent's team.
"""

import pytest

from apps.contacts.models import Contact
from apps.contacts.services import contact_add_identity, contact_find_or_create
from tests.factories import CaseFactory, EmailIdentityFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


@pytest.fixture
def ann(team):
    contact, _ = contact_find_or_create(kind="email", value="ann@example.com", name="Ann")
    contact_add_identity(contact=contact, kind="phone", value="+12025550143")
    contact_add_identity(contact=contact, kind="social", network="x", value="annlee")
    CaseFactory(team=team, requester=contact)
    return contact


@pytest.mark.parametrize(
    "query",
    [
        "email=ANN@example.com",
        "phone=(202) 555-0143",
        "social_network=x&social_handle=@AnnLee",
        "name=an",
    ],
)
def test_a_contact_is_found_by_any_identity(agent_api, ann, team, query):
    bob, _ = contact_find_or_create(kind="email", value="bob@example.com", name="Bob")
    CaseFactory(team=team, requester=bob)
    results = agent_api.get(f"{URL}?{query}").json()["results"]
    assert [c["id"] for c in results] == [ann.pk]
    assert {i["kind"] for i in results[0]["identities"]} == {"email", "phone", "social"}


def test_an_unparseable_identity_filter_is_400(agent_api):
    response = agent_api.get(f"{URL}?phone=abc")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]


def test_creating_a_contact_that_exists_returns_it(agent_api, ann):
    response = agent_api.post(
        URL, {"identities": [{"kind": "email", "value": "Ann@example.com"}]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["id"] == ann.pk


def test_creating_a_contact_with_several_identities(agent_api, agent):
    response = agent_api.post(
        URL,
        {
            "name": "Cleo",
            "identities": [
                {"kind": "email", "value": "cleo@example.com"},
                {"kind": "phone", "value": "+44 20 7946 0958"},
                {"kind": "social", "network": "instagram", "value": "cleo.b"},
            ],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert len(response.json()["identities"]) == 3
    cleo = Contact.objects.get()
    assert cleo.created_by == agent
    assert [(e.kind, e.actor) for e in cleo.events.all()] == [
        ("created", agent),
        ("identity_added", agent),
        ("identity_added", agent),
    ]


def test_the_creator_finds_their_new_contact_again_until_it_has_a_case(
    agent_api, agent, team, other_team
):
    """A contact with no case is seen by its creator (and admins), so a retried create, a
    lookup and an added identity work; once its cases are another team's, it is theirs."""
    body = {"identities": [{"kind": "email", "value": "dan@example.com"}]}
    created = agent_api.post(URL, body, format="json")
    again = agent_api.post(URL, body, format="json")
    assert (created.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == created.json()["id"]
    assert (
        agent_api.get(f"{URL}?email=dan@example.com").json()["results"][0]["id"]
        == created.json()["id"]
    )
    assert (
        agent_api.post(
            f"{URL}{created.json()['id']}/identities/",
            {"kind": "chat", "value": "v-1"},
            format="json",
        ).status_code
        == 201
    )
    CaseFactory(team=other_team, requester_id=created.json()["id"])
    assert agent_api.get(f"{URL}{created.json()['id']}/").status_code == 404


def test_an_admin_sees_every_contact_even_without_cases(admin_api, ann):
    caseless = EmailIdentityFactory().contact
    results = admin_api.get(URL).json()["results"]
    assert {c["id"] for c in results} == {ann.pk, caseless.pk}


def test_an_identity_of_someone_else_is_409_and_nothing_is_created(agent_api, ann):
    response = agent_api.post(
        URL,
        {
            "identities": [
                {"kind": "email", "value": "new@example.com"},
                {"kind": "phone", "value": "+12025550143"},
            ]
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity_taken"
    assert Contact.objects.count() == 1


def test_adding_an_identity(agent_api, agent, ann):
    response = agent_api.post(
        f"{URL}{ann.pk}/identities/", {"kind": "chat", "value": "visitor-9"}, format="json"
    )
    assert response.status_code == 201
    assert ann.identities.count() == 4
    event = ann.events.latest("id")
    assert (event.kind, event.actor, event.after) == (
        "identity_added",
        agent,
        {"kind": "chat", "network": "", "value": "visitor-9"},
    )
    bad = agent_api.post(
        f"{URL}{ann.pk}/identities/", {"kind": "phone", "value": "12"}, format="json"
    )
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"identities": []},
        {"identities": [{"kind": "fax", "value": "1"}]},
        {"identities": [{"kind": "email"}]},
        {"name": "x"},
    ],
)
def test_bad_contacts_are_400(agent_api, payload):
    assert agent_api.post(URL, payload, format="json").status_code == 400
    assert not Contact.objects.exists()


def test_contacts_need_credentials(ann):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert anonymous.get(URL).status_code == 401
    assert anonymous.get(f"{URL}{ann.pk}/").status_code == 401
    added = anonymous.post(
        f"{URL}{ann.pk}/identities/", {"kind": "chat", "value": "v-1"}, format="json"
    )
    assert added.status_code == 401
    assert ann.identities.count() == 3


def test_a_read_only_token_cannot_add_an_identity(ann, agent, token_client):
    api = token_client(agent, scopes=["contacts:read"])
    assert api.get(f"{URL}{ann.pk}/").status_code == 200
    response = api.post(
        f"{URL}{ann.pk}/identities/", {"kind": "chat", "value": "v-1"}, format="json"
    )
    assert response.status_code == 403
    assert "contacts:write" in response.json()["error"]["message"]
    assert ann.identities.count() == 3
