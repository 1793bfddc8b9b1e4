"""The SLA what-if: a proposal replayed over a period's cases, beside the stored clocks."""

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.cases import services as case_services
from apps.cases.models import Case, CaseEvent
from apps.sla import clocks, services, whatif
from apps.sla.models import SlaClock, SlaClockEvent
from tests.factories import (
    CaseFactory,
    ContactFactory,
    InteractionFactory,
    SlaPolicyFactory,
    TeamFactory,
)

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 09:00 in London too (GMT)
NOW = MONDAY_9AM + timedelta(hours=3)
LONDON_OFFICE = {
    "timezone": "Europe/London",
    "weekly_hours": {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
}
# Today's policy (SlaPolicyFactory's calendar is the same London office week).
TODAY = {("normal", "first_response"): 60, ("normal", "resolution"): 480}


def proposal(first_response=15, **changes):
    return {
        "name": "Faster first replies",
        "targets": [
            {"priority": "normal", "metric": "first_response", "minutes": first_response},
            {"priority": "normal", "metric": "resolution", "minutes": 480},
        ],
        "calendar": LONDON_OFFICE,
        **changes,
    }


def open_case(**kwargs):
    with time_machine.travel(kwargs.get("created_at", MONDAY_9AM), tick=False):
        return CaseFactory(**{"created_at": MONDAY_9AM, **kwargs})


def reply(case, agent, at):
    return InteractionFactory(
        case=case, direction="out", author_contact=None, author_agent=agent, occurred_at=at
    )


def recompute(*cases, now=NOW):
    for case in cases:
        services.case_sla_recompute(case_id=case.pk, now=now)


def run(data, *, then_current=False, first=date(2026, 11, 1), last=date(2026, 11, 30)):
    start, end = whatif.period_of(first, last)
    with time_machine.travel(NOW, tick=False):
        report = whatif.whatif_period(
            whatif.proposal_from_data(data), start=start, end=end, then_current=then_current
        )
    return report.as_dict()


# --- the figures, by hand -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_shorter_first_response_target_turns_a_met_clock_into_a_breach(agent):
    SlaPolicyFactory(targets=TODAY)
    case = open_case()
    reply(case, agent, MONDAY_9AM + timedelta(minutes=30))  # 30 minutes: within 60, not 15
    recompute(case)

    report = run(proposal(first_response=15))

    today, proposed = report["actual"], report["proposed"]
    assert today["metrics"]["first_response"] == {
        "met": 1,
        "breached": 0,
        "running": 0,
        "attainment": 1.0,
    }
    assert proposed["metrics"]["first_response"] == {
        "met": 0,
        "breached": 1,
        "running": 0,
        "attainment": 0.0,
    }
    assert (today["breaches"], proposed["breaches"]) == (0, 1)
    assert report["newly_breached"]["first_response"] == 1
    # 09:00 → 09:30 in office hours, on both sides (the same calendar)
    assert today["median_first_response_business_seconds"] == 1800
    assert proposed["median_first_response_business_seconds"] == 1800
    # resolution (480 business minutes from 09:00, due 17:00) runs on both sides at 12:00
    assert today["metrics"]["resolution"]["running"] == 1
    assert proposed["metrics"]["resolution"]["running"] == 1


@pytest.mark.django_db
def test_the_proposals_calendar_counts_its_own_business_time(agent):
    SlaPolicyFactory(targets=TODAY)  # London office: a reply at 18:00 is 8 business hours
    case = open_case()
    reply(case, agent, MONDAY_9AM + timedelta(hours=9))
    recompute(case, now=MONDAY_9AM + timedelta(hours=10))
    around_the_clock = proposal(first_response=600, calendar=None)

    start, end = whatif.period_of(date(2026, 11, 30), date(2026, 11, 30))
    with time_machine.travel(MONDAY_9AM + timedelta(hours=10), tick=False):
        report = whatif.whatif_period(
            whatif.proposal_from_data(around_the_clock), start=start, end=end
        ).as_dict()

    assert report["actual"]["median_first_response_business_seconds"] == 8 * 3600
    assert report["proposed"]["median_first_response_business_seconds"] == 9 * 3600
    assert report["newly_met"]["first_response"] == 1  # 9 h within 600 min, breached at 60


def test_whatif_is_a_pure_function_of_its_records():
    created = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    record = whatif.CaseRecord(
        case=Case(priority="normal"),
        organization_id=None,
        tags=(),
        history=clocks.History(
            created_at=created,
            messages=[clocks.Message(at=created + timedelta(minutes=20), agent_response=True)],
        ),
        stored=(
            whatif.StoredClock(
                "first_response", 1, "met", created + timedelta(hours=1), created, 1200
            ),
        ),
    )
    ten_minutes = clocks.Plan(
        policy_id=None,
        policy_name="p",
        targets=[clocks.Target("first_response", 10, business_hours=False)],
    )

    report = whatif.whatif([record], lambda r: ten_minutes, created + timedelta(hours=1))

    assert report.actual.tallies["first_response"].met == 1
    assert report.proposed.tallies["first_response"].breached == 1
    assert report.newly_breached["first_response"] == 1
    assert report.proposed.median_first_response == 1200


@pytest.mark.django_db
def test_the_today_side_is_what_the_stored_clocks_say(agent):
    SlaPolicyFactory(targets=TODAY)
    answered = open_case()
    reply(answered, agent, MONDAY_9AM + timedelta(minutes=90))  # late: breached at 10:00
    waiting = open_case()  # no reply: active, due 10:00, not swept yet at 12:00
    solved = open_case()
    reply(solved, agent, MONDAY_9AM + timedelta(minutes=5))
    CaseEvent.objects.create(
        case=solved, kind="status", after="solved", at=MONDAY_9AM + timedelta(minutes=10)
    )
    unanswered = open_case()  # solved before any reply: no first response to time
    CaseEvent.objects.create(
        case=unanswered, kind="status", after="solved", at=MONDAY_9AM + timedelta(minutes=2)
    )
    reply(unanswered, agent, MONDAY_9AM + timedelta(minutes=20))  # after it was solved
    recompute(answered, waiting, solved, unanswered)
    SlaClock.objects.filter(case=waiting, metric="first_response").update(
        state="active", breached_at=None
    )  # as the row is between a recompute and the sweep's next pass
    stored = list(SlaClock.objects.values_list("metric", "state", "due_at"))

    report = run(proposal(first_response=60))

    for metric in ("first_response", "resolution"):
        rows = [(state, due) for m, state, due in stored if m == metric]
        figures = report["actual"]["metrics"][metric]
        assert figures["met"] == sum(state == "met" for state, _ in rows)
        assert figures["breached"] == sum(
            state == "breached" or (state == "active" and due <= NOW) for state, due in rows
        )
        assert figures["running"] == sum(
            state == "paused" or (state == "active" and due > NOW) for state, due in rows
        )
    assert report["actual"]["metrics"]["first_response"] == {
        "met": 2,
        "breached": 2,
        "running": 0,
        "attainment": 0.5,
    }
    # answered after 90 and 5 minutes; the case solved before a reply has no response time
    assert report["actual"]["median_first_response_business_seconds"] == (5400 + 300) / 2
    # the same targets replayed: the proposal's side agrees with the stored clocks
    assert report["proposed"]["metrics"] == report["actual"]["metrics"]


@pytest.mark.django_db
def test_only_cases_created_in_the_period_count():
    SlaPolicyFactory(targets=TODAY)
    inside = open_case(created_at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC))
    open_case(created_at=datetime(2026, 10, 31, 23, 59, tzinfo=UTC))
    open_case(created_at=datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    recompute(inside)

    assert run(proposal())["cases"] == 1


@pytest.mark.django_db
def test_alone_the_proposal_covers_only_what_it_matches_then_current_falls_back():
    SlaPolicyFactory(targets=TODAY)
    vip_team = TeamFactory()
    vip, other = open_case(team=vip_team), open_case()
    recompute(vip, other)
    only_vip = proposal(match_teams=[vip_team.pk])

    alone = run(only_vip)
    with_today = run(only_vip, then_current=True)

    assert alone["proposed"]["cases_with_clocks"] == 1
    assert with_today["proposed"]["cases_with_clocks"] == 2
    # at 12:00 the VIP case breached its 15 minutes, the other its policy's 60
    assert with_today["proposed"]["metrics"]["first_response"]["breached"] == 2
    assert alone["proposed"]["metrics"]["first_response"]["breached"] == 1


# --- reading in batches ---------------------------------------------------------------------


def _history_cases(agent, count, messages):
    """Cases opened and worked through the services: the created event carries the status."""
    team = agent.teams.first()
    cases = []
    for n in range(count):
        at = MONDAY_9AM + timedelta(minutes=n)
        with time_machine.travel(at, tick=False):
            case = case_services.case_open(
                requester=ContactFactory(),
                subject=f"Case {n}",
                channel="email",
                team=team,
                assignee=agent if n % 2 else None,
                tags=["vip"] if n % 3 == 0 else [],
                body_text="Hello",
            ).case
        for m in range(messages):
            with time_machine.travel(at + timedelta(minutes=10 * (m + 1)), tick=False):
                if m % 3 == 0:
                    case_services.case_reply(case_id=case.pk, agent=agent, body_text="Hi")
                elif m % 3 == 1:
                    case_services.case_transition(
                        case_id=case.pk, to="pending" if m % 2 else "open", actor=agent
                    )
                else:
                    case_services.case_note(case_id=case.pk, agent=agent, body_text="note")
        cases.append(case)
    return cases


@pytest.mark.django_db
def test_the_batched_history_loader_reads_what_history_of_reads(agent):
    cases = _history_cases(agent, 4, messages=7)
    InteractionFactory(
        case=cases[0], occurred_at=MONDAY_9AM + timedelta(hours=5), author_contact=None
    )  # inbound without an author, as an import writes

    batched = whatif.histories_of(list(Case.objects.filter(pk__in=[c.pk for c in cases])))

    for case in cases:
        expected = services.history_of(Case.objects.get(pk=case.pk))
        assert batched[case.pk] == expected
        assert expected.statuses  # the cases do have a history
        assert expected.messages


@pytest.mark.django_db
@pytest.mark.parametrize(("count", "messages"), [(2, 1), (9, 6)])
def test_a_batch_costs_five_queries_whatever_its_size(
    agent, count, messages, django_assert_num_queries
):
    _history_cases(agent, count, messages)
    start, end = whatif.period_of(date(2026, 11, 30), date(2026, 11, 30))

    # cases, tags, interactions, status events, stored clocks
    with django_assert_num_queries(5):
        [batch] = list(whatif.case_batches(start, end, batch_size=10))
    assert len(batch) == count


@pytest.mark.django_db
def test_a_period_costs_a_count_and_five_queries_a_batch(agent, django_assert_num_queries):
    _history_cases(agent, 7, messages=2)
    start, end = whatif.period_of(date(2026, 11, 30), date(2026, 11, 30))
    proposed = whatif.proposal_from_data(proposal())
    seen = []

    with django_assert_num_queries(1 + 3 * 5):  # batches of 3, 3 and 1
        report = whatif.whatif_period(
            proposed,
            start=start,
            end=end,
            batch_size=3,
            progress=lambda done, total: seen.append((done, total)),
        )

    assert report.cases == 7
    assert seen == [(0, 7), (3, 7), (6, 7), (7, 7)]


# --- the command ----------------------------------------------------------------------------


def _checksum():
    rows = SlaClock.objects.order_by("pk").values_list()
    events = SlaClockEvent.objects.order_by("pk").values_list()
    cases = Case.objects.order_by("pk").values_list("pk", "updated_at", "sla_computed_at")
    return hashlib.sha256(repr((list(rows), list(events), list(cases))).encode()).hexdigest()


@pytest.mark.django_db
def test_the_command_prints_both_sides_and_writes_nothing(agent, tmp_path, capsys):
    SlaPolicyFactory(targets=TODAY)
    case = open_case()
    reply(case, agent, MONDAY_9AM + timedelta(minutes=30))
    recompute(case, open_case())
    path = tmp_path / "proposed.json"
    path.write_text(json.dumps(proposal(first_response=15)))
    counts = (SlaClock.objects.count(), SlaClockEvent.objects.count())
    checksum = _checksum()

    with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as queries:
        call_command(
            "sla_whatif", "--policy-file", str(path), "--from", "2026-11-01", "--to", "2026-11-30"
        )

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []
    assert (SlaClock.objects.count(), SlaClockEvent.objects.count()) == counts
    assert _checksum() == checksum
    out = capsys.readouterr().out
    assert "first response: attainment" in out
    lines = {line.split("  ")[0]: line for line in out.splitlines()}
    assert lines["first response: attainment"].split()[-4:] == [
        "50.0%",
        "(1/2)",
        "0.0%",
        "(0/2)",
    ]


@pytest.mark.django_db
def test_the_command_prints_json_on_request(tmp_path, capsys):
    path = tmp_path / "proposed.json"
    path.write_text(json.dumps(proposal()))
    open_case()

    with time_machine.travel(NOW, tick=False):
        call_command(
            "sla_whatif", f"--policy-file={path}", "--from=2026-11-30", "--to=2026-11-30", "--json"
        )

    data = json.loads(capsys.readouterr().out)
    assert data["cases"] == 1
    assert data["proposed"]["metrics"]["first_response"]["breached"] == 1


TARGET = {"priority": "normal", "metric": "first_response", "minutes": 60}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("{not json", "file"),
        ("[]", "file"),
        (
            {"targets": [{"priority": "normal", "metric": "first_response", "minutes": -1}]},
            "targets[0].minutes",
        ),
        ({"targets": [{**TARGET, "metric": "speed"}]}, "targets[0].metric"),
        ({"targets": []}, "targets"),
        ({"targets": [TARGET, TARGET]}, "targets"),
        ({"targets": [TARGET], "warning_percent": 0}, "warning_percent"),
        ({"targets": [TARGET], "pause_statuses": {"speed": []}}, "pause_statuses"),
        ({"targets": [TARGET], "pause_statuses": {"resolution": ["closed"]}}, "pause_statuses"),
        ({"targets": [TARGET], "match_teams": [999999]}, "match_teams"),
        ({"targets": [TARGET], "colour": "red"}, "colour"),
        ({"targets": [TARGET], "calendar": "London"}, "calendar"),
        ({"targets": [TARGET], "calendar": 999999}, "calendar"),
        (
            {"targets": [TARGET], "calendar": {**LONDON_OFFICE, "timezone": "Mars/Olympus"}},
            "calendar.timezone",
        ),
        (
            {"targets": [TARGET], "calendar": {**LONDON_OFFICE, "weekly_hours": {"mon": []}}},
            "calendar.weekly_hours",
        ),
        (
            {"targets": [TARGET], "calendar": {**LONDON_OFFICE, "holidays": ["25/12/2026"]}},
            "calendar.holidays",
        ),
        (
            {"targets": [TARGET], "calendar": {**LONDON_OFFICE, "holiday_subdivision": "ENG"}},
            "calendar.holiday_country",
        ),
    ],
)
def test_a_bad_file_is_a_command_error_naming_the_field(tmp_path, content, field):
    path = tmp_path / "proposed.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))

    with pytest.raises(CommandError) as error:
        call_command("sla_whatif", f"--policy-file={path}", "--from=2026-11-01", "--to=2026-11-30")

    message = str(error.value)
    assert f"proposed.json: {field}" in message or f"; {field}" in message, message


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last", "says"),
    [("2026-11-30", "2026-11-01", "ends"), ("30/11/2026", "2026-12-01", "not a date")],
)
def test_a_bad_period_is_a_command_error(tmp_path, first, last, says):
    path = tmp_path / "proposed.json"
    path.write_text(json.dumps(proposal()))
    with pytest.raises(CommandError, match=says):
        call_command("sla_whatif", f"--policy-file={path}", f"--from={first}", f"--to={last}")


@pytest.mark.django_db
def test_a_stored_calendar_may_be_named_by_its_id():
    policy = SlaPolicyFactory(targets=TODAY)

    proposed = whatif.proposal_from_data(proposal(calendar=policy.calendar_id))

    assert proposed.calendar == policy.calendar.to_calendar()
    assert proposed.plan_for("normal").calendar == proposed.calendar
    assert proposed.plan_for("low").targets == []  # no target for that priority: no clocks


@pytest.mark.django_db
def test_a_stored_calendar_that_no_longer_builds_is_a_field_error():
    from apps.sla.models import BusinessCalendar

    broken = BusinessCalendar.objects.create(name="Written by hand", timezone="Mars/Olympus")

    with pytest.raises(whatif.ProposalError, match="^calendar: calendar .*unknown time zone"):
        whatif.proposal_from_data(proposal(calendar=broken.pk))
