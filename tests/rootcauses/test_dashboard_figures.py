"""The owners' dashboard's figures equal a direct count of the cases: per cause owned by the
team, cases, distinct contacts, handle time, the trend against the 30 days before; its
totals; its active spikes and open problems — for a stakeholder their teams' only, for a
supervisor or admin every team's or the one chosen; agents refused."""

from datetime import timedelta

import pytest
import time_machine
from django.db.models import Count, Sum

from apps.cases.models import Case
from apps.rootcauses.dashboard import day_bounds
from apps.rootcauses.selectors import ReportPeriod
from tests.factories import AdminFactory, StakeholderFactory
from tests.rootcauses.dashboard_data import seed_dashboard
from tests.rootcauses.report_data import FROM, NOW, TO

pytestmark = pytest.mark.django_db

API = "/api/v1/root-causes/dashboard/"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def data(team, other_team):
    return seed_dashboard(team, other_team)


def direct(cause, start, end):
    """The cause's cases opened in [start, end), counted from the rows."""
    cases = Case.objects.filter(
        root_cause=cause, merged_into=None, created_at__gte=start, created_at__lt=end
    )
    return cases.aggregate(
        cases=Count("pk"),
        contacts=Count("requester", distinct=True),
        handle=Sum("metrics__handle_seconds", default=0),
    )


def test_a_stakeholders_figures_equal_a_direct_count(client, token_client, data):
    product, _, double, refund, parcel = data
    period = ReportPeriod(start=NOW.replace(day=1, hour=0), end=NOW.replace(hour=0))
    previous = period.previous()
    stakeholder = StakeholderFactory(teams=[product])

    body = token_client(stakeholder, scopes=["rootcauses:read"]).get(API, {"from": FROM, "to": TO})

    assert body.status_code == 200, body.content
    got = body.json()
    assert got["owner_teams"] == [product.pk]
    rows = {r["root_cause"]: r for r in got["results"]}
    assert set(rows) == {double.pk, refund.pk}  # not the parcels team's cause
    for cause in (double, refund):
        now_ = direct(cause, period.start, period.end)
        before = direct(cause, previous.start, previous.end)
        row = rows[cause.pk]
        assert (row["cases"], row["contacts"], row["handle_seconds"]) == (
            now_["cases"],
            now_["contacts"],
            now_["handle"],
        )
        assert row["previous_cases"] == before["cases"]
    assert (rows[double.pk]["cases"], rows[double.pk]["previous_cases"]) == (5, 2)
    assert rows[double.pk]["trend_percent"] == 150.0  # 5 against 2
    assert rows[refund.pk]["trend_percent"] is None  # none before
    assert got["totals"] == {
        "cases": 6,
        "handle_seconds": 2100,
        "previous_cases": 2,
        "trend_percent": 200.0,
    }
    assert [s["root_cause"] for s in got["active_spikes"]] == [double.pk]
    assert [p["title"] for p in got["open_problems"]] == ["Renewals charged twice"]
    assert got["open_problems"][0]["cases"] == 0


def test_the_period_defaults_to_the_last_30_days(token_client, data):
    product, *_ = data
    got = token_client(StakeholderFactory(teams=[product])).get(API).json()
    assert got["period"]["to"].startswith("2026-11-30T12:00")
    assert got["period"]["from"].startswith("2026-10-31T12:00")
    assert got["previous_period"]["from"].startswith("2026-10-01T12:00")


def test_the_trend_compares_with_the_period_of_equal_length_before(token_client, data):
    product, _, double, *_ = data
    # 2026-10-10 to 2026-11-03 (25 days) against the 25 before (from 2026-09-15): the two
    # October cases move to this period, and nothing is before.
    got = (
        token_client(StakeholderFactory(teams=[product]))
        .get(API, {"from": "2026-10-10", "to": "2026-11-03"})
        .json()
    )
    row = next(r for r in got["results"] if r["root_cause"] == double.pk)
    assert (row["cases"], row["previous_cases"], row["trend_percent"]) == (3, 0, None)


