"""`manage.py demo_data` fills the social channel's event log and the webhook delivery log:
customer messages sent to the demo's social accounts come through the social webhooks' own
reader and ingester into cases (one per conversation), and the paused CRM subscription shows
the deliveries it made and the failures it was paused for — nothing sent anywhere."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from apps.cases.models import Case, Channel
from apps.social.models import SocialEvent
from apps.webhooks.models import WebhookDelivery, WebhookSubscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("demo_data", "--cases", "30", stdout=StringIO())


def test_social_messages_are_processed_into_cases_one_per_conversation(demo):
    events = list(SocialEvent.objects.select_related("case", "account"))
    assert len(events) == 5
    assert {e.status for e in events} == {SocialEvent.Status.PROCESSED}
    assert {e.network for e in events} == {"facebook", "instagram", "x"}
    assert {e.kind for e in events} == {"dm", "comment", "mention"}
    assert all(e.account and e.case and e.interaction_id for e in events)
    # The two Messenger messages of one customer: one conversation, one case.
    messenger = {e.case_id for e in events if e.network == "facebook"}
    assert len(messenger) == 1
    cases = Case.objects.filter(pk__in={e.case_id for e in events})
    assert cases.count() == 4
    assert set(cases.values_list("channel", flat=True)) == {Channel.SOCIAL}
    assert set(cases.values_list("team__slug", flat=True)) == {"customer-care"}
    # Opened when the first message came, not when the load ran.
    x_dm = next(e for e in events if e.network == "x" and e.kind == "dm")
    assert x_dm.case.created_at == x_dm.interaction.occurred_at
    assert x_dm.case.requester.name == "Chloe Dupont"


def test_the_event_log_and_the_social_queue_show_them(demo, client):
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get("/admin/social/socialevent/").content.decode()
    assert "Processed into a case" in page
    event = SocialEvent.objects.filter(network="x", kind="mention").get()
    queue = client.get("/?view=all&channel=social").content.decode()
    assert event.case.reference in queue


def test_the_paused_subscription_shows_its_deliveries_and_why_it_was_paused(demo, client):
    subscription = WebhookSubscription.objects.get()
    assert not subscription.is_active
    deliveries = list(WebhookDelivery.objects.filter(subscription=subscription))
    statuses = [d.status for d in sorted(deliveries, key=lambda d: (d.created_at, d.pk))]
    assert statuses[-2:] == ["failed", "failed"]  # the newest: the CRM answered 503
    assert set(statuses[:-2]) == {"delivered"}
    failed = [d for d in deliveries if d.status == "failed"]
    assert {(d.last_status_code, d.next_attempt_at) for d in failed} == {(503, None)}
    for delivery in deliveries:  # the real payload of the event, about a real case
        case = Case.objects.get(pk=delivery.payload["data"]["case"]["id"])
        assert delivery.payload["event"] == delivery.event == "case.created"
        assert delivery.payload["data"]["case"]["reference"] == case.reference
        assert delivery.payload["id"] == str(delivery.event_id)
    client.force_login(get_user_model().objects.get(username="admin"))
    page = client.get("/admin/webhooks/webhookdelivery/").content.decode()
    assert "HTTP 503 Service Unavailable" in page or "503" in page
