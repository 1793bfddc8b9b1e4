"""Every URL django-anymail offers under /channels/email/anymail/ (inbound and tracking, one
per provider — generated from anymail's own URL list, so a provider anymail adds is covered
too): no provider code runs for a request without the webhook credentials (401), a provider
that is not configured is a 503 naming the problem, and no request is ever a 500."""

import base64

import pytest
from anymail import urls as anymail_urls
from django.test import Client
from django.urls import reverse

from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db
SECRET = "cxdesk:s3cret-webhook-pass"
PATTERNS = anymail_urls.urlpatterns
URLS = [reverse(f"anymail:{pattern.name}") for pattern in PATTERNS]

# Production-like: every provider's own key set (as the attacker's probe had it).
PROVIDER_KEYS = {
    "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-key",
    "MAILGUN_API_KEY": "mailgun-api-key",
    "MANDRILL_WEBHOOK_KEY": "mandrill-key",
    "POSTAL_WEBHOOK_KEY": base64.b64encode(b"p" * 32).decode(),
    "MAILERSEND_SIGNING_SECRET": "mailersend-signing",
    "MAILERSEND_INBOUND_SECRET": "mailersend-inbound",
    "BREVO_API_KEY": "brevo-key",
    "SENDINBLUE_API_KEY": "sendinblue-key",
    "MAILTRAP_API_TOKEN": "mailtrap-token",
    "RESEND_API_KEY": "resend-key",
    "RESEND_SIGNING_SECRET": "whsec_" + base64.b64encode(b"r" * 32).decode(),
    "UNISENDER_GO_API_KEY": "unisender-key",
}
BODIES = {
    "empty object": (b"{}", "application/json"),
    "array": (b"[]", "application/json"),
    "null": (b"null", "application/json"),
    "string": (b'"x"', "text/plain"),
    "not json": (b"garbage", "application/json"),
    "form": (b"a=1&signature=x", "application/x-www-form-urlencoded"),
}


def _basic(credentials: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


@pytest.fixture(params=["provider keys unset", "provider keys set"])
def anymail_settings(request, settings):
    keys = PROVIDER_KEYS if request.param == "provider keys set" else {}
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, **keys}
    return settings.ANYMAIL


def test_every_anymail_url_is_covered():
    assert len(URLS) == len(PATTERNS) >= 25
    assert all(url.startswith("/channels/email/anymail/") for url in URLS)


@pytest.mark.parametrize("credentials", [None, "cxdesk:wrong"], ids=["none", "wrong"])
@pytest.mark.parametrize("url", URLS)
def test_without_the_webhook_credentials_no_provider_code_runs(anymail_settings, url, credentials):
    client = Client(raise_request_exception=False)
    headers = _basic(credentials) if credentials else {}

    for name, (body, content_type) in BODIES.items():
        response = client.post(url, data=body, content_type=content_type, **headers)

        assert response.status_code == 401, (name, response.content)
        assert response["WWW-Authenticate"].startswith("Basic ")
        assert response.json()["error"]["code"] == "not_authenticated"
    assert not InboundEmail.objects.exists()


@pytest.mark.parametrize("url", URLS)
def test_with_credentials_no_provider_url_is_a_500(anymail_settings, url):
    """(An authenticated `{}` may be stored: the provider sent it, so it is kept raw.)"""
    client = Client(raise_request_exception=False)

    for name, (body, content_type) in BODIES.items():
        response = client.post(url, data=body, content_type=content_type, **_basic(SECRET))

        assert response.status_code < 500 or response.status_code == 503, name
        assert response["Content-Type"] == "application/json" or response.status_code == 200


@pytest.mark.parametrize("method", ["head", "options", "get"])
@pytest.mark.parametrize("url", URLS)
def test_verification_requests_are_never_a_500(anymail_settings, url, method):
    response = getattr(Client(raise_request_exception=False), method)(url)

    assert response.status_code < 500 or response.status_code == 503


@pytest.mark.parametrize(
    ("name", "setting"),
    [
        ("mailgun_inbound_webhook", "MAILGUN_WEBHOOK_SIGNING_KEY"),
        ("mandrill_webhook", "MANDRILL_WEBHOOK_KEY"),
        ("postal_inbound_webhook", "POSTAL_WEBHOOK_KEY"),
        ("mailersend_inbound_webhook", "MAILERSEND_INBOUND_SECRET"),
        ("brevo_inbound_webhook", "BREVO_API_KEY"),
        ("unisender_go_tracking_webhook", "UNISENDER_GO_API_KEY"),
    ],
)
def test_a_provider_that_is_not_configured_is_unavailable(settings, name, setting):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    response = Client().post(
        reverse(f"anymail:{name}"), data=b"{}", content_type="application/json", **_basic(SECRET)
    )

    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "provider_not_configured"
    assert "not configured" in error["message"]
    assert setting not in error["message"]  # the missing setting is logged, not told
    assert not InboundEmail.objects.exists()


def test_a_bad_provider_signature_is_a_400_in_the_envelope(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, **PROVIDER_KEYS}

    response = Client().post(
        reverse("anymail:mailgun_inbound_webhook"),
        data={"timestamp": "1", "token": "t", "signature": "bad"},
        **_basic(SECRET),
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert not InboundEmail.objects.exists()
