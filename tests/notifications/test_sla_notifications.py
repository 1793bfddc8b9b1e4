"""SLA warnings and breaches reach the case's assignee as well as its team's supervisors:
once each, a supervisor who is also the assignee once, however often the sweep runs."""

from datetime import UTC, datetime, timedelta

import pytest

from apps.notifications.models import Notification
from apps.sla import services as sla_services
from tests.factories import AgentFactory, CaseFactory, SlaPolicyFactory, SupervisorFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def breaching_case(team, assignee):
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    case = CaseFactory(team=team, assignee=assignee, status="open", created_at=MONDAY_9AM)
    sla_services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    return case


def sweep_twice(django_capture_on_commit_callbacks, *, at):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            sla_services.sla_sweep(now=at)


def kinds(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_the_assignee_hears_of_the_warning_and_the_breach_beside_the_supervisor(
    team, django_capture_on_commit_callbacks
):
    supervisor, agent = SupervisorFactory(teams=[team]), AgentFactory(teams=[team])
    bystander = AgentFactory(teams=[team])
    case = breaching_case(team, agent)

    sweep_twice(django_capture_on_commit_callbacks, at=MONDAY_9AM + timedelta(minutes=55))
    sweep_twice(django_capture_on_commit_callbacks, at=MONDAY_9AM + timedelta(hours=1))

    assert kinds(agent) == ["sla_breached", "sla_warning"]
    assert kinds(supervisor) == ["sla_breached", "sla_warning"]
    assert kinds(bystander) == []
    notice = Notification.objects.get(recipient=agent, kind="sla_breached")
    assert notice.case_id == case.pk
    assert notice.source.startswith("clock:")


def test_a_supervisor_who_is_the_assignee_is_told_once(team, django_capture_on_commit_callbacks):
    supervisor = SupervisorFactory(teams=[team])
    breaching_case(team, supervisor)

    sweep_twice(django_capture_on_commit_callbacks, at=MONDAY_9AM + timedelta(hours=1))

    assert kinds(supervisor) == ["sla_breached"]


def test_an_inactive_assignee_is_not_told(team, django_capture_on_commit_callbacks):
    agent = AgentFactory(teams=[team])
    breaching_case(team, agent)
    agent.is_active = False
    agent.save()

    sweep_twice(django_capture_on_commit_callbacks, at=MONDAY_9AM + timedelta(hours=1))

    assert kinds(agent) == []
