"""A social event is processed under a claim: a slow worker cannot overwrite the worker that
took over, and an event that keeps killing its worker is given up instead of retried forever."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.social import inbound, services
from apps.social.models import SocialEvent
from tests.social.factories import messaging_item, messenger_account, messenger_body

pytestmark = pytest.mark.django_db
Status = SocialEvent.Status


class WorkerKilled(BaseException):
    """The worker process dies mid-processing (nothing in event_process catches it)."""


def _stored_event(mid="m_claims"):
    batch = inbound.meta_pieces(messenger_body(messaging_item(mid=mid)))
    event, _ = services._event_store(batch.pieces[0])
    return event


def test_a_slow_worker_does_not_overwrite_the_result_of_the_worker_that_took_over(
    team, monkeypatch
):
    messenger_account(team=team)
    event = _stored_event()
    start = timezone.now()
    taken_over_at = start + timedelta(minutes=30)

    ingest = services._ingest

    def slow_then_taken_over(event):
        result = ingest(event)
        # while we worked, the sweep released our claim and another worker claimed the event
        SocialEvent.objects.filter(pk=event.pk).update(
            status=Status.PROCESSING, claimed_at=taken_over_at
        )
        return result

    monkeypatch.setattr(services, "_ingest", slow_then_taken_over)

    services.event_process(event_id=event.pk, now=start)

    event.refresh_from_db()
    assert event.status == Status.PROCESSING  # the other worker's claim stands
    assert event.claimed_at == taken_over_at
    assert event.processed_at is None


def test_an_event_that_keeps_killing_its_worker_is_given_up_at_the_cap(team, monkeypatch):
    messenger_account(team=team)
    event = _stored_event()

    def die(event):
        raise WorkerKilled

    monkeypatch.setattr(services, "_ingest", die)
    now = timezone.now() + timedelta(minutes=3)
    sweeps = 0
    while sweeps < 3 * services.MAX_ATTEMPTS:
        try:
            if services.events_process_stale(now=now) == 0:
                break
        except WorkerKilled:
            pass
        sweeps += 1
        now += services.STALE_CLAIM_AFTER + timedelta(seconds=1)

    event.refresh_from_db()
    assert sweeps == services.MAX_ATTEMPTS  # it was tried MAX_ATTEMPTS times, then left alone
    assert event.status == Status.FAILED
    assert event.attempts == services.MAX_ATTEMPTS
    assert "stopped before it finished" in event.error  # visible in the admin, to re-process


def test_a_given_up_event_can_be_reprocessed_by_hand(team, monkeypatch):
    messenger_account(team=team)
    event = _stored_event()
    SocialEvent.objects.filter(pk=event.pk).update(
        status=Status.FAILED, attempts=services.MAX_ATTEMPTS, error="given up"
    )

    event = services.event_reprocess(event_id=event.pk)

    assert event.status == Status.PROCESSED
    assert event.error == ""
    assert event.attempts == services.MAX_ATTEMPTS + 1
