"""A signed social event is kept whatever its text holds. A NUL or a lone surrogate in a
message made storing the event fail on PostgreSQL (text and jsonb cannot hold them): the
webhook answered 503, the network retried until it gave up, and the message was lost. Such
characters are now stored as U+FFFD, the rest of the message as sent."""

import pytest

from apps.cases.models import Case
from apps.social.models import SocialEvent
from tests.social.factories import messaging_item, messenger_account, messenger_body

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("bad\u0000text", "bad\ufffdtext"),
        ("half a pair \ud83d here", "half a pair \ufffd here"),
    ],
)
def test_a_message_with_unstorable_characters_opens_its_case(post_meta, team, text, stored):
    messenger_account(team=team)
    item = messaging_item(sender="24000000000000001", text=text, mid="m_odd")

    response = post_meta(messenger_body(item))

    assert response.status_code == 200, response.content
    assert response.json()["processed"] == 1
    event = SocialEvent.objects.get()
    assert event.status == SocialEvent.Status.PROCESSED
    interaction = Case.objects.get().interactions.get()
    assert interaction.body_text == stored
    assert interaction.external_id == "m_odd"


def test_unstorable_characters_in_keys_and_ids_are_replaced_too(post_meta, team):
    messenger_account(team=team)
    item = messaging_item(sender="24000000000000001", text="hello", mid="m_\u0000id")
    item["message"]["odd\u0000key"] = "x"

    assert post_meta(messenger_body(item)).status_code == 200

    event = SocialEvent.objects.get()
    assert event.external_id == "m_\ufffdid"
    assert "odd\ufffdkey" in str(event.payload)
