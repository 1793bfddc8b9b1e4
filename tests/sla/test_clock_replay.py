"""SLA clocks replayed from a case's history (apps/sla/clocks.py): hand-computed cases.

The calendar is Mon–Fri 09:00–17:00 in Europe/London; in late November 2026 London is on
GMT, so local times are UTC. 2026-11-27 is a Friday, 2026-11-30 a Monday.
"""

import random
from datetime import UTC, datetime

import pytest

from apps.sla.business_time import Calendar
from apps.sla.clocks import History, Message, Plan, StatusChange, Target, replay

LONDON = Calendar(
    timezone="Europe/London",
    weekly_hours={day: [("09:00", "17:00")] for day in ("mon", "tue", "wed", "thu", "fri")},
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11 if day > 2 else 12, day, hour, minute, tzinfo=UTC)


FRI, MON, TUE, WED = 27, 30, 1, 2


def plan(*targets: Target, warning_percent: int = 75) -> Plan:
    return Plan(
        policy_id=1,
        policy_name="Standard",
        targets=targets,
        calendar=LONDON,
        warning_percent=warning_percent,
    )


def reply(when: datetime) -> Message:
    return Message(at=when, agent_response=True)


def customer(when: datetime) -> Message:
    return Message(at=when, customer=True)


def note(when: datetime) -> Message:
    return Message(at=when)  # an internal note: neither a customer message nor a response


def only(clocks, metric, instance=1):
    [clock] = [c for c in clocks if c.metric == metric and c.instance == instance]
    return clock


FIRST = Target("first_response", 240)


def test_friday_afternoon_case_is_due_monday_morning_and_met_by_the_reply():
    history = History(created_at=at(FRI, 16), messages=[reply(at(MON, 11))])
    clock = only(replay(history, plan(FIRST), now=at(MON, 12, 30)), "first_response")

    assert clock.due_at == at(MON, 12)  # 1 h on Friday, 3 h on Monday
    assert clock.state == "met"
    assert clock.met_at == at(MON, 11)
    assert clock.breached_at is None
    assert clock.business_seconds == 3 * 3600  # Fri 16–17, Mon 09–11
    assert clock.calendar_seconds == 67 * 3600


def test_an_internal_note_does_not_meet_first_response():
    history = History(created_at=at(FRI, 16), messages=[note(at(MON, 10))])
    clocks = replay(history, plan(FIRST), now=at(MON, 12, 30))
    clock = only(clocks, "first_response")

    assert clock.state == "breached"
    assert clock.breached_at == at(MON, 12)
    assert clock.met_at is None


def test_a_running_clock_is_active_with_its_warning_instant_before_the_due_one():
    history = History(created_at=at(MON, 9))
    clock = only(replay(history, plan(FIRST), now=at(MON, 10)), "first_response")

    assert clock.state == "active"
    assert clock.due_at == at(MON, 13)
    assert clock.warn_at == at(MON, 12)  # 75 % of 4 h


def test_a_reply_exactly_at_the_due_instant_meets_the_target():
    history = History(created_at=at(MON, 9), messages=[reply(at(MON, 13))])
    clock = only(replay(history, plan(FIRST), now=at(MON, 14)), "first_response")
    assert clock.state == "met"


def test_a_late_reply_leaves_the_clock_breached_and_fulfilled():
    history = History(created_at=at(MON, 9), messages=[reply(at(MON, 13, 1))])
    clock = only(replay(history, plan(FIRST), now=at(MON, 14)), "first_response")

    assert clock.state == "breached"
    assert (clock.breached_at, clock.met_at) == (at(MON, 13), at(MON, 13, 1))
    assert [e.kind for e in clock.events] == [
        "policy_applied",
        "activated",
        "breached",
        "fulfilled",
    ]


def test_calendar_time_targets_count_around_the_clock():
    history = History(created_at=at(FRI, 16))
    clock = only(
        replay(history, plan(Target("first_response", 240, business_hours=False)), at(FRI, 17)),
        "first_response",
    )
    assert clock.due_at == at(FRI, 20)


def test_next_response_starts_at_each_customer_message_after_an_agent_response():
    history = History(
        created_at=at(MON, 9),
        messages=[
            customer(at(MON, 9)),  # the opening message: first response covers it
            reply(at(MON, 9, 30)),
            customer(at(MON, 10)),  # starts next response #1
            customer(at(MON, 10, 10)),  # #1 is already running
            reply(at(MON, 11)),  # meets #1, exactly at its due instant
            customer(at(MON, 13)),  # starts #2
        ],
    )
    clocks = replay(history, plan(FIRST, Target("next_response", 60)), now=at(MON, 13, 30))
    first, second = only(clocks, "next_response", 1), only(clocks, "next_response", 2)

    assert [c.instance for c in clocks if c.metric == "next_response"] == [1, 2]
    assert (first.started_at, first.due_at, first.state) == (at(MON, 10), at(MON, 11), "met")
    assert (second.started_at, second.due_at, second.state) == (
        at(MON, 13),
        at(MON, 14),
        "active",
    )


