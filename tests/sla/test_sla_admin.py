"""SLA configuration in the admin: checked like the API, and applied to open cases."""

import json

import pytest

from apps.sla import services
from apps.sla.models import BusinessCalendar, SlaPolicy, SlaTarget
from tests.factories import CaseFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

CALENDAR = {
    "name": "London office",
    "timezone": "Europe/London",
    "weekly_hours": json.dumps({"mon": [["09:00", "17:00"]]}),
    "holidays": "[]",
    "holiday_country": "",
    "holiday_subdivision": "",
    "holidays_ics": "",
}


def test_a_bad_calendar_is_a_form_error_and_a_good_one_is_saved(admin_client):
    url = "/admin/sla/businesscalendar/add/"
    bad = admin_client.post(url, {**CALENDAR, "timezone": "Mars/Olympus"})
    assert bad.status_code == 200
    assert "unknown time zone" in bad.content.decode()
    assert not BusinessCalendar.objects.exists()

    good = admin_client.post(url, CALENDAR)
    assert good.status_code == 302
    assert BusinessCalendar.objects.get().to_calendar().timezone == "Europe/London"


def policy_form(policy, **changes):
    data = {
        "name": policy.name,
        "description": "",
        "position": policy.position,
        "is_active": "on",
        "calendar": policy.calendar_id or "",
        "match_priorities": "[]",
        "match_channels": "[]",
        "match_tags": "[]",
        "warning_percent": 75,
        "pause_statuses": json.dumps({"resolution": ["pending"]}),
        "escalate_priority": "",
        "escalate_team": "",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-priority": "normal",
        "targets-0-metric": "first_response",
        "targets-0-minutes": "30",
        "targets-0-business_hours": "on",
    }
    return {**data, **changes}


def test_saving_a_policy_in_the_admin_marks_open_cases_for_recompute(admin_client):
    policy = SlaPolicyFactory()
    case = CaseFactory()
    services.case_sla_recompute(case_id=case.pk)

    response = admin_client.post(f"/admin/sla/slapolicy/{policy.pk}/change/", policy_form(policy))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert SlaTarget.objects.get(policy=policy).minutes == 30
    assert services.dirty_case_ids(limit=5) == [case.pk]


def test_a_status_that_cannot_pause_is_a_form_error(admin_client):
    policy = SlaPolicyFactory()
    response = admin_client.post(
        f"/admin/sla/slapolicy/{policy.pk}/change/",
        policy_form(policy, pause_statuses=json.dumps({"resolution": ["closed"]})),
    )
    assert response.status_code == 200
    assert "cannot pause a target" in response.content.decode()
    assert SlaPolicy.objects.get(pk=policy.pk).pause_statuses["resolution"] == ["pending"]


def test_clocks_are_read_only_in_the_admin(admin_client):
    case = CaseFactory()
    SlaPolicyFactory(targets={("normal", "first_response"): 30})
    [clock] = services.case_sla_recompute(case_id=case.pk)

    assert admin_client.get(f"/admin/sla/slaclock/{clock.pk}/change/").status_code == 200
    assert admin_client.get("/admin/sla/slaclock/add/").status_code == 403
    assert admin_client.post(f"/admin/sla/slaclock/{clock.pk}/delete/").status_code == 403
