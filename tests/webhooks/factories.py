"""Factories for webhook rows (the shared ones live in tests/factories.py)."""

import uuid

import factory
from django.utils import timezone

from apps.webhooks.models import EVENT_TYPES, WebhookDelivery, WebhookSubscription
from tests.factories import AdminFactory


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Integration {n}")
    url = "http://127.0.0.1:9/hooks"  # the discard port: tests that send pass the receiver's
    events = factory.LazyFunction(lambda: list(EVENT_TYPES))
    owner = factory.SubFactory(AdminFactory)


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    subscription = factory.SubFactory(WebhookSubscriptionFactory)
    event = "case.created"
    event_id = factory.LazyFunction(uuid.uuid4)
    created_at = factory.LazyFunction(timezone.now)
    next_attempt_at = factory.SelfAttribute("created_at")
    payload = factory.LazyAttribute(
        lambda d: {
            "id": str(d.event_id),
            "event": d.event,
            "created_at": d.created_at.isoformat(),
            "data": {"case": {"id": 1, "subject": "Double charge"}},
        }
    )
