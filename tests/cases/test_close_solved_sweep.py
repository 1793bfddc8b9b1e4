from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases import services, tasks
from apps.cases.models import Case
from apps.webhooks import services as webhook_services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
Status = Case.Status


def test_cases_solved_longer_than_the_delay_are_closed(settings):
    settings.CXDESK_AUTO_CLOSE_AFTER_DAYS = 4
    now = timezone.now()
    old = CaseFactory(status=Status.SOLVED, solved_at=now - timedelta(days=5))
    recent = CaseFactory(status=Status.SOLVED, solved_at=now - timedelta(days=3))
    still_open = CaseFactory(status=Status.OPEN)

    assert tasks.close_solved_cases.delay().get() == 1

    old.refresh_from_db(), recent.refresh_from_db(), still_open.refresh_from_db()
    assert (old.status, recent.status, still_open.status) == (
        Status.CLOSED,
        Status.SOLVED,
        Status.OPEN,
    )
    assert old.closed_at is not None


def test_the_sweep_is_safe_to_run_twice():
    CaseFactory(status=Status.SOLVED, solved_at=timezone.now() - timedelta(days=30))
    assert tasks.close_solved_cases() == 1
    assert tasks.close_solved_cases() == 0


def test_the_sweep_works_in_batches():
    solved_at = timezone.now() - timedelta(days=30)
    CaseFactory.create_batch(5, status=Status.SOLVED, solved_at=solved_at)
    assert services.cases_close_solved(batch_size=2) == 2
    assert services.cases_close_solved(batch_size=2) == 2
    assert services.cases_close_solved(batch_size=2) == 1
    assert not Case.objects.filter(status=Status.SOLVED).exists()


def test_a_batch_costs_the_same_number_of_queries_whatever_its_size(django_assert_num_queries):
    solved_at = timezone.now() - timedelta(days=30)
    CaseFactory.create_batch(3, status=Status.SOLVED, solved_at=solved_at)
    webhook_services.any_active_subscription()  # steady state: "nobody subscribes" is cached
    # savepoint, select, update, insert events, release
    with django_assert_num_queries(5):
        services.cases_close_solved()
    CaseFactory.create_batch(30, status=Status.SOLVED, solved_at=solved_at)
    with django_assert_num_queries(5):
        services.cases_close_solved()
