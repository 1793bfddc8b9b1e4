"""Recomputing a case's clocks from its history: what the services store, and at what cost."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.cases import services as case_services
from apps.cases.models import Case
from apps.sla import services
from apps.sla.models import SlaClock, SlaClockEvent, SlaPolicy, SlaTarget
from tests.factories import CaseFactory, InteractionFactory, SlaPolicyFactory, TeamFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def policy():
    return SlaPolicyFactory(
        targets={
            ("normal", "first_response"): 60,
            ("normal", "next_response"): 30,
            ("normal", "resolution"): 480,
        }
    )


def open_case(**kwargs):
    with time_machine.travel(MONDAY_9AM, tick=False):
        return CaseFactory(created_at=MONDAY_9AM, **kwargs)


def test_recompute_stores_the_clocks_and_the_next_breach(policy):
    case = open_case()

    stored = services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    assert [(c.metric, c.state, c.due_at) for c in stored] == [
        ("first_response", "active", MONDAY_9AM + timedelta(hours=1)),
        ("resolution", "active", MONDAY_9AM + timedelta(hours=8)),
    ]
    case.refresh_from_db()
    assert case.next_breach_at == MONDAY_9AM + timedelta(hours=1)
    assert case.sla_computed_at == case.updated_at


def test_recomputing_twice_stores_the_same_clocks_and_keeps_what_was_fired(policy):
    case = open_case()
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    SlaClock.objects.filter(case=case).update(warning_sent_at=MONDAY_9AM)
    before = list(SlaClock.objects.filter(case=case).values().order_by("pk"))
    events_before = list(SlaClockEvent.objects.values_list("clock_id", "kind", "at"))

    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    after = list(SlaClock.objects.filter(case=case).values().order_by("pk"))
    assert after == before  # same rows, same ids, the warning stamp kept
    assert sorted(SlaClockEvent.objects.values_list("clock_id", "kind", "at")) == sorted(
        events_before
    )


@pytest.mark.parametrize("messages", [4, 40])
@pytest.mark.parametrize(("channel", "queries"), [("email", 12), ("chat", 14)])
def test_recompute_costs_the_same_queries_whatever_the_history(
    policy, agent, messages, channel, queries, django_assert_num_queries
):
    case = open_case(channel=channel)
    for i in range(messages):
        InteractionFactory(
            case=case,
            channel=channel,
            occurred_at=MONDAY_9AM + timedelta(minutes=i),
            direction="out" if i % 2 else "in",
            author_contact=None if i % 2 else case.requester,
            author_agent=agent if i % 2 else None,
        )
    policies = services.active_policies()

    # lock+case (with its tags, status events, stored metrics, the requester's next case and
    # the policies' version), interactions (with their calls), existing clocks with their events,
    # upsert, delete events, insert events, then the metrics upsert, its next responses' rows
    # (one INSERT, whatever their number) and the mark of the day its first metrics roll up
    # into — and with chat messages, agent responses counted the
    # chat way and the answered chats' lengths; update the case (+ savepoint/release)
    with django_assert_num_queries(queries):
        services.case_sla_recompute(
            case_id=case.pk, now=MONDAY_9AM + timedelta(hours=1), policies=policies
        )

    # every customer message but the first follows a reply
    assert SlaClock.objects.filter(case=case, metric="next_response").count() == messages // 2 - 1


def test_the_first_matching_policy_in_order_applies(policy):
    vip_team = TeamFactory()
    vip = SlaPolicyFactory(position=0, targets={("normal", "first_response"): 15})
    vip.match_teams.set([vip_team])
    vip_case, other = open_case(team=vip_team), open_case()

    [vip_clock] = [
        c for c in services.case_sla_recompute(case_id=vip_case.pk) if c.metric == "first_response"
    ]
    [other_clock] = [
        c for c in services.case_sla_recompute(case_id=other.pk) if c.metric == "first_response"
    ]
    assert (vip_clock.policy_id, vip_clock.target_minutes) == (vip.pk, 15)
    assert (other_clock.policy_id, other_clock.target_minutes) == (policy.pk, 60)


def test_policy_conditions_on_channel_priority_and_tags(policy):
    tagged = SlaPolicyFactory(
        position=0,
        match_channels=["chat"],
        match_tags=["VIP"],
        targets={("normal", "first_response"): 5},
    )
    chat_vip = open_case(channel="chat")
    case_services.case_set_tags(case_id=chat_vip.pk, tags=["billing", "vip"])
    chat_plain = open_case(channel="chat")

    assert services.case_sla_recompute(case_id=chat_vip.pk)[0].policy_id == tagged.pk
    assert services.case_sla_recompute(case_id=chat_plain.pk)[0].policy_id == policy.pk


def test_a_case_no_policy_covers_has_no_clocks():
    case = open_case()
    assert services.case_sla_recompute(case_id=case.pk) == []
    case.refresh_from_db()
    assert case.next_breach_at is None
    assert case.sla_computed_at == case.updated_at


def test_a_priority_change_applies_the_new_target_from_the_clocks_start(policy):
    from apps.sla.models import SlaTarget

    SlaTarget.objects.create(policy=policy, priority="urgent", metric="first_response", minutes=10)
    case = open_case()
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=5), tick=False):
        case_services.case_set_priority(case_id=case.pk, priority="urgent")
        [clock] = services.case_sla_recompute(case_id=case.pk)

    assert (clock.target_minutes, clock.due_at) == (10, MONDAY_9AM + timedelta(minutes=10))
    assert not SlaClock.objects.filter(metric="resolution").exists()  # urgent has none


def test_a_written_case_is_dirty_until_recomputed_and_the_sweep_recomputes_it(
    policy, django_capture_on_commit_callbacks
):
    case = open_case()
    assert services.dirty_case_ids(limit=10) == [case.pk]

    with django_capture_on_commit_callbacks(execute=True):
        result = services.sla_sweep(now=MONDAY_9AM)

    assert result["recomputed"] == 1
    assert services.dirty_case_ids(limit=10) == []
    assert SlaClock.objects.filter(case=case).count() == 2
    case_services.case_set_priority(case_id=case.pk, priority="high")
    assert services.dirty_case_ids(limit=10) == [case.pk]


def test_a_case_write_enqueues_its_recompute_after_commit(
    policy, agent, django_capture_on_commit_callbacks
):
    case = open_case()
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    with (
        time_machine.travel(MONDAY_9AM + timedelta(minutes=20), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="On it.")

    first = SlaClock.objects.get(case=case, metric="first_response")
    assert (first.state, first.met_at) == ("met", MONDAY_9AM + timedelta(minutes=20))
    assert Case.objects.get(pk=case.pk).next_breach_at == MONDAY_9AM + timedelta(hours=8)


def test_a_broker_outage_leaves_the_write_standing_and_the_case_dirty(
    policy, django_capture_on_commit_callbacks, monkeypatch
):
    from apps.core import queue

    case = open_case()
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    def refuse(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(queue.task_named(services.RECOMPUTE_TASK), "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        case_services.case_set_priority(case_id=case.pk, priority="high")

    assert Case.objects.get(pk=case.pk).priority == "high"
    assert services.dirty_case_ids(limit=10) == [case.pk]


def test_a_policy_change_marks_open_cases_for_recompute(policy):
    case = open_case()
    services.case_sla_recompute(case_id=case.pk)
    assert services.dirty_case_ids(limit=10) == []

    services.policies_changed()

    assert services.dirty_case_ids(limit=10) == [case.pk]


def test_a_recompute_that_finds_what_it_stored_writes_nothing(policy, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = open_case()
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=10), tick=False):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Done.")
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM + timedelta(hours=1))

    with CaptureQueriesContext(connection) as queries:
        services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM + timedelta(hours=2))

    writes = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith(('INSERT INTO "SLA_SLACLOCK', "DELETE", "UPDATE"))
    ]
    assert writes == []
    assert {c.state for c in SlaClock.objects.filter(case=case)} == {"met"}


def test_a_recompute_that_finds_the_same_metrics_leaves_them_alone(policy, agent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.sla.models import CaseMetrics

    case = open_case()
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=10), tick=False):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Done.")
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM + timedelta(hours=1))
    before = CaseMetrics.objects.filter(pk=case.pk).values().get()

    with CaptureQueriesContext(connection) as queries:
        services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM + timedelta(hours=2))

    metrics_writes = [
        q["sql"]
        for q in queries.captured_queries
        if '"sla_casemetrics"' in q["sql"]
        and q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]
    assert metrics_writes == []
    # Not rewritten: the same figures, still as computed the first time.
    assert CaseMetrics.objects.filter(pk=case.pk).values().get() == before
    assert before["computed_at"] == MONDAY_9AM + timedelta(hours=1)


def test_a_recompute_rewrites_the_metrics_when_one_figure_moved(policy, agent):
    from apps.sla.models import CaseMetrics

    case = open_case()
    with time_machine.travel(MONDAY_9AM + timedelta(minutes=10), tick=False):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Done.")
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM + timedelta(hours=1))
    # Only the FCR state moves once the window has passed: that one column is written.
    later = MONDAY_9AM + services.fcr_window() + timedelta(hours=1)
    services.case_sla_recompute(case_id=case.pk, now=later)

    m = CaseMetrics.objects.get(pk=case.pk)
    assert (m.fcr, m.fcr_state, m.computed_at) == (True, "final", later)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="synchronous_commit is PostgreSQL's setting"
)
def test_a_recompute_in_its_own_transaction_does_not_wait_for_the_disk(policy):
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    case = open_case()
    asynchronous = "SET LOCAL synchronous_commit TO OFF"

    with CaptureQueriesContext(connection) as own:
        services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    with CaptureQueriesContext(connection) as inside, transaction.atomic():
        # A caller's transaction may hold writes of its own: it commits as it always does.
        services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)

    own_sql = [q["sql"] for q in own.captured_queries]
    assert own_sql[: own_sql.index(asynchronous) + 1] == ["BEGIN", asynchronous]  # first
    assert asynchronous not in [q["sql"] for q in inside.captured_queries]
    assert SlaClock.objects.filter(case=case).count() == 2


def test_status_changes_at_one_instant_apply_in_the_order_they_were_written():
    from apps.cases.models import CaseEvent

    case = open_case()
    at = MONDAY_9AM + timedelta(minutes=10)
    # Stored in the other order than written (ids say which came first): the last wins.
    CaseEvent.objects.create(pk=10_001, case=case, kind="status", after="open", at=at)
    CaseEvent.objects.create(pk=10_000, case=case, kind="status", after="pending", at=at)

    history = services.history_of(Case.objects.get(pk=case.pk))

    assert [(s.at, s.to) for s in history.statuses] == [(at, "pending"), (at, "open")]


def test_the_policies_version_comes_with_the_case_not_in_a_query_of_its_own(
    policy, agent, django_assert_num_queries
):
    """The task recomputes without `policies`: whether its cached policies still hold is read
    with the case, so it costs the same queries as a caller that passes them."""
    case = open_case(channel="email")
    now = MONDAY_9AM + timedelta(hours=1)
    services.case_sla_recompute(case_id=case.pk, now=now)  # warm the cache, write the clocks
    with CaptureQueriesContext(connection) as given:
        services.case_sla_recompute(case_id=case.pk, now=now, policies=services.active_policies())
    with CaptureQueriesContext(connection) as read:
        services.case_sla_recompute(case_id=case.pk, now=now)
    assert len(read.captured_queries) == len(given.captured_queries) - 1  # -1: the version


def test_a_policy_saved_elsewhere_is_seen_by_the_next_recompute(policy, agent):
    """The version read with the case still notices another process's policy change."""
    case = open_case(channel="email")
    services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
    target = policy.targets.get(priority=case.priority, metric="first_response")
    # As another process would: no signal reaches this process's cache.
    SlaTarget.objects.filter(pk=target.pk).update(minutes=target.minutes + 60)
    SlaPolicy.objects.filter(pk=policy.pk).update(updated_at=timezone.now())
    [clock] = [
        c
        for c in services.case_sla_recompute(case_id=case.pk, now=MONDAY_9AM)
        if c.metric == "first_response"
    ]
    assert clock.target_minutes == target.minutes + 60
