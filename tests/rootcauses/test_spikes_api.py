"""GET /api/v1/root-causes/spikes/: the active spikes and those ended in the last 30 days,
newest first, for tokens with rootcauses:read (and anyone signed in); filters; bad input."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.rootcauses.models import RootCauseSpike
from tests.rootcauses.spike_data import aged_cause

pytestmark = pytest.mark.django_db

URL = "/api/v1/root-causes/spikes/"


def spike(cause, *, days_ago: int, ended_days_ago: int | None = None) -> RootCauseSpike:
    now = timezone.now()
    day = (now - timedelta(days=days_ago)).date()
    return RootCauseSpike.objects.create(
        root_cause=cause,
        state="ended" if ended_days_ago is not None else "active",
        first_day=day,
        last_day=day,
        observed=20,
        expected=2.0,
        p_value=1e-12,
        first_seen_at=now - timedelta(days=days_ago),
        ended_at=None if ended_days_ago is None else now - timedelta(days=ended_days_ago),
    )


@pytest.fixture
def spikes(product_team, other_team):
    arrival = aged_cause("Card arrival", product_team)
    refunds = aged_cause("Refunds", other_team)
    return {
        "active": spike(arrival, days_ago=0),
        "recent": spike(refunds, days_ago=5, ended_days_ago=3),
        "old": spike(arrival, days_ago=60, ended_days_ago=50),
    }


def test_active_and_recent_spikes_are_listed_newest_first(token_client, agent, spikes):
    api = token_client(agent, scopes=["rootcauses:read"])

    response = api.get(URL)

    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [spikes["active"].pk, spikes["recent"].pk]
    first = rows[0]
    assert (first["path"], first["state"], first["observed"], first["expected"]) == (
        "Card arrival",
        "active",
        20,
        2.0,
    )
    assert first["owner_team"] == spikes["active"].root_cause.owner_team_id


def test_the_list_filters_by_state_root_cause_and_owner_team(admin_api, spikes, other_team):
    def ids(**params):
        return [r["id"] for r in admin_api.get(URL, params).json()["results"]]

    assert ids(state="active") == [spikes["active"].pk]
    assert ids(state="ended") == [spikes["recent"].pk]
    assert ids(root_cause=spikes["recent"].root_cause_id) == [spikes["recent"].pk]
    assert ids(owner_team=other_team.pk) == [spikes["recent"].pk]


@pytest.mark.parametrize(
    "params", [{"state": "exploding"}, {"root_cause": "abc"}, {"owner_team": "-1"}]
)
def test_bad_filters_are_a_400_naming_them(admin_api, spikes, params):
    response = admin_api.get(URL, params)

    assert response.status_code == 400, response.content
    assert next(iter(params)) in response.content.decode()


def test_without_a_token_the_list_is_refused():
    response = APIClient().get(URL)
    assert response.status_code in (401, 403)


def test_a_token_without_the_root_causes_scope_is_refused(token_client, admin_user, spikes):
    api = token_client(admin_user, scopes=["cases:read"])
    response = api.get(URL)
    assert response.status_code == 403
    assert "rootcauses:read" in response.content.decode()


def test_writing_is_not_a_thing(admin_api, spikes):
    assert admin_api.post(URL, {}, format="json").status_code == 405
    assert admin_api.delete(f"{URL}{spikes['active'].pk}/").status_code in (404, 405)


@pytest.mark.parametrize("extra", [0, 10])
def test_the_list_costs_the_same_queries_however_many_spikes(
    admin_api, product_team, extra, django_assert_max_num_queries
):
    for i in range(extra + 1):
        spike(aged_cause(f"Cause {i}", product_team), days_ago=i % 7)

    with django_assert_max_num_queries(3):  # the token and the page, however many rows
        response = admin_api.get(URL)
    assert len(response.json()["results"]) == extra + 1
