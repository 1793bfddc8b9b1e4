"""The outbox contract (apps/core/outbox.py), run against every outbox that uses the engine.

Each outbox is a model with its own status values and field names; the rules are the same:
one claim wins, a lost claim counts as an attempt, the cap fails a row visibly, a worker
whose claim was taken over writes nothing, the due list is bounded and costs one query, and
retries back off with jitter.
"""

import importlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from apps.cases.models import Interaction
from apps.cases.outbound import SENDS
from apps.core.outbox import Outbox
from apps.notifications.models import Notification
from apps.notifications.services import EMAILS
from apps.social.models import SocialEvent
from apps.social.services import EVENTS
from apps.webhooks.services import DELIVERIES
from tests.factories import CaseFactory, InteractionFactory, SupervisorFactory
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


@dataclass
class Subject:
    """One outbox and a way to make its rows."""

    outbox: Outbox
    new_row: object  # () -> pk of a new ready row

    def make(self, *, due_at=None, attempts: int = 0) -> int:
        """A ready row, due at `due_at` (now by default), with `attempts` finished tries."""
        pk = self.new_row()
        ob = self.outbox
        due_field = ob.due_field or ob.next_attempt_field
        values = {ob.attempts_field: attempts}
        values[due_field] = (due_at or timezone.now()) - ob.due_grace
        ob.model._default_manager.filter(pk=pk).update(**values)
        return pk

    def row(self, pk: int):
        return self.outbox.model._default_manager.get(pk=pk)

    def status(self, pk: int) -> str:
        return getattr(self.row(pk), self.outbox.status_field)

    def attempts(self, pk: int) -> int:
        return getattr(self.row(pk), self.outbox.attempts_field)

    def error(self, pk: int) -> str:
        return getattr(self.row(pk), self.outbox.error_field)

    def claimed_at(self, pk: int):
        return getattr(self.row(pk), self.outbox.claimed_at_field)

    def claimed_long_ago(self, pk: int, *, attempts: int) -> None:
        """The state a worker that died mid-attempt leaves."""
        self.outbox.model._default_manager.filter(pk=pk).update(
            **{
                self.outbox.status_field: self.outbox.claimed,
                self.outbox.claimed_at_field: timezone.now() - self.outbox.lease_now() * 2,
                self.outbox.attempts_field: attempts,
            }
        )


def _deliveries() -> Subject:
    subscription = WebhookSubscriptionFactory()
    return Subject(DELIVERIES, lambda: WebhookDeliveryFactory(subscription=subscription).pk)


def _sends() -> Subject:
    case = CaseFactory()
    return Subject(
        SENDS,
        lambda: (
            InteractionFactory(
                case=case,
                direction=Interaction.Direction.OUTBOUND,
                delivery_status=Interaction.Delivery.PENDING,
            ).pk
        ),
    )


def _events() -> Subject:
    return Subject(
        EVENTS,
        lambda: SocialEvent.objects.create(network="messenger", kind="dm", payload={}).pk,
    )


def _emails() -> Subject:
    recipient = SupervisorFactory()
    return Subject(
        EMAILS,
        lambda: (
            Notification.objects.create(
                recipient=recipient, kind="sla_breached", text="x", email_status="pending"
            ).pk
        ),
    )


def _answers() -> Subject:
    from apps.problems.models import Problem, ProblemAnswer
    from apps.problems.services import ANSWERS
    from apps.rootcauses.models import RootCause
    from tests.factories import TeamFactory

    team = TeamFactory()
    cause = RootCause.objects.create(name="Renewals", owner_team=team, path="Renewals")
    problem = Problem.objects.create(title="Double charge", root_cause=cause, owner_team=team)
    return Subject(
        ANSWERS, lambda: ProblemAnswer.objects.create(problem=problem, case=CaseFactory()).pk
    )


def _weekly_reports() -> Subject:
    from datetime import UTC, datetime

    from apps.console.models import WeeklyReport
    from apps.console.services import REPORTS

    weeks = iter(range(1, 1000))

    def new_row() -> int:
        start = datetime(2026, 1, 5, tzinfo=UTC) + timedelta(weeks=next(weeks))
        return WeeklyReport.objects.create(
            recipient=SupervisorFactory(), week_start=start, week_end=start + timedelta(days=7)
        ).pk

    return Subject(REPORTS, new_row)


SUBJECTS = [_deliveries, _sends, _events, _emails, _answers, _weekly_reports]


@pytest.fixture(params=SUBJECTS, ids=lambda make: make.__name__.strip("_"))
def subject(request, db) -> Subject:
    return request.param()


