"""The account's own messages, and receipts, are not customer messages: skipped, not stored."""

import pytest

from apps.cases.models import Case
from apps.social.models import SocialEvent
from tests.social.factories import (
    PAGE_ID,
    X_ACCOUNT_ID,
    messaging_item,
    messenger_account,
    messenger_body,
    x_account,
    x_dm_body,
    x_mention_body,
    x_tweet,
)

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return not Case.objects.exists() and not SocialEvent.objects.exists()


def test_messenger_echoes_deliveries_and_reads_are_skipped(post_meta, team):
    messenger_account(team=team)
    echo = messaging_item(sender=PAGE_ID, recipient="24000000000000001", is_echo=True)
    delivery = {
        "sender": {"id": "24000000000000001"},
        "recipient": {"id": PAGE_ID},
        "delivery": {"mids": ["m_1"], "watermark": 1735689600000},
    }
    read = {
        "sender": {"id": "24000000000000001"},
        "recipient": {"id": PAGE_ID},
        "timestamp": 1735689600001,
        "read": {"watermark": 1735689600000},
    }

    response = post_meta(messenger_body(echo, delivery, read))

    assert response.status_code == 200
    assert response.json() == {
        "received": 0,
        "processed": 0,
        "duplicates": 0,
        "ignored": 3,
        "failed": 0,
    }
    assert _nothing_stored()


def test_the_x_accounts_own_dms_and_tweets_are_skipped(post_x, team):
    x_account(team=team)

    dm = post_x(x_dm_body(sender=X_ACCOUNT_ID))
    tweet = post_x(x_mention_body(x_tweet(author=X_ACCOUNT_ID, screen_name="AcmeSupport")))

    assert dm.json()["ignored"] == 1
    assert tweet.json()["ignored"] == 1
    assert _nothing_stored()


def test_x_events_we_do_not_handle_are_skipped(post_x, team):
    x_account(team=team)

    response = post_x(
        {
            "for_user_id": X_ACCOUNT_ID,
            "favorite_events": [{"id": "1"}, {"id": "2"}],
            "direct_message_indicate_typing_events": [{"sender_id": "2"}],
        }
    )

    assert response.status_code == 200
    assert response.json()["ignored"] == 3
    assert _nothing_stored()
