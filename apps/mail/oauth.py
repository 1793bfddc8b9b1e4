"""OAuth2 access tokens for XOAUTH2 mailboxes (Microsoft 365, Google).

A mailbox keeps a refresh token (given once, when an admin authorised the app) and the
current access token with its expiry, all encrypted at rest. `access_token_get` returns a
token that is valid for at least another minute, refreshing it first when needed with the
standard OAuth2 refresh_token grant (RFC 6749 §6) at the mailbox's token URL:

    POST oauth2_token_url
    grant_type=refresh_token&refresh_token=…&client_id=…[&client_secret=…]

The answer's access_token and expires_in are stored; a rotated refresh_token (Microsoft
rotates them) replaces the old one.
"""

from datetime import datetime, timedelta

import httpx
from django.utils import timezone

from .models import Mailbox

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
EARLY = timedelta(seconds=60)  # refresh this long before the token expires
DEFAULT_LIFETIME = timedelta(minutes=50)  # when the server does not say (expires_in)


class OAuthError(Exception):
    """The token could not be refreshed; the message says why, for the admin."""


def access_token_get(
    mailbox: Mailbox, *, force_refresh: bool = False, now: datetime | None = None
) -> str:
    """A valid access token for `mailbox`, refreshed (and stored) when expired or forced."""
    now = now or timezone.now()
    fresh = mailbox.oauth2_expires_at is not None and mailbox.oauth2_expires_at - EARLY > now
    if mailbox.oauth2_access_token and fresh and not force_refresh:
        return mailbox.oauth2_access_token
    return access_token_refresh(mailbox, now=now)


def access_token_refresh(mailbox: Mailbox, *, now: datetime | None = None) -> str:
    """Exchange the refresh token for a new access token; store it on the mailbox."""
    if not mailbox.oauth2_token_url or not mailbox.oauth2_refresh_token:
        raise OAuthError(
            "OAuth2 needs a token URL and a refresh token: authorise the mailbox "
            "again and paste its refresh token"
        )
    data = {"grant_type": "refresh_token", "refresh_token": mailbox.oauth2_refresh_token}
    if mailbox.oauth2_client_id:
        data["client_id"] = mailbox.oauth2_client_id
    if mailbox.oauth2_client_secret:
        data["client_secret"] = mailbox.oauth2_client_secret
    try:
        with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as client:
            response = client.post(
                mailbox.oauth2_token_url, data=data, headers={"Accept": "application/json"}
            )
    except httpx.HTTPError as exc:
        raise OAuthError(
            f"OAuth2 token endpoint {mailbox.oauth2_token_url} did not answer: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    if response.status_code != 200 or not body.get("access_token"):
        reason = body.get("error") or f"HTTP {response.status_code}"
        detail = body.get("error_description") or response.text[:200]
        raise OAuthError(f"OAuth2 token refresh refused ({reason}): {detail}".strip())
    now = now or timezone.now()
    try:
        lifetime = timedelta(seconds=int(body["expires_in"]))
    except (KeyError, TypeError, ValueError):
        lifetime = DEFAULT_LIFETIME
    mailbox.oauth2_access_token = str(body["access_token"])
    mailbox.oauth2_expires_at = now + lifetime
    fields = ["oauth2_access_token", "oauth2_expires_at"]
    if body.get("refresh_token"):
        mailbox.oauth2_refresh_token = str(body["refresh_token"])
        fields.append("oauth2_refresh_token")
    # UPDATE rather than save(): only these columns, so a concurrent admin edit of the other
    # settings is not overwritten; the encrypted field encrypts in UPDATE too.
    Mailbox.objects.filter(pk=mailbox.pk).update(**{f: getattr(mailbox, f) for f in fields})
    return mailbox.oauth2_access_token
