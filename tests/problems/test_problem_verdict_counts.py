"""The verdict's counts from the database, on hand-built cases: the root cause and the nodes
under it, in the W days before the fix date and the days from it to yesterday, by local day."""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from apps.problems import selectors
from apps.problems.models import Problem
from apps.rootcauses import services as rootcauses
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

FIX = datetime.date(2026, 3, 2)
NOW = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)  # 14 whole days after the fix


def at(day: datetime.date, hour: int = 12):
    return datetime.datetime.combine(
        day, datetime.time(hour), tzinfo=timezone.get_default_timezone()
    )


@pytest.fixture
def detail(billing_cause, product_team):
    return rootcauses.root_cause_create(
        name="On renewal", parent=billing_cause, owner_team=product_team
    )


@time_machine.travel(NOW, tick=False)
def test_the_counts_and_the_verdict_of_a_fix(
    problem, billing_cause, detail, product_team, settings
):
    settings.CXDESK_PROBLEM_VERDICT_WINDOW_DAYS = 28
    Problem.objects.filter(pk=problem.pk).update(status="fixed", fix_date=FIX)
    problem.refresh_from_db()
    other = rootcauses.root_cause_create(name="Elsewhere", owner_team=product_team)
    # Before: 56 cases in the 28 days (2 a day), half under the node below the cause.
    for i in range(28):
        day = FIX - datetime.timedelta(days=i + 1)
        CaseFactory(root_cause=billing_cause, created_at=at(day))
        CaseFactory(root_cause=detail, created_at=at(day))
    # After: 7 in the 14 days (half a day), and today's, which is not a whole day yet.
    for i in range(7):
        CaseFactory(root_cause=billing_cause, created_at=at(FIX + datetime.timedelta(days=2 * i)))
    CaseFactory(root_cause=billing_cause, created_at=NOW)
    # Outside the windows, and other causes (counted in all cases only).
    CaseFactory(root_cause=billing_cause, created_at=at(FIX - datetime.timedelta(days=29)))
    for _ in range(44):
        CaseFactory(root_cause=other, created_at=at(FIX - datetime.timedelta(days=3)))
    CaseFactory.create_batch(3, created_at=at(FIX + datetime.timedelta(days=1)))

    verdict = selectors.problem_verdict(problem=problem)

    assert (verdict.before_days, verdict.after_days) == (28, 14)
    assert (verdict.before_cases, verdict.after_cases) == (56, 7)
    assert (verdict.before_total, verdict.after_total) == (100, 10)
    assert verdict.before_per_day == 2.0
    assert verdict.after_per_day == 0.5
    assert verdict.before_per_1000 == 560.0
    assert verdict.after_per_1000 == 700.0
    assert verdict.rate_ratio == pytest.approx(0.25)
    assert verdict.text == "complaints down 75 %, p < 0.001"


@time_machine.travel(NOW, tick=False)
def test_local_days_bound_the_windows(problem, billing_cause, settings):
    settings.TIME_ZONE = "America/New_York"
    Problem.objects.filter(pk=problem.pk).update(status="fixed", fix_date=FIX)
    problem.refresh_from_db()
    zone = ZoneInfo("America/New_York")
    # 23:30 in New York the evening before the fix is 04:30 UTC on the fix date: before.
    CaseFactory(
        root_cause=billing_cause, created_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=zone)
    )
    CaseFactory(
        root_cause=billing_cause, created_at=datetime.datetime(2026, 3, 2, 0, 30, tzinfo=zone)
    )
    verdict = selectors.problem_verdict(problem=problem)
    assert (verdict.before_cases, verdict.after_cases) == (1, 1)


def test_no_verdict_before_the_problem_is_fixed(problem):
    assert selectors.problem_verdict(problem=problem) is None


@time_machine.travel(NOW, tick=False)
def test_the_window_is_a_setting(problem, billing_cause, settings):
    settings.CXDESK_PROBLEM_VERDICT_WINDOW_DAYS = 7
    Problem.objects.filter(pk=problem.pk).update(status="verified", fix_date=FIX)
    problem.refresh_from_db()
    CaseFactory(root_cause=billing_cause, created_at=at(FIX - datetime.timedelta(days=7)))
    CaseFactory(root_cause=billing_cause, created_at=at(FIX - datetime.timedelta(days=8)))
    verdict = selectors.problem_verdict(problem=problem)
    assert (verdict.before_days, verdict.after_days, verdict.before_cases) == (7, 7, 1)
