"""Deliveries are signed: a receiver verifies the bytes it got with the subscription secret."""

import hashlib
import hmac
import json
import time

import pytest

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery
from tests.webhooks.factories import WebhookDeliveryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def received(receiver, subscription):
    """The one request the receiver got for a delivery to `subscription`."""
    delivery = WebhookDeliveryFactory(subscription=subscription)
    services.delivery_attempt(delivery_id=delivery.pk)
    [request] = receiver.requests
    return delivery, request


def test_the_signature_verifies_with_the_secret_and_the_bytes_received(received, subscription):
    delivery, request = received

    header = request.headers["cxdesk-signature"]

    assert services.signature_verify(secret=subscription.secret, header=header, body=request.body)
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert abs(time.time() - timestamp) < 60
    assert json.loads(request.body) == delivery.payload
    assert request.body == services.payload_body(delivery.payload)  # compact, sorted keys


def test_a_tampered_body_or_another_secret_does_not_verify(received, subscription):
    _, request = received
    header = request.headers["cxdesk-signature"]
    tampered = request.body.replace(b"Double charge", b"Double refund")

    assert tampered != request.body
    assert not services.signature_verify(secret=subscription.secret, header=header, body=tampered)
    assert not services.signature_verify(secret="whsec_other", header=header, body=request.body)


def test_an_old_signature_is_rejected(received, subscription):
    _, request = received
    header = request.headers["cxdesk-signature"]

    later = time.time() + services.SIGNATURE_TOLERANCE + 5
    assert not services.signature_verify(
        secret=subscription.secret, header=header, body=request.body, now=later
    )
    assert services.signature_verify(
        secret=subscription.secret, header=header, body=request.body, now=time.time() + 60
    )


def test_the_header_format_is_documented_and_stable():
    header = services.signature_header(secret="whsec_test", timestamp=1700000000, body=b"{}")

    # hmac-sha256("whsec_test", b"1700000000.{}"), as any integrator computes it
    expected = hmac.new(b"whsec_test", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        "t=abc,v1=00",
        "v1=00",
        "t=1700000000",
        "t=1700000000,v1=",
        "t=²,v1=00",
        "t=1700000000,v1=é",
    ],
)
def test_a_malformed_header_does_not_verify(header):
    assert not services.signature_verify(
        secret="whsec_test", header=header, body=b"{}", now=1700000000
    )


def test_a_rotated_secret_signs_the_next_attempt(receiver, subscription):
    old_secret = subscription.secret
    services.subscription_rotate_secret(subscription_id=subscription.pk)
    subscription.refresh_from_db()
    delivery = WebhookDeliveryFactory(subscription=subscription)

    services.delivery_attempt(delivery_id=delivery.pk)

    [request] = receiver.requests
    header = request.headers["cxdesk-signature"]
    assert subscription.secret != old_secret
    assert subscription.secret.startswith("whsec_")
    assert services.signature_verify(secret=subscription.secret, header=header, body=request.body)
    assert not services.signature_verify(secret=old_secret, header=header, body=request.body)
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == WebhookDelivery.Status.DELIVERED
