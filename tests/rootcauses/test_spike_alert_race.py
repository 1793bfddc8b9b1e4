"""Two workers running the spike task at once record one spike and alert its owner team
once (PostgreSQL: the partial unique index and the conditional UPDATE, across connections)."""

import threading

import pytest
from django.db import connection, connections, transaction

from apps.notifications.models import Notification
from apps.rootcauses import services
from apps.rootcauses.models import RootCauseSpike
from tests.factories import AgentFactory
from tests.rootcauses.spike_data import NOW, TODAY, add_cases, aged_cause, steady_history

pytestmark = [
    pytest.mark.postgresql,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="two connections racing"),
]


@pytest.fixture
def spiking(product_team):
    AgentFactory(username="pia", teams=[product_team])
    AgentFactory(username="per", teams=[product_team])
    cause = aged_cause("Card arrival", product_team)
    steady_history(cause, per_day=2)
    add_cases(cause, TODAY, 20)
    return cause


def test_a_second_worker_waits_for_the_first_then_alerts_nobody(spiking):
    """The first worker has recorded and alerted the spike, not committed yet; the second
    waits on the unique index, then finds the spike the first committed, already alerted."""
    first_done, first_may_commit = threading.Event(), threading.Event()
    runs: dict[str, services.SpikeRun] = {}

    def first():
        try:
            with transaction.atomic():
                runs["first"] = services.spikes_detect(now=NOW)
                first_done.set()
                first_may_commit.wait(10)
        finally:
            connections.close_all()

    def second():
        try:
            runs["second"] = services.spikes_detect(now=NOW)
        finally:
            connections.close_all()

    one = threading.Thread(target=first)
    one.start()
    assert first_done.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)
    assert two.is_alive()  # waiting for the first worker's uncommitted spike
    first_may_commit.set()
    one.join(10)
    two.join(10)

    spike = RootCauseSpike.objects.get()
    assert runs["first"].firing == runs["second"].firing == [spike.pk]
    assert (runs["first"].alerted, runs["second"].alerted) == (1, 0)
    assert Notification.objects.filter(kind=Notification.Kind.ROOT_CAUSE_SPIKE).count() == 2


def test_workers_racing_from_the_start_alert_once(spiking):
    barrier = threading.Barrier(4)
    alerted: list[int] = []

    def worker():
        try:
            barrier.wait(10)
            alerted.append(services.spikes_detect(now=NOW).alerted)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(alerted) == [0, 0, 0, 1]
    assert RootCauseSpike.objects.count() == 1
    assert Notification.objects.filter(kind=Notification.Kind.ROOT_CAUSE_SPIKE).count() == 2
