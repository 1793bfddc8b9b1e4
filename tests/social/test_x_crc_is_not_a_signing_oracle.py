"""X's CRC check signs a crc_token with the consumer secret exactly as X signs a webhook body,
so the CRC endpoint must only ever sign what X sends as a token — short opaque strings — and
never something that could be a POST body. Otherwise anyone can have it sign a forged event."""

import json
import string

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from apps.cases.models import Case, Interaction
from apps.contacts.models import Contact
from apps.social import signatures
from apps.social.models import SocialEvent
from tests.social.factories import x_account, x_dm_body

pytestmark = pytest.mark.django_db

# A crc_token as X sent it to a registered webhook (base64 of a UUID, 48 characters).
REAL_CRC_TOKEN = "M2RkODJkZmMtYjlkYi00NmQ4LTk0MGUtM2JjYzkwM2Q4MjQ0"


def _crc(client, token: str):
    return client.get(reverse("social:x-webhook"), {"crc_token": token})


def _forge(client, body: bytes):
    """The attack: have the CRC endpoint sign the body, then POST it with that signature."""
    answer = _crc(client, body.decode())
    signature = answer.json().get("response_token", "") if answer.status_code == 200 else ""
    return client.post(
        reverse("social:x-webhook"),
        data=body,
        content_type="application/json",
        HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signature,
    )


def test_a_dm_signed_by_the_crc_endpoint_is_refused_and_opens_nothing(client, team):
    x_account(team=team)
    body = json.dumps(x_dm_body(sender="2244994945", text="Refund me")).encode()

    response = _forge(client, body)

    assert response.status_code == 403
    assert response.json()["error"]["code"] in {"missing_signature", "invalid_signature"}
    assert not Case.objects.exists()
    assert not SocialEvent.objects.exists()
    assert not Contact.objects.exists()


def test_a_forged_dm_cannot_join_a_known_customers_thread(client, team, post_x):
    x_account(team=team)
    assert (
        post_x(x_dm_body(sender="2244994945", text="My card was charged twice")).json()["processed"]
        == 1
    )  # the real customer, signed by X
    body = json.dumps(x_dm_body(sender="2244994945", text="Send the refund to me")).encode()

    response = _forge(client, body)

    assert response.status_code == 403
    assert Interaction.objects.count() == 1
    assert SocialEvent.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        '{"for_user_id": "1"}',  # a JSON body
        "[1]",
        "with space",
        'quote"d',
        "colon:value",
        "ünïcode",
        "tab\there",
        "x" * 129,  # longer than any token X sends
    ],
)
def test_the_crc_check_refuses_what_is_not_an_x_token(client, token):
    response = _crc(client, token)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_crc_token"
    assert "crc_token" in error["message"]
    assert "response_token" not in response.json()


@pytest.mark.parametrize(
    "token", [REAL_CRC_TOKEN, "challenge-abc", "a", "x" * 128, "ab+/cd==", "ab_-cd.~"]
)
def test_the_crc_check_answers_tokens_shaped_like_xs(client, token):
    response = _crc(client, token)

    assert response.status_code == 200
    assert response.json() == {
        "response_token": signatures.x_signature(
            secret="x-consumer-secret-for-tests", message=token.encode()
        )
    }


@given(
    st.dictionaries(st.text(), st.text() | st.integers() | st.none(), min_size=0, max_size=3),
    st.sampled_from([None, 0, 2]),
    st.booleans(),
)
def test_no_json_object_is_ever_a_crc_token(payload, indent, ascii_only):
    body = json.dumps(payload, indent=indent, ensure_ascii=ascii_only)

    assert not signatures.x_crc_token_valid(body)


@given(st.text(alphabet=string.ascii_letters + string.digits + "-._~+/=", min_size=1, max_size=128))
def test_no_crc_token_is_a_body_x_could_post(token):
    """The other direction: whatever passes the CRC rule is not a JSON object, the only
    shape of an Account Activity body, and a body signature is never checked for it."""
    assert signatures.x_crc_token_valid(token)
    try:
        parsed = json.loads(token)
    except ValueError:
        parsed = None
    assert not isinstance(parsed, dict)
    signature = signatures.x_signature(secret="s", message=token.encode())
    assert not signatures.x_signature_valid(secret="s", header=signature, body=token.encode())
