"""Nothing is answered twice: a lost task is resumed by the beat sweep, a dead worker's claim
is released and the case answered once, and a worker that lost its claim writes nothing."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.cases.models import Case, Interaction
from apps.problems import services
from apps.problems.models import ProblemAnswer
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(fixed, team, supervisor):
    cases = [CaseFactory(team=team, channel="chat", status=Case.Status.OPEN) for _ in range(3)]
    services.problem_link_cases(
        problem_id=fixed.pk, case_ids=[c.pk for c in cases], actor=supervisor
    )
    return cases


def _start_without_the_task(fixed, supervisor, capture):
    with capture(execute=False):  # the broker lost the task
        services.answer_together_start(problem_id=fixed.pk, body="Fixed.", actor=supervisor)


def test_the_sweep_resumes_a_run_whose_task_was_lost(
    fixed, listed, supervisor, senders, django_capture_on_commit_callbacks
):
    _start_without_the_task(fixed, supervisor, django_capture_on_commit_callbacks)
    assert ProblemAnswer.objects.filter(status="pending").count() == 3
    with django_capture_on_commit_callbacks(execute=True):
        assert services.answers_sweep() == 0  # too fresh: its own task may still come
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.answers_sweep() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.answers_sweep() == 0  # nothing left: safe to run twice
    assert ProblemAnswer.objects.filter(status="answered").count() == 3
    assert len(senders.SENT) == 3


def test_a_dead_workers_claim_is_released_and_the_case_answered_once(
    fixed, listed, supervisor, senders, django_capture_on_commit_callbacks
):
    _start_without_the_task(fixed, supervisor, django_capture_on_commit_callbacks)
    first = ProblemAnswer.objects.order_by("pk").first()
    assert services.ANSWERS.claim(first.pk) is not None  # a worker took it, then died
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_together_run(problem_id=fixed.pk)
    first.refresh_from_db()
    assert first.status == "answering"  # still held: not answered by the others' run
    with (
        time_machine.travel(timezone.now() + timedelta(minutes=10)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.answers_sweep()
    first.refresh_from_db()
    assert first.status == "answered"
    assert first.attempts == 2  # the lost attempt counts
    assert Interaction.objects.filter(case_id=first.case_id, direction="out").count() == 1
    assert len(senders.SENT) == 3


def test_a_worker_that_lost_its_claim_writes_nothing(
    fixed, listed, supervisor, senders, django_capture_on_commit_callbacks
):
    _start_without_the_task(fixed, supervisor, django_capture_on_commit_callbacks)
    row = ProblemAnswer.objects.order_by("pk").first()
    old = services.ANSWERS.claim(row.pk)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        services.ANSWERS.release_stale()
        with django_capture_on_commit_callbacks(execute=True):
            assert services.answer_one(answer_id=row.pk) == "answered"  # the new claim
    # The old worker finishes now: its result is not written, its reply rolled back.
    assert services.ANSWERS.succeed(old) is False
    assert Interaction.objects.filter(case_id=row.case_id, direction="out").count() == 1


def test_a_start_while_a_run_goes_on_is_refused(
    fixed, listed, supervisor, django_capture_on_commit_callbacks
):
    _start_without_the_task(fixed, supervisor, django_capture_on_commit_callbacks)
    with pytest.raises(services.AnswerNotAllowed):
        services.answer_together_start(problem_id=fixed.pk, body="Again", actor=supervisor)


def test_only_a_fixed_problem_is_answered_together(problem, supervisor, team):
    case = CaseFactory(team=team, status=Case.Status.OPEN)
    services.problem_link_cases(problem_id=problem.pk, case_ids=[case.pk], actor=supervisor)
    with pytest.raises(services.AnswerNotAllowed):
        services.answer_together_start(problem_id=problem.pk, body="Hi", actor=supervisor)


def test_a_case_solved_meanwhile_is_skipped(
    fixed, listed, supervisor, senders, django_capture_on_commit_callbacks
):
    _start_without_the_task(fixed, supervisor, django_capture_on_commit_callbacks)
    Case.objects.filter(pk=listed[0].pk).update(status=Case.Status.SOLVED)
    with django_capture_on_commit_callbacks(execute=True):
        result = services.answer_together_run(problem_id=fixed.pk)
    assert result == {"answered": 2, "skipped": 1, "failed": 0}
    assert not Interaction.objects.filter(case=listed[0], direction="out").exists()


def test_failed_cases_can_be_tried_again(
    fixed, listed, supervisor, senders, settings, django_capture_on_commit_callbacks
):
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "apps.mail.outbound.send"}  # no chat sender
    with django_capture_on_commit_callbacks(execute=True):
        services.answer_together_start(problem_id=fixed.pk, body="Fixed.", actor=supervisor)
    assert ProblemAnswer.objects.filter(status="failed").count() == 3
    settings.CXDESK_OUTBOUND_SENDERS = {"chat": "tests.problems.senders.chat"}
    with django_capture_on_commit_callbacks(execute=True):
        assert services.answer_retry_failed(problem_id=fixed.pk, actor=supervisor) == 3
    assert ProblemAnswer.objects.filter(status="answered").count() == 3
    assert len(senders.SENT) == 3


def test_beat_runs_the_sweep_and_the_tasks_are_registered(settings):
    from apps.core.queue import task_named

    entry = settings.CELERY_BEAT_SCHEDULE["sweep-problem-answers"]
    assert entry["task"] == "apps.problems.tasks.sweep_answers"
    assert task_named(entry["task"]).name == entry["task"]
    assert task_named(services.ANSWER_TASK).name == "apps.problems.tasks.answer_together"