def _outboxes_in_apps() -> dict[str, Outbox]:
    """Every Outbox bound to a module-level name in apps/, by dotted name."""
    found = {}
    root = Path(__file__).resolve().parents[2]
    for path in sorted((root / "apps").rglob("*.py")):
        if "migrations" in path.parts or "management" in path.parts:
            continue
        module = importlib.import_module(".".join(path.relative_to(root).with_suffix("").parts))
        for value in vars(module).values():
            if isinstance(value, Outbox) and value.model.__module__.startswith("apps."):
                found.setdefault(f"{value.model.__module__}.{value.model.__name__}", value)
    return found


def test_the_contract_runs_against_every_outbox_in_the_apps():
    """A new Outbox(...) in an app joins SUBJECTS, or this fails naming it."""
    covered = {id(make().outbox) for make in SUBJECTS}
    missing = sorted(name for name, ob in _outboxes_in_apps().items() if id(ob) not in covered)
    assert not missing, f"outboxes the contract does not run against: {missing}"


def _with_backoff(subject: Subject) -> Subject:
    if subject.outbox.backoff is None:
        pytest.skip("every failure of this outbox is final: it has no backoff")
    return subject


# --- claim -------------------------------------------------------------------------------


def test_a_row_is_claimed_once(subject):
    pk = subject.make()
    now = timezone.now()

    first = subject.outbox.claim(pk, now=now)
    second = subject.outbox.claim(pk, now=now + timedelta(seconds=1))

    assert first is not None
    assert first.token == now
    assert first.attempt == 1
    assert second is None
    assert subject.status(pk) == subject.outbox.claimed


def test_a_finished_row_is_not_claimed_again(subject):
    pk = subject.make()
    claim = subject.outbox.claim(pk)

    assert subject.outbox.succeed(claim)

    assert subject.outbox.claim(pk) is None
    assert subject.status(pk) == subject.outbox.done
    assert subject.attempts(pk) == 1
    assert subject.error(pk) == ""


def test_a_permanent_failure_fails_at_once_with_its_error(subject):
    pk = subject.make()
    claim = subject.outbox.claim(pk)

    subject.outbox.fail(claim, "the recipient does not exist")

    assert subject.status(pk) == subject.outbox.failed
    assert subject.error(pk) == "the recipient does not exist"
    assert subject.outbox.due(limit=10, now=timezone.now() + timedelta(days=1)) == []


# --- the still-ours guard ------------------------------------------------------------------


def test_a_worker_whose_claim_was_taken_over_writes_nothing(subject):
    ob = subject.outbox
    pk = subject.make()
    start = timezone.now()
    slow = ob.claim(pk, now=start)
    later = start + ob.lease_now() + timedelta(seconds=1)
    ob.release_stale(now=later)  # the slow worker looks dead
    newer = ob.claim(pk, now=later)  # and another worker takes the row

    assert newer is not None
    assert ob.succeed(slow) is False  # the slow worker finishes: nothing is written
    assert ob.fail(slow, "too late") is False
    assert ob.retry(slow, "too late", now=later) is None
    assert subject.status(pk) == ob.claimed
    assert subject.claimed_at(pk) == later

    assert ob.succeed(newer) is True
    assert subject.status(pk) == ob.done
    assert subject.attempts(pk) == 2  # the lost attempt, then this one


# --- stale claims and the cap --------------------------------------------------------------


def test_a_stale_claim_is_released_and_counts_as_an_attempt(subject):
    ob = subject.outbox
    lost = subject.make()
    subject.claimed_long_ago(lost, attempts=1)
    busy = subject.make()
    ob.claim(busy)

    assert ob.release_stale() == 1

    assert (subject.status(lost), subject.attempts(lost)) == (ob.ready, 2)
    assert subject.error(lost) == ob.lost_error
    assert subject.claimed_at(lost) is None
    assert subject.status(busy) == ob.claimed
    assert ob.release_stale() == 0  # safe to run twice


def test_a_row_that_keeps_killing_its_worker_fails_at_the_cap_and_is_no_longer_due(subject):
    ob = subject.outbox
    pk = subject.make()
    subject.claimed_long_ago(pk, attempts=ob.max_attempts - 1)

    assert ob.release_stale() == 1

    assert subject.status(pk) == ob.failed
    assert subject.attempts(pk) == ob.max_attempts
    assert subject.error(pk) == ob.gave_up_error  # visible, with its error
    later = timezone.now() + timedelta(days=1)
    assert ob.due(limit=10, now=later) == []
    assert ob.release_stale(now=later) == 0


