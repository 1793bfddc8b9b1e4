"""A team that requires a root cause before solve: solving without one is refused with a
clear DomainError — through the service, the API (409 root_cause_required), the case page
and the reply composer — and works once it is set."""

import pytest

from apps.cases import services as cases
from apps.cases.models import Case
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def strict_team(team):
    team.root_cause_required = True
    team.save(update_fields=["root_cause_required"])
    return team


def test_solving_without_a_root_cause_is_refused(strict_team, agent):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)

    with pytest.raises(cases.RootCauseRequired) as refused:
        cases.case_transition(case_id=case.pk, to=Case.Status.SOLVED, actor=agent)

    assert refused.value.code == "root_cause_required"
    assert "needs a root cause" in refused.value.message
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN
    assert not case.events.filter(kind="status").exists()


def test_with_a_root_cause_it_solves(strict_team, agent, card_arrival):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)
    cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)

    cases.case_transition(case_id=case.pk, to=Case.Status.SOLVED, actor=agent)

    assert Case.objects.get(pk=case.pk).status == Case.Status.SOLVED


def test_a_team_without_the_setting_solves_without_one(team, agent):
    case = CaseFactory(team=team, status=Case.Status.OPEN)
    cases.case_transition(case_id=case.pk, to=Case.Status.SOLVED, actor=agent)
    assert Case.objects.get(pk=case.pk).status == Case.Status.SOLVED


def test_the_api_answers_409_with_the_code(strict_team, agent_api):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)

    response = agent_api.patch(f"/api/v1/cases/{case.pk}/", {"status": "solved"}, format="json")

    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "root_cause_required"
    assert "root_cause" in error["fields"]
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_one_patch_setting_the_root_cause_and_solving_works(strict_team, agent_api, card_arrival):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)

    response = agent_api.patch(
        f"/api/v1/cases/{case.pk}/",
        {"status": "solved", "root_cause": card_arrival.pk},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == "solved"
    assert response.json()["root_cause"]["path"] == "Cards › Card arrival"


def test_a_reply_that_would_solve_is_refused_whole(strict_team, agent):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)

    with pytest.raises(cases.RootCauseRequired):
        cases.case_reply(
            case_id=case.pk, agent=agent, body_text="Done!", then_status=Case.Status.SOLVED
        )

    assert not case.interactions.exists()  # the reply rolled back with the solve


def test_the_case_page_shows_the_refusal_beside_the_status(client, strict_team, agent):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)
    client.force_login(agent)

    response = client.post(f"/cases/{case.pk}/fields/status/", {"status": "solved"})

    assert response.status_code == 409
    assert "needs a root cause before it is solved" in response.content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_the_composer_keeps_the_text_when_the_solve_is_refused(client, strict_team, agent):
    case = CaseFactory(team=strict_team, status=Case.Status.OPEN)
    client.force_login(agent)

    response = client.post(
        f"/cases/{case.pk}/compose/",
        {"kind": "reply", "body": "All sorted, bye", "then_status": "solved", "last_seen": 0},
    )

    assert response.status_code == 409
    page = response.content.decode()
    assert "needs a root cause" in page
    assert "All sorted, bye" in page
