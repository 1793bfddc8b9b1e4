"""REST API for cases and their interactions: scope, validate, call one service, serialize."""

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from apps.api.errors import ApiError
from apps.api.filters import ID_SCHEMA
from apps.api.idempotency import view_atomic
from apps.api.pagination import CxCursorPagination
from apps.api.schema import ErrorSerializer
from apps.contacts import services as contact_services
from apps.rootcauses import selectors as root_cause_selectors
from apps.sla import selectors as sla_selectors
from apps.sla.serializers import CaseMetricsOutput, SlaStateOutput

from . import downloads, selectors, services
from .filters import CaseFilter
from .models import Attachment, Case, Interaction, Tag
from .serializers import (
    CaseCreateInput,
    CaseDetailOutput,
    CaseOutput,
    CaseUpdateInput,
    IdentityInput,
    InteractionCreateInput,
    InteractionOutput,
    TagOutput,
)


@extend_schema_view(
    list=extend_schema(
        summary="List the cases you may see",
        description="Cursor-paginated; filters combine with AND.",
    ),
    retrieve=extend_schema(
        summary="One case, with its suggested root causes", responses={200: CaseDetailOutput}
    ),
)
class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "cases"
    serializer_class = CaseOutput
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = CaseFilter
    ordering_fields = ["created_at", "updated_at"]
    ordering = ["-created_at"]
    pagination_class = CxCursorPagination
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        cases = selectors.case_list_for(user=self.request.user).order_by()
        if self.action == "retrieve":
            cases = cases.prefetch_related(root_cause_selectors.suggestions_prefetch())
        return cases

    def get_serializer_class(self):
        return CaseDetailOutput if self.action == "retrieve" else CaseOutput

    @extend_schema(
        summary="Open a case",
        request=CaseCreateInput,
        responses={201: CaseOutput},
        description="The requester is found or created from the identity given.",
    )
    def create(self, request):
        data = CaseCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        message = d.get("message", {})
        with view_atomic(request):  # the contact and the case, or neither
            requester, _ = contact_services.contact_find_or_create(
                **IdentityInput.identity_of(d["requester"])
            )
            case = services.case_open(
                requester=requester,
                subject=d["subject"],
                channel=d["channel"],
                priority=d["priority"],
                team=d.get("team"),
                assignee=d.get("assignee"),
                tags=d.get("tags", ()),
                custom_fields=d.get("custom_fields"),
                root_cause=d.get("root_cause"),
                actor=request.user,
                body_text=message.get("body_text", ""),
                body_html=message.get("body_html", ""),
                external_id=message.get("external_id", ""),
                metadata=message.get("metadata"),
                occurred_at=message.get("occurred_at"),
            ).case
        # requester, team, assignee and tags are the objects case_open was given or made.
        return Response(CaseOutput(case).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a case",
        request=CaseUpdateInput,
        responses={200: CaseOutput},
        description="Status changes follow the allowed transitions (409 otherwise).",
    )
    def partial_update(self, request, pk=None):
        case = self.get_object()
        data = CaseUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.case_update(case_id=case.pk, actor=request.user, **data.validated_data)
        return Response(CaseOutput(self._reload(case.pk)).data)

    @extend_schema(summary="The case's SLA state", responses={200: SlaStateOutput})
    @action(detail=True, methods=["get"])
    def sla(self, request, pk=None):
        return Response(SlaStateOutput(sla_selectors.case_sla_state(self.get_object())).data)

    @extend_schema(
        summary="The case's metrics and first-contact resolution",
        responses={200: CaseMetricsOutput},
        description="Response, resolution, wait and handle times (calendar and business), "
        "reopens, agent replies, FCR (provisional until the FCR window has passed) and its "
        "one-touch and no-follow-up variants; recomputed with the SLA clocks after each "
        "change of the case.",
    )
    @action(detail=True, methods=["get"])
    def metrics(self, request, pk=None):
        return Response(CaseMetricsOutput(sla_selectors.case_metrics(self.get_object())).data)

    def _reload(self, case_id: int) -> Case:
        return (
            Case.objects.select_related("requester", "team", "assignee", "root_cause")
            .prefetch_related("tags")
            .get(pk=case_id)
        )


