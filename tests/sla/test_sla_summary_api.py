"""GET /api/v1/sla/summary/: attainment, median and p90 response times and FCR rates over a
period, equal to a direct computation over the same rows (on SQLite and on PostgreSQL), its
parameters checked, who may read it, and what it costs."""

import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.sla.models import CaseMetrics, SlaClock, SlaNextResponse
from tests.factories import CaseFactory, SlaPolicyFactory, TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/sla/summary/"
START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 12, 1, tzinfo=UTC)  # exclusive: ?from=2026-11-01&to=2026-11-30
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
NOW = datetime(2026, 12, 15, tzinfo=UTC)


def copies(case, *, opened=True):
    """The case's columns its metrics (`opened`: and its opening) and clocks carry, as the
    recompute copies them."""
    values = {"team_id": case.team_id, "channel": case.channel, "priority": case.priority}
    return {"opened_at": case.created_at, **values} if opened else values


def build(teams, n, *, seed=7):
    """n cases opened from mid-October to mid-December, with metrics, next responses and
    clocks of every kind: some outside the period, some without a policy (no business
    times), some open."""
    rng = random.Random(seed)
    for _ in range(n):
        created = START - timedelta(days=15) + timedelta(minutes=rng.randrange(75 * 24 * 60))
        case = CaseFactory(
            team=rng.choice(teams),
            channel=rng.choice(["email", "chat", "phone"]),
            priority=rng.choice(["normal", "high"]),
            created_at=created,
        )
        covered = rng.random() < 0.85
        solved = created + timedelta(minutes=rng.randrange(10, 6 * 24 * 60))
        is_solved = rng.random() < 0.8 and solved < NOW
        responded = rng.random() < 0.9

        def business(seconds, *, covered=covered):
            return seconds if covered else None

        fcr = rng.random() < 0.6 if is_solved else None
        CaseMetrics.objects.create(
            case=case,
            **copies(case),
            first_response_seconds=rng.randrange(60, 90_000) if responded else None,
            first_response_business_seconds=(
                business(rng.randrange(0, 30_000)) if responded else None
            ),
            solved_at=solved if is_solved else None,
            resolution_seconds=rng.randrange(600, 600_000) if is_solved else None,
            resolution_business_seconds=business(rng.randrange(600, 400_000))
            if is_solved
            else None,
            fcr=fcr,
            fcr_state=(
                "unknown"
                if fcr is None
                else "final"
                if solved < NOW - timedelta(days=7)
                else "provisional"
            ),
            one_touch=None if fcr is None else rng.random() < 0.7,
            no_customer_follow_up=None if fcr is None else rng.random() < 0.5,
            computed_at=NOW,
        )
        waited = created
        for instance in range(1, rng.choice([0, 0, 1, 2, 3]) + 1):
            waited += timedelta(minutes=rng.randrange(5, 3 * 24 * 60))
            seconds = rng.randrange(30, 200_000)
            SlaNextResponse.objects.create(
                case=case,
                **copies(case, opened=False),
                instance=instance,
                started_at=waited,
                responded_at=waited + timedelta(seconds=seconds),
                seconds=seconds,
                business_seconds=business(rng.randrange(0, seconds + 1)),
            )
        if not covered:
            continue
        for metric in ("first_response", "next_response", "resolution"):
            started = created + timedelta(minutes=rng.randrange(0, 600))
            SlaClock.objects.create(
                case=case,
                **copies(case, opened=False),
                metric=metric,
                target_minutes=60,
                state=rng.choice(["met", "met", "met", "breached", "active", "paused"]),
                started_at=started,
                computed_at=NOW,
            )


