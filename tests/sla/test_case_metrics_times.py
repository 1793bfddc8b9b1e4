"""A case's response, resolution and wait times, hand-computed across a weekend, in calendar
and in business time (Mon–Fri 09:00–17:00 London, GMT in November = UTC) — through the
services with a frozen clock, read from the metrics the recompute stored."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.contacts import services as contact_services
from apps.sla import metrics as pure
from apps.sla.clocks import History, Message, StatusChange
from apps.sla.models import CaseMetrics
from tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

FRIDAY_4PM = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)


def monday(hour, minute=0):
    return datetime(2026, 11, 30, hour, minute, tzinfo=UTC)


HOUR = 3600


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    @contextmanager
    def frozen(instant):
        with (
            time_machine.travel(instant, tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield

    return frozen


def weekend_case(team, agent, at):
    """Opened Friday 16:00; answered Monday 10:00 (pending); the customer writes at 11:00
    (open); on hold 11:30–13:00, answered at 13:00 (open); solved at 14:00."""
    dana, _ = contact_services.contact_find_or_create(kind="email", value="dana@example.com")
    with at(FRIDAY_4PM):
        case = case_services.case_open(
            requester=dana, subject="Charged twice", channel="email", team=team, body_text="Hi"
        ).case
    with at(monday(10)):
        case_services.case_reply(
            case_id=case.pk, agent=agent, body_text="Which card?", then_status="pending"
        )
    with at(monday(11)):
        case_services.interaction_add(
            case_id=case.pk,
            channel="email",
            direction="in",
            author_contact=dana,
            body_text="The Visa.",
        )
    with at(monday(11, 30)):
        case_services.case_transition(case_id=case.pk, to="on_hold", actor=agent)
    with at(monday(13)):
        case_services.case_reply(
            case_id=case.pk, agent=agent, body_text="Refunded.", then_status="open"
        )
    with at(monday(14)):
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    return CaseMetrics.objects.get(pk=case.pk)


def test_times_across_a_weekend_in_calendar_and_business_time(team, agent, at):
    policy = SlaPolicyFactory(targets={("normal", "first_response"): 60})

    m = weekend_case(team, agent, at)

    assert m.policy_id == policy.pk
    assert m.first_response_at == monday(10)
    # Friday 16:00 → Monday 10:00: 66 h; business: Friday 16–17 and Monday 9–10.
    assert (m.first_response_seconds, m.first_response_business_seconds) == (66 * HOUR, 2 * HOUR)
    assert m.next_responses == [
        {
            "started_at": monday(11).isoformat(),
            "responded_at": monday(13).isoformat(),
            "seconds": 2 * HOUR,
            "business_seconds": 2 * HOUR,
        }
    ]
    # Friday 16:00 → Monday 14:00: 70 h; business: 1 h on Friday, 5 h on Monday.
    assert (m.resolution_seconds, m.resolution_business_seconds) == (70 * HOUR, 6 * HOUR)
    assert (m.first_resolution_seconds, m.first_resolution_business_seconds) == (
        70 * HOUR,
        6 * HOUR,
    )
    assert m.solved_at == monday(14)
    # new 66 h (business 2 h), pending 1 h, open 0.5 h, on hold 1.5 h, open 1 h.
    assert (m.requester_wait_seconds, m.requester_wait_business_seconds) == (
        69 * HOUR,
        5 * HOUR,
    )
    assert (m.agent_work_seconds, m.agent_work_business_seconds) == (
        int(67.5 * HOUR),
        int(3.5 * HOUR),
    )
    assert (m.on_hold_seconds, m.on_hold_business_seconds) == (int(1.5 * HOUR), int(1.5 * HOUR))
    assert (m.reopen_count, m.agent_replies, m.agent_responses) == (0, 2, 2)


def test_without_a_policy_there_are_calendar_times_only(team, agent, at):
    m = weekend_case(team, agent, at)

    assert m.policy_id is None
    assert (m.first_response_seconds, m.first_response_business_seconds) == (66 * HOUR, None)
    assert (m.resolution_seconds, m.resolution_business_seconds) == (70 * HOUR, None)
    assert m.requester_wait_business_seconds is None
    assert m.next_responses[0]["business_seconds"] is None


def test_a_policy_without_a_calendar_counts_business_time_around_the_clock(team, agent, at):
    SlaPolicyFactory(calendar=None, targets={("normal", "first_response"): 60})

    m = weekend_case(team, agent, at)

    assert m.first_response_business_seconds == m.first_response_seconds == 66 * HOUR
    assert m.resolution_business_seconds == 70 * HOUR


def test_an_open_case_is_measured_up_to_the_recompute(team, agent, at):
    SlaPolicyFactory(targets={("normal", "first_response"): 60})
    dana, _ = contact_services.contact_find_or_create(kind="email", value="dana@example.com")
    with at(FRIDAY_4PM):
        case = case_services.case_open(
            requester=dana, subject="Charged twice", channel="email", team=team
        ).case
    with at(monday(9, 30)):  # a write: the recompute runs then
        case_services.case_set_priority(case_id=case.pk, priority="high")

    m = CaseMetrics.objects.get(pk=case.pk)
    assert (m.first_response_at, m.first_response_seconds) == (None, None)
    assert (m.resolution_seconds, m.solved_at) == (None, None)
    assert (m.requester_wait_seconds, m.agent_work_seconds) == (65.5 * HOUR, 65.5 * HOUR)


# The pure function on its own: a reply after the case was solved without one (and reopened)
# is still its first response; a wait ended by the solve is no next response.


def test_the_first_response_is_the_first_agent_response_whenever_it_came():
    created = FRIDAY_4PM
    history = History(
        created_at=created,
        messages=[
            Message(at=created, customer=True),
            Message(at=created + timedelta(hours=2), customer=True),
            Message(at=created + timedelta(hours=5), agent_response=True),
        ],
        statuses=[
            StatusChange(at=created + timedelta(hours=1), to="solved"),
            StatusChange(at=created + timedelta(hours=2), to="open"),
        ],
    )
    m = pure.compute(
        history,
        calendar=None,
        facts=pure.Facts(agent_contacts=1),
        fcr_window=timedelta(days=7),
        now=created + timedelta(hours=6),
    )
    assert m.first_response_at == created + timedelta(hours=5)
    assert m.first_response == pure.Duration(5 * HOUR, None)
    assert m.next_responses == ()
    assert (m.reopen_count, m.solved_at, m.fcr) == (1, None, None)
    assert m.first_resolution == pure.Duration(HOUR, None)
