"""NPS = % promoters − % detractors over hand-built answers, beside its response count; no
response, no figure; per team and per week, each team's supervisor seeing only their own."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.feedback import selectors
from apps.feedback.models import Survey
from tests.factories import CaseFactory, SupervisorFactory, TeamFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
END = datetime(2026, 12, 1, tzinfo=UTC)


def _nps(team, rating, *, day=0):
    case = CaseFactory(team=team, status="solved")
    sent_at = START + timedelta(days=day, hours=12)
    answered = rating is not None
    satisfied = None
    if answered:
        satisfied = True if rating >= 9 else (False if rating <= 6 else None)
    return Survey.objects.create(
        kind="nps",
        scale="nps",
        case=case,
        contact=case.requester,
        nps_round=1,
        state="answered" if answered else "sent",
        due_at=sent_at,
        sent_at=sent_at,
        channel="email",
        team=team,
        rating=rating,
        satisfied=satisfied,
        answered_at=sent_at + timedelta(hours=1) if answered else None,
    )


def test_the_formula_on_hand_built_answers(admin_user, team):
    # 4 promoters, 3 passives, 3 detractors, 2 not answered: (4 − 3) / 10 = +10.0
    for rating in (10, 10, 9, 9, 8, 7, 7, 6, 3, 0, None, None):
        _nps(team, rating)
    [total] = selectors.nps_figures(user=admin_user, start=START, end=END)
    assert (total.sent, total.responses) == (12, 10)
    assert (total.promoters, total.passives, total.detractors) == (4, 3, 3)
    assert total.nps == 10.0
    assert total.response_rate == round(100 * 10 / 12, 1)


def test_all_detractors_is_minus_100_all_promoters_plus_100(admin_user, team, other_team):
    for rating in (0, 6, 5):
        _nps(team, rating)
    for rating in (9, 10):
        _nps(other_team, rating)
    rows = {
        r.key: r for r in selectors.nps_figures(user=admin_user, start=START, end=END, group="team")
    }
    assert rows[team.pk].nps == -100.0
    assert rows[other_team.pk].nps == 100.0


def test_no_response_no_figure_not_zero(admin_user, team):
    [empty] = selectors.nps_figures(user=admin_user, start=START, end=END)
    assert (empty.responses, empty.nps) == (0, None)
    _nps(team, None)
    [unanswered] = selectors.nps_figures(user=admin_user, start=START, end=END)
    assert (unanswered.sent, unanswered.responses, unanswered.nps) == (1, 0, None)
    assert unanswered.as_dict()["nps"] is None


def test_csat_answers_do_not_count(admin_user, team):
    _nps(team, 10)
    case = CaseFactory(team=team, status="solved")
    Survey.objects.create(
        case=case,
        contact=case.requester,
        state="answered",
        due_at=START,
        sent_at=START + timedelta(hours=1),
        team=team,
        rating=0,
        satisfied=False,
        answered_at=START + timedelta(hours=2),
    )
    [total] = selectors.nps_figures(user=admin_user, start=START, end=END)
    assert (total.responses, total.nps) == (1, 100.0)


def test_per_week_trend(admin_user, team):
    _nps(team, 10, day=0)
    _nps(team, 0, day=1)
    _nps(team, 9, day=7)
    rows = selectors.nps_figures(user=admin_user, start=START, end=END, group="week")
    assert [(r.key.isoformat(), r.responses, r.nps) for r in rows] == [
        ("2026-11-02", 2, 0.0),
        ("2026-11-09", 1, 100.0),
    ]
    months = selectors.nps_figures(user=admin_user, start=START, end=END, group="month")
    assert [(r.key.isoformat(), r.responses) for r in months] == [("2026-11-01", 3)]


def test_a_supervisor_sees_only_their_teams(team, other_team, supervisor):
    _nps(team, 10)
    _nps(other_team, 0)
    [mine] = selectors.nps_figures(user=supervisor, start=START, end=END)
    assert (mine.responses, mine.nps) == (1, 100.0)
    outsider = SupervisorFactory(username="olga", teams=[TeamFactory(name="Sales", slug="sales")])
    [nothing] = selectors.nps_figures(user=outsider, start=START, end=END)
    assert (nothing.responses, nothing.nps) == (0, None)
