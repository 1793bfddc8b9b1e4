"""Cases as the product makes them: opened by a customer's message, answered by an agent
through the services, solved — so the survey hook sees what production sees."""

from datetime import UTC, datetime

import pytest
import time_machine

from apps.cases import services as case_services
from apps.contacts.models import ContactIdentity
from tests.factories import ContactFactory

SOLVED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """Time frozen at SOLVED_AT; `clock.move_to(...)` moves it."""
    with time_machine.travel(SOLVED_AT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """committed(fn, *args, **kwargs): call fn and run what it left for after commit (the
    sends), as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def make_case(team, agent, committed):
    """make_case(channel="email", answered=True, solved=True, email=True, name=...) → Case."""
    counter = iter(range(1, 10_000))

    def make(
        *,
        channel="email",
        answered=True,
        solved=True,
        email=True,
        contact=None,
        team_=team,
        subject="Double charge on my card",
    ):
        n = next(counter)
        if contact is None:
            contact = ContactFactory(name=f"Ann Customer{n}")
            if email:
                ContactIdentity.objects.create(
                    contact=contact, kind="email", value=f"ann{n}@example.net"
                )
        case = committed(
            case_services.case_open,
            requester=contact,
            subject=subject,
            channel=channel,
            team=team_,
            body_text="I was charged twice.",
            external_id=f"<q{n}@mail.example.net>" if channel == "email" else "",
            metadata=(
                {"email": {"from": f"{contact.name} <ann{n}@example.net>"}}
                if channel == "email"
                else None
            ),
        ).case
        if answered:
            committed(
                case_services.case_reply,
                case_id=case.pk,
                agent=agent,
                body_text="Refunded — sorry about that.",
            )
        if solved:
            case = committed(
                case_services.case_transition, case_id=case.pk, to="solved", actor=agent
            )
        case.refresh_from_db()
        return case

    return make
