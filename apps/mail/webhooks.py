"""The guard in front of every django-anymail webhook view (mounted by urls.py).

Anymail's views read the body before, or while, they check who sent it — a provider's
signature check parses the JSON it arrived in — and fail with exceptions Django answers as
500: a provider whose key is not set raises a configuration error on every request, a
payload of an unexpected shape crashes the check. So each request passes here first:

- No ANYMAIL_WEBHOOK_SECRET set: 403 ``webhook_secret_missing`` (anymail itself would accept
  anyone's POST).
- A POST without those basic-auth credentials (or with wrong ones): 401 with
  ``WWW-Authenticate: Basic`` — Amazon SNS sends credentials only after that challenge —
  and no provider code runs. HEAD, OPTIONS and GET (providers verify a URL with them; they
  carry no events) go to anymail as they are.
- A provider anymail reports as not configured (its signing key unset, a package it needs
  missing): 503 ``provider_not_configured``, the missing piece logged as a warning. A 5xx,
  not a 404, because a provider that really was pointed here keeps retrying until someone
  sets it, while Amazon SNS drops a message answered with any 4xx.
- An authenticated POST whose JSON nests deeper than apps.api.limits.MAX_JSON_DEPTH: 400
  ``json_too_deep`` (checked here, after the credentials, not for anonymous bodies).
- A signature or payload anymail refuses (AnymailWebhookValidationFailure): 400
  ``invalid_webhook``.
- Anything else failing inside anymail or while storing the message: logged with its
  traceback, 503 ``unavailable``, so the provider retries later.

Every error is the API's envelope. Body size is bounded before this runs (apps/api/limits.py).
"""

import logging
from functools import wraps

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig, SuspiciousOperation
from django.http import JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from apps.api.errors import envelope
from apps.api.limits import json_depth_error

logger = logging.getLogger(__name__)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
REALM = 'Basic realm="cxdesk email webhooks"'


def webhook_secrets() -> list[str]:
    """The accepted "user:password" values, read the way anymail reads them."""
    secret = get_anymail_setting("webhook_secret", default=[])
    return [secret] if isinstance(secret, str) and secret else [s for s in secret or [] if s]


def _authenticated(request, secrets: list[str]) -> bool:
    sent = get_request_basic_auth(request) or ""
    # any() may stop early: that reveals how many secrets there are, never their contents.
    return bool(sent) and any(constant_time_compare(sent, secret) for secret in secrets)


def _error(status: int, code: str, message: str, **headers) -> JsonResponse:
    response = JsonResponse(envelope(status, code, message), status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def guard(view):
    """Wrap one anymail view function as described above."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        secrets = webhook_secrets()
        if not secrets:
            return _error(
                403,
                "webhook_secret_missing",
                "Email provider webhooks are off "
                "until ANYMAIL_WEBHOOK_SECRET is set (basic auth user:password).",
            )
        if request.method not in SAFE_METHODS and not _authenticated(request, secrets):
            return _error(
                401,
                "not_authenticated",
                "Send the webhook's basic-auth credentials (ANYMAIL_WEBHOOK_SECRET).",
                **{"WWW-Authenticate": REALM},
            )
        if request.method not in SAFE_METHODS:
            too_deep = json_depth_error(request)  # after authentication: see apps/api/limits
            if too_deep is not None:
                return too_deep
        try:
            return view(request, *args, **kwargs)
        except ImproperlyConfigured as exc:  # anymail's configuration and installation errors
            logger.warning("email webhook %s is not configured: %s", request.path, exc)
            return _error(
                503,
                "provider_not_configured",
                "This email provider's webhook is not configured on this server.",
            )
        except AnymailWebhookValidationFailure as exc:
            logger.warning("email webhook %s refused: %s", request.path, exc)
            return _error(400, "invalid_webhook", str(exc))
        except RequestDataTooBig:
            return _error(
                413, "payload_too_large", "The body is larger than this endpoint accepts."
            )
        except SuspiciousOperation:
            return _error(400, "bad_request", "The request was refused as malformed.")
        except Exception:
            logger.exception("email webhook %s failed", request.path)
            return _error(
                503,
                "unavailable",
                "The webhook could not be handled now; it was logged. Retry later.",
            )

    return csrf_exempt(guarded)
