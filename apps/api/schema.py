"""drf-spectacular hooks: the token scheme, the error envelope and Idempotency-Key on POSTs."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


ERROR_DESCRIPTIONS = {
    400: "Invalid input: `fields` names each bad field.",
    401: "No credentials, or a token that is invalid or revoked.",
    403: "The token lacks the scope this request needs.",
    404: "No such object, or not visible to you.",
    405: "Method not allowed on this endpoint.",
    409: "The object's state does not allow this, or the Idempotency-Key is in use.",
    413: "The request body is too large.",
    415: "Send `Content-Type: application/json`.",
    422: "The Idempotency-Key was used with a different request.",
    429: "Too many requests: see `Retry-After`.",
}


class CxAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        method = self.method.upper()
        codes = [400, 401, 403, 404, 405, 413, 415, 429]
        if method == "GET":
            codes = [400, 401, 403, 404, 405, 429]
        if method == "POST":
            codes += [409, 422]
        if method in ("PATCH", "PUT", "DELETE"):
            codes += [409]
        for code in codes:
            responses.setdefault(
                str(code),
                self._get_response_for_code(
                    OpenApiResponse(response=ErrorSerializer,
                                    description=ERROR_DESCRIPTIONS[code]),
                    str(code),
                ),
            )
        return responses

    def get_override_parameters(self):
        params = super().get_override_parameters()
        if self.method.upper() == "POST":
            params = [
                *params,
                OpenApiParameter(
                    "Idempotency-Key", str, OpenApiParameter.HEADER, required=False,
                    description="Any unique string (a UUID). A retry with the same key and body "
                                "returns the first response and creates nothing.",
                ),
            ]
        return params


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.TokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "cxd_<prefix>_<secret>",
                "description": "A named API token created in the admin (shown once)."}
