"""Limits on every request body, enforced before any view reads it, answered in the API's
error envelope.

Size (413 ``payload_too_large``): CXDESK_MAX_REQUEST_BYTES (1 MiB) for every endpoint — the
API, the chat widget's public endpoints, the social and Twilio webhooks, the web pages — so
no anonymous caller makes cxdesk read a large body; the endpoints that take whole emails
(EMAIL_BODY_PATHS: the raw upload and the email providers' webhooks) are held to
CXDESK_MAX_INBOUND_EMAIL_BYTES instead. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE is set to
the larger of the two, so it is a backstop, not the cap.

Bodies without a Content-Length (``Transfer-Encoding: chunked``) or with an understated one:
under WSGI Django never reads past Content-Length (a chunked body reads as empty), so the
declared length is the bound; under ASGI Django has spooled the whole body to a temporary
file (on disk past FILE_UPLOAD_MAX_MEMORY_SIZE) before any middleware runs, and its real
size is measured there without reading it. Any other unseekable stream of unknown length is
read at most one byte past the cap. The proxy in front should still cap bodies too.
"""

import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse

from .errors import envelope

# Endpoints whose body is a whole email (or a provider's webhook carrying one), held to
# CXDESK_MAX_INBOUND_EMAIL_BYTES. Prefixes of request.path_info (see cxdesk/urls.py).
EMAIL_BODY_PATHS = ("/api/v1/inbound/email/", "/channels/email/")


def body_limit(path_info: str) -> int:
    if path_info.startswith(EMAIL_BODY_PATHS):
        return settings.CXDESK_MAX_INBOUND_EMAIL_BYTES
    return settings.CXDESK_MAX_REQUEST_BYTES


def _declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def body_size_over(request, limit: int) -> int | None:
    """The body's size when it is over `limit` (as far as known: a read stops at limit + 1),
    else None. Reads nothing unless the stream is unseekable and of unknown length."""
    declared = _declared_length(request)
    if declared > limit:
        return declared
    # Django keeps the body stream in the private `_stream` until something reads it.
    stream = getattr(request, "_stream", None)
    if stream is None or hasattr(request, "_body"):
        return None
    if stream.seekable():  # ASGI: the whole body is spooled already
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return size if size > limit else None
    if declared or isinstance(stream, LimitedStream):
        return None  # WSGI: nothing past Content-Length is ever read
    head = stream.read(limit + 1)
    request._stream = io.BytesIO(head)
    return len(head) if len(head) > limit else None


class RequestBodyLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = body_limit(request.path_info)
        size = body_size_over(request, limit)
        if size is not None:
            return JsonResponse(envelope(
                413, "payload_too_large",
                f"The request body is {size} bytes or more; this endpoint accepts at most "
                f"{limit}."), status=413)
        return self.get_response(request)
