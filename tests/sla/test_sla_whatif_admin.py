"""The SLA what-if from the admin: in the request for small periods, else a background run."""

import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.sla import admin_whatif, services, whatif
from apps.sla.models import SlaClock
from apps.sla.tasks_whatif import run_whatif
from tests.factories import CaseFactory, InteractionFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
NOW = MONDAY_9AM + timedelta(hours=3)
URL = "/admin/sla/slapolicy/whatif/"
PROPOSAL = {
    "name": "Faster first replies",
    "targets": [{"priority": "normal", "metric": "first_response", "minutes": 15}],
    "calendar": {
        "timezone": "Europe/London",
        "weekly_hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    },
}


@pytest.fixture
def answered_case(agent):
    """Answered after 30 minutes: met under today's 60, breached under the proposal's 15."""
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    with time_machine.travel(MONDAY_9AM, tick=False):
        case = CaseFactory(created_at=MONDAY_9AM)
    InteractionFactory(
        case=case,
        direction="out",
        author_contact=None,
        author_agent=agent,
        occurred_at=MONDAY_9AM + timedelta(minutes=30),
    )
    services.case_sla_recompute(case_id=case.pk, now=NOW)
    return case


def form(content=PROPOSAL, **changes):
    body = content if isinstance(content, str) else json.dumps(content)
    return {
        "policy_file": SimpleUploadedFile("proposed.json", body.encode()),
        "first": "2026-11-01",
        "last": "2026-11-30",
        **changes,
    }


def test_the_policy_list_has_a_what_if_button(admin_client):
    page = admin_client.get("/admin/sla/slapolicy/")
    assert f'href="{URL}"' in page.content.decode()


def test_a_small_period_is_replayed_in_the_request(admin_client, answered_case):
    before = list(SlaClock.objects.values())

    with time_machine.travel(NOW, tick=False):
        page = admin_client.post(URL, form())

    text = page.content.decode()
    assert page.status_code == 200
    assert "Faster first replies" in text
    assert "<td>100.0% (1/1)</td><td>0.0% (0/1)</td>" in text  # first response attainment
    assert list(SlaClock.objects.values()) == before


def test_a_bad_file_is_a_form_error_naming_the_field(admin_client):
    bad = {**PROPOSAL, "targets": [{"priority": "normal", "metric": "first_response"}]}
    page = admin_client.post(URL, form(bad))
    assert page.status_code == 200
    assert "targets[0].minutes: This field is required." in page.content.decode()


def test_a_period_too_long_to_wait_for_points_to_the_command(
    admin_client, answered_case, monkeypatch
):
    monkeypatch.setattr(admin_whatif, "SYNC_MAX_CASES", 0)
    page = admin_client.post(URL, form(then_current="on"))
    text = page.content.decode()
    assert "1 cases were created in that period" in text
    assert (
        "manage.py sla_whatif --policy-file proposed.json --from 2026-11-01 --to 2026-11-30 "
        "--then-current" in text
    )


def test_with_a_shared_cache_and_a_worker_it_is_a_job_with_a_progress_page(
    admin_client, answered_case, monkeypatch
):
    monkeypatch.setattr(whatif, "runs_in_background", lambda: True)
    monkeypatch.setattr(admin_whatif, "SYNC_MAX_CASES", 0)  # no limit for a background run

    # (in one travel: the cache's entries expire by the clock)
    with time_machine.travel(NOW, tick=False):
        started = admin_client.post(URL, form())  # Celery is eager here: the task runs now
        page = admin_client.get(started["Location"])

    assert started.status_code == 302
    text = page.content.decode()
    assert "<td>100.0% (1/1)</td><td>0.0% (0/1)</td>" in text
    assert 'http-equiv="refresh"' not in text


def test_a_running_job_page_refreshes_itself_with_the_progress(admin_client):
    whatif._run_save("abc123", state="running", done=500, total=2000)
    text = admin_client.get(f"{URL}abc123/").content.decode()
    assert '<meta http-equiv="refresh" content="3">' in text
    assert "500 of 2000 cases (25%)" in text


def test_an_unknown_run_is_not_found(admin_client):
    assert admin_client.get(f"{URL}nosuchrun/").status_code == 404


def test_the_page_is_for_those_who_may_change_policies(client, agent):
    agent.is_staff = True
    agent.save()
    client.force_login(agent)
    assert client.get(URL).status_code == 403


def test_the_task_stores_progress_and_the_figures_in_the_cache(answered_case):
    with time_machine.travel(NOW, tick=False):
        run_key = whatif.run_start(
            proposal_text=json.dumps(PROPOSAL),
            first=date(2026, 11, 1),
            last=date(2026, 11, 30),
            then_current=False,
        )  # eager: run_whatif ran inside
        state = whatif.run_state(run_key)
        run_whatif(run_key)  # a redelivery stores the same figures
        again = whatif.run_state(run_key)

    assert (state["state"], state["done"], state["total"]) == ("done", 1, 1)
    assert state["report"]["newly_breached"]["first_response"] == 1
    assert again["report"] == state["report"]


def test_a_run_whose_input_expired_fails_with_a_message():
    run_whatif("gone")
    assert "expired" in whatif.run_state("gone")["error"]


def test_the_demo_cache_is_not_shared_so_the_admin_replays_in_the_request(settings):
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert whatif.runs_in_background() is False
