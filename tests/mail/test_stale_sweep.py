"""The recovery sweep (emails_process_stale): messages stored but left unprocessed are
processed later; a message that never reaches an outcome is given up after an attempt cap
(failed, for the admin), and poison messages cannot keep a genuine one waiting."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.mail import selectors, services
from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db
Status = InboundEmail.Status


def _stuck(raw: bytes, *, minutes_ago: int, attempts: int = 1) -> InboundEmail:
    """A row left "received" (its worker died, or its outcome could not be stored)."""
    row = InboundEmail.objects.create(
        source="upload", raw=raw, raw_sha256="0" * 64, attempts=attempts
    )
    InboundEmail.objects.filter(pk=row.pk).update(
        received_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return row


@pytest.fixture
def poison_stays_received(monkeypatch):
    """Processing of a message containing POISON crashes, and recording the failure is
    refused too (as it was on PostgreSQL for an unindexable Message-ID)."""
    real_parse = services.parsing.parse_email

    def parse(raw):
        if b"POISON" in raw:
            raise RuntimeError("poison")
        return real_parse(raw)

    monkeypatch.setattr(services.parsing, "parse_email", parse)
    monkeypatch.setattr(services, "_mark_failed", lambda inbound, exc: None)


def test_poison_messages_cannot_starve_a_genuine_one(mailbox, make_email, poison_stays_received):
    poison = [_stuck(make_email(text="POISON"), minutes_ago=200 - i) for i in range(100)]
    genuine = _stuck(make_email(subject="Genuine"), minutes_ago=30)

    first = services.emails_process_stale(limit=100)
    second = services.emails_process_stale(limit=100)

    assert first == {Status.RECEIVED: 100}  # the 100 oldest: all poison
    assert second.get(Status.PROCESSED) == 1
    assert InboundEmail.objects.get(pk=genuine.pk).status == Status.PROCESSED
    attempts = sorted(
        InboundEmail.objects.filter(pk__in=[p.pk for p in poison]).values_list(
            "attempts", flat=True
        )
    )
    assert attempts == [2] + [3] * 99  # the genuine one went first, then the poison again


def test_a_message_without_an_outcome_is_given_up_at_the_attempt_cap(
    mailbox, make_email, poison_stays_received
):
    cap = services.MAX_PROCESSING_ATTEMPTS
    poison = _stuck(make_email(text="POISON"), minutes_ago=60)

    runs = [services.emails_process_stale() for _ in range(cap)]

    stored = InboundEmail.objects.get(pk=poison.pk)
    assert stored.attempts == cap
    assert runs[-1] == {"gave_up": 1}
    assert stored.status == Status.FAILED
    assert stored.error.startswith(f"Gave up after {cap} processing attempts")
    assert services.emails_process_stale() == {}  # not tried again by the sweep…
    assert selectors.inbound_emails_to_reprocess(ids=[poison.pk]) == [poison.pk]  # …by hand


def test_an_attempt_is_counted_before_processing_so_a_killed_worker_counts(
    mailbox, make_email, monkeypatch
):
    row = _stuck(make_email(), minutes_ago=60)

    def killed(raw):
        raise KeyboardInterrupt  # the process dies: nothing after this line runs

    monkeypatch.setattr(services.parsing, "parse_email", killed)
    with pytest.raises(KeyboardInterrupt):
        services.emails_process_stale()

    assert InboundEmail.objects.get(pk=row.pk).attempts == 2


def test_a_fresh_message_killing_its_first_worker_has_that_attempt_counted(
    mailbox, make_email, monkeypatch
):
    def killed(raw):
        raise KeyboardInterrupt

    monkeypatch.setattr(services.parsing, "parse_email", killed)
    with pytest.raises(KeyboardInterrupt):
        services.email_receive(raw=make_email(), source="upload", mailbox=mailbox)

    stored = InboundEmail.objects.get()
    assert (stored.status, stored.attempts) == (Status.RECEIVED, 1)


def test_the_sweep_reads_a_bounded_batch_in_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.inbound_emails_stale(received_before=timezone.now(), limit=100, max_attempts=5)
