"""Only bodies signed with the app's secret are read; nothing else is stored."""

import pytest

from apps.cases.models import Case
from apps.contacts.models import Contact
from apps.social.models import SocialEvent
from tests.social.factories import messaging_item, messenger_account, messenger_body, x_dm_body

pytestmark = pytest.mark.django_db


def _nothing_stored():
    return (
        not Case.objects.exists()
        and not SocialEvent.objects.exists()
        and not Contact.objects.exists()
    )


@pytest.fixture(autouse=True)
def account(team):
    return messenger_account(team=team)


def test_a_meta_post_without_a_signature_is_forbidden(post_meta):
    response = post_meta(messenger_body(messaging_item()), signature=None)

    assert response.status_code == 403
    assert response.json() == {
        "error": {
            "status": 403,
            "code": "missing_signature",
            "message": "The X-Hub-Signature-256 header is missing.",
        }
    }
    assert _nothing_stored()


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=" + "0" * 64,
        "sha1=abc",
        "garbage",
        "sha256=",
    ],
)
def test_a_meta_post_with_a_wrong_signature_is_forbidden(post_meta, signature):
    response = post_meta(messenger_body(messaging_item()), signature=signature)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert _nothing_stored()


def test_a_meta_post_signed_with_another_secret_is_forbidden(post_meta):
    response = post_meta(messenger_body(messaging_item()), secret="someone-elses-secret")

    assert response.status_code == 403
    assert _nothing_stored()


def test_the_signature_covers_the_raw_bytes_not_the_parsed_json(post_meta, client):
    from apps.social import signatures
    from tests.social.conftest import META_APP_SECRET

    signed = b'{"object": "page", "entry": []}'
    tampered = b'{"object":"page","entry":[]}'  # same JSON, other bytes
    response = client.post(
        "/channels/social/meta/webhook",
        data=tampered,
        content_type="application/json",
        HTTP_X_HUB_SIGNATURE_256=signatures.meta_signature(secret=META_APP_SECRET, body=signed),
    )

    assert response.status_code == 403


def test_without_an_app_secret_nothing_is_accepted(post_meta, settings):
    settings.META_APP_SECRET = ""

    response = post_meta(messenger_body(messaging_item()), secret="")

    assert response.status_code == 503
    assert response.json()["error"]["code"] == "not_configured"
    assert _nothing_stored()


def test_an_x_post_without_a_signature_is_forbidden(post_x):
    response = post_x(x_dm_body(), signature=None)

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        "The x-twitter-webhooks-signature header is missing."
    )
    assert _nothing_stored()


def test_an_x_post_with_a_wrong_signature_is_forbidden(post_x):
    response = post_x(x_dm_body(), secret="not-the-consumer-secret")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invalid_signature"
    assert _nothing_stored()
