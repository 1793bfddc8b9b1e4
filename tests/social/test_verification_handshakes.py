"""Meta's subscription handshake and X's CRC check."""

import base64
import hashlib
import hmac

import pytest
from django.urls import reverse

from tests.social.conftest import META_VERIFY_TOKEN, X_CONSUMER_SECRET

pytestmark = pytest.mark.django_db


def _handshake(client, **params):
    query = {f"hub.{k}": v for k, v in params.items()}
    return client.get(reverse("social:meta-webhook"), query)


def test_meta_handshake_with_the_right_token_echoes_the_challenge(client):
    response = _handshake(
        client, mode="subscribe", verify_token=META_VERIFY_TOKEN, challenge="1158201444"
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"mode": "subscribe", "verify_token": "wrong", "challenge": "1"},
        {"mode": "unsubscribe", "verify_token": META_VERIFY_TOKEN, "challenge": "1"},
        {"challenge": "1"},
    ],
)
def test_meta_handshake_with_a_wrong_token_or_mode_is_refused(client, params):
    response = _handshake(client, **params)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "verification_failed"
    assert response.content != b"1"


def test_meta_handshake_is_refused_when_no_token_is_configured(client, settings):
    settings.META_VERIFY_TOKEN = ""

    response = _handshake(client, mode="subscribe", verify_token="", challenge="1")

    assert response.status_code == 403
    assert "META_VERIFY_TOKEN" in response.json()["error"]["message"]


def test_the_url_works_with_or_without_a_trailing_slash(client):
    response = client.get(
        "/channels/social/meta/webhook/",
        {"hub.mode": "subscribe", "hub.verify_token": META_VERIFY_TOKEN, "hub.challenge": "42"},
    )

    assert response.status_code == 200
    assert response.content == b"42"


def test_x_crc_answers_the_hmac_of_the_token(client):
    response = client.get(reverse("social:x-webhook"), {"crc_token": "challenge-abc"})

    expected = base64.b64encode(
        hmac.new(X_CONSUMER_SECRET.encode(), b"challenge-abc", hashlib.sha256).digest()
    ).decode()
    assert response.status_code == 200
    assert response.json() == {"response_token": f"sha256={expected}"}


def test_x_crc_without_a_token_is_a_bad_request(client):
    response = client.get(reverse("social:x-webhook"))

    assert response.status_code == 400
    assert response.json()["error"] == {
        "status": 400,
        "code": "bad_request",
        "message": "crc_token is missing.",
    }


def test_x_crc_without_a_consumer_secret_is_unavailable(client, settings):
    settings.X_CONSUMER_SECRET = ""

    response = client.get(reverse("social:x-webhook"), {"crc_token": "abc"})

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"


@pytest.mark.parametrize("name", ["social:meta-webhook", "social:x-webhook"])
def test_other_methods_are_not_allowed(client, name):
    response = client.put(reverse(name), data=b"{}", content_type="application/json")

    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"
    assert response.json()["error"]["code"] == "method_not_allowed"
