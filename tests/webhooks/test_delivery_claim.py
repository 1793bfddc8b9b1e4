"""A delivery is claimed before it is sent: a second task run, or a second worker, sends nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.webhooks import services, tasks
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_a_second_attempt_on_a_delivered_delivery_sends_nothing(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription)
    services.delivery_attempt(delivery_id=delivery.pk)

    services.delivery_attempt(delivery_id=delivery.pk)  # the task redelivered by the broker
    tasks.deliver(delivery.pk)

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 1


def test_a_delivery_another_worker_is_sending_is_left_alone(receiver, subscription):
    delivery = WebhookDeliveryFactory(
        subscription=subscription, status=Status.SENDING, claimed_at=timezone.now()
    )

    assert services.delivery_attempt(delivery_id=delivery.pk) is None

    assert receiver.requests == []
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.SENDING


def test_a_stale_claim_is_released_and_counts_as_an_attempt(receiver, subscription):
    now = timezone.now()
    lost = WebhookDeliveryFactory(
        subscription=subscription,
        status=Status.SENDING,
        claimed_at=now - timedelta(minutes=6),
        attempts=2,
    )
    busy = WebhookDeliveryFactory(
        subscription=subscription, status=Status.SENDING, claimed_at=now - timedelta(minutes=1)
    )
    last_chance = WebhookDeliveryFactory(
        subscription=subscription,
        status=Status.SENDING,
        claimed_at=now - timedelta(hours=1),
        attempts=services.MAX_ATTEMPTS - 1,
    )

    assert services.DELIVERIES.release_stale(now=now) == 2

    lost.refresh_from_db()
    busy.refresh_from_db()
    last_chance.refresh_from_db()
    assert (lost.status, lost.attempts, lost.claimed_at) == (Status.PENDING, 3, None)
    assert lost.next_attempt_at == now
    assert "lost" in lost.last_error
    assert busy.status == Status.SENDING
    assert last_chance.status == Status.FAILED
    assert last_chance.attempts == services.MAX_ATTEMPTS
    assert services.DELIVERIES.release_stale(now=now) == 0  # safe to run twice
