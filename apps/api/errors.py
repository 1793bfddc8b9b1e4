"""One error envelope for every 4xx (and the rare 5xx) of the API.

    {"error": {"status": 400, "code": "validation_error", "message": "…",
               "fields": {"subject": ["This field is required."]}}}

`fields` is present only for validation errors. Domain errors raised by the services map here
too, so views never catch them one by one.
"""

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import DomainError

CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "throttled",
}


class ApiError(exceptions.APIException):
    """An error with an explicit status and code, raised by API code itself."""

    def __init__(self, message: str, *, status_code: int, code: str, fields=None):
        self.status_code = status_code
        self.code = code
        self.fields = fields
        super().__init__(detail=message, code=code)


def envelope(status_code: int, code: str, message: str, fields=None) -> dict:
    body = {"status": status_code, "code": code, "message": message}
    if fields is not None:
        body["fields"] = fields
    return {"error": body}


def flatten_fields(detail, prefix: str = "") -> dict[str, list[str]]:
    """Nested serializer errors as one level: {"message.body_text": ["…"], "identities.1.kind":
    ["…"]}. Errors of a nested object as a whole go under the object's own name."""
    flat: dict[str, list[str]] = {}

    def put(key, messages):
        flat.setdefault(key or "non_field_errors", []).extend(str(m) for m in messages)

    if isinstance(detail, dict):
        for name, value in detail.items():
            key = (
                prefix
                if name == "non_field_errors" and prefix
                else (f"{prefix}.{name}" if prefix else str(name))
            )
            for sub_key, messages in flatten_fields(value, key).items():
                put(sub_key, messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            put(prefix, detail)
        else:
            for index, item in enumerate(detail):
                if item:
                    for sub_key, messages in flatten_fields(
                        item, f"{prefix}.{index}" if prefix else str(index)
                    ).items():
                        put(sub_key, messages)
    else:
        put(prefix, [detail])
    return flat


def _flatten_message(detail) -> str:
    if isinstance(detail, list) and detail:
        return _flatten_message(detail[0])
    if isinstance(detail, dict) and detail:
        return _flatten_message(next(iter(detail.values())))
    return str(detail)


def _domain_error(exc):
    """Map service exceptions to (status, code, message, fields), or None. Every app's
    errors are DomainErrors and say their own status and code (apps/core/errors.py)."""
    if isinstance(exc, DomainError):
        return exc.status, exc.code, exc.message, exc.fields
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return 400, "validation_error", "Some fields are invalid.", fields
    if isinstance(exc, RequestDataTooBig):
        return 413, "payload_too_large", "The request body is larger than the API accepts.", None
    if isinstance(exc, SuspiciousOperation):
        return 400, "bad_request", "The request was refused as malformed.", None
    return None


def exception_handler(exc, context):
    domain = _domain_error(exc)
    if domain:
        status_code, code, message, fields = domain
        return Response(envelope(status_code, code, message, fields), status=status_code)

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a bug: Django answers 500 (JSON for the API, see server_error)

    status_code = response.status_code
    if isinstance(exc, ApiError):
        response.data = envelope(status_code, exc.code, str(exc.detail), exc.fields)
    elif isinstance(exc, exceptions.ValidationError):
        fields = flatten_fields(
            exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        )
        response.data = envelope(
            status_code,
            "validation_error",
            _flatten_message(exc.detail)
            if not isinstance(exc.detail, dict)
            else "Some fields are invalid.",
            fields,
        )
    elif isinstance(exc, exceptions.ParseError):
        response.data = envelope(status_code, "malformed_request", str(exc.detail))
    else:
        code = getattr(exc, "default_code", None) or CODES.get(status_code, "error")
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            code = "not_authenticated"
        response.data = envelope(status_code, code, _flatten_message(exc.detail))
    return response


# Django-level handlers: URLs no view matched, and crashes, under /api/ answer in the envelope.


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    if _is_api(request):
        return JsonResponse(envelope(404, "not_found", "No such endpoint."), status=404)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


def server_error(request):
    if _is_api(request):
        return JsonResponse(
            envelope(500, "server_error", "Something went wrong on our side; it was logged."),
            status=500,
        )
    from django.views.defaults import server_error as django_server_error

    return django_server_error(request)


def bad_request(request, exception=None):
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse(
                envelope(
                    413, "payload_too_large", "The request body is larger than the API accepts."
                ),
                status=413,
            )
        return JsonResponse(envelope(400, "bad_request", "The request was malformed."), status=400)
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)


__all__ = [
    "ApiError",
    "envelope",
    "exception_handler",
    "not_found",
    "server_error",
    "bad_request",
    "status",
]
