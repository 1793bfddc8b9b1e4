"""A worker that stalled past its lease neither sends the reply again nor gives it a second
Message-ID.

Worker A claims a reply and stalls before it makes the Message-ID; the sweep releases the
claim, worker B claims it, makes the Message-ID and sends. When A wakes up it must not send:
the reply is B's now (delivery is at-least-once only for a worker that died, and then with
the same Message-ID).
"""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.cases import outbound as core
from apps.cases import services
from apps.cases.models import Interaction
from apps.mail import outbound
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db
Delivery = Interaction.Delivery


@pytest.fixture(autouse=True)
def email_sender(settings):
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "apps.mail.outbound.send"}


@pytest.fixture
def pending_reply(agent, team):
    customer = ContactFactory(name="Ann")
    customer.identities.create(kind="email", value="ann@example.net")
    case = services.case_open(
        requester=customer,
        subject="Refund",
        channel="email",
        team=team,
        body_text="Where is my refund?",
    ).case
    # Not captured: the send task does not run, the reply stays pending.
    return services.case_reply(case_id=case.pk, agent=agent, body_text="On its way.")


def _claimed_by(interaction_id: int, at) -> Interaction:
    """The row as a worker holds it after claiming it at `at`."""
    Interaction.objects.filter(pk=interaction_id).update(
        delivery_status=Delivery.SENDING, claimed_at=at
    )
    return Interaction.objects.select_related("case", "case__requester", "author_agent").get(
        pk=interaction_id
    )


def test_a_stalled_worker_does_not_send_what_another_worker_took_over(pending_reply):
    start = timezone.now()
    stalled = _claimed_by(pending_reply.pk, start)  # worker A, then it stalls
    later = start + timedelta(minutes=5)
    taker = _claimed_by(pending_reply.pk, later)  # worker B after the sweep
    b_id = outbound.send(taker)

    with pytest.raises(core.TransientSendError):
        outbound.send(stalled)  # A wakes up

    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [b_id]
    assert Interaction.objects.get(pk=pending_reply.pk).metadata["message_id"] == b_id


def test_a_stalled_worker_that_finds_no_message_id_sends_nothing(pending_reply):
    start = timezone.now()
    stalled = _claimed_by(pending_reply.pk, start)
    _claimed_by(pending_reply.pk, start + timedelta(minutes=5))  # B claimed, not sent yet

    with pytest.raises(core.TransientSendError):
        outbound.send(stalled)

    assert mail.outbox == []
    assert "message_id" not in (Interaction.objects.get(pk=pending_reply.pk).metadata or {})


def test_the_worker_holding_the_claim_stores_its_message_id_before_sending(pending_reply):
    holder = _claimed_by(pending_reply.pk, timezone.now())
    message_id = outbound.send(holder)
    assert Interaction.objects.get(pk=pending_reply.pk).metadata["message_id"] == message_id
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id
