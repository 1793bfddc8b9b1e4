"""The periodic sweep queues due deliveries in bounded batches and repairs lost claims."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.webhooks import services, tasks
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def queued(monkeypatch):
    """The ids `deliver` was queued with (instead of running it)."""
    ids = []
    monkeypatch.setattr(tasks.deliver, "delay", lambda delivery_id: ids.append(delivery_id))
    return ids


def test_the_sweep_queues_only_due_pending_deliveries(subscription, queued):
    now = timezone.now()
    due = WebhookDeliveryFactory(subscription=subscription, next_attempt_at=now)
    WebhookDeliveryFactory(subscription=subscription, next_attempt_at=now + timedelta(hours=1))
    WebhookDeliveryFactory(subscription=subscription, status=Status.DELIVERED, next_attempt_at=None)
    WebhookDeliveryFactory(subscription=subscription, status=Status.FAILED, next_attempt_at=None)

    assert tasks.retry_due_deliveries() == 1

    assert queued == [due.pk]


def test_the_sweep_works_in_bounded_batches_oldest_first(subscription, queued, monkeypatch):
    monkeypatch.setattr(tasks, "SWEEP_BATCH", 2)
    now = timezone.now()
    deliveries = [
        WebhookDeliveryFactory(
            subscription=subscription, next_attempt_at=now - timedelta(minutes=m)
        )
        for m in (1, 3, 2)  # minutes overdue
    ]

    tasks.retry_due_deliveries()

    assert queued == [deliveries[1].pk, deliveries[2].pk]


def test_the_sweep_releases_lost_claims_then_sends_them(receiver, subscription):
    lost = WebhookDeliveryFactory(
        subscription=subscription,
        status=Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=10),
    )

    tasks.retry_due_deliveries()  # eager: the queued task runs here

    lost.refresh_from_db()
    assert lost.status == Status.DELIVERED
    assert lost.attempts == 2
    assert len(receiver.requests) == 1


def test_running_the_sweep_twice_sends_once(receiver, subscription):
    WebhookDeliveryFactory(subscription=subscription)

    tasks.retry_due_deliveries()
    tasks.retry_due_deliveries()

    assert len(receiver.requests) == 1


def test_a_failed_task_schedules_its_next_try(receiver, subscription, monkeypatch):
    scheduled = []
    monkeypatch.setattr(
        tasks.deliver, "apply_async", lambda args, countdown: scheduled.append((args, countdown))
    )
    receiver.status = 500
    delivery = WebhookDeliveryFactory(subscription=subscription)

    tasks.deliver(delivery.pk)

    [(args, countdown)] = scheduled
    assert args == (delivery.pk,)
    assert 25 <= countdown <= 30 * (1 + services.BACKOFF_JITTER) + 1


def test_a_long_wait_is_left_to_the_sweep(receiver, subscription, monkeypatch):
    scheduled = []
    monkeypatch.setattr(
        tasks.deliver, "apply_async", lambda args, countdown: scheduled.append((args, countdown))
    )
    receiver.status = 500
    delivery = WebhookDeliveryFactory(subscription=subscription, attempts=6)

    tasks.deliver(delivery.pk)  # the 7th try fails: the next is in 32 minutes

    assert scheduled == []
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.next_attempt_at - timezone.now() > timedelta(minutes=30)
