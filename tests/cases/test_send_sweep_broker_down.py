"""The send sweep with the broker down: it stops at the first refusal, the rows wait for it."""

import pytest

from apps.cases import services, tasks
from apps.cases.models import Interaction
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    """Every publish of send_interaction is refused; the list records each try."""
    tries = []

    def refuse(*args, **kwargs):
        tries.append(args)
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.send_interaction, "delay", refuse)
    return tries


def test_the_sweep_gives_up_at_the_first_refusal_and_leaves_the_sends_pending(
    agent, team, settings, broker_down
):
    settings.CXDESK_OUTBOUND_SENDERS = {"email": "tests.cases.test_outbound_sending.fake_sender"}
    case = CaseFactory(team=team, channel="email")
    replies = [
        services.case_reply(case_id=case.pk, agent=agent, body_text=f"reply {n}") for n in range(3)
    ]

    assert tasks.send_due_interactions() == 0  # none queued
    assert len(broker_down) == 1  # one refusal, not one wait per due send
    pending = Interaction.objects.filter(pk__in=[r.pk for r in replies])
    assert set(pending.values_list("delivery_status", flat=True)) == {Interaction.Delivery.PENDING}
