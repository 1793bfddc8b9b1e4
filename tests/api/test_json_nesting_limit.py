"""JSON nested thousands deep makes Python's json raise RecursionError wherever it is parsed
(DRF's JSONParser, django-anymail, json.loads): a 500 on every JSON endpoint, without any
credentials. Every JSON body nesting deeper than MAX_JSON_DEPTH is refused with 400 before a
view parses it — the email webhooks' once their credentials are checked (before that: 401);
forms and raw emails are not JSON and are left alone."""

import base64
import json
from urllib.parse import urlencode

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.api.limits import MAX_JSON_DEPTH, json_too_deep
from apps.cases.models import Case, Interaction
from apps.chat.models import ChatSession
from apps.mail.models import InboundEmail
from apps.social import signatures
from apps.social.models import SocialEvent
from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db
ANYMAIL_SECRET = "cxdesk:s3cret-webhook-pass"


def _arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _message(depth: int) -> bytes:
    """A chat/case body whose one field holds `depth - 1` levels of arrays."""
    return b'{"message": ' + _arrays(depth - 1) + b', "extra": ' + _arrays(depth - 1) + b"}"


DEEP = {
    "arrays 5000": _arrays(5000),
    "objects 5000": _objects(5000),
    "just over": _arrays(MAX_JSON_DEPTH + 1),
}


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.META_APP_SECRET = "meta-secret"
    settings.X_CONSUMER_SECRET = "x-secret"
    settings.ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_SECRET}


@pytest.fixture
def widget(team):
    return ChatWidgetFactory(team=team, allowed_origins=["https://shop.example.com"])


def _nothing_stored() -> bool:
    return not any(
        model.objects.exists()
        for model in (Case, Interaction, ChatSession, SocialEvent, InboundEmail)
    )


def _assert_too_deep(response):
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "json_too_deep"
    assert str(MAX_JSON_DEPTH) in error["message"]


def _basic() -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(ANYMAIL_SECRET.encode()).decode()}


def _post(name: str, body: bytes, *, widget, agent_api):
    key = widget.public_key
    if name == "api cases (token)":
        return agent_api.generic("POST", "/api/v1/cases/", body, content_type="application/json")
    if name == "api cases (anonymous)":
        return APIClient().generic("POST", "/api/v1/cases/", body, content_type="application/json")
    if name == "chat start":
        return Client().post(
            f"/channels/chat/widgets/{key}/sessions/", body, content_type="application/json"
        )
    if name == "anymail (no credentials)":
        return Client().post(
            "/channels/email/anymail/postmark/inbound/", body, content_type="application/json"
        )
    if name == "anymail (credentials)":
        return Client().post(
            "/channels/email/anymail/postmark/inbound/",
            body,
            content_type="application/json",
            **_basic(),
        )
    if name == "meta webhook (signed)":
        return Client().post(
            "/channels/social/meta/webhook",
            body,
            content_type="application/json",
            HTTP_X_HUB_SIGNATURE_256=signatures.meta_signature(secret="meta-secret", body=body),
        )
    if name == "x webhook (signed)":
        return Client().post(
            "/channels/social/x/webhook",
            body,
            content_type="text/plain",
            HTTP_X_TWITTER_WEBHOOKS_SIGNATURE=signatures.x_signature(
                secret="x-secret", message=body
            ),
        )
    raise AssertionError(name)


ENDPOINTS = [
    "api cases (token)",
    "api cases (anonymous)",
    "chat start",
    "anymail (credentials)",
    "meta webhook (signed)",
    "x webhook (signed)",
]


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
@pytest.mark.parametrize("name", ENDPOINTS)
def test_deeply_nested_json_is_a_400_everywhere(name, body, widget, agent_api):
    response = _post(name, body, widget=widget, agent_api=agent_api)

    _assert_too_deep(response)
    assert _nothing_stored()


@pytest.mark.parametrize("body", DEEP.values(), ids=DEEP.keys())
def test_an_email_webhook_asks_for_credentials_before_it_scans_the_body(body, widget, agent_api):
    response = _post("anymail (no credentials)", body, widget=widget, agent_api=agent_api)

    assert response.status_code == 401
    assert _nothing_stored()


@pytest.mark.parametrize("name", ENDPOINTS)
def test_json_nested_up_to_the_limit_reaches_the_endpoint(name, widget, agent_api):
    response = _post(name, _message(MAX_JSON_DEPTH), widget=widget, agent_api=agent_api)

    assert response.status_code != 500
    if response.status_code == 400:
        assert response.json()["error"]["code"] != "json_too_deep"


def test_a_chat_message_nested_too_deep_is_a_400(widget):
    visitor = APIClient()
    started = visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/", {"message": "Hello"}, format="json"
    ).json()

    response = visitor.generic(
        "POST",
        f"/channels/chat/sessions/{started['session']['id']}/messages/",
        _objects(5000),
        content_type="application/json",
        HTTP_X_CHAT_TOKEN=started["token"],
    )

    _assert_too_deep(response)
    assert Interaction.objects.count() == 1


def test_a_form_is_not_read_as_json(settings):
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    body = urlencode({"CallSid": "[" * 5000, "From": "{" * 5000})

    response = Client().post(
        "/channels/phone/twilio/status/", body, content_type="application/x-www-form-urlencoded"
    )

    assert response.json()["error"]["code"] == "missing_signature"  # the view's own answer


def test_a_raw_email_is_not_read_as_json(agent_api):
    response = agent_api.generic(
        "POST", "/api/v1/inbound/email/", _arrays(5000), content_type="message/rfc822"
    )

    assert response.status_code == 202


@pytest.mark.parametrize(
    ("body", "deeper"),
    [
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),
        (
            b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}',
            False,
        ),
        (b'["\\\\", ' + _arrays(MAX_JSON_DEPTH) + b"]", True),
        (_arrays(MAX_JSON_DEPTH), False),
        (_arrays(MAX_JSON_DEPTH + 1), True),
        (b"[]" * 100_000, False),
        (b'"unterminated ' + b"[" * 100, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b'"unterminated', True),
        (b"", False),
        (json.dumps({"deep": "x" * 1_000_000, "list": [[1, 2], [3, [4]]]}).encode(), False),
    ],
)
def test_only_arrays_and_objects_outside_strings_count(body, deeper):
    assert json_too_deep(body) is deeper


def _hidden_behind(encoding: str) -> bytes:
    """Deep nesting after "表" — in Shift JIS its second byte is a backslash, so a scan of the
    raw bytes would take the closing quote as escaped and the brackets as string content."""
    return ('["表", ' + "[" * 3000 + "]" * 3000 + "]").encode(encoding)


@pytest.mark.parametrize("charset", ["shift_jis", "utf-16", "utf-32"])
def test_a_declared_charset_cannot_hide_the_nesting(agent_api, charset):
    response = agent_api.generic(
        "POST",
        "/api/v1/cases/",
        _hidden_behind(charset),
        content_type=f"application/json; charset={charset}",
    )

    _assert_too_deep(response)
    assert not Case.objects.exists()


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-16"])
def test_utf16_and_utf32_bodies_are_scanned_as_json_would_read_them(encoding):
    """json.loads(bytes), as the social webhooks call it, detects UTF-16/32 by itself."""
    assert json_too_deep(_hidden_behind(encoding))
    assert not json_too_deep('["表", [[1]]]'.encode(encoding))


def test_a_non_text_charset_is_not_decoded():
    assert not json_too_deep(b'{"a": 1}', charset="bz2_codec")