def test_customer_messages_before_the_first_response_start_no_next_response_clock():
    history = History(created_at=at(MON, 9), messages=[customer(at(MON, 9, 5))])
    clocks = replay(history, plan(FIRST, Target("next_response", 60)), now=at(MON, 10))
    assert [c.metric for c in clocks] == ["first_response"]


RESOLUTION = Target("resolution", 480, pause_statuses=frozenset({"pending"}))


def test_resolution_pauses_while_pending_and_is_met_at_solve():
    history = History(
        created_at=at(MON, 9),
        statuses=[
            StatusChange(at(MON, 10), "pending"),
            StatusChange(at(MON, 12), "open"),
            StatusChange(at(MON, 15), "solved"),
        ],
    )
    clock = only(replay(history, plan(RESOLUTION), now=at(MON, 16)), "resolution")

    assert clock.state == "met"
    assert clock.met_at == at(MON, 15)
    assert clock.paused_seconds == 2 * 3600
    assert clock.business_seconds == 4 * 3600  # 09–10 and 12–15
    assert clock.due_at == at(TUE, 11)  # 8 h of business time, 2 of them paused on Monday
    kinds = [(e.kind, e.at) for e in clock.events]
    assert kinds == [
        ("policy_applied", at(MON, 9)),
        ("activated", at(MON, 9)),
        ("paused", at(MON, 10)),
        ("resumed", at(MON, 12)),
        ("fulfilled", at(MON, 15)),
    ]


def test_a_clock_paused_now_has_no_due_instant():
    history = History(created_at=at(MON, 9), statuses=[StatusChange(at(MON, 10), "pending")])
    clock = only(replay(history, plan(RESOLUTION), now=at(TUE, 16)), "resolution")

    assert clock.state == "paused"
    assert clock.due_at is None
    assert clock.warn_at is None


def test_a_clock_paused_after_its_budget_ran_out_stays_breached():
    history = History(created_at=at(MON, 9), statuses=[StatusChange(at(TUE, 12), "pending")])
    clock = only(replay(history, plan(RESOLUTION), now=at(TUE, 16)), "resolution")

    assert clock.state == "breached"
    assert clock.breached_at == at(MON, 17)


def test_reopen_starts_a_new_resolution_clock_and_the_old_one_stays_met():
    history = History(
        created_at=at(MON, 9),
        statuses=[StatusChange(at(MON, 15), "solved"), StatusChange(at(TUE, 10), "open")],
    )
    clocks = replay(history, plan(RESOLUTION), now=at(TUE, 11))
    old, new = only(clocks, "resolution", 1), only(clocks, "resolution", 2)

    assert (old.state, old.met_at) == ("met", at(MON, 15))
    assert (new.state, new.started_at, new.due_at) == ("active", at(TUE, 10), at(WED, 10))


def test_solving_without_a_reply_fulfils_the_reply_targets():
    history = History(created_at=at(MON, 9), statuses=[StatusChange(at(MON, 9, 30), "solved")])
    clock = only(replay(history, plan(FIRST), now=at(TUE, 16)), "first_response")

    assert (clock.state, clock.met_at) == ("met", at(MON, 9, 30))
    assert clock.events[-1].detail == {"by": "solved"}


def test_no_plan_or_no_target_means_no_clocks():
    history = History(created_at=at(MON, 9))
    assert replay(history, None, now=at(MON, 10)) == []
    assert replay(history, plan(), now=at(MON, 10)) == []


@pytest.mark.parametrize("seed", range(5))
def test_the_replay_does_not_depend_on_the_order_the_history_is_given_in(seed):
    messages = [
        customer(at(MON, 9)),
        reply(at(MON, 9, 30)),
        customer(at(MON, 10)),
        note(at(MON, 10, 5)),
        reply(at(MON, 11)),
        customer(at(MON, 13)),
    ]
    statuses = [StatusChange(at(MON, 11), "pending"), StatusChange(at(MON, 13), "open")]
    targets = (FIRST, Target("next_response", 60), RESOLUTION)
    expected = replay(History(at(MON, 9), "new", messages, statuses), plan(*targets), at(TUE, 9))
    shuffled = messages[:]
    random.Random(seed).shuffle(shuffled)
    again = replay(History(at(MON, 9), "new", shuffled, statuses), plan(*targets), at(TUE, 9))
    assert again == expected
