"""Setting the root cause of several cases from the queue: one audited service call each."""

import re

import pytest

from apps.cases.models import Case
from apps.rootcauses import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def _bulk(client, cases, **data):
    return client.post(
        "/queue/bulk/",
        {"action": "root_cause", "case": [c.pk for c in cases], "next": "/", **data},
        follow=True,
    )


def test_the_queue_sets_the_root_cause_of_the_selected_cases(signed_in, team, card_arrival):
    selected = CaseFactory.create_batch(3, team=team)
    already = CaseFactory(team=team, root_cause=card_arrival)

    response = _bulk(signed_in, [*selected, already], root_cause=card_arrival.pk)

    page = response.content.decode()
    assert "Root cause set to Cards › Card arrival: 3 cases changed" in page
    assert "Already so" in page
    assert set(Case.objects.values_list("root_cause", flat=True)) == {card_arrival.pk}
    assert sum(c.events.filter(kind="root_cause").count() for c in selected) == 3


def test_the_queue_offers_the_current_nodes(signed_in, team, card_arrival, card_payment):
    CaseFactory(team=team)
    services.root_cause_retire(root_cause_id=card_payment.pk)

    page = signed_in.get("/").content.decode()
    # The bulk picker (the queue's filter lists retired nodes too: their cases stay findable).
    picker = re.search(r'<select name="root_cause" id="bulk-root-cause">.*?</select>', page, re.S)

    assert "Cards › Card arrival" in picker.group(0)
    assert "Cards › Card payment" not in picker.group(0)


def test_a_retired_node_is_refused_and_nothing_changes(signed_in, team, card_arrival):
    case = CaseFactory(team=team)
    services.root_cause_retire(root_cause_id=card_arrival.pk)

    response = signed_in.post(
        "/queue/bulk/", {"action": "root_cause", "case": [case.pk], "root_cause": card_arrival.pk}
    )

    assert response.status_code == 400
    assert Case.objects.get(pk=case.pk).root_cause_id is None


def test_no_root_cause_chosen_is_a_400(signed_in, team):
    case = CaseFactory(team=team)
    response = signed_in.post("/queue/bulk/", {"action": "root_cause", "case": [case.pk]})
    assert response.status_code == 400


def test_another_teams_case_refuses_the_whole_request(signed_in, team, other_team, card_arrival):
    mine, theirs = CaseFactory(team=team), CaseFactory(team=other_team)

    response = signed_in.post(
        "/queue/bulk/",
        {"action": "root_cause", "case": [mine.pk, theirs.pk], "root_cause": card_arrival.pk},
    )

    assert response.status_code == 404
    assert not Case.objects.filter(root_cause__isnull=False).exists()
