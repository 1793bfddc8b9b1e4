"""Subscriptions: a clear error names what is wrong with the URL or the events."""

import pytest
from django.core.exceptions import ValidationError

from apps.webhooks import services
from apps.webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_a_subscription_is_created_with_a_fresh_secret(admin_user):
    subscription = services.subscription_create(
        owner=admin_user,
        url=" https://crm.example.com/hooks ",
        name="CRM",
        events=["case.created", "sla.breached", "case.created"],
    )

    assert subscription.url == "https://crm.example.com/hooks"
    assert subscription.events == ["case.created", "sla.breached"]  # de-duplicated
    assert subscription.secret.startswith("whsec_")
    assert len(subscription.secret) > 40
    assert subscription.is_active
    assert subscription.owner == admin_user
    other = services.subscription_create(
        owner=admin_user, url="http://10.0.0.5:8080/h", events=["case.updated"]
    )
    assert other.secret != subscription.secret


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "javascript:alert(1)",
        "example.com/hook",
        "http://",
        "https:///path",
        "",
        "http://[::1/x",
        "https://example.com/" + "a" * 2000,
    ],
)
def test_a_url_that_is_not_http_or_https_with_a_host_is_refused(admin_user, url):
    with pytest.raises(ValidationError) as error:
        services.subscription_create(owner=admin_user, url=url, events=["case.created"])

    assert set(error.value.message_dict) == {"url"}
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (["case.created", "case.exploded"], "Unknown event 'case.exploded'"),
        ([], "at least one event"),
        ("case.created", "list of event names"),
    ],
)
def test_unknown_or_missing_events_are_refused(admin_user, events, message):
    with pytest.raises(ValidationError) as error:
        services.subscription_create(owner=admin_user, url="https://x.example/h", events=events)

    assert set(error.value.message_dict) == {"events"}
    assert message in " ".join(error.value.message_dict["events"])


def test_every_field_error_is_reported_at_once(admin_user):
    with pytest.raises(ValidationError) as error:
        services.subscription_create(owner=admin_user, url="ftp://x", events=[])

    assert set(error.value.message_dict) == {"url", "events"}


def test_an_update_is_validated_like_a_creation(admin_user):
    subscription = services.subscription_create(
        owner=admin_user, url="https://x.example/h", events=["case.created"]
    )

    with pytest.raises(ValidationError):
        services.subscription_update(subscription_id=subscription.pk, events=["nope"])
    updated = services.subscription_update(
        subscription_id=subscription.pk, url="https://y.example/h", is_active=False
    )

    assert updated.url == "https://y.example/h"
    assert updated.events == ["case.created"]
    assert not updated.is_active
