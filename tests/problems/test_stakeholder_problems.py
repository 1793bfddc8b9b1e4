"""A stakeholder reads their teams' problems, and no other team's: another team's problem,
cause or figures are missing (404) or refused (400 naming the field), on the pages and
through the API; and what they may read they cannot change."""

import pytest
import time_machine

from apps.problems import services as problem_services
from apps.rootcauses import services as rc_services
from tests.factories import CaseFactory, StakeholderFactory, SupervisorFactory, TeamFactory
from tests.rootcauses.report_data import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def teams(team):
    a = TeamFactory(name="Payments product", slug="payments")
    b = TeamFactory(name="Parcels product", slug="parcels")
    boss = SupervisorFactory(teams=[team])
    problems = {}
    for owner, title in ((a, "Renewals charged twice"), (b, "Depot lost parcels")):
        cause = rc_services.root_cause_create(name=title[:20], owner_team=owner)
        problem = problem_services.problem_create(title=title, root_cause=cause, actor=boss)
        case = CaseFactory(root_cause=cause, team=team, created_at=NOW.replace(day=5))
        problem_services.problem_link_cases(problem_id=problem.pk, case_ids=[case.pk], actor=boss)
        problems[owner.slug] = problem
    # A stakeholder of A who is also in the contact-center team that works B's case.
    stakeholder = StakeholderFactory(teams=[a, team])
    return a, b, problems, stakeholder


def test_the_list_shows_their_teams_problems_only(client, teams):
    a, b, problems, stakeholder = teams
    client.force_login(stakeholder)
    html = client.get("/problems/").content.decode()
    assert "Renewals charged twice" in html
    assert "Depot lost parcels" not in html
    assert "Parcels product" not in html  # nor the other team in the filter


def test_another_teams_problem_is_missing(client, teams):
    _, _, problems, stakeholder = teams
    client.force_login(stakeholder)
    assert client.get(f"/problems/{problems['payments'].pk}/").status_code == 200
    assert client.get(f"/problems/{problems['parcels'].pk}/").status_code == 404


def test_another_teams_dashboard_is_refused(client, token_client, teams):
    a, b, problems, stakeholder = teams
    client.force_login(stakeholder)
    assert client.get("/root-causes/dashboard/", {"owner_team": b.pk}).status_code == 400
    assert client.get("/root-causes/dashboard.csv", {"owner_team": b.pk}).status_code == 400
    other_cause = problems["parcels"].root_cause_id
    cases = client.get("/root-causes/dashboard/cases/", {"root_cause": other_cause})
    assert cases.status_code == 404
    api = token_client(stakeholder, scopes=["rootcauses:read"])
    refused = api.get("/api/v1/root-causes/dashboard/", {"owner_team": b.pk})
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"]["owner_team"] == ["Not one of your teams."]
    mine = api.get("/api/v1/root-causes/dashboard/").json()
    assert [p["title"] for p in mine["open_problems"]] == ["Renewals charged twice"]
    assert {r["owner_team"] for r in mine["results"]} == {"Payments product"}


def test_they_cannot_change_a_problem(client, teams):
    _, _, problems, stakeholder = teams
    client.force_login(stakeholder)
    pk = problems["payments"].pk
    for url in (f"/problems/{pk}/status/", f"/problems/{pk}/edit/", f"/problems/{pk}/answer/"):
        assert client.post(url, {"to": "investigating"}).status_code == 403
    problems["payments"].refresh_from_db()
    assert problems["payments"].status == "open"
    html = client.get(f"/problems/{pk}/").content.decode()
    assert "Change status" not in html
    assert "Take off" not in html
