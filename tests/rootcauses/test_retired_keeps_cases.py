"""A retired node keeps its cases and their history; a node with cases is never deleted."""

import pytest
from django.db.models import ProtectedError

from apps.cases import services as cases
from apps.cases.models import Case
from apps.rootcauses import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


def test_retiring_keeps_the_cases_and_nothing_can_be_added_below(card_arrival, product_team):
    case = CaseFactory()
    Case.objects.filter(pk=case.pk).update(root_cause=card_arrival)

    services.root_cause_retire(root_cause_id=card_arrival.pk)

    assert Case.objects.get(pk=case.pk).root_cause_id == card_arrival.pk
    with pytest.raises(services.RootCauseRetired) as refused:
        services.root_cause_create(name="Abroad", parent=card_arrival, owner_team=product_team)
    assert list(refused.value.fields) == ["parent"]


def test_a_node_with_cases_cannot_be_deleted(card_arrival):
    case = CaseFactory()
    Case.objects.filter(pk=case.pk).update(root_cause=card_arrival)

    with pytest.raises(ProtectedError):
        card_arrival.delete()


def test_a_case_keeps_a_retired_root_cause_and_its_event(card_arrival, agent, team):
    case = CaseFactory(team=team)
    cases.case_set_root_cause(case_id=case.pk, root_cause=card_arrival, actor=agent)

    services.root_cause_retire(root_cause_id=card_arrival.pk)
    cases.case_set_priority(case_id=case.pk, priority="high", actor=agent)  # other work goes on

    case.refresh_from_db()
    assert case.root_cause_id == card_arrival.pk
    assert case.events.get(kind="root_cause").after == {
        "id": card_arrival.pk,
        "path": "Cards › Card arrival",
    }
