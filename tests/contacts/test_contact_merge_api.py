"""Merging contacts through the API: supervisors and admins, both contacts visible, audited."""

import pytest
from rest_framework.test import APIClient

from apps.cases.models import CaseEvent
from apps.contacts import services
from apps.contacts.models import Contact, ContactEvent
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/contacts/"


def _contact(email, team, **case):
    contact, _ = services.contact_find_or_create(kind="email", value=email)
    CaseFactory(team=team, requester=contact, **case)
    return contact


@pytest.fixture
def pair(team):
    return _contact("ann@example.com", team), _contact("ann.lee@example.com", team)


@pytest.fixture
def supervisor_api(supervisor, token_client):
    return token_client(supervisor)


def _merge(api, source, into):
    return api.post(f"{URL}{source.pk}/merge/", {"into": into}, format="json")


def test_a_supervisor_merges_two_contacts_of_their_team(supervisor_api, supervisor, pair):
    source, target = pair
    response = _merge(supervisor_api, source, target.pk)
    assert response.status_code == 200, response.content
    assert response.json()["id"] == target.pk
    assert {i["value"] for i in response.json()["identities"]} == {
        "ann@example.com",
        "ann.lee@example.com",
    }
    source.refresh_from_db()
    assert source.merged_into == target
    assert supervisor_api.get(f"{URL}{source.pk}/").status_code == 404  # retired
    assert target.cases.count() == 2


def test_a_merge_is_audited_on_both_contacts_and_the_moved_cases(supervisor_api, supervisor, pair):
    source, target = pair
    _merge(supervisor_api, source, target.pk)
    moved = [{"kind": "email", "network": "", "value": "ann@example.com"}]
    into = source.events.get(kind=ContactEvent.Kind.MERGED_INTO)
    from_ = target.events.get(kind=ContactEvent.Kind.MERGED_FROM)
    assert (into.actor, into.after) == (
        supervisor,
        {"contact_id": target.pk, "identities": moved, "cases": 1},
    )
    assert (from_.actor, from_.after) == (
        supervisor,
        {"contact_id": source.pk, "identities": moved, "cases": 1},
    )
    assert CaseEvent.objects.get(kind=CaseEvent.Kind.REQUESTER).actor == supervisor


def test_an_admin_merges_any_two_contacts(admin_api, team, other_team):
    source, target = _contact("a@example.com", team), _contact("b@example.com", other_team)
    assert _merge(admin_api, source, target.pk).status_code == 200


def test_an_agent_may_not_merge_even_contacts_they_see(agent_api, pair):
    source, target = pair
    response = _merge(agent_api, source, target.pk)
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "supervisors and admins" in error["message"]
    source.refresh_from_db()
    assert source.merged_into is None
    assert source.identities.exists()
    assert not ContactEvent.objects.filter(kind__startswith="merged").exists()


def test_a_contact_of_another_team_is_a_404_as_source_and_a_400_as_target(
    supervisor_api, team, other_team
):
    ours, theirs = _contact("a@example.com", team), _contact("b@example.com", other_team)
    as_source = _merge(supervisor_api, theirs, ours.pk)
    assert as_source.status_code == 404
    assert as_source.json() == _merge(supervisor_api, Contact(pk=99999999), ours.pk).json()
    as_target = _merge(supervisor_api, ours, theirs.pk)
    assert as_target.status_code == 400
    missing = _merge(supervisor_api, ours, 99999999)
    assert as_target.json()["error"]["fields"]["into"] == [
        f"No contact #{theirs.pk} that you can see."
    ]
    assert missing.json()["error"]["fields"]["into"] == ["No contact #99999999 that you can see."]
    assert not Contact.objects.filter(merged_into__isnull=False).exists()
    assert theirs.identities.count() == 1
    assert ours.identities.count() == 1


def test_a_contact_cannot_be_merged_into_itself(supervisor_api, pair):
    response = _merge(supervisor_api, pair[0], pair[0].pk)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_merge"
    assert "itself" in response.json()["error"]["message"]


def test_nothing_merges_into_a_contact_merged_already(admin_api, supervisor_api, pair, team):
    source, target = pair
    third = _contact("c@example.com", team)
    services.contact_merge(source_id=source.pk, target_id=target.pk)
    # merged away: it has no case left, so only an admin still sees it
    assert _merge(supervisor_api, third, source.pk).status_code == 400
    response = _merge(admin_api, third, source.pk)
    assert response.status_code == 409
    assert "merged already" in response.json()["error"]["message"]
    assert _merge(admin_api, source, third.pk).status_code == 404  # retired: gone from the API
    third.refresh_from_db()
    assert third.merged_into is None


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"into": "x"},
        {"into": None},
        {"into": True},
        {"into": 10**30},
        {"into": 1, "extra": 1},
        [],
    ],
)
def test_bad_merge_bodies_are_400(supervisor_api, pair, body):
    response = supervisor_api.post(f"{URL}{pair[0].pk}/merge/", body, format="json")
    assert response.status_code == 400, response.content
    assert not Contact.objects.filter(merged_into__isnull=False).exists()


@pytest.mark.parametrize(
    ("scopes", "expected"),
    [(["contacts:read"], 403), (["cases:write"], 403), (["contacts:write"], 200)],
)
def test_merging_needs_the_contacts_write_scope(scopes, expected, pair, supervisor, token_client):
    api = token_client(supervisor, scopes=scopes)
    assert _merge(api, pair[0], pair[1].pk).status_code == expected


def test_merging_without_credentials_is_401(pair):
    assert _merge(APIClient(), pair[0], pair[1].pk).status_code == 401
    assert not Contact.objects.filter(merged_into__isnull=False).exists()


def test_a_supervisor_of_another_team_cannot_merge_our_contacts(pair, other_team, token_client):
    api = token_client(SupervisorFactory(teams=[other_team]))
    assert _merge(api, pair[0], pair[1].pk).status_code == 404
    assert (
        token_client(AgentFactory(teams=[other_team]))
        .post(f"{URL}{pair[0].pk}/merge/", {"into": pair[1].pk}, format="json")
        .status_code
        == 404
    )
