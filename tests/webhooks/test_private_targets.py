"""Webhook URLs cannot be aimed at this machine or its private network (SSRF)."""

import pytest
from django.core.exceptions import ValidationError

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _production_rule(settings):
    settings.CXDESK_WEBHOOK_ALLOW_PRIVATE_TARGETS = False


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "https://api.localhost/x",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://172.16.5.4/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_and_loopback_urls_are_refused(admin_user, url):
    with pytest.raises(ValidationError) as exc:
        services.subscription_create(owner=admin_user, url=url, events=["case.created"])
    assert "private" in str(exc.value.message_dict["url"])


def test_public_urls_are_accepted(admin_user):
    subscription = services.subscription_create(
        owner=admin_user, url="https://93.184.216.34/x", events=["case.created"]
    )
    assert subscription.pk


def test_a_name_that_resolves_to_a_private_address_is_not_sent_to(admin_user, resolver):
    subscription = services.subscription_create(
        owner=admin_user, url="https://hooks.example.com/x", events=["case.created"]
    )
    resolver.answer("hooks.example.com", "10.0.0.7")
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="case.created", payload={"x": 1}
    )
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert delivery.status == "pending"
    assert "private" in delivery.last_error


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:127.0.0.1",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "64:ff9b:1::a00:1",
        "2002:a9fe:a9fe::1",
        "2002:7f00:1::",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "fd00::1",
        "ff02::1",
        "100.64.0.1",
        "224.0.0.1",
    ],
)
def test_a_name_resolving_to_an_ipv6_form_of_a_private_address_is_not_contacted(
    admin_user, resolver, connections, address
):
    subscription = services.subscription_create(
        owner=admin_user, url="https://hooks.example.com/x", events=["case.created"]
    )
    resolver.answer("hooks.example.com", address)
    connections.block_all = True
    delivery = WebhookDelivery.objects.create(
        subscription=subscription, event="case.created", payload={"x": 1}
    )
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert connections.attempts == []
    assert delivery.status == "pending"
    assert "refused" in delivery.last_error
    assert delivery.last_status_code is None
    assert delivery.response_excerpt == ""


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[64:ff9b:1::a00:1]/",
        "http://[2002:7f00:1::1]/hook",
        "http://[2001::1]/hook",
        "http://100.64.0.1/hook",
        "http://[fe80::1]/hook",
    ],
)
def test_a_subscription_cannot_be_changed_to_a_private_target(admin_user, url):
    subscription = services.subscription_create(
        owner=admin_user, url="https://93.184.216.34/x", events=["case.created"]
    )
    with pytest.raises(ValidationError) as exc:
        services.subscription_update(subscription_id=subscription.pk, url=url)
    assert "private" in str(exc.value.message_dict["url"])
    subscription.refresh_from_db()
    assert subscription.url == "https://93.184.216.34/x"
