"""Every service write on a case leaves its CaseEvent, written in the same transaction."""

from unittest import mock

import pytest
from django.db import transaction

from apps.cases import services
from apps.cases.models import Case, CaseEvent
from apps.contacts import services as contact_services
from tests.factories import CaseFactory, ContactFactory, SupervisorFactory, TeamFactory

pytestmark = pytest.mark.django_db
Kind = CaseEvent.Kind


def _kinds(case):
    return list(case.events.order_by("pk").values_list("kind", flat=True))


def test_opening_a_case_records_who_opened_it_and_what(agent, team):
    requester = ContactFactory()
    case = services.case_open(
        requester=requester,
        subject="Parcel lost",
        channel="phone",
        team=team,
        tags=["Parcel", "parcel "],
        actor=agent,
        body_text="Customer says parcel never arrived",
    ).case
    assert _kinds(case) == [Kind.CREATED, Kind.INTERACTION]
    created = case.events.get(kind=Kind.CREATED)
    assert created.actor == agent
    assert created.actor_contact is None
    assert created.after["team"] == {"id": team.pk, "name": "Billing"}
    assert created.after["tags"] == ["parcel"]


def test_a_case_opened_by_the_customer_names_them_as_actor():
    requester = ContactFactory()
    case = services.case_open(
        requester=requester, subject="Hi", channel="email", body_text="x"
    ).case
    assert case.events.get(kind=Kind.CREATED).actor_contact == requester


@pytest.mark.parametrize(
    ("write", "expected"),
    [
        (lambda c, a: services.case_transition(case_id=c.pk, to="pending", actor=a), [Kind.STATUS]),
        (
            lambda c, a: services.case_set_priority(case_id=c.pk, priority="high", actor=a),
            [Kind.PRIORITY],
        ),
        (lambda c, a: services.case_set_tags(case_id=c.pk, tags=["vip"], actor=a), [Kind.TAGS]),
        (lambda c, a: services.case_assign(case_id=c.pk, assignee=a, actor=a), [Kind.ASSIGNEE]),
        (
            lambda c, a: services.case_set_team(case_id=c.pk, team=TeamFactory(), actor=a),
            [Kind.TEAM, Kind.ASSIGNEE],
        ),
        (lambda c, a: services.case_note(case_id=c.pk, agent=a, body_text="n"), [Kind.INTERACTION]),
        (
            lambda c, a: services.case_reply(case_id=c.pk, agent=a, body_text="r"),
            [Kind.INTERACTION],
        ),
        (
            lambda c, a: services.interaction_add(
                case_id=c.pk,
                channel="chat",
                direction="in",
                author_contact=c.requester,
                body_text="hi",
            ),
            [Kind.INTERACTION],
        ),
    ],
    ids=["transition", "priority", "tags", "assign", "team", "note", "reply", "inbound"],
)
def test_each_write_records_its_event(write, expected, team):
    agent = SupervisorFactory(teams=[team])  # routes to any team (an agent: their own only)
    case = CaseFactory(status=Case.Status.OPEN, team=team, assignee=agent)
    if expected == [Kind.ASSIGNEE]:
        case = CaseFactory(status=Case.Status.OPEN, team=team)
    write(case, agent)
    assert _kinds(case) == expected
    event = case.events.first()
    assert event.actor == agent or event.actor_contact == case.requester


def test_merges_record_events_on_both_cases(agent):
    a, b = CaseFactory(status=Case.Status.OPEN), CaseFactory(status=Case.Status.OPEN)
    services.case_merge(source_id=a.pk, target_id=b.pk, actor=agent)
    assert _kinds(a) == [Kind.MERGED_INTO, Kind.STATUS]
    assert _kinds(b) == [Kind.MERGED_FROM]


def test_a_contact_merge_records_a_requester_event_on_each_moved_case(agent):
    source, target = ContactFactory(), ContactFactory()
    cases = CaseFactory.create_batch(3, requester=source)
    contact_services.contact_merge(source_id=source.pk, target_id=target.pk, actor=agent)
    for case in cases:
        assert _kinds(case) == [Kind.REQUESTER]


def test_the_sweep_records_each_closure():
    from datetime import timedelta

    from django.utils import timezone

    case = CaseFactory(status=Case.Status.SOLVED, solved_at=timezone.now() - timedelta(days=30))
    services.cases_close_solved()
    assert _kinds(case) == [Kind.STATUS]
    event = case.events.get()
    assert (event.before, event.after, event.actor, event.actor_contact) == (
        "solved",
        "closed",
        None,
        None,
    )


def test_a_write_that_fails_after_its_event_leaves_neither(agent):
    case = CaseFactory(status=Case.Status.OPEN)
    with (
        mock.patch.object(Case, "save", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        services.case_transition(case_id=case.pk, to="solved", actor=agent)
    case.refresh_from_db()
    assert case.status == "open"
    assert not case.events.exists()


def test_an_event_is_rolled_back_with_the_outer_transaction(agent):
    case = CaseFactory(status=Case.Status.OPEN)

    def transition_then_fail():
        with transaction.atomic():
            services.case_transition(case_id=case.pk, to="solved", actor=agent)
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        transition_then_fail()
    assert not case.events.exists()
