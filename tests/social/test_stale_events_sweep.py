"""The sweep processes what a crashed request stored but never processed. Safe to run twice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.cases.models import Case
from apps.social import inbound, services, tasks
from apps.social.models import SocialEvent
from tests.social.factories import messaging_item, messenger_account, messenger_body

pytestmark = pytest.mark.django_db
Status = SocialEvent.Status


def _stored_but_not_processed():
    batch = inbound.meta_pieces(messenger_body(messaging_item(mid="m_orphan")))
    event, _ = services._event_store(batch.pieces[0])
    return event


def test_an_event_left_received_is_processed_by_the_sweep(team):
    messenger_account(team=team)
    event = _stored_but_not_processed()
    later = timezone.now() + timedelta(minutes=3)

    assert services.events_process_stale(now=later) == 1
    assert services.events_process_stale(now=later) == 0

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
    assert Case.objects.get().interactions.get().external_id == "m_orphan"


def test_a_fresh_event_is_left_to_the_request_that_stored_it(team):
    messenger_account(team=team)
    _stored_but_not_processed()

    assert tasks.process_stale_events() == 0


def test_a_claim_abandoned_by_a_dead_worker_is_released_and_processed(team):
    messenger_account(team=team)
    event = _stored_but_not_processed()
    SocialEvent.objects.filter(pk=event.pk).update(
        status=Status.PROCESSING, claimed_at=timezone.now()
    )

    services.events_process_stale(now=timezone.now() + timedelta(minutes=10))

    event.refresh_from_db()
    assert event.status == Status.PROCESSED
