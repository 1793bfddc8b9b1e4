"""/api/v1/surveys/trends/: NPS and customer-effort per week or month, as the selectors count
them, for those who may see them."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from apps.feedback.models import Survey
from tests.factories import AgentFactory, CaseFactory

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 2, 12, tzinfo=UTC)


def _survey(team, *, day, rating, kind="csat", effort=None):
    case = CaseFactory(team=team, status="solved")
    at = MONDAY + timedelta(days=day)
    nps = kind == "nps"
    satisfied = (rating >= 9 if rating >= 9 or rating <= 6 else None) if nps else rating == 1
    return Survey.objects.create(
        kind=kind,
        scale="nps" if nps else "good_bad",
        nps_round=1 if nps else None,
        case=case,
        contact=case.requester,
        state="answered",
        due_at=at,
        sent_at=at,
        team=team,
        rating=rating,
        satisfied=satisfied,
        effort=effort,
        answered_at=at,
    )


@pytest.fixture
def data(team, other_team):
    _survey(team, day=0, rating=10, kind="nps")
    _survey(team, day=1, rating=2, kind="nps")
    _survey(team, day=7, rating=9, kind="nps")
    _survey(team, day=0, rating=1, effort=6)
    _survey(team, day=1, rating=0, effort=2)
    _survey(other_team, day=0, rating=0, kind="nps")


def test_weekly_nps_and_effort(data, token_client, team):
    api = token_client(AgentFactory(username="t1", teams=[team]), scopes=["surveys:read"])
    body = api.get("/api/v1/surveys/trends/", {"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert body["by"] == "week"
    assert [(r["key"], r["responses"], r["nps"]) for r in body["nps"]] == [
        ("2026-11-02", 2, 0.0),
        ("2026-11-09", 1, 100.0),
    ]
    assert (body["nps_total"]["responses"], body["nps_total"]["nps"]) == (3, 33.3)
    assert [(r["key"], r["effort"]) for r in body["effort"]] == [("2026-11-02", 4.0)]


def test_monthly_and_empty(admin_api, data):
    body = admin_api.get(
        "/api/v1/surveys/trends/", {"from": "2026-11-01", "to": "2026-11-30", "by": "month"}
    ).json()
    assert [(r["key"], r["responses"]) for r in body["nps"]] == [("2026-11-01", 4)]
    empty = admin_api.get(
        "/api/v1/surveys/trends/", {"from": "2025-01-01", "to": "2025-01-31"}
    ).json()
    assert (empty["nps_total"]["responses"], empty["nps_total"]["nps"], empty["nps"]) == (
        0,
        None,
        [],
    )


@pytest.mark.parametrize("params", [{"by": "year"}, {"from": "soon"}, {"colour": "red"}])
def test_bad_input_is_a_400(admin_api, params):
    assert admin_api.get("/api/v1/surveys/trends/", params).status_code == 400


def test_needs_the_scope(token_client, team):
    wrong = token_client(AgentFactory(username="t2", teams=[team]), scopes=["cases:read"])
    assert wrong.get("/api/v1/surveys/trends/").status_code == 403
    assert APIClient().get("/api/v1/surveys/trends/").status_code in (401, 403)


def test_constant_queries(admin_api, data, team, django_assert_max_num_queries):
    admin_api.get("/api/v1/surveys/trends/")
    for day in range(8):
        _survey(team, day=day, rating=day, kind="nps")
    with django_assert_max_num_queries(8):
        assert admin_api.get("/api/v1/surveys/trends/").status_code == 200


def test_the_answers_list_by_kind(admin_api, data):
    nps = admin_api.get("/api/v1/surveys/", {"kind": "nps"}).json()["results"]
    assert {a["kind"] for a in nps} == {"nps"}
    assert len(nps) == 4
    assert all(a["nps_round"] == 1 for a in nps)
    assert admin_api.get("/api/v1/surveys/", {"kind": "ces"}).status_code == 400
