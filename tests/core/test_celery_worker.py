"""Tasks through a real Celery worker process: broker, serialization, worker settings, database.

Every other test runs tasks eagerly in the test process. These send a message to a broker and
let a `celery worker` subprocess, started against the same test database, run the task. They
need a broker both processes reach:

- redis://… or amqp://… (a server; what CI uses), with PostgreSQL or a SQLite file database;
- filesystem:// (kombu's embedded transport) works too, but only with a database the worker can
  open: PostgreSQL, or SQLite when the test database is a file. pytest-django makes SQLite test
  databases in memory, so with the default settings these tests skip under filesystem://.

Without a broker (the newcomer's `make test`) they skip with the reason. Run them with e.g.
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxdesk \
  CELERY_BROKER_URL=redis://127.0.0.1:6379/15 make test PYTEST_ARGS="-m worker -rs"
"""

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from apps.cases.models import Case, CaseEvent
from apps.cases.tasks import close_solved_cases
from tests.celery_workers import TASK_TIMEOUT, WorkerProcess
from tests.factories import CaseFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _worker_output_on_failure(worker: WorkerProcess) -> Iterator[None]:
    """Print the worker's output of this test; pytest shows it when the test fails."""
    start = len(worker.output())
    yield
    print(f"--- worker output ({worker.queue}) ---\n{worker.output()[start:]}")


def _solved_case(*, days_ago: int) -> Case:
    return CaseFactory(
        status=Case.Status.SOLVED, solved_at=timezone.now() - timedelta(days=days_ago)
    )


def _closed_with_its_event(case: Case) -> bool:
    return Case.objects.filter(pk=case.pk, status=Case.Status.CLOSED).exists() and (
        CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.STATUS).exists()
    )


def test_worker_closes_cases_solved_longer_ago_than_the_auto_close_delay(worker):
    assert settings.CXDESK_AUTO_CLOSE_AFTER_DAYS < 10
    overdue = _solved_case(days_ago=10)  # given
    recent = _solved_case(days_ago=0)

    close_solved_cases.apply_async(queue=worker.queue)  # when

    worker.wait_for(  # then
        lambda: _closed_with_its_event(overdue), what="closed case", timeout=TASK_TIMEOUT
    )
    overdue.refresh_from_db()
    assert overdue.status == Case.Status.CLOSED
    assert overdue.closed_at is not None
    event = overdue.events.get(kind=CaseEvent.Kind.STATUS)
    assert (event.before, event.after) == (Case.Status.SOLVED, Case.Status.CLOSED)
    assert event.actor is None  # the system closed it
    recent.refresh_from_db()
    assert recent.status == Case.Status.SOLVED
    assert not recent.events.exists()


def test_a_redelivered_sweep_closes_the_case_once(worker):
    case = _solved_case(days_ago=10)  # given
    task_id = str(uuid.uuid4())

    # when: the broker delivers the same message twice (as after a lost ack)
    close_solved_cases.apply_async(queue=worker.queue, task_id=task_id)
    close_solved_cases.apply_async(queue=worker.queue, task_id=task_id)

    worker.wait_for(  # then: both deliveries ran, only the first had anything to do
        lambda: len(worker.results_of(task_id)) == 2,
        what="two runs of the task",
        timeout=TASK_TIMEOUT,
    )
    assert sorted(worker.results_of(task_id)) == ["0", "1"]
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    events = case.events.filter(kind=CaseEvent.Kind.STATUS)
    assert [(e.before, e.after) for e in events] == [(Case.Status.SOLVED, Case.Status.CLOSED)]
