"""SLA clocks through a real Celery worker: nothing calls the computation directly, and a
worker killed mid-recompute loses nothing (the case stays dirty; the sweep repairs it).

Runs when a broker and a database the worker can open are set (see
tests/core/test_celery_worker.py); skips otherwise.
"""

import os
import signal
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from apps.sla import services
from apps.sla.models import CaseMetrics, SlaClock
from cxdesk.celery import app as celery_app
from tests.celery_workers import TASK_TIMEOUT, WorkerProcess
from tests.factories import SlaPolicyFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _to_the_test_worker(worker: WorkerProcess, monkeypatch) -> Iterator[None]:
    """Tasks the services enqueue go to this module's worker, not to the default queue."""
    monkeypatch.setattr(celery_app.conf, "task_default_queue", worker.queue)
    start = len(worker.output())
    yield
    print(f"--- worker output ({worker.queue}) ---\n{worker.output()[start:]}")


@pytest.fixture
def policy(db):
    return SlaPolicyFactory(
        calendar=None,  # around the clock: the test does not depend on the hour it runs at
        targets={("normal", "first_response"): 60, ("normal", "resolution"): 600},
    )


def _clocks(case_id: int) -> dict[str, str]:
    return dict(SlaClock.objects.filter(case_id=case_id).values_list("metric", "state"))


def test_a_case_created_and_answered_gets_its_clocks_from_the_worker(
    worker, policy, admin_api, team
):
    created = admin_api.post(
        "/api/v1/cases/",
        {
            "subject": "Parcel lost",
            "channel": "web",
            "team": team.pk,
            "requester": {"email": "kim@example.com"},
            "message": {"body_text": "Where is my parcel?"},
        },
        format="json",
    )
    assert created.status_code == 201
    case_id = created.json()["id"]
    worker.wait_for(
        lambda: _clocks(case_id) == {"first_response": "active", "resolution": "active"},
        what="clocks computed by the worker",
        timeout=TASK_TIMEOUT,
    )

    reply = admin_api.post(
        f"/api/v1/cases/{case_id}/interactions/",
        {"type": "reply", "body_text": "Found it: it arrives tomorrow."},
        format="json",
    )
    assert reply.status_code == 201
    worker.wait_for(
        lambda: _clocks(case_id).get("first_response") == "met",
        what="first response met by the worker's recompute",
        timeout=TASK_TIMEOUT,
    )
    assert services.dirty_case_ids(limit=10) == []
    figures = CaseMetrics.objects.get(case_id=case_id)
    assert figures.agent_replies == 1
    assert figures.first_response_seconds is not None
    assert figures.fcr is None  # not solved yet


@pytest.mark.postgresql
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="holds a row lock from a second connection"
)
def test_a_worker_killed_mid_recompute_loses_nothing(worker, policy, admin_api, team, monkeypatch):
    created = admin_api.post(
        "/api/v1/cases/",
        {
            "subject": "Refund missing",
            "channel": "web",
            "team": team.pk,
            "requester": {"email": "lee@example.com"},
            "message": {"body_text": "No refund yet."},
        },
        format="json",
    )
    case_id = created.json()["id"]
    worker.wait_for(lambda: bool(_clocks(case_id)), what="first recompute", timeout=TASK_TIMEOUT)

    # Hold the case's clock rows from another connection: the next recompute blocks inside its
    # transaction (its upsert waits for them), where the worker is then killed.
    settings = connection.settings_dict
    blocker = psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        dbname=settings["NAME"],
    )
    blocker.execute("SELECT 1 FROM sla_slaclock WHERE case_id = %s FOR UPDATE", [case_id])
    received = worker.output().count("apps.sla.tasks.recompute_case[")
    reply = admin_api.post(
        f"/api/v1/cases/{case_id}/interactions/",
        {"type": "reply", "body_text": "Refunded."},
        format="json",
    )
    assert reply.status_code == 201
    worker.wait_for(
        lambda: worker.output().count("apps.sla.tasks.recompute_case[") > received,
        what="the recompute to start",
        timeout=TASK_TIMEOUT,
    )
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)
    blocker.rollback()
    blocker.close()

    assert _clocks(case_id)["first_response"] == "active"  # the killed recompute wrote nothing
    assert services.dirty_case_ids(limit=10) == [case_id]  # … and the case says so

    monkeypatch.setattr(celery_app.conf, "task_always_eager", True)  # the worker is gone
    services.sla_sweep()
    assert _clocks(case_id)["first_response"] == "met"
    assert services.dirty_case_ids(limit=10) == []
