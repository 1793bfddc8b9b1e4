"""The admin shows subscriptions and the delivery log, cheaply, and can retry deliveries."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.factories import AgentFactory
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db

Status = WebhookDelivery.Status


@pytest.fixture
def log(subscription):
    others = WebhookSubscriptionFactory.create_batch(3, owner=AgentFactory())
    deliveries = [WebhookDeliveryFactory(subscription=s) for s in [subscription, *others] * 5]
    return deliveries


@pytest.mark.parametrize("model", ["webhooksubscription", "webhookdelivery"])
def test_the_changelists_render_with_bounded_queries(
    model, admin_client, log, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = admin_client.get(reverse(f"admin:webhooks_{model}_changelist"))
    assert response.status_code == 200


def test_the_delivery_log_filters_by_status_and_event(admin_client, log):
    failed = log[3]
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=Status.FAILED, next_attempt_at=None)

    response = admin_client.get(
        reverse("admin:webhooks_webhookdelivery_changelist"),
        {"status__exact": "failed", "event__exact": "case.created"},
    )

    assert list(response.context["cl"].result_list) == [WebhookDelivery.objects.get(pk=failed.pk)]


def test_a_delivery_page_shows_payload_error_and_answer(admin_client, subscription):
    delivery = WebhookDeliveryFactory(
        subscription=subscription,
        status=Status.FAILED,
        next_attempt_at=None,
        last_error="HTTP 500 Oops",
        response_excerpt="upstream exploded",
        attempts=8,
    )

    response = admin_client.get(
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk])
    )

    assert response.status_code == 200
    for text in (
        b"HTTP 500 Oops",
        b"upstream exploded",
        b"Double charge",
        str(delivery.event_id).encode(),
    ):
        assert text in response.content


def test_the_log_is_found_by_event_id_or_delivery_id(admin_client, log):
    url = reverse("admin:webhooks_webhookdelivery_changelist")

    by_event = admin_client.get(url, {"q": str(log[2].event_id)})
    by_id = admin_client.get(url, {"q": str(log[4].pk)})
    nonsense = admin_client.get(url, {"q": "not-an-id"})

    assert [d.pk for d in by_event.context["cl"].result_list] == [log[2].pk]
    assert [d.pk for d in by_id.context["cl"].result_list] == [log[4].pk]
    assert list(nonsense.context["cl"].result_list) == []


def test_retry_now_sends_failed_and_waiting_deliveries_again(
    admin_client, receiver, subscription, django_capture_on_commit_callbacks
):
    failed = WebhookDeliveryFactory(
        subscription=subscription, status=Status.FAILED, attempts=8, next_attempt_at=None
    )
    waiting = WebhookDeliveryFactory(
        subscription=subscription, attempts=2, next_attempt_at=failed.created_at.replace(year=2999)
    )
    delivered = WebhookDeliveryFactory(
        subscription=subscription, status=Status.DELIVERED, next_attempt_at=None, attempts=1
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "retry_now", ACTION_CHECKBOX_NAME: [failed.pk, waiting.pk, delivered.pk]},
            follow=True,
        )

    assert response.status_code == 200
    assert b"2 deliveries queued" in response.content
    assert len(receiver.requests) == 2
    assert {r.headers["cxdesk-delivery"] for r in receiver.requests} == {
        str(failed.pk),
        str(waiting.pk),
    }
    statuses = dict(WebhookDelivery.objects.values_list("pk", "status"))
    assert statuses == {
        failed.pk: Status.DELIVERED,
        waiting.pk: Status.DELIVERED,
        delivered.pk: Status.DELIVERED,
    }
    assert WebhookDelivery.objects.get(pk=delivered.pk).attempts == 1  # not sent again


def test_the_delivery_log_cannot_be_edited(admin_client, log):
    delivery = log[0]
    response = admin_client.post(
        reverse("admin:webhooks_webhookdelivery_change", args=[delivery.pk]),
        {"status": "delivered"},
    )
    assert response.status_code == 403
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == Status.PENDING


def test_a_subscription_is_added_in_admin_with_checked_events(admin_client, admin_user):
    url = reverse("admin:webhooks_webhooksubscription_add")
    bad = admin_client.post(
        url,
        {
            "name": "CRM",
            "url": "ftp://crm.example.com/h",
            "events": ["case.created"],
            "owner": admin_user.pk,
            "is_active": "on",
        },
    )
    assert bad.status_code == 200
    assert not WebhookSubscription.objects.exists()

    good = admin_client.post(
        url,
        {
            "name": "CRM",
            "url": "https://crm.example.com/h",
            "events": ["case.created", "sla.breached"],
            "owner": admin_user.pk,
            "is_active": "on",
        },
    )

    assert good.status_code == 302
    subscription = WebhookSubscription.objects.get()
    assert subscription.events == ["case.created", "sla.breached"]
    assert subscription.secret.startswith("whsec_")
    page = admin_client.get(
        reverse("admin:webhooks_webhooksubscription_change", args=[subscription.pk])
    )
    assert subscription.secret.encode() in page.content  # read-only, for the integrator


def test_rotate_secret_action(admin_client, subscription):
    before = subscription.secret

    admin_client.post(
        reverse("admin:webhooks_webhooksubscription_changelist"),
        {"action": "rotate_secret", ACTION_CHECKBOX_NAME: [subscription.pk]},
    )

    subscription.refresh_from_db()
    assert subscription.secret != before
