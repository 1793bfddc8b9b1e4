"""What one queue row shows."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.cases.models import Case, Channel
from tests.factories import AgentFactory, CaseFactory, ContactFactory

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_row_shows_the_case_at_a_glance(client, agent, team):
    cleo = AgentFactory(teams=[team], first_name="Cleo", last_name="Ng")
    case = CaseFactory(
        team=team,
        subject="Parcel never came",
        requester=ContactFactory(name="Ann Example"),
        channel=Channel.PHONE,
        status=Case.Status.OPEN,
        priority=Case.Priority.HIGH,
        assignee=cleo,
        next_breach_at=NOW + timedelta(minutes=35),
    )
    Case.objects.filter(pk=case.pk).update(updated_at=NOW - timedelta(hours=2))
    client.force_login(agent)
    with time_machine.travel(NOW, tick=False):
        body = client.get(reverse("home"), {"view": "breaching"}).content.decode()
    for text in (
        f'<a href="/cases/{case.pk}/">{case.reference}</a>',
        "Parcel never came",
        "Ann Example",
        '<span class="channel channel-phone" title="Phone">'
        '<span class="channel-icon" aria-hidden="true">☎</span> Phone</span>',
        '<span class="status status-open">Open</span>',
        "High</span>",
        "Cleo Ng",
        '<span class="due soon"><time',
        ">due in 35 min</time>",
        ">2 h ago</time>",
        f'<input type="checkbox" name="case" value="{case.pk}" id="select-{case.pk}" '
        f'aria-label="Select {case.reference}">',
    ):
        assert text in body, text
