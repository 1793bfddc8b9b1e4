"""The case page's root-cause field: a select of current nodes, saved through the service;
a retired or unknown id is refused beside the field."""

import pytest

from apps.cases.models import Case
from apps.rootcauses import services
from tests.factories import CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, agent):
    client.force_login(agent)
    return client


def test_the_page_offers_the_current_nodes(signed_in, team, card_arrival, card_payment):
    case = CaseFactory(team=team)
    services.root_cause_retire(root_cause_id=card_payment.pk)

    page = signed_in.get(f"/cases/{case.pk}/").content.decode()

    assert "Cards › Card arrival" in page
    assert "Cards › Card payment" not in page


def test_choosing_one_sets_it_and_says_so(signed_in, team, agent, card_arrival):
    case = CaseFactory(team=team)

    response = signed_in.post(
        f"/cases/{case.pk}/fields/root_cause/", {"root_cause": card_arrival.pk}, follow=True
    )

    assert "Root cause set to Cards › Card arrival." in response.content.decode()
    assert Case.objects.get(pk=case.pk).root_cause_id == card_arrival.pk
    assert case.events.get(kind="root_cause").actor == agent


def test_with_htmx_the_header_comes_back(signed_in, team, card_arrival):
    case = CaseFactory(team=team)

    response = signed_in.post(
        f"/cases/{case.pk}/fields/root_cause/",
        {"root_cause": card_arrival.pk},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert 'id="case-header"' in response.content.decode()


@pytest.mark.parametrize("value", ["999999", "cards"])
def test_an_unknown_value_is_a_400_beside_the_field(signed_in, team, value):
    case = CaseFactory(team=team)

    response = signed_in.post(f"/cases/{case.pk}/fields/root_cause/", {"root_cause": value})

    assert response.status_code == 400
    assert "field-error" in response.content.decode()


def test_a_retired_node_is_refused(signed_in, team, card_arrival):
    case = CaseFactory(team=team)
    services.root_cause_retire(root_cause_id=card_arrival.pk)

    response = signed_in.post(
        f"/cases/{case.pk}/fields/root_cause/", {"root_cause": card_arrival.pk}
    )

    assert response.status_code == 400
    assert "not in the taxonomy any more" in response.content.decode()
    assert Case.objects.get(pk=case.pk).root_cause_id is None


def test_another_teams_case_is_a_404(signed_in, other_team, card_arrival):
    case = CaseFactory(team=other_team)

    response = signed_in.post(
        f"/cases/{case.pk}/fields/root_cause/", {"root_cause": card_arrival.pk}
    )

    assert response.status_code == 404
    assert Case.objects.get(pk=case.pk).root_cause_id is None
