"""A case write never fails because the broker is down; the sweep sends what it could not."""

import logging

import pytest
from django.db import transaction
from kombu.exceptions import OperationalError

from apps.webhooks import services, tasks
from apps.webhooks.models import WebhookDelivery
from tests.factories import CaseFactory
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def broker_down(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OperationalError("Error 111 connecting to redis:6379. Connection refused.")

    monkeypatch.setattr(tasks.deliver, "delay", refuse)
    return calls


def test_the_write_commits_its_deliveries_and_the_sweep_sends_them_later(
    receiver, admin_user, broker_down, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    for _ in range(3):
        WebhookSubscriptionFactory(owner=admin_user, url=receiver.url)
    case = CaseFactory()

    with (
        caplog.at_level(logging.WARNING, logger="apps.core.queue"),
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),  # what a case service does
    ):
        case.subject = "Charged twice"
        case.save()
        created = services.event_emit(event="case.updated", data={"id": case.pk}, case=case)

    assert created == 3
    case.refresh_from_db()
    assert case.subject == "Charged twice"
    assert WebhookDelivery.objects.filter(status=Status.PENDING).count() == 3
    assert len(broker_down) == 1  # gave up at the first refusal instead of waiting three times
    assert "the sweep will pick it up" in caplog.text
    assert receiver.requests == []

    monkeypatch.undo()  # the broker is back
    tasks.retry_due_deliveries.delay()

    assert len(receiver.requests) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {Status.DELIVERED}
    event_ids = {r.headers["cxdesk-event-id"] for r in receiver.requests}
    assert len(event_ids) == 1


def test_a_retry_that_cannot_be_scheduled_is_left_to_the_sweep(receiver, subscription, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.deliver, "apply_async", refuse)
    receiver.status = 500
    delivery = WebhookDeliveryFactory(subscription=subscription)

    tasks.deliver(delivery.pk)  # does not raise

    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.attempts == 1
