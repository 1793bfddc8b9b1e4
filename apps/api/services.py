"""Writes on API credentials and idempotency records."""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from django.http import HttpRequest
from django.utils import timezone
from rest_framework.request import Request

from apps.accounts.types import User
from apps.core.errors import DomainError

from .models import ApiToken, IdempotencyRecord

TOKEN_PREFIX = "cxd"
IDEMPOTENCY_TTL = timedelta(hours=24)


class TokenError(DomainError, ValueError):
    code = "invalid_token_request"
    status = 400


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, owner: User, name: str, scopes: list[str]) -> tuple[ApiToken, str]:
    """A new token and its key. The key is returned once here and never stored."""
    unknown = sorted(set(scopes) - set(ApiToken.Scope.values))
    if unknown:
        raise TokenError(f"unknown scopes: {', '.join(unknown)}")
    if not scopes:
        raise TokenError("a token needs at least one scope")
    if not (name or "").strip():
        raise TokenError("a token needs a name")
    prefix = secrets.token_hex(6)
    key = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        owner=owner,
        name=name.strip(),
        prefix=prefix,
        key_hash=hash_key(key),
        scopes=sorted(set(scopes)),
    )
    return token, key


def api_token_revoke(*, token_id: int) -> ApiToken:
    token = ApiToken.objects.get(pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token this key belongs to, or None. Constant-time on the secret part."""
    parts = (key or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    try:
        # get(), not first(): the prefix is unique, so no ORDER BY to build or run.
        token = ApiToken.objects.select_related("owner", "owner__profile").get(
            prefix=parts[1], revoked_at__isnull=True
        )
    except ApiToken.DoesNotExist:
        return None
    if not secrets.compare_digest(token.key_hash, hash_key(key)):
        return None
    if not token.owner.is_active:
        return None
    return token


def api_token_for_request(request: HttpRequest | Request, key: str) -> ApiToken | None:
    """`api_token_authenticate(key)`, once per request: the idempotency middleware and DRF's
    authentication both need the token, and the second asks the request, not the database."""
    http_request: HttpRequest = getattr(request, "_request", request)  # DRF wraps Django's
    cached = getattr(http_request, "_cxdesk_api_token", None)
    if cached is not None and cached[0] == key:
        return cast(ApiToken | None, cached[1])
    token = api_token_authenticate(key)
    http_request._cxdesk_api_token = (key, token)  # type: ignore[attr-defined]
    return token


def api_token_touch(token: ApiToken, *, every: timedelta = timedelta(minutes=1)) -> None:
    """Record use, at most once a minute per token, so busy tokens do not write every request."""
    now = timezone.now()
    if token.last_used_at and now - token.last_used_at < every:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


def idempotency_records_purge(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - IDEMPOTENCY_TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