@extend_schema_view(
    list=extend_schema(summary="A case's interactions, oldest first"),
)
class CaseInteractionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_resource = "cases"
    serializer_class = InteractionOutput
    pagination_class = CxCursorPagination
    lookup_value_regex = r"\d+"

    def get_case(self) -> Case:
        return get_object_or_404(
            Case.objects.visible_to(self.request.user), pk=self.kwargs["case_pk"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Interaction.objects.none()
        return (
            Interaction.objects.filter(case=self.get_case())
            .select_related("author_contact", "author_agent")
            .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))
        )

    def perform_content_negotiation(self, request, force=False):
        # A download is not rendered, so any Accept (application/octet-stream, */*) is fine;
        # its errors are JSON whatever the client asked for.
        return super().perform_content_negotiation(
            request, force=force or self.action == "download"
        )

    @extend_schema(
        summary="Download one attachment of an interaction",
        description="The file's bytes as sent, always as `application/octet-stream` with "
        "`Content-Disposition: attachment` (the original filename, RFC 5987), "
        "`X-Content-Type-Options: nosniff` and `Content-Security-Policy: sandbox`. "
        "The interaction's `attachments[].download_url` links here.",
        parameters=[
            OpenApiParameter(
                "case_pk", ID_SCHEMA, OpenApiParameter.PATH, description="The case's id"
            ),
            OpenApiParameter(
                "id", ID_SCHEMA, OpenApiParameter.PATH, description="The interaction's id"
            ),
            OpenApiParameter(
                "attachment_pk", ID_SCHEMA, OpenApiParameter.PATH, description="The attachment's id"
            ),
        ],
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            410: OpenApiResponse(
                ErrorSerializer,
                description="The attachment is listed but its file is missing from storage.",
            ),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_name="attachment-download",
        url_path=r"attachments/(?P<attachment_pk>\d+)/download",
    )
    def download(self, request, case_pk=None, pk=None, attachment_pk=None):
        try:
            attachment = selectors.attachment_for_download(
                user=request.user,
                case_id=int(case_pk),
                interaction_id=int(pk),
                attachment_id=int(attachment_pk),
            )
        except Attachment.DoesNotExist:
            raise ApiError("No such attachment.", status_code=404, code="not_found") from None
        try:
            return downloads.attachment_response(attachment)
        except downloads.AttachmentMissing as missing:
            raise ApiError(f"{missing}.", status_code=410, code="attachment_missing") from None

    def paginate_queryset(self, queryset):
        self.paginator.ordering = "occurred_at"
        return super().paginate_queryset(queryset)

    @extend_schema(
        summary="Add a message, reply or note",
        request=InteractionCreateInput,
        responses={201: InteractionOutput, 200: InteractionOutput},
        description="200 (and nothing new) when `external_id` was seen on that channel already.",
    )
    def create(self, request, case_pk=None):
        case = self.get_case()
        data = InteractionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        channel = d.get("channel", case.channel)
        external_id = d.get("external_id", "")
        if external_id:  # (a note has none: InteractionCreateInput refuses it there)
            existing = (
                Interaction.objects.select_related("author_contact", "author_agent")
                .filter(channel=channel, external_id=external_id)
                .first()
            )
            if existing is not None:
                # A retry: answer with what was stored — but only from a case the caller may
                # see; an id used on someone else's case reveals nothing of it.
                if not Case.objects.visible_to(request.user).filter(pk=existing.case_id).exists():
                    raise ApiError(
                        "This external_id is already used on this channel.",
                        status_code=409,
                        code="external_id_taken",
                    )
                return Response(self.get_serializer(existing).data, status=status.HTTP_200_OK)
        body = {"body_text": d.get("body_text", ""), "body_html": d.get("body_html", "")}
        with transaction.atomic():
            if d["type"] == "message":
                author = case.requester
                if "author" in d:
                    author, _ = contact_services.contact_find_or_create(
                        **IdentityInput.identity_of(d["author"])
                    )
                interaction = services.interaction_add(
                    case_id=case.pk,
                    channel=channel,
                    direction=Interaction.Direction.INBOUND,
                    author_contact=author,
                    external_id=external_id,
                    metadata=d.get("metadata"),
                    occurred_at=d.get("occurred_at"),
                    **body,
                )
            elif d["type"] == "reply":
                interaction = services.case_reply(
                    case_id=case.pk,
                    agent=request.user,
                    channel=channel,
                    then_status=d.get("status"),
                    metadata=d.get("metadata"),
                    external_id=external_id,
                    occurred_at=d.get("occurred_at"),
                    **body,
                )
            else:
                interaction = services.case_note(case_id=case.pk, agent=request.user, **body)
        interaction = Interaction.objects.select_related("author_contact", "author_agent").get(
            pk=interaction.pk
        )
        return Response(self.get_serializer(interaction).data, status=status.HTTP_201_CREATED)


@extend_schema_view(list=extend_schema(summary="Every tag in use"))
class TagViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_resource = "cases"
    serializer_class = TagOutput
    queryset = Tag.objects.order_by("name")
    pagination_class = None
