"""Instagram: DMs and comments become cases; replies go back the way the customer wrote —
a DM through the messaging API, a comment as a public reply under it. Mentions are kept."""

import pytest

from apps.cases.models import Case, Interaction
from apps.contacts.models import ContactIdentity
from apps.social.models import SocialEvent
from tests.social.conftest import GRAPH_VERSION
from tests.social.factories import (
    IG_ACCOUNT_ID,
    instagram_account,
    instagram_body,
    instagram_comment_body,
    messaging_item,
)

pytestmark = pytest.mark.django_db
IGSID = "9800000000000001"


def test_an_instagram_dm_round_trip(post_meta, team, provider, reply):
    instagram_account(team=team, access_token="ig-user-token")
    item = messaging_item(
        sender=IGSID,
        recipient=IG_ACCOUNT_ID,
        text="Is this in stock?",
        mid="aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw",
    )

    assert post_meta(instagram_body(item)).status_code == 200

    case = Case.objects.get()
    assert case.requester.identities.get().value == IGSID
    inbound = case.interactions.get()
    assert inbound.metadata["network"] == "instagram"
    assert inbound.metadata["kind"] == "dm"
    provider.answer(200, {"recipient_id": IGSID, "message_id": "aWdf_reply"})

    sent = reply(case, "Yes, in all sizes.")

    request = provider.requests[-1]
    assert request.path == f"/instagram/{GRAPH_VERSION}/{IG_ACCOUNT_ID}/messages"
    assert request.headers["authorization"] == "Bearer ig-user-token"
    assert request.json == {"recipient": {"id": IGSID}, "message": {"text": "Yes, in all sizes."}}
    assert sent.delivery_status == Interaction.Delivery.SENT
    assert sent.external_id == "aWdf_reply"


def test_a_comment_is_answered_with_a_public_reply_under_it(post_meta, team, provider, reply):
    instagram_account(team=team)
    body = instagram_comment_body(
        comment_id="17900000000000042", sender=IGSID, username="Ann.Lee", text="Where is my order?"
    )

    assert post_meta(body).status_code == 200

    case = Case.objects.get()
    contact = case.requester
    assert contact.name == "@Ann.Lee"
    assert contact.identities.get().value == IGSID  # the stable id, not the username
    inbound = case.interactions.get()
    assert inbound.external_id == "17900000000000042"
    assert inbound.metadata["kind"] == "comment"
    assert inbound.metadata["sender_handle"] == "Ann.Lee"
    assert inbound.metadata["media_id"] == "18000000000000001"
    provider.answer(200, {"id": "17900000000000099"})

    sent = reply(case, "We sent you a DM with the tracking link.")

    request = provider.requests[-1]
    assert request.path == f"/instagram/{GRAPH_VERSION}/17900000000000042/replies"
    assert request.json == {"message": "We sent you a DM with the tracking link."}
    assert sent.external_id == "17900000000000099"


def test_a_dm_and_a_comment_from_one_person_reach_one_contact(post_meta, team):
    instagram_account(team=team)
    post_meta(instagram_comment_body(sender=IGSID, username="ann.lee"))
    post_meta(instagram_body(messaging_item(sender=IGSID, recipient=IG_ACCOUNT_ID)))

    assert ContactIdentity.objects.filter(network="instagram").count() == 1
    assert Case.objects.count() == 1
    assert Interaction.objects.count() == 2


def test_the_accounts_own_comments_are_not_customer_messages(post_meta, team):
    instagram_account(team=team)

    response = post_meta(instagram_comment_body(sender=IG_ACCOUNT_ID, username="acme"))

    assert response.json()["ignored"] == 1
    assert not Case.objects.exists()
    assert not SocialEvent.objects.exists()


def test_a_mention_notification_is_kept_but_opens_no_case(post_meta, team):
    instagram_account(team=team)
    body = {
        "object": "instagram",
        "entry": [
            {
                "id": IG_ACCOUNT_ID,
                "time": 1735689600,
                "changes": [
                    {
                        "field": "mentions",
                        "value": {
                            "media_id": "18000000000000005",
                            "comment_id": "17900000000000077",
                        },
                    }
                ],
            }
        ],
    }

    response = post_meta(body)

    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    event = SocialEvent.objects.get()
    assert event.status == SocialEvent.Status.IGNORED
    assert "mention" in event.error
    assert event.payload["change"]["value"]["comment_id"] == "17900000000000077"
    assert not Case.objects.exists()
