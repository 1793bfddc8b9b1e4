"""Business calendars and SLA policies through the API: admins write, everyone reads, bad
definitions are 400s naming the field."""

import pytest

from apps.sla import services
from apps.sla.models import BusinessCalendar, SlaPolicy
from tests.factories import BusinessCalendarFactory, CaseFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

LONDON = {
    "name": "London office",
    "timezone": "Europe/London",
    "weekly_hours": {
        "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
        "fri": [["09:00", "16:00"]],
        "sat": [],
    },
    "holidays": ["2026-12-25", "2026-12-28"],
    "holiday_country": "GB",
    "holiday_subdivision": "ENG",
}


def test_an_admin_creates_a_calendar_and_reads_it_back(admin_api):
    response = admin_api.post("/api/v1/business-calendars/", LONDON, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["weekly_hours"]["mon"] == [["09:00", "12:30"], ["13:30", "17:00"]]
    assert body["holidays"] == ["2026-12-25", "2026-12-28"]
    calendar = BusinessCalendar.objects.get(pk=body["id"]).to_calendar()
    assert calendar.timezone == "Europe/London"
    listed = admin_api.get("/api/v1/business-calendars/").json()["results"]
    assert [c["name"] for c in listed] == ["London office"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"weekly_hours": {"mon": [["17:00", "09:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"funday": [["09:00", "17:00"]]}}, "weekly_hours"),
        ({"weekly_hours": {"mon": [["9am", "5pm"]]}}, "weekly_hours"),
        ({"weekly_hours": {}}, "weekly_hours"),  # never open
        ({"holidays": ["25/12/2026"]}, "holidays"),
        ({"holiday_country": "XX"}, "holiday_country"),
        ({"holidays_ics": "this is not a calendar"}, "holidays_ics"),
    ],
)
def test_a_bad_calendar_is_a_400_naming_the_field(admin_api, change, field):
    response = admin_api.post("/api/v1/business-calendars/", {**LONDON, **change}, format="json")

    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert any(name.split(".")[0] == field for name in fields), fields
    assert not BusinessCalendar.objects.exists()


def test_a_policy_with_targets_is_created_and_listed_in_the_order_tried(admin_api):
    calendar = BusinessCalendarFactory()
    SlaPolicyFactory(name="Later", position=20)
    response = admin_api.post(
        "/api/v1/sla-policies/",
        {
            "name": "VIP",
            "position": 10,
            "calendar": calendar.pk,
            "match_priorities": ["high", "urgent"],
            "match_tags": ["vip"],
            "warning_percent": 80,
            "pause_statuses": {"resolution": ["pending", "on_hold"]},
            "escalate_priority": "urgent",
            "targets": [
                {"priority": "high", "metric": "first_response", "minutes": 60},
                {"priority": "high", "metric": "resolution", "minutes": 480},
                {
                    "priority": "urgent",
                    "metric": "first_response",
                    "minutes": 15,
                    "business_hours": False,
                },
            ],
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    assert len(response.json()["targets"]) == 3
    names = [p["name"] for p in admin_api.get("/api/v1/sla-policies/").json()["results"]]
    assert names == ["VIP", "Later"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"pause_statuses": {"resolution": ["solved"]}}, "pause_statuses"),
        ({"pause_statuses": {"lunch": []}}, "pause_statuses"),
        ({"warning_percent": 100}, "warning_percent"),
        ({"match_channels": ["fax"]}, "match_channels"),
        (
            {
                "targets": [
                    {"priority": "high", "metric": "first_response", "minutes": 60},
                    {"priority": "high", "metric": "first_response", "minutes": 30},
                ]
            },
            "targets",
        ),
        ({"targets": [{"priority": "high", "metric": "first_response", "minutes": -1}]}, "targets"),
        ({"calendar": 999999}, "calendar"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_policy_is_a_400_naming_the_field(admin_api, change, field):
    response = admin_api.post(
        "/api/v1/sla-policies/", {"name": "Standard", **change}, format="json"
    )

    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert any(name.split(".")[0] == field for name in fields), fields
    assert not SlaPolicy.objects.exists()


def test_changing_a_policy_marks_open_cases_for_recompute(admin_api):
    policy = SlaPolicyFactory(targets={("normal", "first_response"): 60})
    case = CaseFactory()
    services.case_sla_recompute(case_id=case.pk)
    assert services.dirty_case_ids(limit=5) == []

    response = admin_api.patch(
        f"/api/v1/sla-policies/{policy.pk}/",
        {"targets": [{"priority": "normal", "metric": "first_response", "minutes": 30}]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["targets"][0]["minutes"] == 30
    assert services.dirty_case_ids(limit=5) == [case.pk]
    [clock] = services.case_sla_recompute(case_id=case.pk)
    assert clock.target_minutes == 30


def test_deleting_a_policy_retires_it(admin_api):
    policy = SlaPolicyFactory()
    assert admin_api.delete(f"/api/v1/sla-policies/{policy.pk}/").status_code == 204
    policy.refresh_from_db()
    assert policy.is_active is False


def test_agents_read_policies_but_may_not_change_them(agent, client):
    policy = SlaPolicyFactory()
    client.force_login(agent)

    assert client.get("/api/v1/sla-policies/").status_code == 200
    response = client.patch(
        f"/api/v1/sla-policies/{policy.pk}/", {"name": "Mine"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert (
        client.post(
            "/api/v1/business-calendars/", LONDON, content_type="application/json"
        ).status_code
        == 403
    )


def test_a_token_needs_sla_write_and_an_admin_owner_to_change_policies(
    token_client, admin_user, agent
):
    policy = SlaPolicyFactory()
    url = f"/api/v1/sla-policies/{policy.pk}/"
    reader = token_client(admin_user, scopes=["sla:read"])
    agents_writer = token_client(agent, scopes=["sla:write"])
    no_scope = token_client(admin_user, scopes=["cases:read"])

    assert reader.get(url).status_code == 200
    assert reader.patch(url, {"name": "X"}, format="json").status_code == 403
    assert agents_writer.patch(url, {"name": "X"}, format="json").status_code == 403
    assert no_scope.get(url).status_code == 403
    assert (
        token_client(admin_user, scopes=["sla:write"])
        .patch(url, {"name": "X"}, format="json")
        .status_code
        == 200
    )


def test_without_credentials_nothing_is_readable(client):
    assert client.get("/api/v1/sla-policies/").status_code in (401, 403)
    assert client.get("/api/v1/business-calendars/").status_code in (401, 403)
