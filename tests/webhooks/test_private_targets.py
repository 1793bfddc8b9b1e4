"""Webhook URLs cannot be aimed at this machine or its private network (SSRF)."""

import pytest
from django.core.exceptions import ValidationError

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_rule(settings):
    settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8000/hook", "http://localhost/hook", "https://api.localhost/x",
    "http://10.1.2.3/hook", "http://192.168.0.10/hook", "http://172.16.5.4/hook",
    "http://169.254.169.254/latest/meta-data", "http://[::1]/hook", "http://0.0.0.0/hook",
])
def test_private_and_loopback_urls_are_refused(admin_user, url):
    with pytest.raises(ValidationError) as exc:
        services.subscription_create(owner=admin_user, url=url, events=["case.created"])
    assert "private" in str(exc.value.message_dict["url"])


def test_public_urls_are_accepted(admin_user):
    subscription = services.subscription_create(owner=admin_user, url="https://93.184.216.34/x",
                                                events=["case.created"])
    assert subscription.pk


def test_a_name_that_resolves_to_a_private_address_is_not_sent_to(admin_user, settings,
                                                                    monkeypatch):
    subscription = services.subscription_create(owner=admin_user,
                                                url="https://hooks.example.com/x",
                                                events=["case.created"])
    monkeypatch.setattr(services.socket, "getaddrinfo",
                        lambda *a, **k: [(2, 1, 6, "", ("10.0.0.7", 443))])
    delivery = WebhookDelivery.objects.create(subscription=subscription, event="case.created",
                                              payload={"x": 1})
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.status == "pending"
    assert "private" in delivery.last_error
