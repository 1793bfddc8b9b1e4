"""The SLA summary filters on the case's team, channel and priority as copied onto its metrics
and clocks: the recompute keeps the copies current when the case changes (through the case
services and the "case changed" seam, tasks eager), and the migration that added them filled
the existing rows."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.sla.models import CaseMetrics, SlaClock, SlaTarget
from tests.factories import CaseFactory, SlaPolicyFactory, TeamFactory

URL = "/api/v1/sla/summary/"
MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def policy(db):
    return SlaPolicyFactory(
        targets={("normal", "first_response"): 60, ("normal", "resolution"): 480}
    )


def at(minutes, capture):
    """Travel to MONDAY + minutes, running the seam's after-commit recomputes."""

    class Both:
        def __enter__(self):
            self.travel = time_machine.travel(MONDAY + timedelta(minutes=minutes), tick=False)
            self.travel.__enter__()
            self.capture = capture(execute=True)
            self.capture.__enter__()

        def __exit__(self, *exc):
            self.capture.__exit__(*exc)
            self.travel.__exit__(*exc)

    return Both()


def answered_and_solved(team, agent, capture):
    """A case of `team` opened on MONDAY, answered after 30 min and solved: its first-response
    and resolution clocks met, its metrics stored — all by the recompute."""
    with at(0, capture):
        case = CaseFactory(team=team, created_at=MONDAY)
        case_services.case_set_priority(case_id=case.pk, priority="normal")
    with at(30, capture):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Hello")
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    return case


def counted(api, **filters):
    body = api.get(URL, dict(PERIOD, **filters)).json()
    return (
        {a["metric"]: a["met"] + a["breached"] for a in body["attainment"]},
        body["first_response"]["count"],
        body["resolution"]["count"],
    )


NONE = ({"first_response": 0, "next_response": 0, "resolution": 0}, 0, 0)
ONE = ({"first_response": 1, "next_response": 0, "resolution": 1}, 1, 1)


@pytest.mark.django_db
def test_the_recompute_copies_the_case_onto_its_metrics_and_clocks(
    policy, team, agent, django_capture_on_commit_callbacks
):
    case = answered_and_solved(team, agent, django_capture_on_commit_callbacks)

    metrics = CaseMetrics.objects.get(case=case)
    assert (metrics.opened_at, metrics.team_id, metrics.channel, metrics.priority) == (
        MONDAY,
        team.pk,
        case.channel,
        "normal",
    )
    assert {(c.team_id, c.channel, c.priority) for c in SlaClock.objects.filter(case=case)} == {
        (team.pk, case.channel, "normal")
    }


@pytest.mark.django_db
def test_a_team_change_moves_the_case_to_the_new_teams_figures(
    policy, team, other_team, agent, admin_api, client, django_capture_on_commit_callbacks
):
    case = answered_and_solved(team, agent, django_capture_on_commit_callbacks)
    assert counted(admin_api, team=team.pk) == ONE
    assert counted(admin_api, team=other_team.pk) == NONE

    with at(60, django_capture_on_commit_callbacks):
        case_services.case_set_team(case_id=case.pk, team=other_team)

    assert counted(admin_api, team=other_team.pk) == ONE
    assert counted(admin_api, team=team.pk) == NONE
    # An agent of the old team no longer sees it either (their teams' restriction).
    client.force_login(agent)
    assert counted(client) == NONE


@pytest.mark.django_db
def test_a_priority_change_moves_the_clocks_kept_as_a_record_too(
    policy, team, agent, admin_api, django_capture_on_commit_callbacks
):
    """Urgent has no resolution target: the met resolution clock stays as the record of what
    was promised, not recomputed, and follows the case's priority all the same."""
    SlaTarget.objects.create(policy=policy, priority="urgent", metric="first_response", minutes=60)
    case = answered_and_solved(team, agent, django_capture_on_commit_callbacks)

    with at(60, django_capture_on_commit_callbacks):
        case_services.case_set_priority(case_id=case.pk, priority="urgent")

    assert counted(admin_api, priority="urgent") == ONE
    assert counted(admin_api, priority="normal") == NONE
    record = SlaClock.objects.get(case=case, metric="resolution")
    assert (record.state, record.target_minutes, record.priority) == ("met", 480, "urgent")


@pytest.mark.django_db
def test_a_deleted_team_leaves_the_copies_without_a_team(
    policy, agent, admin_api, django_capture_on_commit_callbacks
):
    gone = TeamFactory(name="Gone", slug="gone")
    case = answered_and_solved(gone, agent, django_capture_on_commit_callbacks)

    gone.delete()

    assert CaseMetrics.objects.get(case=case).team_id is None
    assert set(SlaClock.objects.filter(case=case).values_list("team_id", flat=True)) == {None}


@pytest.mark.django_db(transaction=True)
def test_the_migration_fills_the_copies_of_existing_rows(team, other_team):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("sla", "0003_summary_covering_indexes")]
    after = [("sla", "0004_summary_case_copies")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    Case, Contact = old.get_model("cases", "Case"), old.get_model("contacts", "Contact")
    requester = Contact.objects.create(name="Ada")
    cases = [
        Case.objects.create(
            subject=f"Case {n}",
            requester=requester,
            team_id=team_id,
            channel=channel,
            priority=priority,
            created_at=MONDAY - timedelta(days=n),
        )
        for n, (team_id, channel, priority) in enumerate(
            [(team.pk, "chat", "high"), (other_team.pk, "email", "low"), (None, "phone", "urgent")]
        )
    ]
    for case in cases:
        old.get_model("sla", "CaseMetrics").objects.create(case=case, computed_at=MONDAY)
        old.get_model("sla", "SlaClock").objects.create(
            case=case,
            metric="first_response",
            target_minutes=60,
            state="met",
            started_at=case.created_at,
            computed_at=MONDAY,
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(after)

    new = executor.loader.project_state(after).apps
    for case in cases:
        metrics = new.get_model("sla", "CaseMetrics").objects.get(case_id=case.pk)
        clock = new.get_model("sla", "SlaClock").objects.get(case_id=case.pk)
        expected = (case.team_id, case.channel, case.priority)
        assert (metrics.team_id, metrics.channel, metrics.priority) == expected
        assert metrics.opened_at == case.created_at
        assert (clock.team_id, clock.channel, clock.priority) == expected
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
