"""Nobody assigns a case to a stakeholder (they see no case, so work none): refused by the
one routing rule, through the service and the API, and never offered as an assignee."""

import pytest

from apps.cases import services
from apps.cases.forms import assignee_choices
from tests.factories import CaseFactory, StakeholderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(team):
    return StakeholderFactory(username="pia", teams=[team])


def test_the_service_refuses_a_stakeholder_assignee(supervisor, owner, team):
    case = CaseFactory(team=team)
    with pytest.raises(services.RoutingNotAllowed) as refused:
        services.case_assign(case_id=case.pk, assignee=owner, actor=supervisor)
    assert refused.value.field == "assignee"
    with pytest.raises(services.RoutingNotAllowed):  # the system's routing too
        services.case_assign(case_id=case.pk, assignee=owner, actor=None)
    case.refresh_from_db()
    assert case.assignee is None


def test_the_api_refuses_a_stakeholder_assignee(token_client, supervisor, owner, team):
    case = CaseFactory(team=team)
    response = token_client(supervisor).patch(
        f"/api/v1/cases/{case.pk}/", {"assignee": owner.pk}, format="json"
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] == "routing_not_allowed"


def test_a_stakeholder_is_not_offered(supervisor, agent, owner, team):
    case = CaseFactory(team=team)
    offered = set(assignee_choices(case, supervisor).values_list("username", flat=True))
    assert offered == {"sam", "alex"}
