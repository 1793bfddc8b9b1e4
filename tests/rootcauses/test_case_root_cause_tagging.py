"""Setting a case's root cause: audited as a CaseEvent in the same transaction, announced
through the case-changed seam, refused for a retired node."""

import pytest

from apps.cases import events
from apps.cases import services as cases
from apps.cases.models import Case, CaseEvent
from apps.rootcauses import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    changes: list[events.CaseChange] = []
    recorder = events.subscribe(changes.extend, in_transaction=True)
    yield changes
    events.unsubscribe(recorder)


def test_setting_a_root_cause_records_and_announces_it(card_arrival, agent, team, announced):
    case = CaseFactory(team=team)

    cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)

    case.refresh_from_db()
    assert case.root_cause == card_arrival
    event = case.events.get(kind=CaseEvent.Kind.ROOT_CAUSE)
    assert (event.actor, event.before) == (agent, None)
    assert event.after == {"id": card_arrival.pk, "path": "Cards › Card arrival"}
    [change] = announced
    assert (change.case_id, change.fields, change.actor) == (case.pk, ("root_cause",), agent)
    assert (change.before, change.after) == (
        {"root_cause": None},
        {"root_cause": card_arrival.pk},
    )


def test_changing_and_clearing_record_before_and_after(card_arrival, card_payment, agent, team):
    case = CaseFactory(team=team)
    cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)
    cases.case_set_root_cause(case_id=case.pk, root_cause=card_payment, actor=agent)
    cases.case_set_root_cause(case_id=case.pk, root_cause=None, actor=agent)

    trail = [
        (e.before and e.before["path"], e.after and e.after["path"])
        for e in case.events.filter(kind="root_cause").order_by("pk")
    ]
    assert trail == [
        (None, "Cards › Card arrival"),
        ("Cards › Card arrival", "Cards › Card payment"),
        ("Cards › Card payment", None),
    ]


def test_the_same_root_cause_again_writes_nothing(card_arrival, agent, team, announced):
    case = CaseFactory(team=team)
    cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)
    announced.clear()

    cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)

    assert case.events.filter(kind="root_cause").count() == 1
    assert announced == []


def test_a_retired_root_cause_cannot_be_newly_given(card_arrival, agent, team, announced):
    case = CaseFactory(team=team)
    services.root_cause_retire(root_cause_id=card_arrival.pk)

    with pytest.raises(services.RootCauseRetired) as refused:
        # the instance passed still says "current": the service reads it again
        cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)

    assert refused.value.fields == {"root_cause": [refused.value.message]}
    assert Case.objects.get(pk=case.pk).root_cause_id is None
    assert not CaseEvent.objects.filter(kind="root_cause").exists()
    assert announced == []


def test_a_case_opened_with_a_root_cause_records_it_in_its_created_event(card_arrival, team):
    from tests.factories import ContactFactory

    case = cases.case_open(
        requester=ContactFactory(),
        subject="Card?",
        channel="api",
        team=team,
        root_cause=card_arrival,
    ).case

    assert Case.objects.get(pk=case.pk).root_cause_id == card_arrival.pk
    created = case.events.get(kind="created").after
    assert created["root_cause"] == {"id": card_arrival.pk, "path": "Cards › Card arrival"}
