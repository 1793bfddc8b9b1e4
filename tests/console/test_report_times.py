"""The report's response and resolution times — first, next and resolution, median and
p90, business and calendar — beside the previous period, on the page (table and charts),
in the CSV, the API and the weekly e-mail; on the hand-worked cases of the SLA summary's
test (tests/sla/test_sla_summary_times.py)."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from apps.console import reports
from tests.sla.test_sla_summary_times import MONDAY, H, at, cases  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db

# This week (Monday 23 November on) beside the week before: the Friday case was opened in
# the week before (its first response counts there), answered and solved in this one.
START, END = MONDAY, MONDAY + timedelta(days=7)
NOW = datetime(2026, 11, 26, 12, tzinfo=UTC)
QUERY = {"from": "2026-11-23", "to": "2026-11-29"}


def report_for(user):
    with time_machine.travel(NOW, tick=False):
        return reports.center_report(user=user, start=START, end=END, filters=reports.Filters())


def test_the_times_beside_the_previous_period(cases, supervisor):  # noqa: F811
    report = report_for(supervisor)
    now, before = report["sla"], report["sla_previous"]
    assert now["first_response"]["count"] == 1  # the Monday email case (20 min)
    assert now["first_response"]["median"] == 1200.0
    assert now["first_response"]["calendar"] == {"count": 2, "median": 900.0, "p90": 1140.0}
    assert before["first_response"] == {
        "count": 1,
        "median": 2.0 * H,
        "p90": 2.0 * H,
        "calendar": {"count": 1, "median": 66.0 * H, "p90": 66.0 * H},
    }
    assert now["next_response"]["calendar"]["median"] == 45_900.0
    assert before["next_response"]["count"] == 0
    rows = {(row["figure"], row["kind"]): row for row in reports.time_rows(report)}
    assert len(rows) == 6
    assert rows[("resolution", "calendar")]["now"]["p90"] == 232_560.0
    assert rows[("first_response", "business")]["before"]["median"] == 2.0 * H


def test_the_charts_hold_the_tables_numbers_in_hours(cases, supervisor):  # noqa: F811
    report = report_for(supervisor)
    chart = reports.times_chart(report, "calendar")
    assert chart["labels"] == ["First response", "Next response", "Resolution"]
    median, median_before, p90, p90_before = chart["datasets"]
    assert median["data"] == [0.25, 12.75, 47.0]  # 900 s, 45,900 s, 169,200 s
    assert median_before["data"] == [66.0, None, None]
    assert p90["label"] == "90th percentile"
    attainment = reports.attainment_chart(report)
    assert [d["label"] for d in attainment["datasets"]] == ["This period", "Previous period"]
    assert attainment["labels"] == ["First response", "Next response", "Resolution"]
    assert attainment["y"] == {"min": 0, "max": 100, "label": "% met"}


def test_the_page_shows_each_table_beside_its_chart(cases, client, supervisor):  # noqa: F811
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("console:reports"), QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    row = re.search(r'<tr id="report-times-next_response-calendar">(.*?)</tr>', page).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row)[:2] == ["responses given in the period", "2"]
    for chart in ("chart-attainment", "chart-times-business", "chart-times-calendar"):
        assert re.search(rf'<canvas data-chart="{chart}" role="img" aria-label="[^"]+">', page)
        spec = re.search(rf'<script id="{chart}" type="application/json">(.*?)</script>', page)
        assert json.loads(spec.group(1))["datasets"]
    assert " style=" not in page  # the CSP: no inline style
    assert "%%" not in page


def test_the_csv_has_every_time_figure(cases, client, supervisor):  # noqa: F811
    client.force_login(supervisor)
    with time_machine.travel(NOW, tick=False):
        exported = client.get(reverse("console:reports-csv"), QUERY)
    rows = list(csv.reader(io.StringIO(exported.content.decode())))
    for figure in ("first_response", "next_response", "resolution"):
        for kind in ("business", "calendar"):
            assert {r[2] for r in rows if r[0] == f"{figure} {kind} seconds"} == {
                "count",
                "median",
                "p90",
            }
    assert ["first_response calendar seconds", "all", "median", "900.0", "237600.0"] in rows
    assert ["next_response business seconds", "all", "count", "2", "0"] in rows


def test_the_api_gives_the_times_with_their_schema(cases, token_client, supervisor):  # noqa: F811
    api = token_client(supervisor, scopes=["reports:read"])
    with time_machine.travel(NOW, tick=False):
        body = api.get("/api/v1/reports/summary/", QUERY).json()
    assert body["sla"]["next_response"]["calendar"]["count"] == 2
    assert body["sla_previous"]["first_response"]["calendar"]["median"] == 66.0 * H
    schema = api.get("/api/schema/", {"format": "json"}).json()
    report = schema["components"]["schemas"]["ReportSummaryOutput"]["properties"]
    assert report["sla"]["allOf"][0]["$ref"].endswith("/SlaSummaryOutput")
    summary = schema["components"]["schemas"]["SlaSummaryOutput"]["properties"]
    assert {"first_response", "next_response", "resolution"} <= set(summary)
    times = schema["components"]["schemas"]["TimesOutput"]["properties"]
    assert "calendar" in times


def test_the_weekly_email_gives_the_times(cases, supervisor):  # noqa: F811
    from django.template.loader import render_to_string

    report = report_for(supervisor)
    context = {
        "user": supervisor,
        "report": report,
        "attainment": reports.attainment_rows(report),
        "times": reports.time_rows(report),
    }
    text = render_to_string("console/weekly_email.txt", context)
    # 45,900 s and 78,300 s; the week before had none
    assert "Next response (calendar time), median / p90: 12h 45m / 21h 45m (before: — / —)" in text
    page = render_to_string("console/weekly_email.html", context)
    assert "Resolution (business time), median / p90" in page
    assert "style=" not in page
