"""The owners' dashboard costs the same queries however many causes, cases, spikes and
problems it shows: the page, its CSV, its case list and its API."""

import pytest
import time_machine

from apps.problems import services as problem_services
from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from tests.factories import CaseFactory, StakeholderFactory, SupervisorFactory, TeamFactory
from tests.rootcauses.dashboard_data import spike
from tests.rootcauses.report_data import NOW

pytestmark = pytest.mark.django_db

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def fill(product, team, n: int):
    boss = SupervisorFactory(teams=[team])
    causes = []
    for i in range(n):
        cause = rc_services.root_cause_create(name=f"Cause {i}", owner_team=product)
        cases = [
            CaseFactory(root_cause=cause, team=team, created_at=NOW.replace(day=d))
            for d in (3, 10, 29)
        ]
        spike(cause)
        problem = problem_services.problem_create(title=f"P{i}", root_cause=cause, actor=boss)
        problem_services.problem_link_cases(
            problem_id=problem.pk, case_ids=[c.pk for c in cases], actor=boss
        )
        causes.append(cause)
    rollups.rollups_build(now=NOW, max_days=None, rebuild=True)
    return causes


@pytest.mark.parametrize("n", [1, 8])
def test_the_dashboard_costs_the_same_queries(
    client, token_client, team, n, django_assert_max_num_queries
):
    product = TeamFactory(name="Payments product", slug="payments")
    causes = fill(product, team, n)
    stakeholder = StakeholderFactory(teams=[product])
    api = token_client(stakeholder, scopes=["rootcauses:read"])
    client.force_login(stakeholder)

    # session, user (and profile), teams, the report's ≤ 10, spikes, problems, team choices
    with django_assert_max_num_queries(15):
        page = client.get("/root-causes/dashboard/", PERIOD)
    assert page.status_code == 200
    assert page.content.decode().count("Cause ") >= n
    with django_assert_max_num_queries(15):
        assert client.get("/root-causes/dashboard.csv", PERIOD).status_code == 200
    with django_assert_max_num_queries(16):  # token, its touch, throttles: no session
        body = api.get("/api/v1/root-causes/dashboard/", PERIOD).json()
    assert len(body["results"]) == len(body["open_problems"]) == len(body["active_spikes"]) == n
    with django_assert_max_num_queries(8):  # session, user, teams, the cause, count, page
        cases = client.get("/root-causes/dashboard/cases/", {**PERIOD, "root_cause": causes[-1].pk})
    assert cases.status_code == 200
    assert cases.content.decode().count("CX-") == 3


def test_a_problem_page_for_a_stakeholder_costs_the_same_queries(
    client, team, django_assert_max_num_queries
):
    product = TeamFactory(name="Payments product", slug="payments")
    fill(product, team, 1)
    client.force_login(StakeholderFactory(teams=[product]))
    from apps.problems.models import Problem

    problem = Problem.objects.get()
    with django_assert_max_num_queries(8):
        assert client.get(f"/problems/{problem.pk}/").status_code == 200