def percentile(values, fraction):
    """percentile_cont: linear interpolation between the closest ranks."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    if fraction == 0.5:
        return round(float(statistics.median(values)), 1)
    return round(statistics.quantiles(values, n=10, method="inclusive")[8], 1)


def rate(yes, no):
    return round(100 * yes / (yes + no), 2) if yes + no else None


def expected(*, team=None, channel=None, priority=None, teams=None):
    """The summary computed directly from the rows, in Python."""

    def keep(case):
        return (
            (team is None or case.team_id == team)
            and (channel is None or case.channel == channel)
            and (priority is None or case.priority == priority)
            and (teams is None or case.team_id in teams)
        )

    cases = {c.pk: c for c in Case.objects.all() if keep(c)}
    attainment = []
    for metric in ("first_response", "next_response", "resolution"):
        states = [
            c.state
            for c in SlaClock.objects.filter(metric=metric)
            if c.case_id in cases and START <= c.started_at < END
        ]
        met, breached = states.count("met"), states.count("breached")
        attainment.append(
            {"metric": metric, "met": met, "breached": breached, "percent": rate(met, breached)}
        )
    rows = [m for m in CaseMetrics.objects.all() if m.case_id in cases]
    opened = [m for m in rows if START <= cases[m.case_id].created_at < END]
    solved = [m for m in rows if m.solved_at and START <= m.solved_at < END]
    given = [
        n
        for n in SlaNextResponse.objects.all()
        if n.case_id in cases and START <= n.responded_at < END
    ]

    def times(of, business, calendar):
        """Count, median and p90 of the rows' business times, with their calendar twin."""

        def figures(values):
            values = sorted(v for v in values if v is not None)
            return {
                "count": len(values),
                "median": percentile(values, 0.5),
                "p90": percentile(values, 0.9),
            }

        return {
            **figures(getattr(row, business) for row in of),
            "calendar": figures(getattr(row, calendar) for row in of),
        }

    judged = [m for m in solved if m.fcr is not None]

    def fcr(state):
        of = [m for m in judged if m.fcr_state == state]
        yes = sum(m.fcr for m in of)
        return {"cases": len(of), "fcr": yes, "percent": rate(yes, len(of) - yes)}

    def share(field):
        yes = sum(bool(getattr(m, field)) for m in judged)
        return {"cases": len(judged), "count": yes, "percent": rate(yes, len(judged) - yes)}

    return {
        "period": {"from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"},
        "attainment": attainment,
        "first_response": times(
            opened, "first_response_business_seconds", "first_response_seconds"
        ),
        "next_response": times(given, "business_seconds", "seconds"),
        "resolution": times(solved, "resolution_business_seconds", "resolution_seconds"),
        "fcr": {"final": fcr("final"), "provisional": fcr("provisional")},
        "one_touch": share("one_touch"),
        "no_customer_follow_up": share("no_customer_follow_up"),
    }


@pytest.fixture
def teams(team, other_team):
    return [team, other_team]


@pytest.mark.parametrize(
    "filters",
    [{}, {"team": "team"}, {"channel": "chat"}, {"priority": "high"}, {"channel": "phone"}],
    ids=["all", "team", "chat", "high", "phone"],
)
def test_the_figures_equal_a_direct_computation(admin_api, teams, filters):
    build(teams, 120)
    params = dict(PERIOD, **filters)
    if "team" in filters:
        params["team"] = teams[0].pk
        filters = {"team": teams[0].pk}

    response = admin_api.get(URL, params)

    assert response.status_code == 200, response.content
    assert response.json() == expected(**filters)
    assert response.json()["attainment"][0]["met"] > 0  # the data exercises the figures


def test_an_empty_period_has_counts_of_zero_and_no_rates(admin_api, teams):
    build(teams, 10)
    body = admin_api.get(URL, {"from": "2020-01-01", "to": "2020-01-31"}).json()
    nothing = {"count": 0, "median": None, "p90": None}
    for figure in ("first_response", "next_response", "resolution"):
        assert body[figure] == {**nothing, "calendar": nothing}
    assert [a["percent"] for a in body["attainment"]] == [None, None, None]
    assert body["fcr"]["final"] == {"cases": 0, "fcr": 0, "percent": None}


def test_one_case_is_its_own_median_and_p90(admin_api, team):
    case = CaseFactory(team=team, created_at=START + timedelta(days=1))
    CaseMetrics.objects.create(
        case=case,
        **copies(case),
        first_response_seconds=150,
        first_response_business_seconds=90,
        computed_at=NOW,
    )
    body = admin_api.get(URL, PERIOD).json()
    assert body["first_response"] == {
        "count": 1,
        "median": 90.0,
        "p90": 90.0,
        "calendar": {"count": 1, "median": 150.0, "p90": 150.0},
    }


def test_instants_with_offsets_bound_the_period(admin_api, team):
    case = CaseFactory(team=team, created_at=datetime(2026, 11, 2, 8, 30, tzinfo=UTC))
    CaseMetrics.objects.create(
        case=case,
        **copies(case),
        first_response_seconds=60,
        first_response_business_seconds=60,
        computed_at=NOW,
    )

    inside = admin_api.get(
        URL, {"from": "2026-11-02T09:00:00+01:00", "to": "2026-11-02T10:00:00+01:00"}
    ).json()
    after = admin_api.get(URL, {"from": "2026-11-02T09:31:00+01:00"}).json()

    assert inside["period"] == {"from": "2026-11-02T08:00:00Z", "to": "2026-11-02T09:00:00Z"}
    assert inside["first_response"]["count"] == 1
    assert after["first_response"]["count"] == 0