def test_a_transient_failure_at_the_cap_fails_the_row(subject):
    ob = subject.outbox
    pk = subject.make(attempts=ob.max_attempts - 1)
    claim = ob.claim(pk)

    assert ob.gives_up_after(claim)
    assert ob.retry(claim, "503 again", now=timezone.now()) is None

    assert (subject.status(pk), subject.attempts(pk)) == (ob.failed, ob.max_attempts)
    assert subject.error(pk) == "503 again"


# --- the due list --------------------------------------------------------------------------


def test_the_due_list_is_oldest_first_and_bounded(subject):
    now = timezone.now()
    rows = {m: subject.make(due_at=now - timedelta(minutes=m)) for m in (1, 5, 3, 4)}
    subject.make(due_at=now + timedelta(minutes=5))  # not due yet
    done = subject.make(due_at=now - timedelta(hours=1))
    subject.outbox.succeed(subject.outbox.claim(done, now=now))

    assert subject.outbox.due(limit=3, now=now) == [rows[5], rows[4], rows[3]]
    assert subject.outbox.due(limit=10, now=now) == [rows[5], rows[4], rows[3], rows[1]]


@pytest.mark.parametrize("rows", [2, 20])
def test_the_due_list_costs_one_query_whatever_the_rows(subject, rows, django_assert_num_queries):
    now = timezone.now()
    for minutes in range(rows):
        subject.make(due_at=now - timedelta(minutes=minutes))

    with django_assert_num_queries(1):
        due = subject.outbox.due(limit=10, now=now)

    assert len(due) == min(rows, 10)


def test_the_release_costs_two_queries_whatever_the_rows(subject, django_assert_num_queries):
    for attempts in (0, 1, subject.outbox.max_attempts - 1):
        subject.claimed_long_ago(subject.make(), attempts=attempts)

    with django_assert_num_queries(2):
        assert subject.outbox.release_stale() == 3


# --- backoff and reschedule ----------------------------------------------------------------


def test_the_backoff_grows_with_jitter_within_bounds(subject):
    backoff = _with_backoff(subject).outbox.backoff
    for attempts in range(1, 12):
        exact = min(backoff.base * 2 ** (attempts - 1), backoff.cap)
        assert backoff.delay(attempts, jitter=False) == exact
        waits = {backoff.delay(attempts) for _ in range(20)}
        assert all(exact <= w <= exact * (1 + backoff.jitter) for w in waits)
        assert len(waits) > 1  # jittered
    assert backoff.delay(2, jitter=False) == 2 * backoff.delay(1, jitter=False)
    assert backoff.delay(10_000, jitter=False) == backoff.cap


def test_a_transient_failure_reschedules_the_row_after_the_backoff(subject):
    ob = _with_backoff(subject).outbox
    pk = subject.make()
    now = timezone.now()
    claim = ob.claim(pk, now=now)

    retry_at = ob.retry(claim, "HTTP 503", now=now)

    exact = ob.backoff.delay(1, jitter=False)
    assert now + exact <= retry_at <= now + exact * (1 + ob.backoff.jitter)
    row = subject.row(pk)
    assert (subject.status(pk), subject.attempts(pk)) == (ob.ready, 1)
    assert getattr(row, ob.next_attempt_field) == retry_at
    assert subject.claimed_at(pk) is None
    assert ob.claim(pk, now=retry_at - timedelta(seconds=1)) is None  # not due yet
    assert ob.due(limit=10, now=retry_at - timedelta(seconds=1)) == []
    assert ob.due(limit=10, now=retry_at) == [pk]
    assert ob.claim(pk, now=retry_at).attempt == 2


def test_a_transient_failure_of_an_outbox_without_backoff_is_final(subject):
    ob = subject.outbox
    if ob.backoff is not None:
        pytest.skip("this outbox retries")
    pk = subject.make()

    assert ob.retry(ob.claim(pk), "cannot read it", now=timezone.now()) is None

    assert subject.status(pk) == ob.failed


def test_retry_now_makes_a_failed_row_due_and_keeps_its_attempts(subject):
    ob = subject.outbox
    pk = subject.make(attempts=ob.max_attempts - 1)
    ob.fail(ob.claim(pk), "down")

    assert ob.retry_now([pk, subject.make()]) == [pk]  # only the failed one is reset

    assert (subject.status(pk), subject.attempts(pk)) == (ob.ready, ob.max_attempts)
    claim = ob.claim(pk)
    assert claim is not None
    assert ob.gives_up_after(claim)
