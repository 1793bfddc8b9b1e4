"""GET /api/v1/root-causes/report/: the top root causes of a period — figures, trend, spike
flag, filters, visibility by team, scopes, bad input, and a constant number of queries."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from apps.rootcauses.models import RootCauseSpike
from tests.factories import AgentFactory, CaseFactory, TeamFactory
from tests.rootcauses.report_data import FROM, NOW, TO, seed

pytestmark = pytest.mark.django_db

URL = "/api/v1/root-causes/report/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def causes(team, other_team):
    return seed(team, other_team, TeamFactory(name="Payments product", slug="payments"))


def by_path(response):
    assert response.status_code == 200, response.content
    return {row["path"]: row for row in response.json()["results"]}


def test_the_admin_gets_every_team_s_figures_most_cases_first(token_client, admin_user, causes):
    double, _ = causes
    RootCauseSpike.objects.create(
        root_cause=double,
        first_day=date(2026, 11, 20),
        last_day=date(2026, 11, 20),
        observed=9,
        expected=1.0,
        p_value=1e-9,
    )
    api = token_client(admin_user, scopes=["rootcauses:read"])

    response = api.get(URL, {"from": FROM, "to": TO})

    rows = response.json()["results"]
    assert [r["path"] for r in rows] == ["Billing › Double charge", "Billing › Refund late"]
    first = rows[0]
    assert (first["cases"], first["contacts"], first["handle_seconds"]) == (5, 4, 2100)
    assert (first["reopened_cases"], first["reopen_rate"]) == (1, 20.0)
    assert (first["fcr_cases"], first["fcr"], first["fcr_rate"]) == (3, 2, 66.7)
    assert (first["previous_cases"], first["trend_percent"]) == (2, 150.0)
    assert first["active_spike"] is True
    assert first["owner_team"] == "Payments product"
    assert rows[1]["active_spike"] is False
    assert rows[1]["trend_percent"] is None  # none before
    assert response.json()["previous_period"]["to"] == response.json()["period"]["from"]


def test_an_agent_sees_only_their_teams_figures(token_client, other_team, causes):
    logistics_agent = AgentFactory(username="lou", teams=[other_team])
    api = token_client(logistics_agent, scopes=["rootcauses:read"])

    rows = by_path(api.get(URL, {"from": FROM, "to": TO}))

    assert set(rows) == {"Billing › Double charge"}
    double = rows["Billing › Double charge"]
    assert (double["cases"], double["contacts"]) == (2, 2)


def test_an_agent_may_not_filter_on_another_team(token_client, agent, other_team, causes):
    api = token_client(agent, scopes=["rootcauses:read"])

    response = api.get(URL, {"team": other_team.pk})

    assert response.status_code == 400
    assert "team" in response.json()["error"]["fields"]


def test_team_and_channel_filters(token_client, admin_user, team, causes):
    api = token_client(admin_user, scopes=["rootcauses:read"])

    on_team = by_path(api.get(URL, {"from": FROM, "to": TO, "team": team.pk}))
    on_chat = by_path(api.get(URL, {"from": FROM, "to": TO, "channel": "chat"}))

    assert on_team["Billing › Double charge"]["cases"] == 3
    assert on_team["Billing › Refund late"]["cases"] == 1
    assert {k: v["cases"] for k, v in on_chat.items()} == {"Billing › Double charge": 1}


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13-01"},
        {"from": "2026-11-20", "to": "2026-11-01"},
        {"channel": "pigeon"},
        {"team": "abc"},
        {"team": 999999},
        {"from": "2020-01-01", "to": "2026-11-30"},
        {"colour": "red"},
    ],
)
def test_bad_input_is_a_400(token_client, admin_user, causes, params):
    api = token_client(admin_user, scopes=["rootcauses:read"])
    assert api.get(URL, params).status_code == 400


def test_no_credentials_is_refused(causes):
    assert APIClient().get(URL).status_code in (401, 403)


def test_a_token_without_rootcauses_read_is_forbidden(token_client, admin_user, causes):
    api = token_client(admin_user, scopes=["cases:read"])
    assert api.get(URL).status_code == 403


def test_the_queries_do_not_grow_with_causes_or_days(token_client, admin_user, team, causes):
    api = token_client(admin_user, scopes=["rootcauses:read"])
    with CaptureQueriesContext(connection) as small:
        api.get(URL, {"from": "2026-11-20", "to": TO})
    more = rc_services.root_cause_create(name="Shipping", owner_team=team)
    for day in range(1, 28):  # by the factory, not announced: the build below counts them
        CaseFactory(root_cause=more, team=team, created_at=NOW.replace(day=day))
    rollups.rollups_build(now=NOW, rebuild=True, max_days=None)

    with CaptureQueriesContext(connection) as large:
        response = api.get(URL, {"from": "2026-09-01", "to": TO})

    assert len(by_path(response)) == 3
    # At most: the token, and per period which days are built, their cells, the rows left
    # over (and the contacts' union, this period); the causes; the spikes.
    assert len(small.captured_queries) <= 12
    assert len(large.captured_queries) <= 12
