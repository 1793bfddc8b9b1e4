"""SLA badges in the case header: each running target with its time left, from the case's
clocks (apps.sla.selectors.case_sla_state), only where a policy applies."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.sla import services as sla_services
from tests.factories import CaseFactory, InteractionFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Europe/London business hours


def header(client, case) -> str:
    body = client.get(reverse("case-detail", args=[case.pk])).content.decode()
    return body.split('id="case-header"')[1].split("</section>")[0]


def test_running_targets_show_their_time_left(client, agent, team):
    SlaPolicyFactory(
        name="Standard",
        targets={("normal", "first_response"): 60, ("normal", "resolution"): 480},
    )
    with time_machine.travel(MONDAY_9AM, tick=False):
        case = CaseFactory(team=team, assignee=agent, created_at=MONDAY_9AM)
        InteractionFactory(case=case, occurred_at=MONDAY_9AM)
        sla_services.case_sla_recompute(case_id=case.pk)
    client.force_login(agent)
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=25), tick=False):
        shown = header(client, case)
    assert 'aria-label="Service levels (Standard)"' in shown
    assert "First response:" in shown
    assert ">due in 35 min</time>" in shown
    assert "Resolution:" in shown
    assert ">due in 7 h 35 min</time>" in shown
    assert "sla-badge sla-active soon" in shown  # under an hour: the warning colour

    with time_machine.travel(MONDAY_9AM + timedelta(minutes=75), tick=False):
        shown = header(client, case)
    assert ">breached 15 min ago</time>" in shown
    assert "sla-badge sla-active breached" in shown


def test_no_policy_no_badges(client, agent, team):
    case = CaseFactory(team=team, assignee=agent)
    client.force_login(agent)
    assert "Service levels" not in header(client, case)
