"""drf-spectacular hooks: the token scheme, the error envelope, Idempotency-Key on POSTs, and
the constraints the API really enforces, so that clients (and Schemathesis) can trust them:

- request bodies of strict input serializers refuse unknown fields: `additionalProperties:
  false`;
- ids, in paths and in bodies, are integers from 1 to 2**63 - 1;
- lists that may not be empty say `minItems: 1`, and many=True lists their `maxItems`;
- `Idempotency-Key` is 1–255 visible ASCII characters (spaces only inside);
- an update serializer that needs at least one field (`min_fields = 1`) says
  `minProperties: 1`.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers

from .filters import ID_SCHEMA
from .idempotency import MAX_KEY_LENGTH
from .limits import EMAIL_BODY_PATHS
from .serializers import StrictInputSerializer

IDEMPOTENCY_KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_KEY_LENGTH,
    "pattern": r"^[!-~](?:[ -~]*[!-~])?$",
}


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
                    OpenApiResponse(response=ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    str(code),
                ),
            )
        return responses

    def get_override_parameters(self):
        params = super().get_override_parameters()
        if self.method.upper() == "POST" and not self.path.startswith(EMAIL_BODY_PATHS):
            # Raw email uploads ignore the key: their Message-ID de-duplicates retries.
            params = [
                *params,
                OpenApiParameter(
                    "Idempotency-Key",
                    IDEMPOTENCY_KEY_SCHEMA,
                    OpenApiParameter.HEADER,
                    required=False,
                    description="Any unique string (a UUID): 1–255 visible ASCII characters. "
                    "A retry with the same key and body returns the first response "
                    "and creates nothing.",
                ),
            ]
        return params

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["name"] == "id" or parameter["name"].endswith("_pk"):
                parameter["schema"] = dict(ID_SCHEMA)
        return parameters

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction != "request" or schema is None or "$ref" in schema:
            return schema
        if isinstance(field, serializers.PrimaryKeyRelatedField):
            schema.update({k: v for k, v in ID_SCHEMA.items() if k != "type"})
        elif isinstance(field, serializers.ManyRelatedField):
            schema["items"].update({k: v for k, v in ID_SCHEMA.items() if k != "type"})
        if isinstance(field, serializers.ListField | serializers.ListSerializer):
            if not field.allow_empty:
                schema["minItems"] = 1
            if getattr(field, "max_length", None) is not None:
                schema["maxItems"] = field.max_length
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(serializer, StrictInputSerializer):
            schema["additionalProperties"] = False
            if getattr(serializer, "min_fields", 0):
                schema["minProperties"] = serializer.min_fields
            if schema.get("description") == get_doc(StrictInputSerializer):
                del schema["description"]  # inherited: says nothing of this body
        return schema


class TokenAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.api.authentication.TokenAuthentication"
    name = "ApiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cxd_<prefix>_<secret>",
            "description": "A named API token created in the admin (shown once).",
        }
