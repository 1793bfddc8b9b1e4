"""CXDESK_MAX_REQUEST_BYTES caps every request body — the API, the anonymous chat widget, the
social and Twilio webhooks, the web pages — before anything reads it; only the endpoints that
take whole emails are held to CXDESK_MAX_INBOUND_EMAIL_BYTES instead. Over the cap: 413 in
the error envelope, nothing stored, and the body is not read (not even without a
Content-Length)."""

import asyncio
import json
from io import BytesIO
from urllib.parse import urlencode

import pytest
from django.core.handlers.asgi import ASGIHandler
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from apps.api.limits import RequestBodyLimitsMiddleware
from apps.cases.models import Case, Interaction
from apps.chat.models import ChatSession
from apps.mail.models import InboundEmail
from apps.phone.models import Call
from apps.social.models import SocialEvent
from tests.chat.factories import ChatWidgetFactory

pytestmark = pytest.mark.django_db
CAP = 4_000
EMAIL_CAP = 20_000
ANYMAIL_SECRET = "cxdesk:s3cret-webhook-pass"


@pytest.fixture(autouse=True)
def _caps(settings):
    settings.CXDESK_MAX_REQUEST_BYTES = CAP
    settings.CXDESK_MAX_INBOUND_EMAIL_BYTES = EMAIL_CAP
    settings.META_APP_SECRET = "meta-secret"
    settings.X_CONSUMER_SECRET = "x-secret"
    settings.TWILIO_AUTH_TOKEN = "twilio-token"
    settings.ANYMAIL = {"WEBHOOK_SECRET": ANYMAIL_SECRET}


@pytest.fixture
def widget(team):
    return ChatWidgetFactory(team=team, allowed_origins=["https://shop.example.com"])


def _nothing_stored() -> bool:
    return not any(
        model.objects.exists()
        for model in (Case, Interaction, ChatSession, SocialEvent, Call, InboundEmail)
    )


def _json(size: int) -> bytes:
    """A JSON object of exactly `size` bytes."""
    body = json.dumps({"message": ""}).encode()
    return json.dumps({"message": "x" * (size - len(body))}).encode()


def _assert_413(response, limit: int = CAP):
    assert response.status_code == 413, response.content
    error = json.loads(response.content)["error"]
    assert error["code"] == "payload_too_large"
    assert str(limit) in error["message"]


ENDPOINTS = {
    "api": ("/api/v1/cases/", "application/json"),
    "chat start": ("/channels/chat/widgets/{key}/sessions/", "application/json"),
    "meta webhook": ("/channels/social/meta/webhook", "application/json"),
    "x webhook": ("/channels/social/x/webhook", "application/json"),
    "twilio callback": ("/channels/phone/twilio/status/", "application/x-www-form-urlencoded"),
    "login page": ("/accounts/login/", "application/x-www-form-urlencoded"),
}


def _body(content_type: str, size: int) -> bytes:
    if content_type == "application/json":
        return _json(size)
    data = urlencode({"Body": "x" * size}).encode()
    return data[:size] if len(data) > size else data


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_body_over_the_cap_is_a_413_and_stores_nothing(name, widget, agent_api):
    path, content_type = ENDPOINTS[name]
    client = agent_api if name == "api" else Client()

    response = client.generic(
        "POST",
        path.format(key=widget.public_key),
        _body(content_type, CAP + 1),
        content_type=content_type,
    )

    _assert_413(response)
    assert _nothing_stored()


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_body_at_the_cap_reaches_the_endpoint(name, widget, agent_api):
    path, content_type = ENDPOINTS[name]
    client = agent_api if name == "api" else Client()

    response = client.generic(
        "POST",
        path.format(key=widget.public_key),
        _body(content_type, CAP),
        content_type=content_type,
    )

    assert response.status_code != 413  # the endpoint's own answer (400, 403, …)


def test_a_chat_message_over_the_cap_is_a_413(widget):
    visitor = APIClient()
    started = visitor.post(
        f"/channels/chat/widgets/{widget.public_key}/sessions/", {"message": "Hello"}, format="json"
    ).json()

    response = visitor.generic(
        "POST",
        f"/channels/chat/sessions/{started['session']['id']}/messages/",
        _json(CAP + 1),
        content_type="application/json",
        HTTP_X_CHAT_TOKEN=started["token"],
    )

    _assert_413(response)
    assert Interaction.objects.count() == 1


@pytest.mark.parametrize(
    "path", ["/channels/email/anymail/postmark/inbound/", "/api/v1/inbound/email/"]
)
def test_email_endpoints_take_bodies_up_to_the_email_cap(path, agent_api):
    client = agent_api if path.startswith("/api/") else Client()
    content_type = "message/rfc822" if path.startswith("/api/") else "application/json"

    within = client.generic("POST", path, _json(EMAIL_CAP), content_type=content_type)
    over = client.generic("POST", path, _json(EMAIL_CAP + 1), content_type=content_type)

    assert within.status_code != 413
    _assert_413(over, EMAIL_CAP)
    assert InboundEmail.objects.count() <= 1  # at most the one within the cap


class _Unreadable(BytesIO):
    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def test_an_oversized_body_is_refused_before_anything_reads_it():
    request = RequestFactory().generic(
        "POST", "/channels/chat/widgets/cw_x/sessions/", content_type="application/json"
    )
    request.META["CONTENT_LENGTH"] = str(40 * 1024 * 1024)
    request.META["wsgi.input"] = _Unreadable()
    request._stream = _Unreadable()

    def view(request):
        raise AssertionError("the view ran")

    response = RequestBodyLimitsMiddleware(view)(request)

    _assert_413(response)


def _asgi_post(path: str, chunks: list[bytes], headers: list[tuple[bytes, bytes]]):
    """POST through Django's ASGI handler; chunks sent as separate body messages."""
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict] = []

    async def receive():
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # the client stays connected (Django stops listening)

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(ASGIHandler()(scope, receive, send))
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body


@pytest.mark.parametrize("declared", [None, b"10"], ids=["chunked", "understated"])
def test_a_chunked_body_over_the_cap_is_a_413_under_asgi(declared):
    headers = [(b"content-type", b"application/json")]
    if declared:
        headers.append((b"content-length", declared))
    body = _json(CAP * 3)

    status, answer = _asgi_post(
        "/channels/social/x/webhook",
        [body[i : i + 1000] for i in range(0, len(body), 1000)],
        headers,
    )

    assert status == 413, answer
    assert json.loads(answer)["error"]["code"] == "payload_too_large"
    assert _nothing_stored()
