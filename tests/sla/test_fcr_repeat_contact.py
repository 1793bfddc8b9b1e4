"""A repeat contact undoes the earlier case's FCR: the same person opening another case on any
channel within the window of its solve. The new cases come in through the channels' own
paths (the calls API, the chat service), so the seam's `created` announcement is what makes
the earlier case recompute."""

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from apps.cases import services as case_services
from apps.chat import services as chat_services
from apps.contacts import services as contact_services
from apps.contacts.models import Contact
from apps.core import queue
from apps.sla import services
from tests.chat.factories import ChatWidgetFactory
from tests.factories import SlaPolicyFactory

pytestmark = pytest.mark.django_db

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SOLVED = MONDAY_9AM + timedelta(hours=1)
PHONE = "+442079460958"


@pytest.fixture
def policy():
    return SlaPolicyFactory(targets={("normal", "first_response"): 60})


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


@pytest.fixture
def solved_email_case(admin_api, team, policy, at):
    """Dana wrote by email, got one reply and the case was solved; her phone is on file."""
    with at(MONDAY_9AM):
        response = admin_api.post(
            "/api/v1/cases/",
            {
                "subject": "Card charged twice",
                "channel": "email",
                "priority": "normal",
                "team": team.pk,
                "requester": {"email": "dana@example.com"},
                "message": {"body_text": "I was charged twice."},
            },
            format="json",
        )
        assert response.status_code == 201, response.content
        case_id = response.json()["id"]
        contact_id = response.json()["requester"]["id"]
        added = admin_api.post(
            f"/api/v1/contacts/{contact_id}/identities/",
            {"kind": "phone", "value": PHONE},
            format="json",
        )
        assert added.status_code == 201, added.content
    with at(MONDAY_9AM + timedelta(minutes=30)):
        admin_api.post(
            f"/api/v1/cases/{case_id}/interactions/",
            {"type": "reply", "body_text": "Refunded."},
            format="json",
        )
    with at(SOLVED):
        admin_api.patch(f"/api/v1/cases/{case_id}/", {"status": "solved"}, format="json")
    assert fcr_of(admin_api, case_id)["value"] is True
    return case_id


def fcr_of(api, case_id):
    response = api.get(f"/api/v1/cases/{case_id}/metrics/")
    assert response.status_code == 200, response.content
    return response.json()["fcr"]


