"""/api/v1/problems/: supervisors and admins create, change and move problems and answer them
together; agents list their visible cases under problems they see; another team's problem
or case is a 404; tokens are held to problems:read / problems:write; bad input is a 4xx."""

import datetime

import pytest
from django.utils import timezone

from apps.cases.models import Case, CaseEvent
from apps.problems.models import Problem, ProblemEvent
from tests.factories import CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/problems/"


@pytest.fixture
def supervisor_api(supervisor, token_client):
    return token_client(supervisor)


def test_a_supervisor_creates_moves_and_fixes_a_problem(
    supervisor_api, billing_cause, product_team
):
    created = supervisor_api.post(
        URL,
        {
            "title": "Double charge",
            "root_cause": billing_cause.pk,
            "tracker_url": "https://t.example/1",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["status"], body["owner_team"]) == ("open", product_team.pk)  # the cause's owner
    pk = body["id"]
    for to in ("investigating", "fix_in_progress"):
        moved = supervisor_api.post(f"{URL}{pk}/transition/", {"to": to}, format="json")
        assert moved.status_code == 200, moved.content
    no_date = supervisor_api.post(f"{URL}{pk}/transition/", {"to": "fixed"}, format="json")
    assert no_date.status_code == 400
    assert no_date.json()["error"]["code"] == "fix_date_required"
    assert "fix_date" in no_date.json()["error"]["fields"]
    day = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    fixed = supervisor_api.post(
        f"{URL}{pk}/transition/", {"to": "fixed", "fix_date": day}, format="json"
    )
    assert fixed.status_code == 200, fixed.content
    assert (fixed.json()["status"], fixed.json()["fix_date"]) == ("fixed", day)
    back = supervisor_api.post(f"{URL}{pk}/transition/", {"to": "open"}, format="json")
    assert back.status_code == 409
    assert back.json()["error"]["code"] == "invalid_problem_transition"
    kinds = list(ProblemEvent.objects.filter(problem_id=pk).values_list("kind", flat=True))
    assert sorted(kinds) == ["created", "status", "status", "status"]


def test_a_tracker_link_must_be_http_or_https(supervisor_api, billing_cause):
    for url in ("javascript:alert(1)", "ftp://files.example/x", "not a url"):
        response = supervisor_api.post(
            URL, {"title": "T", "root_cause": billing_cause.pk, "tracker_url": url}, format="json"
        )
        assert response.status_code == 400, url
        assert "tracker_url" in response.json()["error"]["fields"]


def test_bad_input_is_a_4xx_naming_the_field(supervisor_api, problem):
    assert supervisor_api.post(URL, {"root_cause": 1}, format="json").status_code == 400
    unknown = supervisor_api.patch(f"{URL}{problem.pk}/", {"colour": "red"}, format="json")
    assert unknown.status_code == 400
    assert "colour" in unknown.json()["error"]["fields"]
    empty = supervisor_api.patch(f"{URL}{problem.pk}/", {}, format="json")
    assert empty.status_code == 400
    bad_status = supervisor_api.post(
        f"{URL}{problem.pk}/transition/", {"to": "gone"}, format="json"
    )
    assert bad_status.status_code == 400
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    assert (
        supervisor_api.patch(f"{URL}{problem.pk}/", {"fix_date": future}, format="json").status_code
        == 400
    )
    bad_cases = supervisor_api.post(f"{URL}{problem.pk}/cases/", {"cases": ["x"]}, format="json")
    assert bad_cases.status_code == 400
    none = supervisor_api.post(f"{URL}{problem.pk}/cases/", {"cases": []}, format="json")
    assert none.status_code == 400


def test_an_agent_lists_and_unlists_a_visible_case_but_cannot_manage(agent_api, problem, team):
    case = CaseFactory(team=team)
    linked = agent_api.post(f"{URL}{problem.pk}/cases/", {"cases": [case.pk]}, format="json")
    assert linked.status_code == 200, linked.content
    assert linked.json() == {"cases": [case.pk]}
    again = agent_api.post(f"{URL}{problem.pk}/cases/", {"cases": [case.pk]}, format="json")
    assert again.json() == {"cases": []}  # listed once
    assert CaseEvent.objects.filter(case=case, kind="problem").count() == 1

    assert (
        agent_api.patch(f"{URL}{problem.pk}/", {"title": "Mine"}, format="json").status_code == 403
    )
    moved = agent_api.post(f"{URL}{problem.pk}/transition/", {"to": "investigating"}, format="json")
    assert moved.status_code == 403
    assert (
        agent_api.post(
            URL, {"title": "T", "root_cause": problem.root_cause_id}, format="json"
        ).status_code
        == 403
    )
    assert (
        agent_api.post(f"{URL}{problem.pk}/answer/", {"body": "Hi"}, format="json").status_code
        == 403
    )

    assert agent_api.delete(f"{URL}{problem.pk}/cases/{case.pk}/").status_code == 204
    assert agent_api.delete(f"{URL}{problem.pk}/cases/{case.pk}/").status_code == 404
    assert CaseEvent.objects.filter(case=case, kind="problem").count() == 2


def test_another_teams_problem_and_case_are_not_found(
    agent_api, supervisor_api, problem, billing_cause, other_team
):
    theirs = Problem.objects.create(title="Theirs", root_cause=billing_cause, owner_team=other_team)
    assert agent_api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert agent_api.get(f"{URL}{theirs.pk}/verdict/").status_code == 404
    assert (
        agent_api.post(f"{URL}{theirs.pk}/cases/", {"cases": [1]}, format="json").status_code == 404
    )
    assert [p["id"] for p in agent_api.get(URL).json()["results"]] == [problem.pk]
    their_case = CaseFactory(team=other_team)
    response = supervisor_api.post(
        f"{URL}{problem.pk}/cases/", {"cases": [their_case.pk]}, format="json"
    )
    assert response.status_code == 404
    assert not their_case.problem_links.exists()


def test_an_agent_sees_a_problem_through_a_case_they_can_see(
    agent_api, billing_cause, other_team, team
):
    boss = SupervisorFactory(teams=[other_team])
    theirs = Problem.objects.create(
        title="Theirs", root_cause=billing_cause, owner_team=other_team, created_by=boss
    )
    assert agent_api.get(f"{URL}{theirs.pk}/").status_code == 404
    theirs.links.create(case=CaseFactory(team=team))
    assert agent_api.get(f"{URL}{theirs.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("scopes", "method", "expected"),
    [
        (["problems:read"], "get", 200),
        (["problems:write"], "get", 200),
        (["cases:read"], "get", 403),
        (["problems:read"], "post", 403),
        (["problems:write"], "post", 201),
        (["rootcauses:write"], "post", 403),
    ],
)
def test_tokens_are_held_to_their_scopes(
    token_client, supervisor, billing_cause, scopes, method, expected
):
    client = token_client(supervisor, scopes=scopes)
    if method == "get":
        response = client.get(URL)
    else:
        response = client.post(URL, {"title": "T", "root_cause": billing_cause.pk}, format="json")
    assert response.status_code == expected, response.content


def test_no_credentials_is_401(client):
    from rest_framework.test import APIClient

    assert APIClient().get(URL).status_code in (401, 403)


def test_the_answer_and_the_verdict_through_the_api(
    supervisor_api, fixed, team, senders, django_capture_on_commit_callbacks
):
    cases = [CaseFactory(team=team, channel="chat", status=Case.Status.OPEN) for _ in range(3)]
    supervisor_api.post(f"{URL}{fixed.pk}/cases/", {"cases": [c.pk for c in cases]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        started = supervisor_api.post(
            f"{URL}{fixed.pk}/answer/", {"body": "Fixed, {contact.name}."}, format="json"
        )
    assert started.status_code == 202, started.content
    detail = supervisor_api.get(f"{URL}{fixed.pk}/").json()
    assert detail["answer_progress"]["answered"] == 3
    again = supervisor_api.post(f"{URL}{fixed.pk}/answer/", {"body": "Again"}, format="json")
    assert again.status_code == 409  # no open case left
    unknown = supervisor_api.post(
        f"{URL}{fixed.pk}/answer/", {"body": "Hi {case.secret}"}, format="json"
    )
    assert unknown.status_code in (400, 409)
    verdict = supervisor_api.get(f"{URL}{fixed.pk}/verdict/").json()
    assert verdict["verdict"] == "not enough evidence yet"
    assert verdict["after"]["days"] == 1
    assert verdict["before"]["days"] == 28


def test_the_list_costs_the_same_queries_for_2_or_20_problems(
    supervisor_api, billing_cause, team, django_assert_max_num_queries
):
    for i in range(2):
        Problem.objects.create(title=f"P{i}", root_cause=billing_cause, owner_team=team)
    with django_assert_max_num_queries(12) as few:
        assert len(supervisor_api.get(URL).json()["results"]) == 2
    for i in range(18):
        Problem.objects.create(title=f"Q{i}", root_cause=billing_cause, owner_team=team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(supervisor_api.get(URL).json()["results"]) == 20