def test_without_a_period_it_is_the_last_30_days(admin_api):
    with time_machine.travel(NOW, tick=False):
        body = admin_api.get(URL).json()
    assert body["period"] == {"from": "2026-11-15T00:00:00Z", "to": "2026-12-15T00:00:00Z"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"from": "2026-13-01"}, "from"),
        ({"to": "2026-11-31"}, "to"),
        ({"to": "9999-12-31"}, "to"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"team": "billing"}, "team"),
        ({"team": "99999"}, "team"),
        ({"team": "0"}, "team"),
        ({"channel": "fax"}, "channel"),
        ({"priority": "asap"}, "priority"),
        ({"status": "open"}, "status"),
    ],
)
def test_bad_parameters_are_a_400_naming_the_field(admin_api, params, field):
    response = admin_api.get(URL, params)

    assert response.status_code == 400, response.content
    assert set(response.json()["error"]["fields"]) == {field}


def test_supervisors_and_admins_signed_in_see_every_team(client, supervisor, admin_user, teams):
    build(teams, 30)
    for user in (supervisor, admin_user):
        client.force_login(user)
        response = client.get(URL, PERIOD)
        assert response.status_code == 200, response.content
        assert response.json() == expected()


def test_an_agent_sees_the_figures_of_their_own_teams_only(client, agent, teams):
    build(teams, 30)
    client.force_login(agent)

    mine = client.get(URL, PERIOD)
    theirs = client.get(URL, dict(PERIOD, team=teams[1].pk))

    assert mine.status_code == 200
    assert mine.json() == expected(teams={teams[0].pk})
    assert mine.json() != expected()  # the other team's cases are left out
    assert theirs.status_code == 400
    assert set(theirs.json()["error"]["fields"]) == {"team"}
    assert client.get(URL, dict(PERIOD, team=teams[0].pk)).json() == expected(team=teams[0].pk)


def test_a_token_needs_the_sla_scope(token_client, admin_user, agent):
    assert token_client(admin_user, scopes=["sla:read"]).get(URL, PERIOD).status_code == 200
    assert token_client(admin_user, scopes=["sla:write"]).get(URL, PERIOD).status_code == 200
    refused = token_client(admin_user, scopes=["cases:read"]).get(URL, PERIOD)
    assert refused.status_code == 403
    assert "sla:read" in refused.json()["error"]["message"]


def test_without_credentials_it_is_refused(client):
    assert client.get(URL, PERIOD).status_code in (401, 403)


@pytest.mark.parametrize("cases", [20, 200])
def test_the_same_queries_whatever_the_number_of_cases(
    admin_api, teams, cases, django_assert_num_queries, django_db_setup
):
    build(teams, cases)
    admin_api.get(URL, PERIOD)  # the token's first use writes its last_used_at

    # token, team, the rolled-up days (none built here: every figure from the rows), the
    # attainment, the solved cases' FCR, the times' buckets (one query a table and period:
    # metrics by opening, next responses, metrics by solve), every percentile's values (one
    # UNION ALL) — on both databases
    with django_assert_num_queries(9):
        response = admin_api.get(URL, dict(PERIOD, team=teams[0].pk))
    assert response.json()["resolution"]["count"] > 0


def test_through_the_services_a_met_and_a_breached_first_response(
    admin_api, team, agent, django_capture_on_commit_callbacks
):
    """End to end: the clocks and metrics the recompute stores are what the summary counts."""
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    ids = []
    for minutes in (30, 90):
        with (
            time_machine.travel(monday, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            ids.append(CaseFactory(team=team, created_at=monday).pk)
            case_services.case_set_priority(case_id=ids[-1], priority="normal")
            case_services.case_set_tags(case_id=ids[-1], tags=["x"])  # a write: recompute
        with (
            time_machine.travel(monday + timedelta(minutes=minutes), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            case_services.case_reply(case_id=ids[-1], agent=agent, body_text="Hello")
            case_services.case_transition(case_id=ids[-1], to="solved", actor=agent)

    body = admin_api.get(URL, PERIOD).json()

    assert body["attainment"][0] == {
        "metric": "first_response",
        "met": 1,
        "breached": 1,
        "percent": 50.0,
    }
    times = {"count": 2, "median": 3600.0, "p90": 5040.0}
    assert body["first_response"] == {**times, "calendar": times}  # a policy open 24/7
    assert body["fcr"]["provisional"] == {"cases": 2, "fcr": 2, "percent": 100.0}


def test_team_filter_uses_no_other_teams_rows(admin_api):
    lonely = TeamFactory()
    body = admin_api.get(URL, dict(PERIOD, team=lonely.pk)).json()
    assert body["resolution"]["count"] == 0
