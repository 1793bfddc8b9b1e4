"""The SLA sweep: breaches marked by one UPDATE, warnings and escalations fired once per clock."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from apps.cases.models import Case, CaseEvent
from apps.notifications.models import Notification
from apps.sla import services
from apps.sla.models import SlaClock
from apps.webhooks.models import WebhookDelivery
from tests.factories import CaseFactory, SlaPolicyFactory, SupervisorFactory, TeamFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def setup(db):
    team = TeamFactory()
    supervisor = SupervisorFactory(teams=[team])
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    case = CaseFactory(team=team, created_at=MONDAY_9AM)
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    return case, supervisor


def sweep(now, capture):
    with capture(execute=True):
        return services.sla_sweep(now=now)


def test_a_warning_is_fired_once_at_75_percent(setup, django_capture_on_commit_callbacks):
    case, supervisor = setup
    WebhookSubscriptionFactory(events=["sla.warning"])
    cap = django_capture_on_commit_callbacks

    assert sweep(MONDAY_9AM + timedelta(minutes=44), cap)["warnings"] == 0
    assert sweep(MONDAY_9AM + timedelta(minutes=45), cap)["warnings"] == 1
    assert sweep(MONDAY_9AM + timedelta(minutes=50), cap)["warnings"] == 0

    assert WebhookDelivery.objects.get().event == "sla.warning"
    assert Notification.objects.get(recipient=supervisor).kind == "sla_warning"


def test_a_breach_is_marked_and_fired_once_however_often_the_sweep_runs(
    setup, django_capture_on_commit_callbacks
):
    case, supervisor = setup
    cap = django_capture_on_commit_callbacks

    assert sweep(MONDAY_9AM + timedelta(minutes=59), cap)["escalated"] == 0
    first = sweep(MONDAY_9AM + timedelta(minutes=60), cap)
    again = sweep(MONDAY_9AM + timedelta(minutes=61), cap)

    assert (first["breached"], first["escalated"]) == (1, 1)
    assert (again["breached"], again["escalated"]) == (0, 0)
    clock = SlaClock.objects.get(case=case)
    assert (clock.state, clock.breached_at) == ("breached", MONDAY_9AM + timedelta(hours=1))
    assert Notification.objects.filter(recipient=supervisor, kind="sla_breached").count() == 1


def test_a_recompute_after_the_breach_keeps_it_fired(setup, django_capture_on_commit_callbacks):
    case, _ = setup
    sweep(MONDAY_9AM + timedelta(hours=2), django_capture_on_commit_callbacks)
    fired = SlaClock.objects.get(case=case).breach_fired_at

    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM + timedelta(hours=3))
    sweep(MONDAY_9AM + timedelta(hours=3), django_capture_on_commit_callbacks)

    clock = SlaClock.objects.get(case=case)
    assert (clock.state, clock.breach_fired_at) == ("breached", fired)
    assert Notification.objects.filter(kind="sla_breached").count() == 1


def test_escalation_moves_the_case_through_the_services(db, django_capture_on_commit_callbacks):
    first_line, second_line = TeamFactory(), TeamFactory()
    SlaPolicyFactory(
        targets={("normal", "first_response"): 60},
        escalate_priority="high",
        escalate_team=second_line,
    )
    case = CaseFactory(team=first_line, created_at=MONDAY_9AM)
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    sweep(MONDAY_9AM + timedelta(hours=1), django_capture_on_commit_callbacks)

    case.refresh_from_db()
    assert (case.priority, case.team_id) == ("high", second_line.pk)
    kinds = set(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"priority", "team"} <= kinds


def test_a_breach_first_seen_long_after_it_happened_notifies_nobody(
    setup, settings, django_capture_on_commit_callbacks
):
    settings.CXDESK_SLA_ESCALATION_WINDOW_SECONDS = 3600
    case, _ = setup

    result = sweep(MONDAY_9AM + timedelta(days=3), django_capture_on_commit_callbacks)

    assert result["escalated"] == 1  # stamped, so never fired later
    assert SlaClock.objects.get(case=case).breach_fired_at is not None
    assert not Notification.objects.exists()
    assert Case.objects.get(pk=case.pk).priority == "normal"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks: two sweeps at once on PostgreSQL"
)
def test_two_sweeps_at_the_same_instant_fire_each_breach_once():
    team = TeamFactory()
    SupervisorFactory(teams=[team])
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    cases = CaseFactory.create_batch(30, team=team, created_at=MONDAY_9AM)
    for case in cases:
        services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    services.clocks_breach(now=MONDAY_9AM + timedelta(hours=2))
    start = threading.Barrier(2)
    fired: list[int] = []

    def worker():
        try:
            start.wait(timeout=10)
            fired.append(services._fire_breaches(now=MONDAY_9AM + timedelta(hours=2), limit=500))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(fired)[-1] + sorted(fired)[0] == 30
    assert Notification.objects.filter(kind="sla_breached").count() == 30
