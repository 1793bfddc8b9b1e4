"""The supervisors' report: its figures equal a direct count on hand-built data, beside the
previous period; the same figures whatever the viewer's zone; the CSV; who may read it."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.console import reports, rollups
from apps.sla.summary import Period, sla_summary
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
START, END = datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)


@pytest.fixture
def history(team, other_team):
    """In the period: 3 email cases (one reopened), 1 chat; 2 in the period before; one of
    another team; one merged (not counted)."""
    with time_machine.travel(NOW, tick=False):
        made = [
            CaseFactory(team=team, channel="email", created_at=START + timedelta(days=1)),
            CaseFactory(
                team=team,
                channel="email",
                created_at=START + timedelta(days=1, hours=5),
                reopen_count=2,
            ),
            CaseFactory(team=team, channel="email", created_at=START + timedelta(days=4)),
            CaseFactory(
                team=team, channel="chat", created_at=START + timedelta(days=4), priority="urgent"
            ),
            CaseFactory(team=team, channel="email", created_at=START - timedelta(days=2)),
            CaseFactory(team=team, channel="phone", created_at=START - timedelta(days=9)),
            CaseFactory(team=other_team, channel="email", created_at=START + timedelta(days=2)),
        ]
        CaseFactory(
            team=team, channel="email", created_at=START + timedelta(days=2), merged_into=made[0]
        )
        yield made


def report_for(user, **filters):
    return reports.center_report(
        user=user, start=START, end=END, filters=reports.Filters(**filters)
    )


def test_volume_equals_a_direct_count_beside_the_previous_period(history, supervisor):
    with time_machine.travel(NOW, tick=False):
        report = report_for(supervisor)
    volume = report["volume"]
    assert volume["cases"] == 4
    assert volume["reopened_cases"] == 1
    assert volume["reopen_rate"] == 25.0
    assert [(r["channel"], r["cases"]) for r in volume["by_channel"]] == [("email", 3), ("chat", 1)]
    by_day = [(r["day"].isoformat(), r["cases"]) for r in volume["by_day"]]
    assert len(by_day) == 10  # every day of [10 Nov, 20 Nov), the empty ones as 0
    assert [day for day in by_day if day[1]] == [("2026-11-11", 2), ("2026-11-14", 2)]
    assert by_day[0] == ("2026-11-10", 0)
    assert report["volume_previous"]["cases"] == 2
    assert report["volume_change"] == 100.0
    assert report["previous_period"] == {"from": START - (END - START), "to": START}


def test_filters_narrow_every_figure(history, supervisor, admin_user, other_team):
    with time_machine.travel(NOW, tick=False):
        assert report_for(supervisor, channel="chat")["volume"]["cases"] == 1
        assert report_for(supervisor, priority="urgent")["volume"]["cases"] == 1
        # The supervisor's report counts their teams only; an admin's every team.
        assert report_for(admin_user)["volume"]["cases"] == 5
        assert report_for(admin_user, team_id=other_team.pk)["volume"]["cases"] == 1


def test_built_days_give_the_same_report(history, supervisor):
    with time_machine.travel(NOW, tick=False):
        before = report_for(supervisor)
        assert rollups.rollups_build(max_days=None)["built"] > 0
        after = report_for(supervisor)
    assert after["volume"] == before["volume"]
    assert after["volume_previous"] == before["volume_previous"]


def test_the_sla_figures_are_the_summarys(history, supervisor, team):
    with time_machine.travel(NOW, tick=False):
        report = report_for(supervisor, channel="email")
        expected = sla_summary(
            period=Period(start=START, end=END), channel="email", teams=[team.pk]
        )
    assert report["sla"] == expected


def test_the_same_period_gives_the_same_figures_in_any_zone(history, supervisor):
    with time_machine.travel(NOW, tick=False):
        with timezone.override("Pacific/Auckland"):
            far = report_for(supervisor)
        with timezone.override("America/Los_Angeles"):
            west = report_for(supervisor)
    assert far["volume"] == west["volume"]
    assert far["sla"] == west["sla"]


def test_the_page_and_its_csv(history, client, supervisor):
    client.force_login(supervisor)
    query = {"from": "2026-11-10", "to": "2026-11-19"}
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("console:reports"), query)
        exported = client.get(reverse("console:reports-csv"), query)
    assert page.status_code == 200
    assert 'id="report-cases">4<' in page.content.decode()
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    assert rows[0] == ["section", "key", "figure", "period", "previous_period"]
    assert ["volume", "all", "cases", "4", "2"] in rows
    assert ["volume by channel", "email", "cases", "3", ""] in rows
    assert ["volume by day", "2026-11-14", "cases", "2", ""] in rows
    sections = {row[0] for row in rows[1:]}
    assert {"sla attainment", "fcr", "csat", "now", "first_response business seconds"} <= sections


def test_bad_input_is_400_on_the_page_and_the_csv(client, supervisor, other_team):
    client.force_login(supervisor)
    for query in (
        {"from": "2026-11-20", "to": "2026-11-01"},
        {"team": other_team.pk},
        {"priority": "whenever"},
        {"from": "yesterday"},
    ):
        assert client.get(reverse("console:reports"), query).status_code == 400, query
        assert client.get(reverse("console:reports-csv"), query).status_code == 400, query


def test_agents_get_403_and_signed_out_the_sign_in(client, agent):
    assert client.get(reverse("console:reports")).status_code == 302
    client.force_login(agent)
    assert client.get(reverse("console:reports")).status_code == 403
    assert client.get(reverse("console:reports-csv")).status_code == 403


def test_the_page_query_count_does_not_grow_with_the_cases(
    history, client, supervisor, team, django_assert_max_num_queries
):
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        client.get(reverse("console:reports"))
        for n in range(30):
            CaseFactory(
                team=team,
                channel=["email", "chat", "web"][n % 3],
                created_at=START + timedelta(hours=7 * n),
            )
        with django_assert_max_num_queries(35):  # the SLA summary: 6 from rows, twice
            assert client.get(reverse("console:reports")).status_code == 200


def test_the_api_gives_the_same_figures(history, token_client, supervisor, agent):
    api = token_client(supervisor, scopes=["reports:read"])
    with time_machine.travel(NOW, tick=False):
        response = api.get("/api/v1/reports/summary/", {"from": "2026-11-10", "to": "2026-11-19"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["volume"]["cases"] == 4
    assert body["volume_previous"]["cases"] == 2
    assert body["volume"]["by_day"][1] == {"day": "2026-11-11", "cases": 2}
    assert {"attainment", "first_response", "resolution", "fcr"} <= set(body["sla"])


def test_the_api_refuses_agents_other_scopes_and_other_teams(
    history, token_client, supervisor, agent, other_team
):
    assert (
        token_client(agent, scopes=["reports:read"]).get("/api/v1/reports/summary/").status_code
        == 403
    )
    assert (
        token_client(supervisor, scopes=["cases:read"]).get("/api/v1/reports/summary/").status_code
        == 403
    )
    response = token_client(supervisor, scopes=["reports:read"]).get(
        "/api/v1/reports/summary/", {"team": other_team.pk}
    )
    assert response.status_code == 400


def test_nps_and_its_counts_beside_the_previous_period(history, supervisor, team, other_team):
    from apps.feedback.models import Survey

    def nps(rating, sent_at, of_team=team):
        case = CaseFactory(team=of_team, status="solved", created_at=sent_at)
        return Survey.objects.create(
            kind="nps",
            scale="nps",
            case=case,
            contact=case.requester,
            nps_round=1,
            state="sent" if rating is None else "answered",
            due_at=sent_at,
            sent_at=sent_at,
            channel="email",
            team=of_team,
            rating=rating,
            answered_at=None if rating is None else sent_at,
        )

    inside = START + timedelta(days=3)
    for rating in (10, 9, 7, 3, None):  # 2 promoters, 1 passive, 1 detractor: +25
        nps(rating, inside)
    nps(0, inside, of_team=other_team)  # not the supervisor's team
    nps(10, START - timedelta(days=2))  # the period before: +100
    with time_machine.travel(NOW, tick=False):
        report = report_for(supervisor)
    assert report["nps"] == {
        "sent": 5,
        "responses": 4,
        "promoters": 2,
        "passives": 1,
        "detractors": 1,
        "nps": 25.0,
        "response_rate": 80.0,
    }
    assert report["nps_previous"]["nps"] == 100.0


def test_the_time_to_close_the_loop(history, supervisor, team, other_team):
    from apps.feedback.models import FollowUp, Survey

    def follow_up(opened_hours_before_end, took_hours, of_team=team):
        case = CaseFactory(team=of_team, status="solved")
        opened = END - timedelta(hours=opened_hours_before_end)
        survey = Survey.objects.create(
            case=case,
            contact=case.requester,
            state="answered",
            due_at=opened,
            sent_at=opened,
            channel="email",
            team=of_team,
            rating=0,
            satisfied=False,
            answered_at=opened,
        )
        return FollowUp.objects.create(
            survey=survey,
            case=case,
            contact=case.requester,
            team=of_team,
            state="resolved" if took_hours is not None else "open",
            opened_at=opened,
            resolved_at=None if took_hours is None else opened + timedelta(hours=took_hours),
        )

    follow_up(100, 2)
    follow_up(90, 10)
    follow_up(80, 4)
    follow_up(70, None)  # still open
    follow_up(60, 1, of_team=other_team)  # not the supervisor's
    follow_up(24 * 40, 3)  # resolved long before the period
    with time_machine.travel(NOW, tick=False):
        report = report_for(supervisor)
    assert report["follow_ups_resolved"] == {"resolved": 3, "median_hours": 4.0, "max_hours": 10.0}
    assert report["open_follow_ups"] == 1


def test_ces_with_its_own_response_rate(history, supervisor, team):
    """The effort question is optional: CES has its answers and response rate apart from
    CSAT's."""
    from apps.feedback.models import Survey

    inside = START + timedelta(days=3)
    for rating, effort in ((5, 6), (4, None), (1, 2), (None, None)):
        case = CaseFactory(team=team, status="solved", created_at=inside)
        Survey.objects.create(
            case=case,
            contact=case.requester,
            state="sent" if rating is None else "answered",
            due_at=inside,
            sent_at=inside,
            channel="email",
            team=team,
            rating=rating,
            satisfied=None if rating is None else rating >= 4,
            effort=effort,
            answered_at=None if rating is None else inside,
        )
    with time_machine.travel(NOW, tick=False):
        csat = report_for(supervisor)["csat"]
    assert (csat["sent"], csat["responses"], csat["response_rate"]) == (4, 3, 75.0)
    assert (csat["effort"], csat["effort_responses"], csat["effort_response_rate"]) == (
        4.0,
        2,
        50.0,
    )
