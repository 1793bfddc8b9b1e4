"""/root-causes/report/ and its CSV: the table an owner reads, each cause linked to its
cases on the queue page (which filters by root cause); an agent's teams only; bad filters
shown, not a 500; signed out, the sign-in page; a constant number of queries."""

import csv
import io

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from tests.factories import AdminFactory, AgentFactory, CaseFactory, TeamFactory
from tests.rootcauses.report_data import FROM, NOW, TO, seed

pytestmark = pytest.mark.django_db

URL = "/root-causes/report/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def causes(team, other_team):
    return seed(team, other_team, TeamFactory(name="Payments product", slug="payments"))


def test_the_table_lists_the_causes_with_links_to_their_cases(client, causes):
    double, _ = causes
    client.force_login(AdminFactory())

    response = client.get(URL, {"from": FROM, "to": TO})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Billing › Double charge" in html
    assert (
        f"/?scope=all&amp;root_cause={double.pk}&amp;created_from=2026-11-01"
        "&amp;created_to=2026-11-30"
    ) in html
    assert "+150.0 %" in html  # 5 cases against 2


def test_the_drill_down_lists_the_cause_s_cases_only(client, team, causes):
    double, refund = causes
    client.force_login(AdminFactory(teams=[team]))

    response = client.get(
        "/",
        {
            "scope": "all",
            "root_cause": refund.pk,
            "created_from": "2026-11-01",
            "created_to": "2026-11-30",
        },
    )

    assert response.status_code == 200
    assert len(response.context["page"].rows) == 1


def test_the_case_list_api_filters_by_root_cause(admin_api, causes):
    double, refund = causes
    response = admin_api.get("/api/v1/cases/", {"root_cause": refund.pk})
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_an_agent_s_report_counts_their_teams_cases_only(client, other_team, causes):
    client.force_login(AgentFactory(username="lou", teams=[other_team]))

    response = client.get(URL, {"from": FROM, "to": TO})

    rows = response.context["rows"]
    assert [(r.path, r.cases) for r in rows] == [("Billing › Double charge", 2)]
    assert "Refund late" not in response.content.decode()


def test_bad_filters_are_shown_with_a_400(client, causes):
    client.force_login(AdminFactory())

    response = client.get(URL, {"from": "2026-11-31"})

    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()


def test_signed_out_goes_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/login" in response["Location"] or "accounts" in response["Location"]


def test_the_csv_has_a_row_per_cause(client, causes):
    client.force_login(AdminFactory())

    response = client.get("/root-causes/report.csv", {"from": FROM, "to": TO})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Root cause id", "Root cause", "Owner team", "Cases"]
    assert rows[1][1:5] == ["Billing › Double charge", "Payments product", "5", "4"]
    assert len(rows) == 3


def test_the_page_s_queries_do_not_grow_with_causes(client, team, causes):
    client.force_login(AdminFactory())
    with CaptureQueriesContext(connection) as small:
        client.get(URL, {"from": FROM, "to": TO})
    for n in range(5):
        cause = rc_services.root_cause_create(name=f"Cause {n}", owner_team=team)
        CaseFactory(root_cause=cause, team=team, created_at=NOW.replace(day=n + 1))
    rollups.rollups_build(now=NOW, rebuild=True, max_days=None)

    with CaptureQueriesContext(connection) as large:
        response = client.get(URL, {"from": FROM, "to": TO})

    assert len(response.context["rows"]) == 7
    assert len(large.captured_queries) == len(small.captured_queries)
