"""Open a problem from a candidate cluster: the candidate merged into the problem's root
cause (its cases tagged, each audited), its cases listed under the new problem (a CaseEvent
each, one ProblemEvent, the "created" event naming the candidate) — on the candidates page
and through the API; supervisors and admins only, candidates one may see only, bad input a
clear 4xx."""

import pytest

from apps.cases.models import CaseEvent
from apps.problems.models import Problem, ProblemCase, ProblemEvent
from apps.rootcauses import services as rc_services
from apps.rootcauses.models import RootCauseCandidate
from tests.factories import CaseFactory
from tests.rootcauses.candidate_data import make_candidate

pytestmark = pytest.mark.django_db

URL = "/api/v1/root-causes/candidates/{}/problem/"


@pytest.fixture
def cause(product_team):
    return rc_services.root_cause_create(name="App crash", owner_team=product_team)


@pytest.fixture
def mine(team):
    return make_candidate([CaseFactory(team=team, subject=f"Crash {n}") for n in range(5)])


@pytest.fixture
def theirs(other_team):
    return make_candidate([CaseFactory(team=other_team) for _ in range(4)])


def _case_ids(candidate):
    return sorted(candidate.cases.values_list("pk", flat=True))


def test_the_api_opens_a_problem_with_the_candidates_cases(
    token_client, supervisor, mine, cause, product_team
):
    api = token_client(supervisor, scopes=["rootcauses:write", "problems:write"])

    response = api.post(
        URL.format(mine.pk), {"title": "Crash on statement", "root_cause": cause.pk}, "json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    problem = Problem.objects.get(pk=body["problem"]["id"])
    ids = _case_ids(mine)
    assert body["cases"] == ids
    assert (problem.title, problem.root_cause, problem.owner_team) == (
        "Crash on statement",
        cause,
        product_team,
    )
    assert sorted(ProblemCase.objects.filter(problem=problem).values_list("case", flat=True)) == ids
    mine.refresh_from_db()
    assert (mine.state, mine.root_cause) == (RootCauseCandidate.State.MERGED, cause)
    assert set(mine.cases.values_list("root_cause", flat=True)) == {cause.pk}
    # Audited as the other links: a CaseEvent per case, the problem's events.
    listed = CaseEvent.objects.filter(kind=CaseEvent.Kind.PROBLEM, case__in=ids)
    assert listed.count() == 5
    assert all(e.after == {"id": problem.pk, "title": "Crash on statement"} for e in listed)
    assert CaseEvent.objects.filter(kind="root_cause", case__in=ids).count() == 5
    created = ProblemEvent.objects.get(problem=problem, kind="created")
    assert created.after["candidate"] == mine.pk
    assert ProblemEvent.objects.get(problem=problem, kind="linked").after == {"cases": ids}


def test_the_page_opens_a_problem_and_goes_to_it(client, supervisor, mine, cause):
    client.force_login(supervisor)
    page = client.get("/root-causes/candidates/").content.decode()
    assert "Open a problem" in page

    response = client.post(
        f"/root-causes/candidates/{mine.pk}/problem/",
        {"title": "Crash on statement", "root_cause": cause.pk},
    )

    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/problems/{problem.pk}/"
    assert problem.links.count() == 5
    shown = client.get(response["Location"]).content.decode()
    assert f"{problem.reference} opened with 5 cases." in shown


def test_a_merged_candidate_keeps_its_node(token_client, supervisor, mine, cause, product_team):
    rc_services.candidate_merge(candidate_id=mine.pk, root_cause=cause, actor=supervisor)
    api = token_client(supervisor)
    other = rc_services.root_cause_create(name="Other", owner_team=product_team)

    refused = api.post(URL.format(mine.pk), {"title": "T", "root_cause": other.pk}, "json")
    done = api.post(URL.format(mine.pk), {"title": "T"}, "json")

    assert refused.status_code == 400
    assert "root_cause" in refused.json()["error"]["fields"]
    assert done.status_code == 201
    assert done.json()["problem"]["root_cause"] == cause.pk


def test_bad_input_and_dismissed_candidates_are_refused(token_client, supervisor, mine, cause):
    api = token_client(supervisor)
    no_cause = api.post(URL.format(mine.pk), {"title": "T"}, "json")
    assert no_cause.status_code == 400
    assert "root_cause" in no_cause.json()["error"]["fields"]
    assert api.post(URL.format(mine.pk), {"root_cause": cause.pk}, "json").status_code == 400
    rc_services.candidate_dismiss(candidate_id=mine.pk)
    dismissed = api.post(URL.format(mine.pk), {"title": "T", "root_cause": cause.pk}, "json")
    assert dismissed.status_code == 409
    assert not Problem.objects.exists()


def test_who_may(token_client, agent, supervisor, mine, theirs, cause, client):
    body = {"title": "T", "root_cause": cause.pk}
    assert token_client(agent).post(URL.format(mine.pk), body, "json").status_code == 403
    other = token_client(supervisor).post(URL.format(theirs.pk), body, "json")
    assert other.status_code == 404  # a candidate with cases they may not see
    only_rc = token_client(supervisor, scopes=["rootcauses:write"])
    assert only_rc.post(URL.format(mine.pk), body, "json").status_code == 403
    client.force_login(agent)
    assert client.post(f"/root-causes/candidates/{mine.pk}/problem/", body).status_code == 403
    assert not Problem.objects.exists()
