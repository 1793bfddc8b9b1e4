"""Email providers' inbound webhooks (django-anymail) under /channels/email/anymail/…: a
signed or authenticated POST becomes email_receive(source="webhook"); a bad secret stores
nothing."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.test import Client

from apps.cases.models import Case
from apps.mail.models import InboundEmail

pytestmark = pytest.mark.django_db
SECRET = "cxdesk:s3cret-webhook-pass"
POSTMARK_URL = "/channels/email/anymail/postmark/inbound/"
MAILGUN_URL = "/channels/email/anymail/mailgun/inbound_mime/"
MAILGUN_KEY = "mailgun-signing-key-for-tests"


@pytest.fixture(autouse=True)
def _anymail_settings(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET, "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}


def _basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def _postmark_payload(**overrides) -> dict:
    """Postmark's inbound JSON, as its documentation shows it (parsed form, no RawEmail)."""
    payload = {
        "FromName": "Ada Lovelace",
        "From": "ada@example.com",
        "FromFull": {"Email": "ada@example.com", "Name": "Ada Lovelace"},
        "To": "support@cxdesk.test",
        "ToFull": [{"Email": "support@cxdesk.test", "Name": "Support"}],
        "Cc": "",
        "CcFull": [],
        "Bcc": "",
        "BccFull": [],
        "OriginalRecipient": "support@cxdesk.test",
        "Subject": "Webhook: my parcel never arrived",
        "MessageID": "22c74902-a0c1-4511-804f-341342852c90",
        "ReplyTo": "",
        "Date": "Thu, 5 Apr 2012 16:59:01 +0200",
        "TextBody": "Where is my parcel?",
        "HtmlBody": "<p>Where is my <b>parcel</b>?</p>",
        "StrippedTextReply": "",
        "Tag": "",
        "Headers": [
            {"Name": "Return-Path", "Value": "<ada@example.com>"},
            {"Name": "Message-ID", "Value": "<parcel-1@example.com>"},
            {"Name": "X-Spam-Status", "Value": "No"},
        ],
        "Attachments": [
            {
                "Name": "receipt.pdf",
                "Content": base64.b64encode(b"%PDF-1").decode(),
                "ContentType": "application/pdf",
                "ContentLength": 6,
            }
        ],
    }
    payload.update(overrides)
    return payload


def _post_postmark(payload: dict, auth: str | None = SECRET):
    headers = {"HTTP_AUTHORIZATION": _basic(auth)} if auth else {}
    return Client().post(
        POSTMARK_URL, data=json.dumps(payload), content_type="application/json", **headers
    )


def test_a_postmark_inbound_message_opens_a_case(mailbox):
    response = _post_postmark(_postmark_payload())

    assert response.status_code == 200, response.content
    inbound = InboundEmail.objects.get()
    assert (inbound.source, inbound.provider, inbound.status) == (
        "webhook",
        "postmark",
        "processed",
    )
    assert inbound.mailbox == mailbox  # from the envelope recipient
    assert inbound.message_id == "<parcel-1@example.com>"
    case = Case.objects.get()
    assert case.subject == "Webhook: my parcel never arrived"
    assert case.team == mailbox.team
    assert case.requester.name == "Ada Lovelace"
    interaction = inbound.interaction
    assert interaction.body_text.strip() == "Where is my parcel?"
    assert "<b>parcel</b>" in interaction.body_html
    assert [a.filename for a in interaction.attachments.all()] == ["receipt.pdf"]
    assert bytes(inbound.raw).startswith(b"From: Ada Lovelace <ada@example.com>")


def test_a_postmark_raw_email_is_stored_as_sent(mailbox, make_email):
    raw = make_email(message_id="<raw-1@example.com>", subject="Raw via Postmark")

    response = _post_postmark(_postmark_payload(RawEmail=raw.decode()))

    assert response.status_code == 200
    inbound = InboundEmail.objects.get()
    assert inbound.message_id == "<raw-1@example.com>"
    assert inbound.status == "processed"
    assert Case.objects.get().subject == "Raw via Postmark"


def test_a_redelivered_webhook_creates_nothing_twice(mailbox):
    _post_postmark(_postmark_payload())
    response = _post_postmark(_postmark_payload())

    assert response.status_code == 200
    assert [i.status for i in InboundEmail.objects.order_by("pk")] == ["processed", "duplicate"]
    assert Case.objects.count() == 1


@pytest.mark.parametrize("auth", [None, "cxdesk:wrong-password"], ids=["missing", "wrong"])
def test_a_missing_or_wrong_secret_is_refused_and_stores_nothing(mailbox, auth):
    response = _post_postmark(_postmark_payload(), auth=auth)

    assert 400 <= response.status_code < 500
    assert not InboundEmail.objects.exists()
    assert not Case.objects.exists()


def _mailgun_post(raw: bytes, *, key: str = MAILGUN_KEY, auth: str | None = SECRET):
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    headers = {"HTTP_AUTHORIZATION": _basic(auth)} if auth else {}
    return Client().post(
        MAILGUN_URL,
        data={
            "body-mime": raw.decode(),
            "recipient": "support@cxdesk.test",
            "sender": "ada@example.com",
            "timestamp": timestamp,
            "token": token,
            "signature": signature,
        },
        **headers,
    )


def test_a_mailgun_raw_mime_message_opens_a_case(mailbox, make_email):
    raw = make_email(message_id="<mg-1@example.com>", subject="Via Mailgun")

    response = _mailgun_post(raw)

    assert response.status_code == 200, response.content
    inbound = InboundEmail.objects.get()
    assert (inbound.provider, inbound.status, inbound.mailbox) == ("mailgun", "processed", mailbox)
    assert Case.objects.get().subject == "Via Mailgun"


def test_a_mailgun_message_with_a_bad_signature_stores_nothing(mailbox, make_email):
    response = _mailgun_post(make_email(), key="not-the-signing-key")

    assert 400 <= response.status_code < 500
    assert not InboundEmail.objects.exists()


def test_without_a_configured_secret_the_webhooks_are_off(settings, mailbox):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}

    response = _post_postmark(_postmark_payload(), auth=None)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "webhook_secret_missing"
    assert not InboundEmail.objects.exists()


def test_the_webhook_urls_keep_anymails_names():
    from django.urls import reverse

    assert reverse("anymail:postmark_inbound_webhook") == POSTMARK_URL
    assert reverse("anymail:mailgun_inbound_webhook", args=["_mime"]) == MAILGUN_URL


def test_a_webhook_larger_than_an_api_request_is_stored(mailbox, make_email, settings):
    """Provider webhooks carry whole messages: the API's 1 MiB cap must not refuse them."""
    raw = make_email(
        message_id="<big@example.com>",
        subject="Scans attached",
        attachments=[("scan.txt", "text/plain", b"x" * 1_500_000)],
    )
    assert len(raw) > settings.CXDESK_MAX_REQUEST_BYTES

    response = _post_postmark(_postmark_payload(RawEmail=raw.decode()))

    assert response.status_code == 200
    assert InboundEmail.objects.get().status == "processed"


def test_the_webhook_answer_names_no_case(mailbox):
    """Whoever holds the webhook secret learns nothing about cases from the answer."""
    response = _post_postmark(_postmark_payload())

    assert response.status_code == 200
    assert Case.objects.exists()
    assert response.content == b""
