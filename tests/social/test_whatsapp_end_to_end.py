"""WhatsApp Cloud API: the customer is their phone number (E.164), the reply goes to the
Cloud API from the phone number they wrote to."""

import pytest

from apps.cases.models import Case, Interaction
from apps.contacts.models import ContactIdentity
from tests.factories import ContactFactory
from tests.social.conftest import GRAPH_VERSION
from tests.social.factories import (
    WA_PHONE_NUMBER_ID,
    whatsapp_account,
    whatsapp_body,
    whatsapp_message,
)

pytestmark = pytest.mark.django_db


def test_a_whatsapp_round_trip(post_meta, team, provider, reply):
    whatsapp_account(team=team, access_token="wa-system-user-token")
    message = whatsapp_message(
        wa_id="16505551234",
        text="Hi, my parcel is late",
        wamid="wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
        timestamp=1735689600,
    )

    response = post_meta(whatsapp_body(message))

    assert response.status_code == 200
    assert response.json()["processed"] == 1
    identity = ContactIdentity.objects.get(network="whatsapp")
    assert identity.value == "+16505551234"
    assert identity.contact.name == "Wanda Smith"
    case = Case.objects.get()
    inbound = case.interactions.get()
    assert inbound.body_text == "Hi, my parcel is late"
    assert inbound.metadata["wa_id"] == "16505551234"
    assert inbound.metadata["display_phone_number"] == "15550001111"
    assert inbound.occurred_at.timestamp() == 1735689600
    provider.answer(
        200,
        {
            "messaging_product": "whatsapp",
            "contacts": [{"input": "16505551234", "wa_id": "16505551234"}],
            "messages": [{"id": "wamid.reply-1"}],
        },
    )

    sent = reply(case, "Sorry! It ships today.")

    request = provider.requests[-1]
    assert request.path == f"/graph/{GRAPH_VERSION}/{WA_PHONE_NUMBER_ID}/messages"
    assert request.headers["authorization"] == "Bearer wa-system-user-token"
    assert request.json == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "16505551234",
        "type": "text",
        "text": {"preview_url": False, "body": "Sorry! It ships today."},
    }
    assert sent.delivery_status == Interaction.Delivery.SENT
    assert sent.external_id == "wamid.reply-1"


def test_a_wa_id_written_another_way_finds_the_same_contact(post_meta, team):
    whatsapp_account(team=team)
    ContactIdentity.objects.create(
        contact=ContactFactory(), kind="social", network="whatsapp", value="+16505551234"
    )

    post_meta(whatsapp_body(whatsapp_message(wa_id="16505551234")))

    assert ContactIdentity.objects.filter(network="whatsapp").count() == 1
    assert Case.objects.get().requester == ContactIdentity.objects.get().contact


def test_media_and_other_types_are_readable_and_statuses_are_not_messages(post_meta, team):
    whatsapp_account(team=team)
    image = whatsapp_message(
        type="image",
        content={"id": "1234567890", "caption": "Broken lid", "mime_type": "image/jpeg"},
    )
    location = whatsapp_message(
        type="location",
        content={"latitude": 52.52, "longitude": 13.4, "name": "Depot", "address": "Berlin"},
    )
    button = whatsapp_message(
        type="interactive",
        content={"type": "button_reply", "button_reply": {"id": "yes", "title": "Yes, refund me"}},
    )
    statuses = [
        {
            "id": "wamid.out",
            "status": "delivered",
            "timestamp": "1735689601",
            "recipient_id": "16505551234",
        }
    ]

    response = post_meta(whatsapp_body(image, location, button, statuses=statuses))

    assert response.json() == {
        "received": 3,
        "processed": 3,
        "duplicates": 0,
        "ignored": 1,
        "failed": 0,
    }
    bodies = list(Interaction.objects.order_by("id").values_list("body_text", flat=True))
    assert bodies == [
        "[image] 1234567890 Broken lid",
        "[location] Depot, Berlin (52.52, 13.4)",
        "Yes, refund me",
    ]
    assert Interaction.objects.order_by("id").first().metadata["attachments"] == [
        {
            "type": "image",
            "media_id": "1234567890",
            "mime_type": "image/jpeg",
            "caption": "Broken lid",
        }
    ]