def phone_in(api, team, agent, started):
    """Dana calls; the agent answers and talks for two minutes (the calls API)."""
    response = api.post(
        "/api/v1/calls/",
        {
            "direction": "inbound",
            "from_number": PHONE,
            "to_number": "+442079460000",
            "status": "completed",
            "started_at": started.isoformat(),
            "answered_at": (started + timedelta(seconds=10)).isoformat(),
            "duration_seconds": 120,
            "agent": agent.pk,
            "team": team.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()["case"]["id"]


def test_the_same_person_phoning_three_days_after_the_solve_is_a_repeat_contact(
    admin_api, team, agent, solved_email_case, at
):
    called = SOLVED + timedelta(days=3)
    with at(called):
        phone_case = phone_in(admin_api, team, agent, called)

    assert phone_case != solved_email_case
    fcr = fcr_of(admin_api, solved_email_case)
    assert (fcr["value"], fcr["state"], fcr["reason"], fcr["repeat_case"]) == (
        False,
        "provisional",
        "repeat_contact",
        phone_case,
    )
    with at(SOLVED + timedelta(days=7)):
        services.fcr_finalise()
    fcr = fcr_of(admin_api, solved_email_case)
    assert (fcr["value"], fcr["state"], fcr["reason"]) == (False, "final", "repeat_contact")


def test_a_chat_on_the_last_day_of_the_window_is_a_repeat_contact(
    admin_api, team, solved_email_case, at
):
    dana = Contact.objects.get(cases=solved_email_case)
    with at(SOLVED + timedelta(days=7)):
        session = chat_services.chat_start(
            widget=ChatWidgetFactory(team=team), message="Charged again!", visitor_id="v-dana"
        )
    # The visitor's contact is not Dana until an agent (or the mailed link) confirms it is.
    assert session.case.requester_id != dana.pk
    with at(SOLVED + timedelta(days=7, minutes=5)):
        contact_services.contact_merge(source_id=session.contact_id, target_id=dana.pk)

    fcr = fcr_of(admin_api, solved_email_case)
    assert (fcr["value"], fcr["reason"], fcr["repeat_case"]) == (
        False,
        "repeat_contact",
        session.case_id,
    )


def test_a_case_opened_after_the_window_leaves_the_verdict_standing(
    admin_api, team, agent, solved_email_case, at
):
    with at(SOLVED + timedelta(days=7)):
        assert services.fcr_finalise() == 1
    called = SOLVED + timedelta(days=7, seconds=1)
    with at(called):
        phone_in(admin_api, team, agent, called)

    fcr = fcr_of(admin_api, solved_email_case)
    assert (fcr["value"], fcr["state"], fcr["repeat_case"]) == (True, "final", None)


def test_another_persons_case_is_no_repeat_contact(admin_api, team, solved_email_case, at):
    with at(SOLVED + timedelta(days=1)):
        response = admin_api.post(
            "/api/v1/cases/",
            {
                "subject": "Me too",
                "channel": "email",
                "team": team.pk,
                "requester": {"email": "erin@example.com"},
            },
            format="json",
        )
        assert response.status_code == 201

    assert fcr_of(admin_api, solved_email_case)["value"] is True


def test_a_duplicate_merged_in_before_the_solve_is_part_of_the_contact(
    admin_api, team, policy, agent, at
):
    with at(MONDAY_9AM):
        first = admin_api.post(
            "/api/v1/cases/",
            {
                "subject": "Charged twice",
                "channel": "email",
                "team": team.pk,
                "requester": {"email": "dana@example.com"},
                "message": {"body_text": "I was charged twice."},
            },
            format="json",
        ).json()["id"]
    with at(MONDAY_9AM + timedelta(minutes=5)):
        duplicate = admin_api.post(
            "/api/v1/cases/",
            {
                "subject": "Charged twice (again)",
                "channel": "email",
                "team": team.pk,
                "requester": {"email": "dana@example.com"},
                "message": {"body_text": "Did you get my email?"},
            },
            format="json",
        ).json()["id"]
    with at(MONDAY_9AM + timedelta(minutes=10)):
        case_services.case_merge(source_id=duplicate, target_id=first, actor=agent)
        case_services.case_reply(case_id=first, agent=agent, body_text="Refunded.")
    with at(SOLVED):
        case_services.case_transition(case_id=first, to="solved", actor=agent)

    fcr = fcr_of(admin_api, first)
    assert (fcr["value"], fcr["repeat_case"]) == (True, None)
    # The merged case is not a case of its own any more: no verdict of its own.
    assert fcr_of(admin_api, duplicate)["value"] is None


def test_a_case_opened_after_the_solve_stays_a_repeat_contact_once_merged_in(
    admin_api, team, agent, solved_email_case, at
):
    with at(SOLVED + timedelta(days=1)):
        again = admin_api.post(
            "/api/v1/cases/",
            {
                "subject": "Still charged twice",
                "channel": "email",
                "team": team.pk,
                "requester": {"email": "dana@example.com"},
                "message": {"body_text": "It happened again."},
            },
            format="json",
        ).json()["id"]
        case_services.case_transition(case_id=again, to="solved", actor=agent)
        case_services.case_merge(source_id=again, target_id=solved_email_case, actor=agent)

    fcr = fcr_of(admin_api, solved_email_case)
    assert (fcr["value"], fcr["reason"], fcr["repeat_case"]) == (False, "repeat_contact", again)


def test_the_finalisation_catches_a_repeat_contact_whose_recompute_was_lost(
    admin_api, team, agent, solved_email_case, at, monkeypatch
):
    def lose(*args, **kwargs):
        raise ConnectionError("broker down")

    called = SOLVED + timedelta(days=2)
    with monkeypatch.context() as patch:
        for task in (services.RECOMPUTE_TASK, services.RECOMPUTE_OPENED_TASK):
            patch.setattr(queue.task_named(task), "delay", lose)
        with at(called):
            phone_in(admin_api, team, agent, called)
    assert fcr_of(admin_api, solved_email_case)["value"] is True  # stale: the task was lost

    with at(SOLVED + timedelta(days=7)):
        services.fcr_finalise()

    fcr = fcr_of(admin_api, solved_email_case)
    assert (fcr["value"], fcr["state"], fcr["reason"]) == (False, "final", "repeat_contact")


def test_new_cases_find_the_earlier_cases_to_recompute_in_one_query(
    solved_email_case, django_assert_num_queries
):
    dana = Contact.objects.get(cases=solved_email_case)
    erin, _ = contact_services.contact_find_or_create(kind="email", value="erin@example.com")
    with time_machine.travel(SOLVED - timedelta(days=30), tick=False):
        old = case_services.case_open(requester=erin, subject="Long ago", channel="web").case
        case_services.case_transition(case_id=old.pk, to="solved")
    with time_machine.travel(SOLVED + timedelta(days=1), tick=False):
        opened = [
            case_services.case_open(requester=person, subject="Again", channel="web").case.pk
            for person in (dana, erin)
        ]

    with django_assert_num_queries(1):
        ids = services.repeat_contact_case_ids(opened)

    assert ids == [solved_email_case]  # Erin's case was solved long before the window
    assert services.repeat_contact_case_ids([]) == []
