"""A delivery the receiver accepts is sent once, with its headers, and logged as delivered."""

import pytest

from apps.webhooks import services, tasks
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


def test_a_delivery_succeeds_on_the_first_try(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription, event="case.updated")

    retry_at = services.delivery_attempt(delivery_id=delivery.pk)

    assert retry_at is None
    [request] = receiver.requests
    assert request.method == "POST"
    assert request.path == "/hooks/cxdesk"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "cxdesk-webhooks/1"
    assert request.headers["cxdesk-event"] == "case.updated"
    assert request.headers["cxdesk-event-id"] == str(delivery.event_id)
    assert request.headers["cxdesk-delivery"] == str(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 1
    assert delivery.last_status_code == 200
    assert delivery.response_excerpt == '{"received": true}'
    assert delivery.delivered_at is not None
    assert delivery.next_attempt_at is None
    assert delivery.last_error == ""
    assert delivery.claimed_at is None


def test_the_task_sends_it_too(receiver, subscription):
    delivery = WebhookDeliveryFactory(subscription=subscription)

    tasks.deliver.delay(delivery.pk)  # eager in tests

    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.DELIVERED


def test_any_2xx_counts_and_a_long_answer_is_kept_short(receiver, subscription):
    receiver.status = 202
    receiver.body = b"x" * 100_000
    delivery = WebhookDeliveryFactory(subscription=subscription)

    services.delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.last_status_code == 202
    assert delivery.response_excerpt == "x" * services.RESPONSE_EXCERPT_CHARS
