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
from django.db import transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone

from apps.core.db import insert_unless_conflict

from . import services
from .errors import envelope
from .limits import EMAIL_BODY_PATHS
from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
MAX_KEY_LENGTH = 255
# Answers that say "try again differently": not stored, so a corrected retry can go through.
NOT_STORED = {401, 403, 409, 429}
UNIQUE = ("principal", "key")  # the idempotency_unique_key constraint


def _principal(request) -> str | None:
    """Who sent the request, authenticated: a stored response is replayed only to the token
    (or signed-in user) that caused it, and never to a revoked token or disabled user."""
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() == "bearer":
        token = services.api_token_for_request(request, key.strip())
        return f"t:{token.pk}" if token else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"u:{user.pk}"
    return None


def view_atomic(request):
    """The atomic block for a view's writes. Inside this middleware's transaction it takes no
    savepoint: on success one guards nothing, and on a domain error the middleware rolls the
    whole request back and records its answer afresh. Elsewhere it is a transaction (or, in
    a caller's transaction, a savepoint) as usual."""
    owned = getattr(request, "_cxdesk_idempotent_transaction", False)
    return transaction.atomic(savepoint=not owned)


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
            if not self._claim(principal, key, fingerprint):
                return self._replay(principal, key, fingerprint)
            request._cxdesk_idempotent_transaction = True  # see view_atomic
            try:
                response = self.get_response(request)
            finally:
                request._cxdesk_idempotent_transaction = False
            # A domain error raised through a view_atomic block marks this whole transaction
            # for rollback: its answer is recorded afresh below.
            doomed = transaction.get_rollback()
            if response.status_code >= 500 or doomed:
                transaction.set_rollback(True)
            elif self._not_stored(response):
                self._records(principal, key).delete()
                return response
            else:
                self._records(principal, key).update(**self._stored(response))
                return response
        if response.status_code < 500 and doomed and not self._not_stored(response):
            # What the view wrote is rolled back; its answer is kept for retries as usual. (A
            # retry that slipped in between runs again and gets the same answer.)
            with transaction.atomic():
                insert_unless_conflict(
                    IdempotencyRecord(
                        principal=principal,
                        key=key,
                        fingerprint=fingerprint,
                        **self._stored(response),
                    ),
                    unique=UNIQUE,
                )
        return response

    @staticmethod
    def _records(principal: str, key: str):
        return IdempotencyRecord.objects.filter(principal=principal, key=key)

    @staticmethod
    def _not_stored(response) -> bool:
        return response.status_code in NOT_STORED or getattr(response, "streaming", False)

    @staticmethod
    def _stored(response) -> dict:
        return {
            "status_code": response.status_code,
            "content_type": response.get("Content-Type", "application/json"),
            "body": response.content,
        }

    def _claim(self, principal: str, key: str, fingerprint: str) -> bool:
        """Take the key for this request, in its transaction: one INSERT that cannot fail
        (no savepoint needed). False when the key is taken — by a finished request, whose
        answer is replayed, or by one still running, which PostgreSQL waits for. A record
        older than a day no longer holds its key: it is replaced (the purge may lag)."""
        record = IdempotencyRecord(principal=principal, key=key, fingerprint=fingerprint)
        if insert_unless_conflict(record, unique=UNIQUE):
            return True
        stale = self._records(principal, key).filter(
            created_at__lt=timezone.now() - services.IDEMPOTENCY_TTL
        )
        if not stale.delete()[0]:
            return False
        return insert_unless_conflict(record, unique=UNIQUE)

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
