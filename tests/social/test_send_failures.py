"""What the provider answers decides the reply's fate: 5xx, 429 and timeouts are retried by
the outbound core; any other 4xx fails at once with the provider's own error message."""

from datetime import timedelta

import pytest

from apps.cases import outbound
from apps.cases.models import Case, Interaction
from apps.social.models import SocialAccount
from tests.factories import CaseFactory
from tests.social.factories import messaging_item, messenger_account, messenger_body

pytestmark = pytest.mark.django_db
Delivery = Interaction.Delivery


@pytest.fixture
def case(post_meta, team):
    messenger_account(team=team)
    post_meta(messenger_body(messaging_item(sender="24000000000000001", text="Help")))
    return Case.objects.get()


def test_a_server_error_is_retried_and_the_retry_succeeds(case, provider, reply):
    provider.answer(
        500,
        {
            "error": {
                "message": "An unexpected error has occurred.",
                "type": "OAuthException",
                "code": 1,
            }
        },
    )
    provider.answer(200, {"recipient_id": "24000000000000001", "message_id": "m_second_try"})

    sent = reply(case)

    assert sent.delivery_status == Delivery.PENDING
    assert sent.delivery_attempts == 1
    assert "HTTP 500" in sent.delivery_error
    assert "unexpected error" in sent.delivery_error
    outbound.interaction_send(
        interaction_id=sent.pk, now=sent.next_attempt_at + timedelta(seconds=1)
    )
    sent.refresh_from_db()
    assert sent.delivery_status == Delivery.SENT
    assert sent.delivery_attempts == 2
    assert sent.external_id == "m_second_try"
    assert sent.delivery_error == ""
    assert len(provider.requests) == 2


def test_a_client_error_fails_with_the_providers_message(case, provider, reply):
    provider.answer(
        400,
        {
            "error": {
                "message": "(#10) This message is sent outside of allowed window.",
                "type": "OAuthException",
                "code": 10,
                "error_subcode": 2018278,
                "fbtrace_id": "AbCdEf",
            }
        },
    )

    sent = reply(case)

    assert sent.delivery_status == Delivery.FAILED
    assert sent.delivery_attempts == 1
    assert sent.delivery_error == (
        "HTTP 400: (#10) This message is sent outside of allowed window. (code 10/2018278)"
    )
    assert sent.next_attempt_at is None


def test_a_rate_limit_is_transient(case, provider, reply):
    provider.answer(429, {"title": "Too Many Requests", "detail": "Too Many Requests"})

    sent = reply(case)

    assert sent.delivery_status == Delivery.PENDING
    assert sent.delivery_error == "TransientSendError: HTTP 429: Too Many Requests"


def test_a_graph_error_flagged_transient_is_retried(case, provider, reply):
    provider.answer(
        400,
        {
            "error": {
                "message": "(#4) Application request limit reached",
                "code": 4,
                "is_transient": True,
            }
        },
    )

    sent = reply(case)

    assert sent.delivery_status == Delivery.PENDING
    assert sent.next_attempt_at is not None


def test_a_timeout_is_transient(case, provider, reply, settings):
    settings.CXDESK_SOCIAL_SEND_TIMEOUT = 0.3
    provider.answer(200, {"message_id": "too-late"}, delay=3)

    sent = reply(case)

    assert sent.delivery_status == Delivery.PENDING
    assert sent.delivery_error.startswith("TransientSendError: no answer within 0.3 s")


def test_a_provider_that_is_down_is_transient(case, reply, settings):
    settings.META_GRAPH_API_URL = "http://127.0.0.1:9/graph"  # nothing listens there

    sent = reply(case)

    assert sent.delivery_status == Delivery.PENDING
    assert "ConnectError" in sent.delivery_error


def test_an_account_without_a_token_fails_clearly(case, provider, reply):
    SocialAccount.objects.update(access_token="")

    sent = reply(case)

    assert sent.delivery_status == Delivery.FAILED
    assert "has no access token" in sent.delivery_error
    assert provider.requests == []


def test_a_social_case_without_a_social_message_cannot_be_answered_there(
    agent, team, provider, reply
):
    case = CaseFactory(channel="social", team=team)

    sent = reply(case)

    assert sent.delivery_status == Delivery.FAILED
    assert "no message received through a social account" in sent.delivery_error
