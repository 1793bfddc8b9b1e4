"""After MAX_ATTEMPTS failed tries a delivery is failed for good, and nothing more is sent."""

import pytest
from django.utils import timezone

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_a_delivery_fails_for_good_after_max_attempts(receiver, subscription):
    receiver.status = 503
    delivery = WebhookDeliveryFactory(subscription=subscription)
    now = timezone.now()

    for _ in range(services.MAX_ATTEMPTS - 1):
        now = services.delivery_attempt(delivery_id=delivery.pk, now=now)
        assert now is not None
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now) is None

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS == 8
    assert delivery.next_attempt_at is None
    assert delivery.last_status_code == 503
    assert len(receiver.requests) == services.MAX_ATTEMPTS

    # a late task or sweep sends nothing more, even a long time after
    later = now + services.BACKOFF_CAP * 2
    assert services.delivery_attempt(delivery_id=delivery.pk, now=later) is None
    assert len(receiver.requests) == services.MAX_ATTEMPTS


def test_a_deactivated_subscription_fails_its_pending_deliveries_without_sending(
    receiver, subscription
):
    delivery = WebhookDeliveryFactory(subscription=subscription)
    services.subscription_deactivate(subscription_id=subscription.pk)

    services.delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == Status.FAILED
    assert "inactive" in delivery.last_error
