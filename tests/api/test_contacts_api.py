import pytest

from apps.contacts.models import Contact
from apps.contacts.services import contact_add_identity, contact_find_or_create

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


@pytest.fixture
def ann(db):
    contact, _ = contact_find_or_create(kind="email", value="ann@example.com", name="Ann")
    contact_add_identity(contact=contact, kind="phone", value="+12025550143")
    contact_add_identity(contact=contact, kind="social", network="x", value="annlee")
    return contact


@pytest.mark.parametrize("query", ["email=ANN@example.com", "phone=(202) 555-0143",
                                   "social_network=x&social_handle=@AnnLee", "name=an"])
def test_a_contact_is_found_by_any_identity(agent_api, ann, query):
    contact_find_or_create(kind="email", value="bob@example.com", name="Bob")
    results = agent_api.get(f"{URL}?{query}").json()["results"]
    assert [c["id"] for c in results] == [ann.pk]
    assert {i["kind"] for i in results[0]["identities"]} == {"email", "phone", "social"}


def test_an_unparseable_identity_filter_is_400(agent_api):
    response = agent_api.get(f"{URL}?phone=abc")
    assert response.status_code == 400
    assert "phone" in response.json()["error"]["fields"]


def test_creating_a_contact_that_exists_returns_it(agent_api, ann):
    response = agent_api.post(URL, {"identities": [{"kind": "email", "value": "Ann@example.com"}]},
                              format="json")
    assert response.status_code == 200 and response.json()["id"] == ann.pk


def test_creating_a_contact_with_several_identities(agent_api):
    response = agent_api.post(URL, {"name": "Cleo", "identities": [
        {"kind": "email", "value": "cleo@example.com"},
        {"kind": "phone", "value": "+44 20 7946 0958"},
        {"kind": "social", "network": "instagram", "value": "cleo.b"}]}, format="json")
    assert response.status_code == 201, response.content
    assert len(response.json()["identities"]) == 3


def test_an_identity_of_someone_else_is_409_and_nothing_is_created(agent_api, ann):
    response = agent_api.post(URL, {"identities": [
        {"kind": "email", "value": "new@example.com"},
        {"kind": "phone", "value": "+12025550143"}]}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "identity_taken"
    assert Contact.objects.count() == 1


def test_adding_an_identity(agent_api, ann):
    response = agent_api.post(f"{URL}{ann.pk}/identities/",
                              {"kind": "chat", "value": "visitor-9"}, format="json")
    assert response.status_code == 201
    assert ann.identities.count() == 4
    bad = agent_api.post(f"{URL}{ann.pk}/identities/", {"kind": "phone", "value": "12"},
                         format="json")
    assert bad.status_code == 400


@pytest.mark.parametrize("payload", [{}, {"identities": []}, {"identities": [{"kind": "fax",
                                                                              "value": "1"}]},
                                     {"identities": [{"kind": "email"}]}, {"name": "x"}])
def test_bad_contacts_are_400(agent_api, payload):
    assert agent_api.post(URL, payload, format="json").status_code == 400
    assert not Contact.objects.exists()
