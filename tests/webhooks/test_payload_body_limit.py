"""A webhook carries at most CXDESK_WEBHOOK_BODY_MAX_BYTES of a message body, with a link
to the REST API that serves the whole of it."""

import json

import pytest

from apps.cases import services as case_services
from apps.webhooks import payloads, services
from apps.webhooks.models import WebhookDelivery
from tests.factories import AgentFactory, CaseFactory, InteractionFactory, TeamFactory
from tests.webhooks.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db
LIMIT = 64 * 1024


@pytest.fixture(autouse=True)
def _limit(settings):
    settings.CXDESK_WEBHOOK_BODY_MAX_BYTES = LIMIT


def _json_bytes(text: str) -> int:
    return len(json.dumps(text, ensure_ascii=False).encode()) - 2  # without the quotes


def _announced(team, body_text: str) -> tuple[dict, WebhookDelivery]:
    WebhookSubscriptionFactory(events=["interaction.created"])
    case = CaseFactory(team=team)
    case_services.interaction_add(
        case_id=case.pk,
        channel="email",
        direction="in",
        author_contact=case.requester,
        body_text=body_text,
    )
    delivery = WebhookDelivery.objects.get(event="interaction.created")
    return delivery.payload["data"]["interaction"], delivery


def test_an_8_mb_email_body_is_cut_to_the_limit_with_a_link_to_the_whole(team, token_client):
    body = ("Dear support, my invoice is wrong. " * 240_000)[:8_000_000]

    interaction, delivery = _announced(team, body)

    assert len(services.payload_body(delivery.payload)) < LIMIT + 4096
    assert interaction["body_truncated"] is True
    assert body.startswith(interaction["body_text"])
    assert LIMIT - 100 < _json_bytes(interaction["body_text"]) <= LIMIT
    reader = token_client(AgentFactory(teams=[team]), scopes=["cases:read"])
    response = reader.get(interaction["api_url"], {"page_size": 200})
    assert response.status_code == 200
    [whole] = [i for i in response.json()["results"] if i["id"] == interaction["id"]]
    assert whole["body_text"] == body


def test_the_link_shows_nothing_to_a_token_that_cannot_see_the_case(team, token_client):
    interaction, _ = _announced(team, "x" * (LIMIT + 1))
    outsider = token_client(AgentFactory(teams=[TeamFactory()]), scopes=["cases:read"])
    assert outsider.get(interaction["api_url"]).status_code == 404


def test_a_body_within_the_limit_is_sent_whole(team):
    interaction, _ = _announced(team, "Where is my parcel?")
    assert interaction["body_text"] == "Where is my parcel?"
    assert interaction["body_truncated"] is False
    assert interaction["api_url"] == f"/api/v1/cases/{interaction['case_id']}/interactions/"


@pytest.mark.parametrize("unit", ["é", "€", "😀", '"', "\\", "\x01", "a\u0301"])
def test_the_limit_counts_json_bytes_and_never_splits_a_character(unit, settings):
    settings.CXDESK_WEBHOOK_BODY_MAX_BYTES = 1000
    interaction = InteractionFactory(body_text=unit * 5000)

    data = payloads.interaction_data(interaction)

    assert data["body_truncated"] is True
    assert 1000 - 12 < _json_bytes(data["body_text"]) <= 1000
    assert (unit * 5000).startswith(data["body_text"])


def test_the_limit_is_a_setting(settings):
    settings.CXDESK_WEBHOOK_BODY_MAX_BYTES = 10
    data = payloads.interaction_data(InteractionFactory(body_text="0123456789abc"))
    assert (data["body_text"], data["body_truncated"]) == ("0123456789", True)
