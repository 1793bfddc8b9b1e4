"""Building the root-cause rollups: the command (every missing day, in batches; --rebuild),
the beat entry and its task by name, idempotence, and marks on today going without a build."""

from datetime import timedelta

import pytest
import time_machine
from celery import current_app
from django.core.management import call_command

from apps.rootcauses import rollups, tasks
from apps.rootcauses.models import RootCauseRollupCell, RootCauseRollupDay, RootCauseRollupMark
from tests.factories import CaseFactory, TeamFactory
from tests.rootcauses.report_data import NOW, seed

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(team, other_team):
    with time_machine.travel(NOW, tick=False):
        causes = seed(team, other_team, TeamFactory(name="Payments", slug="payments"))
    RootCauseRollupDay.objects.all().delete()  # the seed built them: start afresh
    return causes


def test_the_command_builds_every_missing_day_in_batches(seeded, capsys):
    with time_machine.travel(NOW, tick=False):
        call_command("rootcause_rollups", "--days-per-batch", "10")
    assert "Built 51 days" in capsys.readouterr().out  # 2026-10-10 (the first case) to 11-29
    assert RootCauseRollupDay.objects.count() == 51
    cells = RootCauseRollupCell.objects.count()
    with time_machine.travel(NOW, tick=False):
        call_command("rootcause_rollups", "--rebuild")
    assert "Built 51 days" in capsys.readouterr().out
    assert RootCauseRollupCell.objects.count() == cells  # the same cells again


def test_a_second_build_with_nothing_marked_builds_nothing(seeded):
    assert rollups.rollups_build(now=NOW, max_days=None)["built"] == 51
    assert rollups.rollups_build(now=NOW, max_days=None)["built"] == 0


def test_marks_on_today_go_without_a_build_of_today(seeded, team):
    rollups.rollups_build(now=NOW, max_days=None)
    rollups.ROLLUPS.mark([NOW])
    result = rollups.rollups_build(now=NOW)
    assert (result["built"], result["marks"]) == (0, 1)
    assert not RootCauseRollupMark.objects.exists()
    assert not RootCauseRollupDay.objects.filter(day=NOW.date()).exists()


def test_a_marked_day_is_rebuilt_with_its_new_cases(seeded, team):
    double, _ = seeded
    rollups.rollups_build(now=NOW, max_days=None)
    at = NOW - timedelta(days=3)
    CaseFactory(root_cause=double, team=team, created_at=at)
    rollups.ROLLUPS.mark([at])
    assert rollups.rollups_build(now=NOW)["built"] == 1
    day = RootCauseRollupDay.objects.get(day=at.date())
    assert RootCauseRollupCell.objects.get(day=day).cases == 1


def test_beat_enqueues_the_build_by_name(settings, seeded):
    entry = settings.CELERY_BEAT_SCHEDULE["build-root-cause-rollups"]
    assert entry["task"] == "apps.rootcauses.tasks.build_rollups"
    with time_machine.travel(NOW, tick=False):
        result = tasks.build_rollups.delay().get()
    assert result["built"] == 31  # a month of days a run; the rest the next
    assert current_app.tasks[entry["task"]].name == tasks.build_rollups.name
