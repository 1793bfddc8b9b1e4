"""The owners' dashboard as CSV: the report's columns, the dashboard's rows (their teams'
causes over every team's cases), formulas defused; bad filters a 400 in plain text."""

import csv
import io

import pytest
import time_machine

from apps.rootcauses import rollups
from apps.rootcauses import services as rc_services
from tests.factories import CaseFactory, StakeholderFactory
from tests.rootcauses.dashboard_data import seed_dashboard
from tests.rootcauses.report_data import FROM, NOW, TO

pytestmark = pytest.mark.django_db

URL = "/root-causes/dashboard.csv"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_csv_lists_the_dashboards_causes(client, team, other_team):
    product, _, double, refund, _ = seed_dashboard(team, other_team)
    formula = rc_services.root_cause_create(name="=HYPERLINK(1)", owner_team=product)
    CaseFactory(root_cause=formula, team=team, created_at=NOW.replace(day=2))
    rollups.rollups_build(now=NOW, max_days=None, rebuild=True)
    client.force_login(StakeholderFactory(teams=[product]))

    response = client.get(URL, {"from": FROM, "to": TO})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "root-cause-dashboard.csv" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["Root cause"] for r in rows] == [  # most cases first, then by path
        "Billing › Double charge",
        "'=HYPERLINK(1)",
        "Billing › Refund late",
    ]
    double_row = rows[0]
    assert double_row["Root cause id"] == str(double.pk)
    assert double_row["Cases"] == "5"
    assert double_row["Contacts affected"] == "4"
    assert double_row["Handle time (s)"] == "2100"
    assert double_row["Cases, previous period"] == "2"
    assert double_row["Trend (%)"] == "150.0"
    assert double_row["Active spike"] == "True"


def test_bad_filters_answer_400_in_plain_text(client, team, other_team):
    product, *_ = seed_dashboard(team, other_team)
    client.force_login(StakeholderFactory(teams=[product]))
    response = client.get(URL, {"from": "2026-11-30", "to": "2026-11-01"})
    assert response.status_code == 400
    assert response.content.decode() == "to: Must be after from."
