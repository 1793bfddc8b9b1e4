"""The supervisors' figures page equals a direct count over hand-built surveys, per
dimension; each table downloads as CSV; agents are refused, supervisors see their teams'
surveys only, and a constant number of queries builds it."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.feedback.models import Survey
from apps.rootcauses.models import RootCause
from tests.factories import AgentFactory, CaseFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
URL = reverse("feedback:figures")
PERIOD = {"from": "2026-11-02", "to": "2026-11-29", "by": "week"}


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _csat(
    team,
    *,
    day,
    rating=None,
    channel="email",
    agent=None,
    priority="normal",
    root_cause=None,
    effort=None,
    comment="",
):
    case = CaseFactory(team=team, status="solved")
    sent_at = datetime(2026, 11, 2, 12, tzinfo=UTC) + timedelta(days=day)
    answered = rating is not None
    return Survey.objects.create(
        case=case,
        contact=case.requester,
        state="answered" if answered else "sent",
        due_at=sent_at,
        sent_at=sent_at,
        channel=channel,
        team=team,
        agent=agent,
        priority=priority,
        root_cause=root_cause,
        rating=rating,
        satisfied=(rating == 1) if answered else None,
        effort=effort,
        comment=comment,
        answered_at=sent_at + timedelta(hours=2) if answered else None,
    )


def _nps(team, *, day, rating):
    case = CaseFactory(team=team, status="solved")
    sent_at = datetime(2026, 11, 2, 12, tzinfo=UTC) + timedelta(days=day)
    return Survey.objects.create(
        kind="nps",
        scale="nps",
        nps_round=1,
        case=case,
        contact=case.requester,
        state="answered",
        due_at=sent_at,
        sent_at=sent_at,
        channel="email",
        team=team,
        rating=rating,
        satisfied=True if rating >= 9 else (False if rating <= 6 else None),
        answered_at=sent_at + timedelta(hours=1),
    )


@pytest.fixture
def data(team, other_team, agent):
    cause = RootCause.objects.create(
        name="Double charge", path="Billing › Double charge", depth=1, owner_team=team
    )
    _csat(team, day=0, rating=1, agent=agent, root_cause=cause, effort=6, comment="Quick refund")
    _csat(team, day=1, rating=0, channel="chat", priority="high", effort=2, comment="Slow courier")
    _csat(team, day=8, rating=1, agent=agent, effort=7)
    _csat(team, day=9)  # not answered
    _csat(other_team, day=2, rating=0, comment="Other team's secret")
    _csat(team, day=40, rating=0)  # outside the period
    for day, rating in ((0, 10), (1, 3), (8, 8), (9, 9)):
        _nps(team, day=day, rating=rating)
    _nps(other_team, day=1, rating=0)
    return cause


def _get(client, user, **params):
    client.force_login(user)
    return client.get(URL, {**PERIOD, **params})


def _table(html, caption):
    start = html.index(f">{caption} <a")
    return html[start : html.index("</table>", start)]


def test_totals_and_each_dimension_equal_a_direct_count(client, supervisor, data, agent, team):
    response = _get(client, supervisor)
    assert response.status_code == 200
    page = response.context["figures"]
    inside = [
        s
        for s in Survey.objects.filter(kind="csat", team=team)
        if datetime(2026, 11, 2, tzinfo=UTC) <= s.sent_at < datetime(2026, 11, 30, tzinfo=UTC)
    ]
    answered = [s for s in inside if s.state == "answered"]
    assert (
        (page.csat_total.sent, page.csat_total.responses) == (len(inside), len(answered)) == (4, 3)
    )
    assert page.csat_total.csat == round(100 * 2 / 3, 1)
    assert page.csat_total.response_rate == 75.0
    tables = {t.name: dict(t.rows) for t in page.csat_tables}
    assert {k: (r.sent, r.responses, r.satisfied) for k, r in tables["channel"].items()} == {
        "Chat": (1, 1, 0),
        "Email": (3, 2, 2),
    }
    agent_label = agent.get_full_name() or agent.get_username()
    assert {k: (r.sent, r.satisfied) for k, r in tables["agent"].items()} == {
        agent_label: (2, 2),
        "Nobody assigned": (2, 0),
    }
    assert {k: r.sent for k, r in tables["priority"].items()} == {"High": 1, "Normal": 3}
    assert {k: r.csat for k, r in tables["root_cause"].items()} == {
        "Billing › Double charge": 100.0,
        "No root cause": 50.0,
    }
    assert {k: (r.sent, r.responses) for k, r in tables["period"].items()} == {
        "2026-11-02": (2, 2),
        "2026-11-09": (2, 1),
    }
    assert {k: r.csat for k, r in tables["team"].items()} == {"Billing": round(200 / 3, 1)}
    # NPS per week: 10 and 3 → 0; 8 and 9 → +50. Beside it, the count.
    nps = dict(page.nps_trend.rows)
    assert {k: (r.responses, r.nps) for k, r in nps.items()} == {
        "2026-11-02": (2, 0.0),
        "2026-11-09": (2, 50.0),
    }
    assert (page.nps_total.responses, page.nps_total.nps) == (4, 25.0)
    ces = dict(page.ces_trend.rows)
    assert ces["2026-11-02"].effort == 4.0
    html = response.content.decode()
    assert "25.0" in html
    assert 'data-chart="chart-nps"' in html
    assert '<script id="chart-nps" type="application/json">' in html
    assert "<td>50.0</td>" in _table(html, "NPS per week")  # the table beside the chart


def test_an_admin_sees_every_team(client, admin_user, data):
    page = _get(client, admin_user).context["figures"]
    assert page.csat_total.sent == 5
    assert page.nps_total.responses == 5


def test_monthly_trends(client, supervisor, data):
    page = _get(client, supervisor, by="month").context["figures"]
    assert [(k, r.responses) for k, r in page.nps_trend.rows] == [("2026-11-01", 4)]


def test_the_comments_are_searchable_and_paginated(client, supervisor, data, team, monkeypatch):
    response = _get(client, supervisor, q="courier")
    assert [s.comment for s in response.context["comments"]] == ["Slow courier"]
    html = _get(client, supervisor).content.decode()
    assert "Quick refund" in html
    assert "secret" not in html
    from apps.feedback import views

    monkeypatch.setattr(views, "COMMENTS_PAGE", 1)
    second = _get(client, supervisor, page=2).context["comments"]
    assert (second.number, second.paginator.num_pages) == (2, 2)


def _csv(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_csv_of_each_table(client, supervisor, data):
    rows = _csv(_get(client, supervisor, export="channel"))
    assert rows == [
        ["Channel", "Sent", "Responses", "Satisfied", "CSAT %", "Response rate %"],
        ["Chat", "1", "1", "0", "0.0", "100.0"],
        ["Email", "3", "2", "2", "100.0", "66.7"],
    ]
    nps = _csv(_get(client, supervisor, export="nps"))
    assert nps[0][:7] == [
        "Week starting",
        "Sent",
        "Responses",
        "Promoters",
        "Passives",
        "Detractors",
        "NPS",
    ]
    assert nps[1][:7] == ["2026-11-02", "2", "2", "1", "0", "1", "0.0"]
    ces = _csv(_get(client, supervisor, export="ces"))
    assert ces[1] == ["2026-11-02", "2", "4.0"]
    for name in ("team", "agent", "priority", "root_cause", "period"):
        assert len(_csv(_get(client, supervisor, export=name))) >= 2
    comments = _csv(_get(client, supervisor, export="comments", q="courier"))
    assert len(comments) == 2
    assert comments[1][-1] == "Slow courier"
    assert _get(client, supervisor, export="planet").status_code == 404


def test_a_formula_in_a_comment_stays_text_in_the_csv(client, supervisor, team):
    _csat(team, day=1, rating=0, comment='=HYPERLINK("http://evil")')
    comments = _csv(_get(client, supervisor, export="comments"))
    assert comments[1][-1].startswith("'=")


def test_permissions(client, agent, data, other_team):
    assert _get(client, agent).status_code == 403
    assert _get(client, agent, export="team").status_code == 403
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    stranger = SupervisorFactory(username="olga", teams=[other_team])
    page = _get(client, stranger).context["figures"]
    assert page.csat_total.sent == 1  # other_team's one survey, none of Billing's
    assert [label for label, _ in page.csat_tables[0].rows] == ["Logistics"]
    assert "Quick refund" not in _get(client, stranger).content.decode()


@pytest.mark.parametrize(
    "params", [{"from": "yesterday"}, {"by": "year"}, {"from": "2026-11-20", "to": "2026-11-01"}]
)
def test_bad_filters_are_a_400(client, supervisor, params):
    response = _get(client, supervisor, **params)
    assert response.status_code == 400


def test_constant_queries(client, supervisor, data, team, django_assert_max_num_queries):
    client.force_login(supervisor)
    client.get(URL, PERIOD)
    for day in range(10):
        _csat(team, day=day, rating=day % 2, agent=AgentFactory(teams=[team]), comment=f"c{day}")
        _nps(team, day=day, rating=day)
    # 3 (session, user, role) + 9 figures + 3 labels + 2 comments + 1 notification badge
    with django_assert_max_num_queries(18):
        response = client.get(URL, PERIOD)
    assert response.status_code == 200
    with django_assert_max_num_queries(4):  # session, user, role, the comments
        _csv(client.get(URL, {**PERIOD, "export": "comments"}))
