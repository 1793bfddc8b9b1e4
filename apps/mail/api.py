"""REST API for email in: a raw RFC 5322 upload, for an MTA that pipes mail to cxdesk.

    curl -X POST https://desk.example.com/api/v1/inbound/email/?mailbox=support@example.com \\
         -H "Authorization: Bearer cxd_…" -H "Content-Type: message/rfc822" \\
         --data-binary @message.eml

The message is stored before it is processed, so 202 means "kept": the body says what became
of it (processed into a case, duplicate, or failed with its error — it can be re-processed
from the admin). `case` and `interaction` are given only when the token's owner may see that
case (else null): mail threads by its content, possibly into another team's case. 4xx
answers are in the API's error envelope; a retry after a 5xx is safe (a redelivered
Message-ID creates nothing twice).
"""

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.parsers import BaseParser
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import ApiError

from . import selectors, services
from .models import InboundEmail


def max_inbound_email_bytes() -> int:
    return settings.CXDESK_MAX_INBOUND_EMAIL_BYTES


def _too_large(limit: int) -> ApiError:
    return ApiError(
        f"The message is larger than the {limit} bytes this endpoint accepts.",
        status_code=413,
        code="payload_too_large",
    )


class RawEmailParser(BaseParser):
    """The request body as bytes, unparsed: one RFC 5322 message (`message/rfc822`)."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None) -> bytes:
        limit = max_inbound_email_bytes()
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and str(declared).isdigit() and int(declared) > limit:
            raise _too_large(limit)
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise _too_large(limit)
        return bytes(data)


class OctetStreamEmailParser(RawEmailParser):
    """The same, for MTAs and tools that can only send `application/octet-stream`."""

    media_type = "application/octet-stream"


class InboundEmailOutput(serializers.ModelSerializer):
    """What became of an uploaded message. `case` and `interaction` name the case only when
    the caller may see it (context["case_visible"]): the message may thread into another
    team's case, and its id is not the uploader's to learn."""

    error = serializers.SerializerMethodField(
        help_text="Why processing failed (first line); empty otherwise"
    )

    class Meta:
        model = InboundEmail
        fields = [
            "id",
            "status",
            "source",
            "provider",
            "message_id",
            "mailbox",
            "case",
            "interaction",
            "is_auto_reply",
            "is_bounce",
            "error",
            "received_at",
            "processed_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "case": {
                "help_text": "The case it went to; null when there is none or the "
                "token's owner may not see it"
            },
            "interaction": {"help_text": "The interaction it became; null likewise"},
        }

    def get_error(self, obj: InboundEmail) -> str:
        return (obj.error or "").split("\n", 1)[0][:500]

    def to_representation(self, instance: InboundEmail) -> dict:
        data = super().to_representation(instance)
        if not self.context.get("case_visible", False):
            data["case"] = data["interaction"] = None
        return data


class InboundEmailUploadView(APIView):
    scope_resource = "cases"
    parser_classes = [RawEmailParser, OctetStreamEmailParser]

    @extend_schema(
        summary="Receive one raw email (RFC 5322)",
        description="For an MTA or mail relay that pipes mail to cxdesk. The body is the "
        "message exactly as received. It is stored first, then threaded into a "
        "case (In-Reply-To/References, then a [CX-000123-tag] subject token — a "
        "bare [CX-000123] only from a sender the case knows — else a new case); "
        "auto-replies and bounces never open or reopen a case. 202 whatever "
        "became of it: see `status` (processed, duplicate, failed); `case` and "
        "`interaction` are null unless the token's owner may see that case.",
        request={
            "message/rfc822": OpenApiTypes.BINARY,
            "application/octet-stream": OpenApiTypes.BINARY,
        },
        parameters=[
            OpenApiParameter(
                "mailbox",
                str,
                OpenApiParameter.QUERY,
                required=False,
                description="Address of the mailbox it was sent to (its team gets new cases); "
                "found from the recipients when left out.",
            )
        ],
        responses={202: InboundEmailOutput},
    )
    def post(self, request):
        raw = request.data
        if not isinstance(raw, bytes):
            if request.content_type and request.content_type.split(";")[0].strip().lower() not in (
                "message/rfc822",
                "application/octet-stream",
            ):
                raise UnsupportedMediaType(request.content_type)
            raw = b""
        if not raw.strip():
            raise ApiError(
                "The request body is empty: send the raw message.",
                status_code=400,
                code="empty_message",
                fields={"body": ["The raw RFC 5322 message is required."]},
            )
        mailbox = None
        address = request.query_params.get("mailbox", "").strip()
        if address and (len(address) > 320 or any(ord(c) < 32 or ord(c) == 127 for c in address)):
            raise ApiError(
                "Some fields are invalid.",
                status_code=400,
                code="validation_error",
                fields={
                    "mailbox": [
                        "Not an email address (control characters, or longer than 320 characters)."
                    ]
                },
            )
        if address:
            mailbox = selectors.mailbox_by_address(address=address)
            if mailbox is None:
                raise ApiError(
                    "Some fields are invalid.",
                    status_code=400,
                    code="validation_error",
                    fields={"mailbox": [f"No mailbox has the address {address!r}."]},
                )
        inbound = services.email_receive(
            raw=raw, source=InboundEmail.Source.UPLOAD, mailbox=mailbox
        )
        visible = selectors.case_visible_to(case_id=inbound.case_id, user=request.user)
        return Response(
            InboundEmailOutput(inbound, context={"case_visible": visible}).data,
            status=status.HTTP_202_ACCEPTED,
        )
