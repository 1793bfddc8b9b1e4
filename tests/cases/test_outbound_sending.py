"""Agent replies on channels with a sender are sent by Celery: claimed once, retried, visible."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.cases import outbound, services, tasks
from apps.cases.models import Interaction
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db
Delivery = Interaction.Delivery
SENT = []


def fake_sender(interaction):
    """Registered as the test channel's sender; behaviour set by the test through SENT."""
    behaviour = SENT.pop(0) if SENT else "ok"
    if behaviour == "transient":
        raise outbound.TransientSendError("provider answered 503")
    if behaviour == "permanent":
        raise outbound.PermanentSendError("recipient does not exist")
    return f"provider-id-{interaction.pk}"


@pytest.fixture(autouse=True)
def email_sender(settings):
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "tests.cases.test_outbound_sending.fake_sender"}
    SENT.clear()


def _reply(case, agent, capture):
    with capture(execute=True):
        return services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")


def test_a_reply_is_sent_after_commit_and_gets_the_channel_id(
    agent, team, django_capture_on_commit_callbacks
):
    case = CaseFactory(team=team, channel="email")
    reply = _reply(case, agent, django_capture_on_commit_callbacks)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT
    assert reply.delivery_attempts == 1
    assert reply.external_id == f"provider-id-{reply.pk}"
    assert reply.sent_at is not None


def test_channels_without_a_sender_send_nothing(agent, team, django_capture_on_commit_callbacks):
    case = CaseFactory(team=team, channel="phone")
    reply = _reply(case, agent, django_capture_on_commit_callbacks)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.NONE


