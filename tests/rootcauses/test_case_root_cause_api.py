"""Integrations set a case's root cause through POST / PATCH /api/v1/cases/; an unknown or
retired id is a 400 naming root_cause; the case shows it."""

import pytest

from apps.cases.models import Case
from apps.rootcauses import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NEW_CASE = {"subject": "Where is my card?", "requester": {"email": "ada@example.com"}}


def test_a_case_is_opened_with_a_root_cause(admin_api, card_arrival):
    response = admin_api.post(
        "/api/v1/cases/", {**NEW_CASE, "root_cause": card_arrival.pk}, format="json"
    )

    assert response.status_code == 201, response.content
    assert response.json()["root_cause"] == {
        "id": card_arrival.pk,
        "path": "Cards › Card arrival",
        "retired": False,
    }
    case = Case.objects.get(pk=response.json()["id"])
    assert case.root_cause_id == card_arrival.pk


def test_patch_sets_and_clears_it_with_events(agent_api, team, card_arrival):
    case = CaseFactory(team=team)

    set_ = agent_api.patch(
        f"/api/v1/cases/{case.pk}/", {"root_cause": card_arrival.pk}, format="json"
    )
    cleared = agent_api.patch(f"/api/v1/cases/{case.pk}/", {"root_cause": None}, format="json")

    assert set_.json()["root_cause"]["id"] == card_arrival.pk
    assert cleared.json()["root_cause"] is None
    assert case.events.filter(kind="root_cause").count() == 2
    assert agent_api.get(f"/api/v1/cases/{case.pk}/").json()["root_cause"] is None


@pytest.mark.parametrize("value", [999999, "cards", 1.5, [1], {"id": 1}])
def test_an_unknown_root_cause_is_a_400_naming_it(admin_api, value):
    response = admin_api.post("/api/v1/cases/", {**NEW_CASE, "root_cause": value}, format="json")

    assert response.status_code == 400, response.content
    assert "root_cause" in response.json()["error"]["fields"]
    assert not Case.objects.exists()


def test_a_retired_root_cause_is_a_400_with_a_clear_message(agent_api, team, card_arrival):
    case = CaseFactory(team=team)
    services.root_cause_retire(root_cause_id=card_arrival.pk)

    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}/", {"root_cause": card_arrival.pk}, format="json"
    )

    assert response.status_code == 400, response.content
    [message] = response.json()["error"]["fields"]["root_cause"]
    assert "'Cards › Card arrival' is retired" in message
    assert Case.objects.get(pk=case.pk).root_cause_id is None


def test_a_case_keeps_showing_its_retired_root_cause(agent_api, team, card_arrival):
    case = CaseFactory(team=team, root_cause=card_arrival)
    services.root_cause_retire(root_cause_id=card_arrival.pk)

    body = agent_api.get(f"/api/v1/cases/{case.pk}/").json()

    assert body["root_cause"]["retired"] is True


def test_the_case_list_stays_a_constant_number_of_queries(
    agent_api, team, card_arrival, django_assert_max_num_queries
):
    CaseFactory(team=team, root_cause=card_arrival)
    with django_assert_max_num_queries(20) as few:
        agent_api.get("/api/v1/cases/")
    CaseFactory.create_batch(10, team=team, root_cause=card_arrival)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(agent_api.get("/api/v1/cases/").json()["results"]) == 11
