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

JSON nesting (400 ``json_too_deep``): a body nesting arrays and objects deeper than
MAX_JSON_DEPTH is refused before a view parses it. Python's json gives up with RecursionError
near 1,000 levels — fewer, the deeper the stack it is called from — and code that walks or
re-encodes a parsed body recurses again, so without this every JSON endpoint (DRF's parser,
the chat widget, the social webhooks' json.loads, django-anymail) is a 500 for anyone. Every
body is checked except forms (read by Django's form parsers, never as JSON): the social
webhooks and anymail parse JSON whatever the Content-Type says. The email endpoints are the
exception in where, not whether: the raw upload is never JSON, and the provider webhooks are
checked by apps/mail/webhooks.guard once the request is authenticated, so an anonymous body
of up to 50 MiB costs no scan there. The body is scanned as UTF-8 and, when its charset or
byte pattern says otherwise, as its consumers would decode it (DRF by the charset,
json.loads(bytes) by its UTF-16/32 detection), so a declared charset cannot hide brackets.
"""

import codecs
import io
import json
import re
from itertools import accumulate

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.http import JsonResponse, UnreadablePostError

from .errors import envelope

# Endpoints whose body is a whole email (or a provider's webhook carrying one), held to
# CXDESK_MAX_INBOUND_EMAIL_BYTES. Prefixes of request.path_info (see cxdesk/urls.py).
EMAIL_BODY_PATHS = ("/api/v1/inbound/email/", "/channels/email/")


# Deep enough for any provider's payload (Meta's and X's nest under 10) and any API body.
MAX_JSON_DEPTH = 64
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")

_JSON_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DEPTH_STEPS = bytes.maketrans(b"[]{}", b"\x01\xff\x01\xff")  # +1 / -1 as signed bytes
_BYTE_EXACT = {"utf-8", "utf-8-sig", "ascii"}  # codecs whose brackets and quotes are bytes


def _utf8_depth_over(body: bytes, limit: int) -> bool:
    """Do the arrays and objects of this UTF-8 text nest deeper than `limit`? Strings are
    cut out first (brackets inside them do not count); an unterminated string runs to the
    end. Invalid JSON gets some answer — its parser refuses it anyway. Linear, in C loops."""
    outside = _JSON_STRING.sub(b"", body)
    quote = outside.find(b'"')
    if quote >= 0:
        outside = outside[:quote]
    steps = outside.translate(_DEPTH_STEPS, _NOT_BRACKETS)
    if len(steps) <= limit:
        return False
    return any(map(limit.__lt__, accumulate(memoryview(steps).cast("b"))))


def json_too_deep(body: bytes, *, charset: str | None = None, limit: int = MAX_JSON_DEPTH) -> bool:
    """Does `body`, read as JSON the way any of its consumers might decode it, nest arrays
    and objects deeper than `limit`?"""
    if not body:
        return False
    if _utf8_depth_over(body, limit):
        return True
    for encoding in {json.detect_encoding(body), charset or "utf-8"}:
        try:
            if codecs.lookup(encoding).name in _BYTE_EXACT:
                continue
            text = body.decode(encoding, "replace")  # text codecs only (not bz2_codec…)
        except LookupError:
            continue
        if _utf8_depth_over(text.encode("utf-8", "replace"), limit):
            return True
    return False


def json_depth_error(request) -> JsonResponse | None:
    """The 400 for a request whose body nests JSON too deep (or cannot be read), else None.
    Reads the body: call it once the body is known to be within its size cap."""
    if request.content_type in FORM_CONTENT_TYPES:
        return None
    try:
        body = request.body
    except UnreadablePostError:
        return JsonResponse(
            envelope(400, "bad_request", "The request body could not be read."), status=400
        )
    except RequestDataTooBig:  # DATA_UPLOAD_MAX_MEMORY_SIZE set below the cap
        return JsonResponse(
            envelope(
                413, "payload_too_large", "The request body is larger than this endpoint accepts."
            ),
            status=413,
        )
    if json_too_deep(body, charset=request.encoding):
        return JsonResponse(
            envelope(
                400,
                "json_too_deep",
                f"The JSON body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels.",
            ),
            status=400,
        )
    return None


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
            return JsonResponse(
                envelope(
                    413,
                    "payload_too_large",
                    f"The request body is {size} bytes or more; this endpoint accepts at most "
                    f"{limit}.",
                ),
                status=413,
            )
        if not request.path_info.startswith(EMAIL_BODY_PATHS):  # see the module docstring
            error = json_depth_error(request)
            if error is not None:
                return error
        return self.get_response(request)