def test_a_transient_failure_is_retried_with_backoff_then_sent(agent, team):
    case = CaseFactory(team=team, channel="email")
    SENT.extend(["transient", "transient"])
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    first = outbound.interaction_send(interaction_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.PENDING
    assert "503" in reply.delivery_error
    assert outbound.interaction_send(interaction_id=reply.pk) is None  # not due yet
    second = outbound.interaction_send(interaction_id=reply.pk, now=first + timedelta(seconds=1))
    assert second - first > timedelta(seconds=50)  # 30 s, then 60 s
    outbound.interaction_send(interaction_id=reply.pk, now=second + timedelta(seconds=1))
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT
    assert reply.delivery_attempts == 3
    assert reply.delivery_error == ""


def test_a_permanent_failure_fails_at_once_and_can_be_retried_by_hand(agent, team):
    case = CaseFactory(team=team, channel="email")
    SENT.append("permanent")
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    outbound.interaction_send(interaction_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.FAILED
    assert "does not exist" in reply.delivery_error
    outbound.interaction_retry_now(interaction_id=reply.pk)
    outbound.interaction_send(interaction_id=reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT


def test_it_gives_up_after_max_attempts(agent, team):
    case = CaseFactory(team=team, channel="email")
    SENT.extend(["transient"] * outbound.MAX_ATTEMPTS)
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    now = timezone.now()
    for _ in range(outbound.MAX_ATTEMPTS):
        retry_at = outbound.interaction_send(interaction_id=reply.pk, now=now)
        now = (retry_at or now) + timedelta(seconds=1)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.FAILED
    assert reply.delivery_attempts == outbound.MAX_ATTEMPTS


def test_a_redelivered_task_sends_once(agent, team):
    case = CaseFactory(team=team, channel="email")
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    tasks.send_interaction(reply.pk)
    SENT.append("permanent")  # a second send would fail: it must not happen
    tasks.send_interaction(reply.pk)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENT
    assert reply.delivery_attempts == 1


def test_the_sweep_sends_what_a_lost_task_left_and_releases_stale_claims(agent, team):
    case = CaseFactory(team=team, channel="email")
    lost = services.case_reply(case_id=case.pk, agent=agent, body_text="lost task")
    stuck = services.case_reply(case_id=case.pk, agent=agent, body_text="worker died")
    Interaction.objects.filter(pk=stuck.pk).update(
        delivery_status=Delivery.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert tasks.send_due_interactions() == 2
    statuses = set(
        Interaction.objects.filter(pk__in=[lost.pk, stuck.pk]).values_list(
            "delivery_status", flat=True
        )
    )
    assert statuses == {Delivery.SENT}


def test_a_reply_survives_a_broker_outage(
    agent, team, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    def broker_down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.send_interaction, "delay", broker_down)
    case = CaseFactory(team=team, channel="email")
    reply = _reply(case, agent, django_capture_on_commit_callbacks)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.PENDING  # stored; the sweep sends it later


def test_a_slow_worker_does_not_overwrite_the_worker_that_took_over(agent, team, monkeypatch):
    case = CaseFactory(team=team, channel="email")
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
    start = timezone.now()

    def slow_then_taken_over(interaction):
        # while we "send", the sweep releases our claim and another worker claims it
        Interaction.objects.filter(pk=interaction.pk).update(
            delivery_status=Delivery.SENDING, claimed_at=start + timedelta(minutes=30)
        )
        raise outbound.TransientSendError("took too long")

    monkeypatch.setitem(outbound.__dict__, "sender_for", lambda channel: slow_then_taken_over)
    outbound.interaction_send(interaction_id=reply.pk, now=start)
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENDING  # the other worker's claim stands
    assert reply.delivery_attempts == 0


def test_a_message_that_keeps_killing_its_worker_fails_at_the_cap(agent, team):
    case = CaseFactory(team=team, channel="email")
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="poison")
    old = timezone.now() - timedelta(hours=1)
    Interaction.objects.filter(pk=reply.pk).update(
        delivery_status=Delivery.SENDING,
        claimed_at=old,
        delivery_attempts=outbound.MAX_ATTEMPTS - 1,
    )
    assert outbound.sends_due() == []
    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.FAILED
    assert reply.delivery_attempts == outbound.MAX_ATTEMPTS
    assert "stopped before it finished" in reply.delivery_error


def test_a_released_claim_counts_as_an_attempt(agent, team):
    case = CaseFactory(team=team, channel="email")
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="hello")
    Interaction.objects.filter(pk=reply.pk).update(
        delivery_status=Delivery.SENDING, claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert outbound.sends_due() == [reply.pk]
    reply.refresh_from_db()
    assert (reply.delivery_status, reply.delivery_attempts) == (Delivery.PENDING, 1)


# --- A killed worker: the claim lease ---------------------------------------------------


class WorkerKilled(BaseException):
    """The worker process dies mid-send (not an Exception: nothing in the send catches it)."""


def send_email_then_die(interaction):
    """The real email sender, then death before the result is recorded: the SMTP server has
    the message, the row still says sending."""
    from apps.mail import outbound as mail_outbound

    mail_outbound.send(interaction)
    raise WorkerKilled


def _email_reply_claimed_by_a_dying_worker(agent, team, settings):
    from apps.contacts.models import ContactIdentity
    from tests.factories import ContactFactory

    customer = ContactFactory(name="Ann Customer")
    ContactIdentity.objects.create(contact=customer, kind="email", value="ann@example.net")
    case = services.case_open(requester=customer, subject="Refund", channel="email", team=team).case
    reply = services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")
    settings.CXDESK_OUTBOUND_SENDERS = {
        "email": "tests.cases.test_outbound_sending.send_email_then_die"
    }
    with pytest.raises(WorkerKilled):
        outbound.interaction_send(interaction_id=reply.pk)
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "apps.mail.outbound.send"}
    return reply


@pytest.mark.parametrize("lease", [120, 30])
def test_a_claim_older_than_the_lease_is_released_and_resent_with_the_same_message_id(
    agent, team, settings, mailoutbox, lease
):
    settings.CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS = lease
    with time_machine.travel(timezone.now(), tick=False) as clock:
        reply = _email_reply_claimed_by_a_dying_worker(agent, team, settings)
        clock.shift(timedelta(seconds=lease + 1))

        assert tasks.send_due_interactions() == 1

    reply.refresh_from_db()
    first, second = mailoutbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert reply.external_id == first.extra_headers["Message-ID"]
    assert reply.delivery_status == Delivery.SENT
    assert reply.delivery_attempts == 2  # the killed attempt counts


def test_a_claim_younger_than_the_lease_is_left_to_its_worker(agent, team, settings, mailoutbox):
    settings.CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS = 120
    with time_machine.travel(timezone.now(), tick=False) as clock:
        reply = _email_reply_claimed_by_a_dying_worker(agent, team, settings)
        clock.shift(timedelta(seconds=119))

        assert tasks.send_due_interactions() == 0

    reply.refresh_from_db()
    assert reply.delivery_status == Delivery.SENDING
    assert len(mailoutbox) == 1


def test_the_default_lease_is_two_minutes_and_outlasts_the_slowest_smtp_send():
    from django.conf import settings as django_settings

    assert outbound.claim_lease() == timedelta(seconds=120)
    # A send is about a dozen SMTP steps, each waiting at most EMAIL_TIMEOUT seconds.
    assert django_settings.EMAIL_TIMEOUT == 10
    assert outbound.claim_lease() >= timedelta(seconds=12 * django_settings.EMAIL_TIMEOUT)


def test_a_lease_shorter_than_a_send_can_take_is_refused_at_start_up(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.isupper() or k in ("PATH", "HOME")}
    env.update(
        DJANGO_SETTINGS_MODULE="cxdesk.settings",
        CXDESK_VAR_DIR=str(tmp_path),
        EMAIL_TIMEOUT="30",
        CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS="120",
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "CXDESK_OUTBOUND_CLAIM_LEASE_SECONDS" in result.stderr
    assert "EMAIL_TIMEOUT" in result.stderr
