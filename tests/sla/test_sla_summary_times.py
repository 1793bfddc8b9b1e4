"""The SLA summary's response times on hand-built cases, end to end: first response, next
response and resolution, median and p90, in business time (a Mon–Fri 09:00–17:00 calendar)
and in calendar time — stored by the recompute through the case services, read from the
rows and from built rollups alike, each figure worked out by hand below."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.sla import rollups
from apps.sla.models import SlaNextResponse
from apps.sla.summary import Period, sla_summary
from tests.factories import CaseFactory, SlaPolicyFactory

pytestmark = pytest.mark.django_db

FRIDAY = datetime(2026, 11, 20, tzinfo=UTC)  # Europe/London is UTC in November
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)
PERIOD = Period(start=datetime(2026, 11, 16, tzinfo=UTC), end=datetime(2026, 11, 30, tzinfo=UTC))
H = 3600


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    @contextmanager
    def travel(instant):
        with (
            time_machine.travel(instant, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield

    return travel


@pytest.fixture
def cases(team, agent, at):
    """Three cases; the email ones under a policy of Mon–Fri 09:00–17:00, the chat one
    under none (a calendar time, no business time):

    1. opened Fri 16:00, answered Mon 10:00 (FR 66 h; business 1 h + 1 h); the customer
       writes Mon 11:00, answered 12:30 (NR 1.5 h, all business); solved Mon 13:00
       (resolution 69 h; business 1 h + 4 h);
    2. opened Mon 09:00, answered 09:20 (FR 20 min); the customer writes 09:30, answered
       Tue 09:30 (NR 24 h; business 7.5 h + 0.5 h); solved Tue 10:00 (resolution 25 h;
       business 8 h + 1 h);
    3. chat, opened Mon 14:00, answered 14:10 (FR 10 min), open.
    """
    SlaPolicyFactory(match_channels=["email"], targets={("normal", "first_response"): 60})

    def opened(instant, channel):
        with at(instant):
            case = CaseFactory(team=team, channel=channel, priority="normal", created_at=instant)
            case_services.case_set_tags(case_id=case.pk, tags=["x"])  # a write: recompute
        return case

    def reply(case, instant):
        with at(instant):
            case_services.case_reply(case_id=case.pk, agent=agent, body_text="On it")

    def customer(case, instant):
        with at(instant):
            case_services.interaction_add(
                case_id=case.pk,
                channel=case.channel,
                direction="in",
                author_contact=case.requester,
                body_text="And?",
            )

    def solve(case, instant):
        with at(instant):
            case_services.case_transition(case_id=case.pk, to="solved", actor=agent)

    first = opened(FRIDAY + timedelta(hours=16), "email")
    reply(first, MONDAY + timedelta(hours=10))
    customer(first, MONDAY + timedelta(hours=11))
    reply(first, MONDAY + timedelta(hours=12, minutes=30))
    solve(first, MONDAY + timedelta(hours=13))
    second = opened(MONDAY + timedelta(hours=9), "email")
    reply(second, MONDAY + timedelta(hours=9, minutes=20))
    customer(second, MONDAY + timedelta(hours=9, minutes=30))
    reply(second, MONDAY + timedelta(days=1, hours=9, minutes=30))
    solve(second, MONDAY + timedelta(days=1, hours=10))
    third = opened(MONDAY + timedelta(hours=14), "chat")
    reply(third, MONDAY + timedelta(hours=14, minutes=10))
    return first, second, third


def cont(values, fraction):
    """percentile_cont, by hand: between ranks ⌊f(n−1)⌋ and the next."""
    values = sorted(values)
    rank = fraction * (len(values) - 1)
    low = int(rank)
    high = min(low + 1, len(values) - 1)
    return round(values[low] + (rank - low) * (values[high] - values[low]), 1)


def figures(business, calendar):
    def of(values):
        return {"count": len(values), "median": cont(values, 0.5), "p90": cont(values, 0.9)}

    return {**of(business), "calendar": of(calendar)}


EXPECTED = {
    "first_response": figures([2 * H, 20 * 60], [66 * H, 20 * 60, 10 * 60]),
    "next_response": figures([1.5 * H, 8 * H], [1.5 * H, 24 * H]),
    "resolution": figures([5 * H, 9 * H], [69 * H, 25 * H]),
}


def times(summary):
    return {name: summary[name] for name in EXPECTED}


def test_the_hand_worked_figures(cases):
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        summary = sla_summary(period=PERIOD)
    assert times(summary) == EXPECTED
    # e.g. the first response's p90 in calendar time: 1,200 + 0.8 × (237,600 − 1,200)
    assert summary["first_response"]["calendar"]["p90"] == 190_320.0
    assert summary["next_response"] == {
        "count": 2,
        "median": 17_100.0,
        "p90": 26_460.0,
        "calendar": {"count": 2, "median": 45_900.0, "p90": 78_300.0},
    }


def test_the_recompute_writes_one_row_per_next_response(cases):
    first, second, third = cases
    rows = SlaNextResponse.objects.order_by("responded_at")
    assert [(r.case_id, r.instance, r.seconds, r.business_seconds) for r in rows] == [
        (first.pk, 1, int(1.5 * H), int(1.5 * H)),
        (second.pk, 1, 24 * H, 8 * H),
    ]
    assert [r.calendar_bucket for r in rows] == [rollups.bucket(r.seconds) for r in rows]


def test_built_days_give_the_same_figures(cases):
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        assert rollups.rollups_build(max_days=None)["built"] >= 4
        coverage = rollups.covered_days(PERIOD.start, PERIOD.end)
        summary = sla_summary(period=PERIOD)
    # Friday (the first case's day) to Wednesday from the rollups; before it nothing is
    # built, from Thursday (today) on the rows
    assert len(coverage.days) == 6
    assert coverage.ranges == [(PERIOD.start, FRIDAY), (MONDAY + timedelta(days=3), PERIOD.end)]
    assert times(summary) == EXPECTED


def test_a_team_change_moves_the_next_responses_with_the_case(cases, other_team, at):
    first, *_ = cases
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        rollups.rollups_build(max_days=None)
    with at(MONDAY + timedelta(days=3)):
        case_services.case_set_team(case_id=first.pk, team=other_team)
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        moved = sla_summary(period=PERIOD, team_id=other_team.pk)
    assert SlaNextResponse.objects.get(case=first).team_id == other_team.pk
    assert moved["next_response"]["calendar"] == {
        "count": 1,
        "median": 1.5 * H,
        "p90": 1.5 * H,
    }


def test_filters_narrow_the_times(cases):
    with time_machine.travel(MONDAY + timedelta(days=3), tick=False):
        chat = sla_summary(period=PERIOD, channel="chat")
    nothing = {"count": 0, "median": None, "p90": None}
    assert chat["first_response"] == {
        **nothing,  # no policy: no business time
        "calendar": {"count": 1, "median": 600.0, "p90": 600.0},
    }
    assert chat["next_response"] == {**nothing, "calendar": nothing}
