"""First-contact resolution through the API with a frozen clock: one reply then solved is FCR,
provisional for CXDESK_FCR_WINDOW_DAYS, final once the finalisation task has run — and what
the task stores is what a recompute stores."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.core.queue import task_named
from apps.sla import services
from apps.sla.models import CaseMetrics
from tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SOLVED = MONDAY_9AM + timedelta(hours=1)
FINALISE = "apps.sla.tasks.finalise_fcr"


@pytest.fixture
def policy():
    return SlaPolicyFactory(
        targets={("normal", "first_response"): 60, ("normal", "resolution"): 480}
    )


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """`with at(instant):` the clock frozen there, after-commit callbacks (the recompute the
    seam enqueues, eager here) run."""

    @contextmanager
    def frozen(instant):
        with (
            time_machine.travel(instant, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield

    return frozen


def open_case(api, team, *, email="dana@example.com"):
    response = api.post(
        "/api/v1/cases/",
        {
            "subject": "Card charged twice",
            "channel": "email",
            "priority": "normal",
            "team": team.pk,
            "requester": {"email": email},
            "message": {"body_text": "I was charged twice."},
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def reply(api, case_id, text="Refunded the second charge."):
    response = api.post(
        f"/api/v1/cases/{case_id}/interactions/",
        {"type": "reply", "body_text": text},
        format="json",
    )
    assert response.status_code == 201, response.content


def set_status(api, case_id, status):
    response = api.patch(f"/api/v1/cases/{case_id}/", {"status": status}, format="json")
    assert response.status_code == 200, response.content


def fcr_of(api, case_id):
    response = api.get(f"/api/v1/cases/{case_id}/metrics/")
    assert response.status_code == 200, response.content
    return response.json()["fcr"]


def one_reply_then_solved(api, team, at):
    with at(MONDAY_9AM):
        case_id = open_case(api, team)
    with at(MONDAY_9AM + timedelta(minutes=30)):
        reply(api, case_id)
    with at(SOLVED):
        set_status(api, case_id, "solved")
    return case_id


def test_one_reply_then_solved_is_fcr_provisional_until_the_window_has_passed(
    admin_api, team, policy, at
):
    case_id = one_reply_then_solved(admin_api, team, at)

    assert fcr_of(admin_api, case_id) == {
        "value": True,
        "state": "provisional",
        "reason": None,
        "repeat_case": None,
        "final_at": "2026-12-07T10:00:00Z",
        "window_days": 7,
    }
    with at(SOLVED + timedelta(days=7) - timedelta(seconds=1)):
        assert task_named(FINALISE).delay().get() == 0
    assert fcr_of(admin_api, case_id)["state"] == "provisional"

    with at(SOLVED + timedelta(days=7)):
        assert task_named(FINALISE).delay().get() == 1
    fcr = fcr_of(admin_api, case_id)
    assert (fcr["value"], fcr["state"], fcr["reason"]) == (True, "final", None)


def test_finalising_stores_what_a_recompute_stores_and_twice_changes_nothing(
    admin_api, team, policy, at
):
    case_id = one_reply_then_solved(admin_api, team, at)
    later = SOLVED + timedelta(days=8)

    with at(later):
        assert services.fcr_finalise() == 1
        assert services.fcr_finalise() == 0  # final already: not due again
    finalised = CaseMetrics.objects.filter(pk=case_id).values().get()
    with at(later):
        services.case_sla_recompute(case_id=case_id)
    recomputed = CaseMetrics.objects.filter(pk=case_id).values().get()

    assert finalised["fcr_state"] == "final"
    assert finalised == recomputed


def test_the_window_is_a_setting(admin_api, team, policy, at, settings):
    settings.CXDESK_FCR_WINDOW_DAYS = 2
    case_id = one_reply_then_solved(admin_api, team, at)
    assert fcr_of(admin_api, case_id)["final_at"] == "2026-12-02T10:00:00Z"

    with at(SOLVED + timedelta(days=2)):
        assert services.fcr_finalise() == 1
    assert fcr_of(admin_api, case_id)["state"] == "final"


def test_a_case_not_solved_has_no_fcr_verdict(admin_api, team, policy, at):
    with at(MONDAY_9AM):
        case_id = open_case(admin_api, team)
        reply(admin_api, case_id)
        metrics = admin_api.get(f"/api/v1/cases/{case_id}/metrics/").json()

    assert metrics["fcr"]["value"] is None
    assert metrics["fcr"]["state"] == "unknown"
    assert (metrics["one_touch"], metrics["no_customer_follow_up"]) == (None, None)


def test_the_finalisation_is_scheduled_on_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["finalise-fcr"]
    assert entry["task"] == FINALISE
    assert task_named(entry["task"]) is not None


def test_the_finalisation_does_nothing_while_the_engine_is_off(settings, monkeypatch):
    from apps.sla import tasks

    settings.CXDESK_SLA_ENABLED = False
    monkeypatch.setattr(tasks.services, "fcr_finalise", lambda: pytest.fail("it ran"))
    assert tasks.finalise_fcr() == 0
