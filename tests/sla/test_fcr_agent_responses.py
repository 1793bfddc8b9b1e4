"""What counts against FCR on the case itself: more than one agent response (a reply, a
handled call, a chat session), a reopen — and the one-touch and no-follow-up variants beside
it. Through the case, chat and phone services, with a frozen clock."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.chat import services as chat_services
from apps.contacts import services as contact_services
from apps.phone import services as phone_services
from apps.sla.models import CaseMetrics
from tests.chat.factories import ChatWidgetFactory
from tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def policy():
    return SlaPolicyFactory(targets={("normal", "first_response"): 60})


@pytest.fixture
def step(django_capture_on_commit_callbacks):
    """`with step(minutes):` MONDAY_9AM + minutes, after-commit work (the recompute) run."""

    @contextmanager
    def frozen(minutes):
        with (
            time_machine.travel(MONDAY_9AM + timedelta(minutes=minutes), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            yield

    return frozen


@pytest.fixture
def case(team, step):
    dana, _ = contact_services.contact_find_or_create(kind="email", value="dana@example.com")
    with step(0):
        return case_services.case_open(
            requester=dana, subject="Charged twice", channel="email", team=team, body_text="Hi"
        ).case


def solve(case, agent, step, minutes):
    with step(minutes):
        case_services.case_transition(case_id=case.pk, to="solved", actor=agent)
    return CaseMetrics.objects.get(pk=case.pk)


def test_two_replies_are_neither_one_touch_nor_fcr(case, agent, step):
    with step(10):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Checking.")
    with step(20):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")
    metrics = solve(case, agent, step, 30)

    assert (metrics.agent_replies, metrics.agent_responses) == (2, 2)
    assert (metrics.fcr, metrics.fcr_reason) == (False, "several_agent_responses")
    assert metrics.one_touch is False
    assert metrics.no_customer_follow_up is True  # the customer never wrote again


def test_a_reopened_case_is_not_fcr_even_once_solved_again(case, agent, step):
    with step(10):
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")
    solve(case, agent, step, 20)
    with step(30):
        case_services.interaction_add(
            case_id=case.pk,
            channel="email",
            direction="in",
            author_contact=case.requester,
            body_text="Still charged twice.",
        )
    reopened = CaseMetrics.objects.get(pk=case.pk)
    assert (reopened.fcr, reopened.fcr_state, reopened.solved_at) == (None, "unknown", None)

    metrics = solve(case, agent, step, 40)

    assert metrics.reopen_count == 1
    assert (metrics.fcr, metrics.fcr_reason) == (False, "reopened")
    assert metrics.one_touch is True  # one reply all along (Zendesk's measure ignores reopens)
    assert metrics.no_customer_follow_up is False


def test_one_reply_and_a_thank_you_is_fcr_but_not_without_follow_up(case, agent, step):
    with step(10):
        case_services.case_reply(
            case_id=case.pk, agent=agent, body_text="Refunded.", then_status="pending"
        )
    with step(20):
        case_services.interaction_add(
            case_id=case.pk,
            channel="email",
            direction="in",
            author_contact=case.requester,
            body_text="Thanks!",
        )
    metrics = solve(case, agent, step, 25)

    assert (metrics.fcr, metrics.one_touch, metrics.no_customer_follow_up) == (True, True, False)


def test_a_note_is_no_agent_response(case, agent, step):
    with step(5):
        case_services.case_note(case_id=case.pk, agent=agent, body_text="Looks like fraud.")
        case_services.case_reply(case_id=case.pk, agent=agent, body_text="Refunded.")
    metrics = solve(case, agent, step, 10)
    assert (metrics.agent_replies, metrics.fcr) == (1, True)


def test_a_chat_session_is_one_agent_response_however_many_messages(team, agent, step):
    with step(0):
        session = chat_services.chat_start(
            widget=ChatWidgetFactory(team=team), message="Charged twice", name="Dana"
        )
    for minute, text in ((1, "Hello!"), (2, "Let me check."), (4, "Refunded.")):
        with step(minute):
            case_services.case_reply(case_id=session.case_id, agent=agent, body_text=text)
    with step(6):
        chat_services.chat_end(session_id=session.pk, by="customer")
    metrics = solve(session.case, agent, step, 7)

    assert (metrics.agent_replies, metrics.agent_responses) == (3, 1)
    assert (metrics.fcr, metrics.one_touch) == (True, False)
    assert metrics.chat_seconds == 6 * 60  # started to ended, an agent answered it


def test_a_second_chat_merged_in_is_a_second_agent_response(team, agent, step):
    widget = ChatWidgetFactory(team=team)
    with step(0):
        first = chat_services.chat_start(widget=widget, message="Charged twice", visitor_id="v1")
    with step(1):
        case_services.case_reply(case_id=first.case_id, agent=agent, body_text="Refunded.")
    with step(2):
        chat_services.chat_end(session_id=first.pk, by="customer")
    with step(60):
        second = chat_services.chat_start(widget=widget, message="Not yet?", visitor_id="v1")
    with step(61):
        case_services.case_reply(case_id=second.case_id, agent=agent, body_text="Tomorrow.")
    with step(63):
        chat_services.chat_end(session_id=second.pk, by="customer")
        case_services.case_merge(source_id=second.case_id, target_id=first.case_id, actor=agent)
    metrics = solve(first.case, agent, step, 64)

    assert metrics.agent_responses == 2
    assert (metrics.fcr, metrics.fcr_reason) == (False, "several_agent_responses")
    assert metrics.chat_seconds == 2 * 60 + 3 * 60  # both chats count on the case merged into
    assert CaseMetrics.objects.get(pk=second.case_id).chat_seconds == 0


def test_one_handled_call_is_one_agent_response_and_its_talk_time_is_handle_time(team, agent, step):
    with step(0):
        call, _ = phone_services.call_record(
            sid="CA" + "7" * 32,
            direction="inbound",
            from_number="+442079460958",
            to_number="+442079460000",
            status="completed",
            started_at=MONDAY_9AM,
            answered_at=MONDAY_9AM + timedelta(seconds=15),
            duration_seconds=300,
            agent=agent,
            team=team,
        )
    metrics = solve(call.case, agent, step, 10)

    assert (metrics.agent_replies, metrics.agent_responses) == (1, 1)
    assert metrics.first_response_seconds == 15  # answered after ringing 15 s
    assert (metrics.call_seconds, metrics.handle_seconds) == (300, 300)
    assert (metrics.fcr, metrics.one_touch, metrics.no_customer_follow_up) == (True, True, True)


def test_a_missed_call_is_no_response_and_no_handle_time(team, agent, step):
    with step(0):
        call, _ = phone_services.call_record(
            sid="CA" + "8" * 32,
            direction="inbound",
            from_number="+442079460958",
            to_number="+442079460000",
            status="no-answer",
            started_at=MONDAY_9AM,
            team=team,
        )
    metrics = solve(call.case, agent, step, 10)
    assert (metrics.agent_replies, metrics.handle_seconds, metrics.fcr) == (0, 0, True)
