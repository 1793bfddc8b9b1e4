"""A receiver that fails is retried with exponential backoff, then delivered when it recovers."""

import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status
SLACK = timedelta(seconds=5)  # the time an attempt itself takes


def _assert_backoff(wait: timedelta, *, after_attempts: int) -> None:
    expected = services.BACKOFF_BASE * 2 ** (after_attempts - 1)
    assert expected <= wait <= expected * (1 + services.BACKOFF_JITTER) + SLACK


def test_a_500_is_retried_with_growing_waits_then_delivered(receiver, subscription):
    receiver.status = 500
    delivery = WebhookDeliveryFactory(subscription=subscription)
    now = timezone.now()

    for attempt in (1, 2, 3, 4):
        retry_at = services.delivery_attempt(delivery_id=delivery.pk, now=now)

        delivery.refresh_from_db()
        assert delivery.status == Status.PENDING
        assert delivery.attempts == attempt
        assert delivery.last_status_code == 500
        assert delivery.last_error.startswith("HTTP 500")
        assert delivery.next_attempt_at == retry_at
        _assert_backoff(retry_at - now, after_attempts=attempt)
        # not due yet: nothing is sent
        early = retry_at - timedelta(seconds=1)
        assert services.delivery_attempt(delivery_id=delivery.pk, now=early) is None
        assert len(receiver.requests) == attempt
        now = retry_at

    receiver.status = 200
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now) is None

    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.attempts == 5
    assert delivery.last_status_code == 200
    assert delivery.last_error == ""
    assert delivery.next_attempt_at is None
    assert len(receiver.requests) == 5
    # every try carries the same event id and delivery id, signed anew
    assert {r.headers["cxdesk-event-id"] for r in receiver.requests} == {str(delivery.event_id)}
    assert len({r.headers["cxdesk-signature"] for r in receiver.requests}) == 5


def test_the_backoff_is_capped():
    backoff = services.DELIVERIES.backoff
    assert backoff.delay(30, jitter=False) == services.BACKOFF_CAP
    assert backoff.delay(10_000, jitter=False) == services.BACKOFF_CAP
    assert backoff.delay(1, jitter=False) == timedelta(seconds=30)
    assert backoff.delay(4, jitter=False) == timedelta(minutes=4)


def test_a_timeout_counts_as_a_failure(receiver, subscription, monkeypatch):
    monkeypatch.setattr(services, "TOTAL_TIMEOUT", 0.3)
    receiver.delay = 3.0
    delivery = WebhookDeliveryFactory(subscription=subscription)

    started = time.monotonic()
    retry_at = services.delivery_attempt(delivery_id=delivery.pk)

    assert time.monotonic() - started < 2
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
    assert delivery.last_status_code is None
    assert delivery.last_error.startswith("timeout")
    assert retry_at == delivery.next_attempt_at


def test_a_refused_connection_counts_as_a_failure(subscription):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    subscription.url = f"http://127.0.0.1:{port}/hooks"
    subscription.save()
    delivery = WebhookDeliveryFactory(subscription=subscription)

    retry_at = services.delivery_attempt(delivery_id=delivery.pk)

    delivery.refresh_from_db()
    assert retry_at is not None
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
    assert "ConnectError" in delivery.last_error


def test_a_redirect_is_not_followed(receiver, subscription):
    receiver.status = 302
    receiver.headers = {"Location": receiver.url + "/elsewhere"}
    delivery = WebhookDeliveryFactory(subscription=subscription)

    services.delivery_attempt(delivery_id=delivery.pk)

    assert len(receiver.requests) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.last_status_code == 302
