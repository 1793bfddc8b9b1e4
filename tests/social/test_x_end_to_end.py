"""X (Twitter) Account Activity: DMs answered by DM, mentions answered by a reply tweet."""

import pytest

from apps.cases.models import Case, Interaction
from apps.contacts.models import ContactIdentity
from tests.social.factories import X_ACCOUNT_ID, x_account, x_dm_body, x_mention_body, x_tweet

pytestmark = pytest.mark.django_db


def test_an_x_dm_round_trip(post_x, team, provider, reply):
    x_account(team=team, access_token="x-user-token")

    response = post_x(
        x_dm_body(
            sender="2244994945",
            screen_name="TwitterDev",
            name="Twitter Dev",
            text="My card was charged twice",
            event_id="1800000000000000001",
        )
    )

    assert response.status_code == 200
    assert response.json()["processed"] == 1
    identity = ContactIdentity.objects.get(network="x")
    assert identity.value == "2244994945"  # the user id: screen names change hands
    assert identity.contact.name == "Twitter Dev"
    case = Case.objects.get()
    inbound = case.interactions.get()
    assert inbound.external_id == "1800000000000000001"
    assert inbound.metadata["sender_handle"] == "TwitterDev"
    assert inbound.metadata["kind"] == "dm"
    provider.answer(
        201,
        {
            "data": {
                "dm_conversation_id": "2244994945-1500000000000000001",
                "dm_event_id": "1800000000000000099",
            }
        },
    )

    sent = reply(case, "Refunded, sorry about that.")

    request = provider.requests[-1]
    assert request.path == "/x/2/dm_conversations/with/2244994945/messages"
    assert request.headers["authorization"] == "Bearer x-user-token"
    assert request.json == {"text": "Refunded, sorry about that."}
    assert sent.delivery_status == Interaction.Delivery.SENT
    assert sent.external_id == "1800000000000000099"


def test_a_mention_round_trip_replies_in_the_thread(post_x, team, provider, reply):
    x_account(team=team)
    tweet = x_tweet(
        tweet_id="1810000000000000001",
        author="2244994945",
        text="@AcmeSupport my order never arrived",
    )

    assert post_x(x_mention_body(tweet)).json()["processed"] == 1

    case = Case.objects.get()
    inbound = case.interactions.get()
    assert inbound.metadata["kind"] == "mention"
    assert inbound.metadata["tweet_id"] == "1810000000000000001"
    assert case.subject == "X mention: @AcmeSupport my order never arrived"
    provider.answer(201, {"data": {"id": "1810000000000000002", "text": "…"}})

    sent = reply(case, "Sorry! Check your DMs.")

    request = provider.requests[-1]
    assert request.path == "/x/2/tweets"
    assert request.json == {
        "text": "Sorry! Check your DMs.",
        "reply": {"in_reply_to_tweet_id": "1810000000000000001"},
    }
    assert sent.external_id == "1810000000000000002"


def test_a_reply_to_the_accounts_tweet_counts_as_addressed_to_it(post_x, team):
    x_account(team=team)
    tweet = x_tweet(mention=None, in_reply_to_user=X_ACCOUNT_ID, text="this is still broken")

    assert post_x(x_mention_body(tweet)).json()["processed"] == 1


def test_tweets_not_addressed_to_the_account_are_skipped(post_x, team):
    x_account(team=team)
    unrelated = x_tweet(mention="999", text="@someoneelse hi")
    retweet = x_tweet(retweeted_status={"id_str": "1"})

    response = post_x(x_mention_body(unrelated, retweet))

    assert response.json()["ignored"] == 2
    assert not Case.objects.exists()
