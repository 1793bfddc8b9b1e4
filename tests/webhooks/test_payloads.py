"""Event data describes a case or an interaction from the row in hand, with no query."""

import pytest

from apps.webhooks import payloads, services
from apps.webhooks.models import WebhookDelivery
from tests.factories import CaseFactory, InteractionFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_case_and_interaction_data_cost_no_query(team, django_assert_num_queries):
    interaction = InteractionFactory(case=CaseFactory(team=team))
    case = interaction.case

    with django_assert_num_queries(0):
        case_data = payloads.case_data(case)
        interaction_data = payloads.interaction_data(interaction)

    assert case_data["reference"] == case.reference
    assert case_data["team_id"] == team.pk
    assert interaction_data["case_id"] == case.pk


def test_they_travel_as_json(team):
    WebhookSubscriptionFactory()
    interaction = InteractionFactory(case=CaseFactory(team=team))

    services.event_emit(
        event="interaction.created",
        case=interaction.case,
        data={
            "case": payloads.case_data(interaction.case),
            "interaction": payloads.interaction_data(interaction),
        },
    )

    data = WebhookDelivery.objects.get().payload["data"]
    assert data["case"]["status"] == "new"
    assert data["interaction"]["occurred_at"].startswith(str(interaction.occurred_at.year))
