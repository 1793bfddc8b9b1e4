"""Messenger: a signed Page webhook becomes a contact, a case and an interaction, and the
agent's reply goes to the Send API of the Page it was written to."""

import pytest

from apps.cases.models import Case, Interaction
from apps.contacts.models import ContactIdentity
from apps.social.models import SocialEvent
from tests.social.conftest import GRAPH_VERSION
from tests.social.factories import PAGE_ID, messaging_item, messenger_account, messenger_body

pytestmark = pytest.mark.django_db
PSID = "24000000000000001"


def test_a_messenger_message_opens_a_case_for_the_sender(post_meta, team):
    account = messenger_account(team=team)
    item = messaging_item(
        sender=PSID,
        text="My invoice is wrong",
        mid="m_first",
        attachments=[{"type": "image", "payload": {"url": "https://cdn.example/a.jpg"}}],
    )

    response = post_meta(messenger_body(item))

    assert response.status_code == 200
    assert response.json() == {
        "received": 1,
        "processed": 1,
        "duplicates": 0,
        "ignored": 0,
        "failed": 0,
    }
    identity = ContactIdentity.objects.get(kind="social", network="facebook")
    assert identity.value == PSID
    case = Case.objects.get()
    assert case.requester == identity.contact
    assert case.channel == "social"
    assert case.team == team
    assert case.status == Case.Status.NEW
    assert case.subject == "Messenger message: My invoice is wrong"
    interaction = case.interactions.get()
    assert interaction.direction == "in"
    assert interaction.external_id == "m_first"
    assert interaction.body_text == "My invoice is wrong\n[image] https://cdn.example/a.jpg"
    assert interaction.metadata["network"] == "facebook"
    assert interaction.metadata["kind"] == "dm"
    assert interaction.metadata["sender_id"] == PSID
    assert interaction.metadata["social_account_id"] == account.pk
    assert interaction.metadata["attachments"] == [
        {"type": "image", "url": "https://cdn.example/a.jpg"}
    ]
    event = SocialEvent.objects.get()
    assert event.status == SocialEvent.Status.PROCESSED
    assert event.interaction == interaction
    assert event.account == account


def test_the_agent_reply_is_sent_to_the_send_api_with_the_page_token(
    post_meta, team, provider, reply
):
    messenger_account(team=team, access_token="page-token-123")
    post_meta(messenger_body(messaging_item(sender=PSID, text="Hello?")))
    case = Case.objects.get()
    provider.answer(200, {"recipient_id": PSID, "message_id": "m_reply_1"})

    sent = reply(case, "Hi! Let me check your invoice.")

    request = provider.requests[-1]
    assert request.path == f"/graph/{GRAPH_VERSION}/{PAGE_ID}/messages"
    assert request.headers["authorization"] == "Bearer page-token-123"
    assert request.json == {
        "recipient": {"id": PSID},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hi! Let me check your invoice."},
    }
    assert sent.delivery_status == Interaction.Delivery.SENT
    assert sent.external_id == "m_reply_1"
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN
    assert case.first_response_at is not None
