"""A spike's notice to a stakeholder of the owner team links to their dashboard of that team
(the spikes page is not theirs: apps/accounts/confinement.py); the team's other members
still get the spikes page."""

import pytest
import time_machine

from apps.notifications.models import Notification
from apps.rootcauses import tasks
from tests.factories import AgentFactory, StakeholderFactory
from tests.rootcauses.spike_data import NOW, TODAY, add_cases, aged_cause, steady_history

pytestmark = pytest.mark.django_db


def test_a_stakeholder_is_sent_to_their_dashboard(
    client, product_team, django_capture_on_commit_callbacks
):
    StakeholderFactory(username="pia", teams=[product_team])
    AgentFactory(username="alf", teams=[product_team])
    cause = aged_cause("Card arrival", product_team)
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)

    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        assert tasks.detect_spikes.delay().get() == 1

    links = {n.recipient.username: n.link for n in Notification.objects.all()}
    assert links == {
        "pia": f"/root-causes/dashboard/?owner_team={product_team.pk}",
        "alf": "/root-causes/spikes/",
    }
    pia = Notification.objects.get(recipient__username="pia").recipient
    client.force_login(pia)
    with time_machine.travel(NOW, tick=False):
        page = client.get(links["pia"])
    assert page.status_code == 200
    assert "Card arrival" in page.content.decode()
