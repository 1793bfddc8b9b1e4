"""Public webhook endpoints of the social networks (mounted at /channels/social/).

``/channels/social/meta/webhook`` — the Meta app's callback URL for Messenger (object
"page"), Instagram ("instagram") and the WhatsApp Cloud API ("whatsapp_business_account"):

- GET: the verification handshake. ``hub.mode=subscribe`` and ``hub.verify_token`` equal to
  META_VERIFY_TOKEN → 200 with ``hub.challenge`` as text/plain; anything else → 403.
- POST: events, signed ``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body keyed
  with META_APP_SECRET>``.

``/channels/social/x/webhook`` — the X Account Activity API webhook:

- GET: the CRC check. ``crc_token`` → ``{"response_token": "sha256=<base64 HMAC-SHA256 of
  the token keyed with X_CONSUMER_SECRET>"}``. Only a token shaped like X's (1–128
  characters of base64/base64url or ``.~``; see signatures.x_crc_token_valid) is answered,
  anything else is 400: the answer is the same HMAC as a body's signature, so signing a
  caller's JSON would let anyone forge events.
- POST: events, signed ``x-twitter-webhooks-signature: sha256=<base64 HMAC of the raw body>``.

Answers to a POST: 200 with what became of the body's events (``received``, ``processed``,
``duplicates``, ``ignored``, ``failed``) once each is stored — an event that failed is kept
raw with its error and re-processed from the admin, so the provider is not asked to resend
it; 403 for a missing or wrong signature; 400 for a body that is not JSON or not the
network's webhook shape (nothing is stored) or nesting JSON deeper than 64 levels; 413 for
a body over CXDESK_MAX_REQUEST_BYTES (nesting and size are checked by apps/api/limits.py
before the view);
503 when the secret is not configured or the database is unavailable (the provider retries
later). Every error is JSON: ``{"error": {"status", "code", "message"}}``. Never a 500.
"""

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from apps.api.errors import envelope
from apps.core.text import storable

from . import inbound, services, signatures

logger = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, **headers) -> JsonResponse:
    response = JsonResponse(envelope(status, code, message), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _not_allowed() -> JsonResponse:
    return _error(
        405, "method_not_allowed", "Use GET (verification) or POST (events).", Allow="GET, POST"
    )


@csrf_exempt
def meta_webhook(request):
    if request.method == "GET":
        return _meta_handshake(request)
    if request.method != "POST":
        return _not_allowed()
    return _receive(
        request,
        secret_name="META_APP_SECRET",
        header="X-Hub-Signature-256",
        verify=signatures.meta_signature_valid,
        split=inbound.meta_pieces,
    )


@csrf_exempt
def x_webhook(request):
    if request.method == "GET":
        return _x_crc(request)
    if request.method != "POST":
        return _not_allowed()
    return _receive(
        request,
        secret_name="X_CONSUMER_SECRET",
        header="x-twitter-webhooks-signature",
        verify=signatures.x_signature_valid,
        split=inbound.x_pieces,
    )


def _meta_handshake(request):
    expected = settings.META_VERIFY_TOKEN
    mode = request.GET.get("hub.mode", "")
    token = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge")
    if not expected:
        return _error(
            403,
            "verification_failed",
            "Verification is not configured here (META_VERIFY_TOKEN is not set).",
        )
    if mode != "subscribe" or not constant_time_compare(token, expected):
        return _error(
            403,
            "verification_failed",
            "hub.mode must be 'subscribe' and hub.verify_token must match the verify "
            "token configured for this endpoint.",
        )
    if not challenge:
        return _error(400, "bad_request", "hub.challenge is missing.")
    return HttpResponse(challenge, content_type="text/plain; charset=utf-8")


def _x_crc(request):
    secret = settings.X_CONSUMER_SECRET
    crc_token = request.GET.get("crc_token")
    if not crc_token:
        return _error(400, "bad_request", "crc_token is missing.")
    if not signatures.x_crc_token_valid(crc_token):
        return _error(
            400,
            "invalid_crc_token",
            f"crc_token must be 1–{signatures.X_CRC_TOKEN_MAX_LENGTH} characters "
            "of letters, digits and - . _ ~ + / = (X's CRC tokens are).",
        )
    if not secret:
        return _error(
            503, "not_configured", "X_CONSUMER_SECRET is not set: cannot answer the CRC check."
        )
    token = signatures.x_signature(secret=secret, message=crc_token.encode())
    return JsonResponse({"response_token": token})


def _receive(
    request,
    *,
    secret_name: str,
    header: str,
    verify: Callable[..., bool],
    split: Callable[[object], inbound.Batch],
):
    secret = getattr(settings, secret_name)
    if not secret:
        return _error(
            503, "not_configured", f"{secret_name} is not set: signatures cannot be verified."
        )
    try:
        body = request.body
    except RequestDataTooBig:
        return _error(413, "payload_too_large", "The body is larger than this endpoint accepts.")
    signature = request.headers.get(header)
    if not signature:
        return _error(403, "missing_signature", f"The {header} header is missing.")
    if not verify(secret=secret, header=signature, body=body):
        return _error(403, "invalid_signature", f"The {header} signature does not match the body.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        return _error(400, "invalid_json", f"The body is not valid JSON: {exc}")
    # A signed event is kept whatever its text holds: a NUL or a lone surrogate in a message
    # would make storing it fail (a 503 the network retries until it gives up: a lost message).
    data = storable(data)
    try:
        batch = split(data)
    except inbound.BadPayload as exc:
        return _error(400, "invalid_payload", f"The body is not a webhook event: {exc}.")
    if batch.unsupported_object:
        logger.warning(
            "social webhook: ignored %d entries of unsupported object %r",
            batch.skipped,
            batch.unsupported_object,
        )
    try:
        result = services.events_receive(batch=batch)
    except Exception:  # the database is down, or a bug outside one event: the provider retries
        logger.exception("social webhook: could not store a signed body")
        return _error(503, "unavailable", "The events could not be stored now; retry later.")
    return JsonResponse(result.as_dict())