def test_an_admin_sees_every_owner_team_or_the_one_chosen(token_client, data):
    product, logistics, double, refund, parcel = data
    api = token_client(AdminFactory())

    every = api.get(API, {"from": FROM, "to": TO}).json()
    chosen = api.get(API, {"from": FROM, "to": TO, "owner_team": logistics.pk}).json()

    assert every["owner_teams"] is None
    assert {r["root_cause"] for r in every["results"]} == {double.pk, refund.pk, parcel.pk}
    assert [r["root_cause"] for r in chosen["results"]] == [parcel.pk]
    assert chosen["results"][0]["cases"] == 2
    assert [s["root_cause"] for s in chosen["active_spikes"]] == [parcel.pk]
    assert [p["title"] for p in chosen["open_problems"]] == ["Depot lost parcels"]


def test_a_supervisor_counts_every_teams_cases_for_an_owner_team(token_client, supervisor, data):
    product, *_ = data
    got = token_client(supervisor).get(API, {"from": FROM, "to": TO, "owner_team": product.pk})
    # The other team's two cases of the double charge count too (the report would not).
    assert got.json()["totals"]["cases"] == 6


def test_an_agent_is_refused(token_client, client, agent, data):
    assert token_client(agent).get(API).status_code == 403
    client.force_login(agent)
    assert client.get("/root-causes/dashboard/").status_code == 403
    assert client.get("/root-causes/dashboard.csv").status_code == 403


def test_bad_filters_are_named_not_a_500(token_client, client, data):
    product, *_ = data
    stakeholder = StakeholderFactory(teams=[product])
    api = token_client(stakeholder)
    assert api.get(API, {"from": "2026-11-30", "to": "2026-11-01"}).status_code == 400
    assert api.get(API, {"owner_team": "x"}).json()["error"]["fields"]["owner_team"]
    admin = token_client(AdminFactory())
    assert admin.get(API, {"owner_team": 10**9}).json()["error"]["fields"]["owner_team"] == [
        "No team with id 1000000000."
    ]
    client.force_login(stakeholder)
    page = client.get("/root-causes/dashboard/", {"from": "nonsense"})
    assert page.status_code == 400
    assert "could not be made" in page.content.decode()


def test_the_page_shows_the_figures_and_drills_down(client, data):
    product, _, double, *_ = data
    client.force_login(StakeholderFactory(teams=[product]))

    html = client.get("/root-causes/dashboard/", {"from": FROM, "to": TO}).content.decode()

    assert "Billing › Double charge" in html
    assert "+150.0 %" in html
    assert "Renewals charged twice" in html
    assert (
        f"/root-causes/dashboard/cases/?root_cause={double.pk}&amp;from=2026-11-01"
        "&amp;to=2026-11-30"
    ) in html
    assert "Parcel lost" not in html


def test_a_supervisor_drills_down_to_the_queue(client, supervisor, data):
    _, _, double, *_ = data
    client.force_login(supervisor)
    html = client.get("/root-causes/dashboard/", {"from": FROM, "to": TO}).content.decode()
    assert f"/?scope=all&amp;root_cause={double.pk}&amp;created_from=2026-11-01" in html


def test_day_bounds_name_the_last_day_included():
    start = NOW.replace(day=1, hour=0)
    assert day_bounds(ReportPeriod(start=start, end=start + timedelta(days=30))) == (
        "2026-11-01",
        "2026-11-30",
    )


def test_the_report_links_supervisors_to_the_dashboard(client, supervisor, agent, data):
    client.force_login(supervisor)
    assert "/root-causes/dashboard/" in client.get("/root-causes/report/").content.decode()
    client.force_login(agent)
    assert "/root-causes/dashboard/" not in client.get("/root-causes/report/").content.decode()
