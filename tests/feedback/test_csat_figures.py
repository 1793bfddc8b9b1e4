"""CSAT figures equal a direct count over hand-built surveys; the API shows them to those who
may see them."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.feedback import selectors
from apps.feedback.models import Survey
from tests.factories import AgentFactory, CaseFactory, TeamFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)


def _survey(
    team, *, sent_day, rating=None, scale="good_bad", channel="email", effort=None, agent=None
):
    case = CaseFactory(team=team, status="solved")
    answered = rating is not None
    sent_at = START + timedelta(days=sent_day, hours=12)
    satisfied = None
    if answered:
        satisfied = rating >= 4 if scale == "five" else rating == 1
    return Survey.objects.create(
        case=case,
        contact=case.requester,
        state="answered" if answered else "sent",
        scale=scale,
        due_at=sent_at,
        sent_at=sent_at,
        channel=channel,
        team=team,
        agent=agent,
        priority="normal",
        rating=rating,
        satisfied=satisfied,
        effort=effort,
        answered_at=sent_at + timedelta(hours=1) if answered else None,
    )


@pytest.fixture
def data(team, other_team):
    a1 = AgentFactory(username="a1", teams=[team])
    # team: 6 sent, 4 answered (3 satisfied); other_team: 3 sent, 2 answered (0 satisfied)
    _survey(team, sent_day=1, rating=1, effort=7, agent=a1)
    _survey(team, sent_day=2, rating=1, effort=5, agent=a1)
    _survey(team, sent_day=3, rating=0, channel="chat", effort=1)
    _survey(team, sent_day=3, rating=5, scale="five", channel="chat")
    _survey(team, sent_day=4)
    _survey(team, sent_day=5, channel="chat")
    _survey(other_team, sent_day=1, rating=0)
    _survey(other_team, sent_day=2, rating=2, scale="five")
    _survey(other_team, sent_day=9)
    # outside the period: counted nowhere
    _survey(team, sent_day=-3, rating=0)
    _survey(team, sent_day=31, rating=1)
    return a1


def _direct(surveys):
    sent = len(surveys)
    answered = [s for s in surveys if s.state == "answered"]
    satisfied = [s for s in answered if s.satisfied]
    return sent, len(answered), len(satisfied)


def test_totals_equal_a_direct_count(data, admin_user):
    [row] = selectors.csat_figures(user=admin_user, start=START, end=END)
    inside = [s for s in Survey.objects.all() if START <= s.sent_at < END]
    assert (row.sent, row.responses, row.satisfied) == _direct(inside) == (9, 6, 3)
    assert row.csat == 50.0
    assert row.response_rate == round(100 * 6 / 9, 1)
    assert row.effort == pytest.approx((7 + 5 + 1) / 3)


@pytest.mark.parametrize("group", ["team", "channel", "agent", "priority", "day"])
def test_each_grouping_equals_a_direct_count(data, admin_user, group):
    rows = selectors.csat_figures(user=admin_user, start=START, end=END, group=group)
    inside = [s for s in Survey.objects.all() if START <= s.sent_at < END]
    key = {
        "team": lambda s: s.team_id,
        "channel": lambda s: s.channel,
        "agent": lambda s: s.agent_id,
        "priority": lambda s: s.priority,
        "day": lambda s: s.sent_at.astimezone(selectors.timezone.get_current_timezone()).date(),
    }[group]
    expected = {}
    for survey in inside:
        expected.setdefault(key(survey), []).append(survey)
    assert {row.key: (row.sent, row.responses, row.satisfied) for row in rows} == {
        k: _direct(v) for k, v in expected.items()
    }


def test_an_agent_sees_only_their_teams(data, team, other_team):
    agent = AgentFactory(username="b1", teams=[other_team])
    [row] = selectors.csat_figures(user=agent, start=START, end=END)
    assert (row.sent, row.responses, row.satisfied) == (3, 2, 0)
    assert row.csat == 0.0


def test_no_survey_no_percentages(admin_user):
    [row] = selectors.csat_figures(user=admin_user, start=START, end=END)
    assert (row.sent, row.csat, row.response_rate, row.effort) == (0, None, None, None)


def test_api_figures_and_answers(data, token_client, team, other_team):
    agent = AgentFactory(username="c1", teams=[team])
    api = token_client(agent, scopes=["surveys:read"])
    response = api.get(
        "/api/v1/surveys/figures/", {"from": "2026-11-01", "to": "2026-11-30", "group": "channel"}
    )
    assert response.status_code == 200, response.content
    rows = {row["key"]: row for row in response.json()["rows"]}
    assert (rows["email"]["sent"], rows["email"]["responses"], rows["email"]["satisfied"]) == (
        3,
        2,
        2,
    )
    assert rows["chat"]["csat"] == 50.0

    answers = api.get("/api/v1/surveys/").json()
    assert {a["team"] for a in answers["results"]} == {team.pk}
    found = api.get("/api/v1/surveys/", {"satisfied": "false"}).json()["results"]
    assert all(a["satisfied"] is False for a in found)
    assert found


def test_api_comment_search(data, admin_api):
    survey = Survey.objects.filter(state="answered").first()
    survey.comment = "The courier never came"
    survey.save()
    found = admin_api.get("/api/v1/surveys/", {"q": "courier"}).json()["results"]
    assert [a["id"] for a in found] == [survey.pk]


@pytest.mark.parametrize(
    "params",
    [
        {"group": "planet"},
        {"from": "yesterday"},
        {"from": "2026-11-10", "to": "2026-11-01"},
        {"team": "0"},
        {"channel": "pigeon"},
    ],
)
def test_api_bad_input_is_a_400(admin_api, params):
    response = admin_api.get("/api/v1/surveys/figures/", params)
    assert response.status_code == 400


def test_api_needs_the_scope_and_credentials(data, token_client):
    from rest_framework.test import APIClient

    agent = AgentFactory(username="d1", teams=[TeamFactory(name="X", slug="x")])
    wrong = token_client(agent, scopes=["cases:read"])
    assert wrong.get("/api/v1/surveys/").status_code == 403
    assert wrong.get("/api/v1/surveys/figures/").status_code == 403
    anonymous = APIClient()
    assert anonymous.get("/api/v1/surveys/").status_code in (401, 403)
    assert anonymous.get("/api/v1/surveys/figures/").status_code in (401, 403)
