"""The API's request body cap (CXDESK_MAX_REQUEST_BYTES), answered in the error envelope.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE is set high enough for whole raw emails; JSON API bodies
are held to the smaller cap here, before anything reads them.
"""

from django.conf import settings
from django.http import JsonResponse

from .errors import envelope

# Endpoints that take a raw message as their body, bounded by their own limit.
RAW_BODY_PATHS = ("/api/v1/inbound/email/",)


class ApiBodySizeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/") and not request.path.startswith(RAW_BODY_PATHS):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            limit = settings.CXDESK_MAX_REQUEST_BYTES
            if length > limit:
                return JsonResponse(envelope(
                    413, "payload_too_large",
                    f"The request body is {length} bytes; the API accepts at most {limit}."),
                    status=413)
        return self.get_response(request)
