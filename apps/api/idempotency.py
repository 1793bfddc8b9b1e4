"""`Idempotency-Key` on API POSTs: a retry gets the first response and creates nothing.

The first request with a key stores its response in the same transaction as whatever the
request wrote, so "written but not recorded" cannot happen: either both commit or neither.
A retry with the same key and the same method, path and body replays the stored response
(`Idempotent-Replayed: true`); the same key with another body is refused with 422; a retry
that arrives while the first is still running gets 409 (on PostgreSQL it waits for the first
to finish and then replays). Keys are per authenticated token (or signed-in user): two
integrations never share one, and a revoked token gets 401, not a replay. Keys expire after
a day. Raw email uploads are left alone: their Message-ID already de-duplicates retries.
"""

import hashlib

from django.core.exceptions import RequestDataTooBig
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from . import services
from .errors import envelope
from .limits import EMAIL_BODY_PATHS
from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
# Answers that say "try again differently": not stored, so a corrected retry can go through.
NOT_STORED = {401, 403, 409, 429}


def _principal(request) -> str | None:
    """Who sent the request, authenticated: a stored response is replayed only to the token
    (or signed-in user) that caused it, and never to a revoked token or disabled user."""
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer":
        token = services.api_token_authenticate(key.strip())
        return f"t:{token.pk}" if token else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return None


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(envelope(status, code, message), status=status)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER)
        if (
            request.method != "POST"
            or key is None
            or not request.path.startswith("/api/")
            or request.path.startswith(EMAIL_BODY_PATHS)
        ):
            # Raw email uploads need no key: their Message-ID already de-duplicates retries.
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _error(
                400,
                "invalid_idempotency_key",
                f"Idempotency-Key must be 1–{MAX_KEY_LENGTH} printable characters.",
            )
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)  # the view answers 401
        IdempotencyRecord.objects.filter(
            principal=principal, key=key, created_at__lt=timezone.now() - services.IDEMPOTENCY_TTL
        ).delete()
        try:
            body = request.body
        except RequestDataTooBig:
            return _error(
                413, "payload_too_large", "The request body is larger than the API accepts."
            )
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), body])
        ).hexdigest()

        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyRecord.objects.create(
                        principal=principal, key=key, fingerprint=fingerprint
                    )
            except IntegrityError:
                return self._replay(principal, key, fingerprint)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
                return response
            if response.status_code in NOT_STORED or getattr(response, "streaming", False):
                record.delete()
                return response
            record.status_code = response.status_code
            record.content_type = response.get("Content-Type", "application/json")
            record.body = response.content
            record.save(update_fields=["status_code", "content_type", "body"])
            return response

    def _replay(self, principal: str, key: str, fingerprint: str):
        record = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
        if record is None or record.status_code is None:
            return _error(
                409,
                "idempotency_key_in_use",
                "A request with this Idempotency-Key is still being processed; retry shortly.",
            )
        if record.fingerprint != fingerprint:
            return _error(
                422,
                "idempotency_key_reused",
                "This Idempotency-Key was used with a different request body or path.",
            )
        response = HttpResponse(
            bytes(record.body or b""), status=record.status_code, content_type=record.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response
