"""The SLA summary's daily rollups: the figures stay those of a direct computation over the
rows whether the days are built, changed since (marked) or of another time zone; every
writer of a rolled-up figure marks its days; a build deletes only the marks it read."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from apps.cases import services as case_services
from apps.sla import rollups, services
from apps.sla.models import (
    CaseMetrics,
    SlaRollupCell,
    SlaRollupDay,
    SlaRollupHistogram,
    SlaRollupMark,
)
from tests.factories import CaseFactory, SlaPolicyFactory
from tests.sla.test_sla_summary_api import NOW, PERIOD, URL, build, expected

pytestmark = pytest.mark.django_db


@pytest.fixture
def teams(team, other_team):
    return [team, other_team]


# --- buckets -------------------------------------------------------------------------------


@given(st.integers(min_value=0, max_value=rollups.MAX_VALUE - 1))
def test_a_larger_time_never_has_a_smaller_bucket_and_a_bucket_is_narrow(value):
    assert rollups.bucket(value) <= rollups.bucket(value + 1)
    # a value more than 1/16 below is in an earlier bucket (below 32: every value its own)
    below = value - value // 16 - 1
    if below >= 0:
        assert rollups.bucket(below) < rollups.bucket(value)


def test_the_sql_bucket_is_the_python_bucket():
    values = [0, 1, 31, 32, 33, 63, 64, 1000, 86_399, 86_400, 1 << 30, rollups.MAX_VALUE]
    with connection.cursor() as cursor:
        for value in values:
            cursor.execute(f"SELECT {rollups.bucket_sql('%s')}".replace("%s", str(value)))
            assert cursor.fetchone()[0] == rollups.bucket(value), value


def test_saved_metrics_carry_the_buckets_of_their_times(team):
    row = CaseMetrics.objects.create(
        case=CaseFactory(team=team),
        opened_at=NOW,
        channel="email",
        priority="normal",
        first_response_business_seconds=5000,
        resolution_business_seconds=None,
        computed_at=NOW,
    )
    assert (row.first_response_bucket, row.resolution_bucket) == (rollups.bucket(5000), None)


# --- built days answer for the rows --------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"team": "team"},
        {"channel": "chat"},
        {"priority": "high"},
        {"channel": "phone", "priority": "normal"},
        {"team": "team", "channel": "email"},  # the cells, and the rows for the times
    ],
    ids=["all", "team", "chat", "high", "phone-normal", "team-email"],
)
def test_built_days_give_the_figures_of_a_direct_computation(admin_api, teams, filters):
    build(teams, 150)
    result = rollups.rollups_build(now=NOW, max_days=None)
    params = dict(PERIOD, **filters)
    if "team" in filters:
        params["team"] = filters["team"] = teams[0].pk

    response = admin_api.get(URL, params)

    assert result["built"] > 30  # mid-October to the day before NOW
    coverage = rollups.covered_days(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    )
    assert len(coverage.days) == 30  # November from the rollups alone
    assert coverage.ranges == []
    assert SlaRollupCell.objects.exists()
    assert SlaRollupHistogram.objects.exists()
    assert response.status_code == 200, response.content
    assert response.json() == expected(**filters)


def test_an_agent_gets_the_rolled_up_figures_of_their_own_teams(client, agent, teams):
    build(teams, 100)
    rollups.rollups_build(now=NOW, max_days=None)
    client.force_login(agent)
    assert client.get(URL, PERIOD).json() == expected(teams={teams[0].pk})


def test_a_period_not_on_day_boundaries_reads_its_edges_from_the_rows(admin_api, teams):
    build(teams, 150)
    rollups.rollups_build(now=NOW, max_days=None)
    start, end = datetime(2026, 11, 3, 7, 30, tzinfo=UTC), datetime(2026, 11, 20, 16, tzinfo=UTC)

    coverage = rollups.covered_days(start, end)
    body = admin_api.get(URL, {"from": start.isoformat(), "to": end.isoformat()}).json()

    assert coverage.ranges == [
        (start, datetime(2026, 11, 4, tzinfo=UTC)),
        (datetime(2026, 11, 20, tzinfo=UTC), end),
    ]
    with override_settings():  # the same figures with no day built
        SlaRollupDay.objects.all().delete()
        direct = admin_api.get(URL, {"from": start.isoformat(), "to": end.isoformat()}).json()
    assert body == direct
    assert body["first_response"]["count"] > 0


def test_the_queries_do_not_grow_with_the_days_covered(
    admin_api, teams, django_assert_max_num_queries
):
    build(teams, 100)
    rollups.rollups_build(now=NOW, max_days=None)
    admin_api.get(URL, PERIOD)  # the token's first use writes its last_used_at

    # token, covered days, the cells (attainment, FCR), every figure's histograms (no rows
    # left over: whole built days) and every percentile's values (one UNION ALL)
    for period in ({"from": "2026-11-10", "to": "2026-11-11"}, PERIOD):
        with django_assert_max_num_queries(6):
            assert admin_api.get(URL, period).status_code == 200


# --- marks ---------------------------------------------------------------------------------


@pytest.fixture
def recomputed(team, agent):
    """Cases under a policy, their clocks and metrics stored by the recompute (no rows
    written by hand), in November."""
    SlaPolicyFactory(targets={("normal", "first_response"): 60, ("normal", "resolution"): 600})
    ids = []
    for day in (3, 4, 5):
        opened = datetime(2026, 11, day, 10, tzinfo=UTC)
        with time_machine.travel(opened, tick=False):
            case = CaseFactory(team=team, created_at=opened, priority="normal")
            services.case_sla_recompute(case_id=case.pk, now=opened)
            ids.append(case.pk)
    return ids


def test_a_change_after_the_build_marks_its_day_and_is_read_from_the_rows(admin_api, recomputed):
    rollups.rollups_build(now=NOW, max_days=None)
    assert not SlaRollupMark.objects.exists()
    before = admin_api.get(URL, PERIOD).json()

    # the case of 4 November is solved on 6 November: its resolution clock gets a verdict
    solved = datetime(2026, 11, 6, 9, tzinfo=UTC)
    with time_machine.travel(solved, tick=False):
        case_services.case_transition(case_id=recomputed[1], to="solved")
        services.case_sla_recompute(case_id=recomputed[1], now=solved)

    marked = {m.start.date() for m in SlaRollupMark.objects.all()}
    coverage = rollups.covered_days(
        datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    )
    after = admin_api.get(URL, PERIOD).json()
    SlaRollupDay.objects.all().delete()
    direct = admin_api.get(URL, PERIOD).json()

    assert {date(2026, 11, 4), solved.date()} <= marked
    for day in (4, 6):  # from the rows (and 1–2 November: before the first case, not built)
        assert (datetime(2026, 11, day, tzinfo=UTC), datetime(2026, 11, day + 1, tzinfo=UTC)) in (
            coverage.ranges
        )
    assert after == direct
    assert after != before
    assert after["resolution"]["count"] == before["resolution"]["count"] + 1


def test_a_recompute_that_changes_nothing_rolled_up_marks_nothing(recomputed):
    SlaRollupMark.objects.all().delete()
    later = datetime(2026, 11, 5, 10, 30, tzinfo=UTC)  # still inside the first-response target
    services.case_sla_recompute(case_id=recomputed[2], now=later)
    assert not SlaRollupMark.objects.exists()


def test_the_sweep_marks_the_days_its_breaches_started(admin_api, recomputed):
    rollups.rollups_build(now=NOW, max_days=None)
    before = admin_api.get(URL, PERIOD).json()

    breached = services.clocks_breach(now=datetime(2026, 11, 5, 12, tzinfo=UTC))

    [mark] = SlaRollupMark.objects.all()
    after = admin_api.get(URL, PERIOD).json()
    SlaRollupDay.objects.all().delete()
    assert breached > 0
    assert (mark.start.date(), mark.end.date()) == (
        date(2026, 11, 3),
        date(2026, 11, 5),
    )
    assert after == admin_api.get(URL, PERIOD).json()  # = the direct computation
    assert sum(a["breached"] for a in after["attainment"]) == breached
    assert sum(a["breached"] for a in before["attainment"]) == 0


def test_a_build_redoes_the_marked_days_and_deletes_the_marks_it_read(recomputed, monkeypatch):
    rollups.rollups_build(now=NOW, max_days=None)
    services.clocks_breach(now=datetime(2026, 11, 5, 12, tzinfo=UTC))
    read = set(SlaRollupMark.objects.values_list("pk", flat=True))
    built_days = []
    real = rollups._build_day

    def build_day(day, zone, now):
        built_days.append(day)
        real(day, zone, now)
        if len(built_days) == 1:  # a change committed while the build runs
            rollups.mark([datetime(2026, 11, 4, 12, tzinfo=UTC)])

    monkeypatch.setattr(rollups, "_build_day", build_day)
    result = rollups.rollups_build(now=NOW)

    left = set(SlaRollupMark.objects.values_list("pk", flat=True))
    assert sorted(built_days) == [date(2026, 11, d) for d in (3, 4, 5)]
    assert result["marks"] == len(read)
    assert left  # the later mark stays
    assert not left & read  # the build's own went


def test_marks_on_today_go_without_a_build_of_today(recomputed):
    rollups.mark([NOW])
    result = rollups.rollups_build(now=NOW)
    assert result["marks"] == 1
    assert not SlaRollupDay.objects.filter(day=NOW.date()).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the build's advisory lock is PostgreSQL's"
)
def test_while_one_build_runs_another_returns_at_once(recomputed):
    holding, release = threading.Event(), threading.Event()

    def first_build():
        try:
            with transaction.atomic():
                assert rollups._build_lock()
                holding.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=first_build)
    thread.start()
    try:
        assert holding.wait(timeout=30)
        assert rollups.rollups_build(now=NOW)["busy"] == 1
    finally:
        release.set()
        thread.join(timeout=30)
    assert rollups.rollups_build(now=NOW)["busy"] == 0


# --- time zones ----------------------------------------------------------------------------


def test_after_a_time_zone_change_the_figures_stay_exact_and_the_build_redoes_the_days(
    admin_api, teams
):
    build(teams, 120)
    rollups.rollups_build(now=NOW, max_days=None)
    utc_days = SlaRollupDay.objects.count()

    with override_settings(TIME_ZONE="America/New_York"):
        stale = admin_api.get(URL, PERIOD).json()  # UTC days inside New York's November
        SlaRollupDay.objects.all().delete()
        direct = admin_api.get(URL, PERIOD).json()
        rollups.rollups_build(now=NOW, max_days=None)
        rebuilt = admin_api.get(URL, PERIOD).json()
        starts = set(SlaRollupDay.objects.values_list("start", flat=True))

    assert stale == direct == rebuilt
    assert direct["period"]["from"] == "2026-11-01T00:00:00-04:00"  # New York's midnight
    assert utc_days
    assert datetime(2026, 11, 10, 5, tzinfo=UTC) in starts  # New York's midnight
    # a DST change: 1 November 2026 in New York is 25 hours long
    day = SlaRollupDay.objects.get(start=datetime(2026, 11, 1, 4, tzinfo=UTC))
    assert day.end - day.start == timedelta(hours=25)


def test_a_zone_change_drops_the_other_zones_days_at_the_next_build(teams):
    build(teams, 20)
    rollups.rollups_build(now=NOW, max_days=None)
    with override_settings(TIME_ZONE="Europe/London"):  # the same as UTC in winter
        kept = rollups.rollups_build(now=NOW, max_days=None)
    with override_settings(TIME_ZONE="Asia/Kolkata"):
        moved = rollups.rollups_build(now=NOW, max_days=None)
    assert kept["dropped"] < 30  # only the summer days (BST) moved
    assert moved["dropped"] > 0
    assert moved["built"] >= moved["dropped"]
    assert all(d.start.minute == 30 for d in SlaRollupDay.objects.all())


# --- the command and the task --------------------------------------------------------------


def test_the_command_builds_every_missing_day_in_batches(teams, capsys):
    build(teams, 30)
    with time_machine.travel(NOW, tick=False):
        call_command("sla_rollups", "--days-per-batch", "10")
    out = capsys.readouterr().out
    first = SlaRollupDay.objects.order_by("start").first()
    assert "Built" in out
    assert SlaRollupDay.objects.count() == (NOW.date() - first.day).days
    with time_machine.travel(NOW, tick=False):
        call_command("sla_rollups", "--rebuild")
    assert "Built" in capsys.readouterr().out


def test_beat_builds_the_rollups(settings):
    assert settings.CELERY_BEAT_SCHEDULE["build-sla-rollups"]["task"] == (
        "apps.sla.tasks.build_rollups"
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the snapshot is PostgreSQL's REPEATABLE READ"
)
def test_outside_a_transaction_the_summary_reads_one_snapshot(recomputed, monkeypatch):
    from apps.sla import summary

    rollups.rollups_build(now=NOW, max_days=None)
    isolation = []
    real = rollups.covered_days

    def covered(start, end):
        with connection.cursor() as cursor:
            cursor.execute("SHOW transaction_isolation")
            isolation.append(cursor.fetchone()[0])
        return real(start, end)

    monkeypatch.setattr(rollups, "covered_days", covered)
    period = summary.Period(datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    services.clocks_breach(now=NOW)  # verdicts to count
    figures = summary.sla_summary(period=period)
    with transaction.atomic():  # inside a caller's transaction: its isolation, as it is
        inside = summary.sla_summary(period=period)

    assert isolation == ["repeatable read", "read committed"]
    assert figures == inside
    assert sum(a["breached"] for a in figures["attainment"]) == 6
